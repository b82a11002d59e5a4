"""Promo response, the fatigue index and the funnel on hand-built logs; direction on runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.analysis import (
    fatigue_index,
    fatigue_over_time,
    fatigue_summary,
    funnel,
    promo_response,
    promotions,
)

START = pd.Timestamp("2026-01-01")


def _orders(rows):
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [START + pd.Timedelta(days=r[1]) for r in rows],
            "amount": [80.0 if r[2] else 100.0 for r in rows],
            "list_price": 100.0,
        }
    )


@pytest.fixture
def data():
    # ten customers in the pool from day 0; three 20%-off promotions on days 10, 20, 30
    # bought by 4, 3 and 2 customers; full-price orders on days 5, 15, 25
    rows = [(c, 10, True) for c in range(4)] + [(c, 20, True) for c in range(3)]
    rows += [(c, 30, True) for c in range(2)] + [(5, 5, False), (6, 15, False), (7, 25, False)]
    customers = pd.DataFrame({"customer_id": range(10), "join_date": START})
    return lab.as_order_data(_orders(rows), customers, end_date=START + pd.Timedelta(days=39))


def test_promotions_are_detected_from_discounted_days(data):
    p = promotions(data)
    assert p[["start_day", "end_day"]].values.tolist() == [[10, 10], [20, 20], [30, 30]]
    assert p["depth"].tolist() == pytest.approx([0.2, 0.2, 0.2])


def test_response_rates_and_fatigue_index(data):
    pr = promo_response(data)
    assert pr["response_rate"].tolist() == pytest.approx([0.4, 0.3, 0.2])
    # three like-for-like promotions -> k = 1: 1 - 0.2 / 0.4
    assert fatigue_index(data) == pytest.approx(0.5)
    assert pr["fatigue_index"].tolist() == pytest.approx([0.0, 0.25, 0.5])
    # a calendar given by the caller gives the same answer
    cal = pd.DataFrame({"start_day": [10, 20, 30], "end_day": [10, 20, 30]})
    assert fatigue_index(data, calendar=cal) == pytest.approx(0.5)


def test_discount_dependence(data):
    s = fatigue_summary(data)
    assert s["share_on_discount"] == pytest.approx(9 / 12)
    assert s["full_price_share"] == pytest.approx(3 / 12)
    assert s["discount_share_of_list"] == pytest.approx(9 * 20 / 1200)
    assert np.isnan(s["block_rate"])  # no block data in this log
    t = fatigue_over_time(data, period_days=10)
    assert t["share_on_discount"].tolist() == pytest.approx([0.0, 0.8, 0.75, 1.0])


def test_funnel_counts_and_rates():
    customers = pd.DataFrame(
        {
            "customer_id": range(6),
            "join_date": START,
            "referrer": [-1, 0, -1, 0, -1, 3],
            "blocked_date": [None, START + pd.Timedelta(days=3), None, None, START, None],
        }
    )
    rows = [
        (0, 1, False),
        (0, 9, False),
        (1, 2, False),
        (3, 4, False),
        (5, 5, False),
        (5, 6, False),
        (5, 8, False),
    ]
    d = lab.as_order_data(_orders(rows), customers, end_date=START + pd.Timedelta(days=9))
    f = funnel(d).set_index("stage")
    assert f["customers"].tolist() == [6, 4, 4, 2, 2]  # in, not blocked, bought, invited, 2+
    assert f.loc["converted", "rate"] == pytest.approx(4 / 4)
    assert (
        f.loc["fission", "rate"] == pytest.approx(2 / 4) and f.loc["fission", "of"] == "converted"
    )
    assert f.loc["repurchase", "share_of_traffic"] == pytest.approx(2 / 6)


def test_fatigue_index_rises_with_promotion_frequency():
    # direction of effect, paired by seed: weekly promotions tire customers more than
    # monthly ones.  Deal conditioning (issue 14) works the other way by design
    # (exposure raises deal sensitivity: with it on, 4 seeds gave 0.16 on average but
    # one seed -0.02), so it is switched off here to see fatigue itself.  Over a year
    # the paired difference measured on 8 seeds was then 0.19 with a standard error
    # of 0.024 and every seed positive; 4 seeds suffice.
    base = lab.load_scenario("scenarios/baseline.yaml").with_changes(
        {"promotion_response.deal_conditioning.enabled": False}
    )
    weekly = base.with_changes(
        {
            "strategies.discount_cadence.every_days": 7,
            "strategies.discount_cadence.duration_days": 2,
        }
    )
    diffs = [
        fatigue_index(lab.run(weekly, seed=s)) - fatigue_index(lab.run(base, seed=s))
        for s in range(4)
    ]
    assert min(diffs) > 0 and np.mean(diffs) > 0.1, diffs
