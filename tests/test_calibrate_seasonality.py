"""Seasonality and regular timing are recovered from logs the lab generated with them known.

Each log is a pure BG/NBD-like lab pool (tests/conftest.py ``bare``): customers
imported on day 0 with one order of history (booked the day before, BG/NBD's time
zero), purchase rate Gamma(R, ALPHA) per day, dropout Beta(A, B) after each order.
One log has Poisson timing and a calendar (weekend lift, 双11 lift); one has Erlang-3
timing and no calendar.  The fits (:func:`lab.calibrate.fit`) must find them within
2 standard errors, find k = 1 on the Poisson log (no false regularity) and see a
closed cohort (no arrivals invented).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.calibrate.arrivals import fit_arrivals
from lab.calibrate.estimator import fit
from lab.calibrate.regularity import fit_regularity, gap_log_sums
from lab.calibrate.summary import rfm_summary
from lab.model import PoolModel
from lab.scenario import scenario_from_dict
from tests.conftest import bare

R, ALPHA_DAYS, A, B = 0.8, 40.0, 0.5, 6.0
N = 2000
WEEKDAY = [0.9, 0.9, 0.9, 0.9, 0.9, 1.25, 1.25]  # mean 1: the fit reports multipliers of mean 1
DOUBLE11 = 1.8


def _log(days: int, start: str, **sections) -> pd.DataFrame:
    traits = {
        "default": {
            "propensity_per_day": {"dist": "gamma", "mean": R / ALPHA_DAYS, "shape": R},
            "dropout_after_purchase": {"dist": "beta", "mean": A / (A + B), "concentration": A + B},
        }
    }
    res = lab.run(bare(N, days, traits=traits, start_date=start, **sections), seed=5)
    orders = res.transactions[["customer_id", "date", "amount"]]
    day0 = pd.Timestamp(start)
    history = pd.DataFrame(
        {"customer_id": res.customers["customer_id"], "date": day0 - pd.Timedelta(days=1)}
    )
    return pd.concat([history.assign(amount=100.0), orders], ignore_index=True)


@pytest.fixture(scope="module")
def seasonal_model():
    cal = {
        "enabled": True,
        "weekday": WEEKDAY,
        "events": [{"name": "double11", "lift": DOUBLE11}],
    }
    return fit(_log(150, "2026-09-01", calendar=cal), k_max=3)


@pytest.fixture(scope="module")
def regular_model():
    """The Erlang-3 log's regularity and arrival fits (the parts of ``fit`` under test)."""
    log = _log(200, "2026-03-02", purchase={"timing": "erlang", "timing_k": 3})
    end = log["date"].max()
    summary = rfm_summary(log, end, time_unit_days=7.0)
    reg = fit_regularity(summary, gap_log_sums(log, end, 7.0), k_max=4)
    return reg, fit_arrivals(summary["first_purchase"], log["date"].min(), end), end


def _contrast(seas, weights: dict[str, float]) -> tuple[float, float]:
    """A linear contrast of log-effects and its standard error."""
    names = list(weights)
    c = np.array([weights[n] for n in names])
    cov = seas.cov.loc[names, names].to_numpy()
    est = {**{f"weekday_{d}": np.log(v) for d, v in zip(WEEKDAYS, seas.weekday, strict=True)}}
    est.update({f"event_{k}": np.log(v) for k, v in seas.events.items()})
    return float(sum(weights[n] * est[n] for n in names)), float(np.sqrt(c @ cov @ c))


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_weekend_lift_recovered_within_2_se(seasonal_model):
    seas = seasonal_model.seasonality
    w = {f"weekday_{d}": 0.5 for d in ("sat", "sun")}
    w.update({f"weekday_{d}": -0.2 for d in ("mon", "tue", "wed", "thu", "fri")})
    est, se = _contrast(seas, w)
    true = np.log(1.25) - np.log(0.9)
    print(f"\nweekend/weekday log-lift {est:.3f} ± {se:.3f} (true {true:.3f})")
    assert abs(est - true) < 2 * se


def test_double11_lift_recovered_within_2_se(seasonal_model):
    seas = seasonal_model.seasonality
    est, se = np.log(seas.events["double11"]), seas.se["event_double11"]
    print(f"\n双11 log-lift {est:.3f} ± {se:.3f} (true {np.log(DOUBLE11):.3f})")
    assert abs(est - np.log(DOUBLE11)) < 2 * se


def test_poisson_log_has_no_false_regularity(seasonal_model):
    reg = seasonal_model.regularity
    print("\nPoisson log profile:", reg.profile.to_dict("list"))
    assert reg.k == 1


def test_erlang_k_recovered(regular_model):
    reg = regular_model[0]
    print("\nErlang-3 log profile:", reg.profile.to_dict("list"), "95% set", reg.k_set)
    assert 3 in reg.k_set and reg.k in (2, 3, 4)


def test_regular_timing_parameters_recovered_within_2_se(regular_model):
    f = regular_model[0].fit
    true = {"r": R, "alpha": ALPHA_DAYS / 7.0, "a": A, "b": B}  # weekly units
    for k, v in true.items():
        print(f"{k}: {f.params[k]:.3f} ± {f.se[k]:.3f} (true {v:.3f})")
        assert abs(f.params[k] - v) < 2 * f.se[k], (k, f.params[k], f.se[k], v)


def test_one_cohort_log_is_a_closed_cohort(regular_model):
    _, arr, end = regular_model
    assert arr.closed
    assert arr.expected(end + pd.Timedelta(days=1), 90).sum() == 0


def test_known_customer_purchase_phase_is_checked_and_carried(tmp_path):
    from lab.known_customers import read_known_customers

    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,join_date,purchase_phase\na,2026-01-01,-1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"purchase_phase: -?1.* is not a number >= 0"):
        read_known_customers(bad)
    good = tmp_path / "good.csv"
    good.write_text(
        "customer_id,join_date,purchase_phase\na,2026-01-01,2\nb,2026-01-01,0\n", encoding="utf-8"
    )
    sc = bare(1, 1, purchase={"timing": "erlang", "timing_k": 3})
    sc["acquisition"]["stock_import"] = {"enabled": False}
    sc["acquisition"]["known_customers"] = {"enabled": True, "file": str(good)}
    model = PoolModel(scenario_from_dict(sc, source=str(good)), seed=0)
    model.step()  # they join at the end of day 0, their clocks where the table says
    assert sorted(model.pop.purchase_phase[: model.pop.n].tolist()) == [0.0, 2.0]
