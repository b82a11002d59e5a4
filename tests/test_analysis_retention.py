"""Kaplan–Meier survival against a hand calculation and the simulation's ground truth;
cohort retention table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.analysis import cohort_retention, survival_curves, survival_data
from tests.conftest import bare

START = pd.Timestamp("2026-01-01")
END = START + pd.Timedelta(days=199)  # days 0..199 observed


def _log(rows):
    return pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "date": [START + pd.Timedelta(days=d) for _, d in rows],
            "amount": 10.0,
        }
    )


def test_lapse_survival_matches_a_hand_kaplan_meier():
    # c1 one order (lapses at 0); c2 last order day 50 (lapsed: 149 quiet days >= 90);
    # c3 ordered on day 190 (censored at 180); c4 last order 120 (79 quiet days: censored
    # at 100); c5 lapsed at 75.
    rows = [
        ("c1", 0),
        ("c2", 0),
        ("c2", 50),
        ("c3", 10),
        ("c3", 40),
        ("c3", 190),
        ("c4", 20),
        ("c4", 120),
        ("c5", 5),
        ("c5", 80),
    ]
    d = lab.as_order_data(_log(rows), end_date=END)
    sd = survival_data(d, "lapse", lapse_days=90).set_index("customer_id")
    assert sd["duration"].to_dict() == {"c1": 0, "c2": 50, "c3": 180, "c4": 100, "c5": 75}
    assert sd["observed"].to_dict() == {
        "c1": True,
        "c2": True,
        "c3": False,
        "c4": False,
        "c5": True,
    }
    km = survival_curves(d, by=None, event="lapse", lapse_days=90).set_index("t")
    # by hand: S(0) = 4/5; S(50) = 4/5 * 3/4; S(75) = 0.6 * 2/3; censored at 100 and 180
    assert km.loc[0.0, "survival"] == pytest.approx(0.8)
    assert km.loc[50.0, "survival"] == pytest.approx(0.6)
    assert km.loc[75.0, "survival"] == pytest.approx(0.4)
    assert km.loc[180.0, "survival"] == pytest.approx(0.4)
    assert km.loc[50.0, "at_risk"] == 4 and km.loc[75.0, "at_risk"] == 3
    assert km.attrs["median"]["all"] == 75.0


def test_block_survival_from_a_customers_table():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "join_date": [START, START, START + pd.Timedelta(days=100)],
            "blocked_date": [START + pd.Timedelta(days=30), None, None],
        }
    )
    d = lab.as_order_data(_log([("a", 0), ("b", 0)]), customers, end_date=END)
    sd = survival_data(d, "block").set_index("customer_id")
    assert sd["duration"].to_dict() == {"a": 30, "b": 200, "c": 100}
    assert sd["observed"].tolist() == [True, False, False]
    with pytest.raises(ValueError, match="blocked_date"):
        survival_data(lab.as_order_data(_log([("a", 0)])), "block")


def test_dropout_survival_recovers_a_constant_hazard():
    # everyone imported on day 0 with a fixed daily dropout hazard p: P(T > t) = (1-p)^(t+1)
    p, n = 0.01, 3000
    sc = bare(
        n,
        100,
        dropout={"after_purchase": False, "per_day": True},
        traits={"default": {"dropout_per_day": {"dist": "fixed", "mean": p}}},
    )
    km = survival_curves(lab.run(sc, seed=4), by=None, event="dropout")
    s = km.set_index("t")["survival"]
    for t in (10, 50, 90):
        truth = (1 - p) ** (t + 1)
        at = s[s.index <= t].iloc[-1]
        # binomial standard error at n customers; 4 SE -> a false alarm < 1e-4
        assert abs(at - truth) < 4 * np.sqrt(truth * (1 - truth) / n)


def test_cohort_retention_table():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "join_date": [START, START + pd.Timedelta(days=5), START + pd.Timedelta(days=40)],
        }
    )
    # a orders in its periods 0 and 2, b in period 1, c in period 0; 10-day periods
    rows = [("a", 3), ("a", 25), ("b", 16), ("c", 41)]
    d = lab.as_order_data(_log(rows), customers, end_date=START + pd.Timedelta(days=59))
    t = cohort_retention(d, period_days=10)
    jan, feb = t.loc["2026-01"], t.loc["2026-02"]
    assert jan["customers"] == 2 and feb["customers"] == 1
    assert [jan[k] for k in range(3)] == [0.5, 0.5, 0.5]
    # January's last joiner (day 5) is observed through period k while 5 + 10(k+1) <= 60
    assert jan[4] == 0.0 and np.isnan(jan[5])
    assert feb[0] == 1.0 and feb[1] == 0.0 and np.isnan(feb[2])  # c joined day 40
