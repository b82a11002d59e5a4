"""LTV, CAC, payback and K-factor on hand-built logs with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.analysis import (
    cac_by_channel,
    customer_ltv,
    daily_discount_rate,
    k_factor,
    ltv_by,
    payback_days,
    unit_economics,
)

START = pd.Timestamp("2026-01-01")


def _orders(rows):
    return pd.DataFrame(
        [
            {
                "customer_id": c,
                "date": START + pd.Timedelta(days=d),
                "amount": a,
                "list_price": lp if lp is not None else a,
                "channel": ch,
            }
            for c, d, a, lp, ch in rows
        ]
    )


def test_daily_rate_compounds_to_the_annual_rate():
    d = daily_discount_rate(0.10)
    assert (1 + d) ** 365 == pytest.approx(1.10, rel=1e-12)
    assert daily_discount_rate(0.0) == 0.0


def test_ltv_discounting_horizon_and_completeness():
    orders = _orders(
        [
            ("a", 0, 100.0, None, "paid"),
            ("a", 100, 50.0, None, "paid"),
            ("a", 364, 10.0, None, "paid"),
            ("a", 365, 999.0, None, "paid"),  # day 365 is outside a 365-day horizon
            ("b", 20, 40.0, None, "paid"),
        ]
    )
    customers = pd.DataFrame(
        {"customer_id": ["a", "b"], "join_date": [START, START + pd.Timedelta(days=10)]}
    )
    d = lab.as_order_data(orders, customers, end_date=START + pd.Timedelta(days=365))
    t = customer_ltv(d, 365, annual_discount_rate=0.10).set_index("customer_id")
    expected_a = 100 + 50 * 1.1 ** (-100 / 365) + 10 * 1.1 ** (-364 / 365)
    assert t.loc["a", "ltv"] == pytest.approx(expected_a, rel=1e-12)
    assert t.loc["a", "value"] == pytest.approx(160.0)
    assert t.loc["a", "orders"] == 3
    assert t.loc["b", "ltv"] == pytest.approx(40 * 1.1 ** (-10 / 365), rel=1e-12)
    assert t.loc["a", "complete"] and not t.loc["b", "complete"]  # b is seen for 356 days
    g = ltv_by(t.reset_index(), None)
    assert g["ltv_mean"].iloc[0] == pytest.approx(expected_a) and g["complete"].iloc[0] == 1


def test_ltv_on_margin_uses_the_margin_rate():
    orders = _orders([("a", 0, 100.0, 120.0, "paid")])
    d = lab.as_order_data(orders, margin_rate=0.5)
    t = customer_ltv(d, 1, value="margin", annual_discount_rate=0.0)
    assert t["ltv"].iloc[0] == pytest.approx(100 - 120 * 0.5)


def test_cac_payback_and_ltv_to_cac():
    # two paid customers for 200 CNY (CAC 100); x: 120 on day 0 and 80 on day 20,
    # y: 100 on day 30.  Mean cumulative margin (margin = amount with margin_rate 1):
    # 60 on days 0-19, 100 from day 20 -> payback on day 20 undiscounted.
    orders = _orders(
        [
            ("x", 0, 120.0, None, "paid"),
            ("x", 20, 80.0, None, "paid"),
            ("y", 0, 0.0, None, "paid"),
            ("y", 30, 100.0, None, "paid"),
        ]
    )
    d = lab.as_order_data(orders, end_date=START + pd.Timedelta(days=59), margin_rate=1.0)
    cac = cac_by_channel(d, costs={"paid": 200.0}).set_index("channel")
    assert cac.loc["paid", "cac"] == 100.0 and cac.loc["paid", "new_customers"] == 2
    assert payback_days(d, costs={"paid": 200.0}, annual_discount_rate=0.0)["paid"] == 20
    # discounted at 10%/year, day 20 falls short (120 + 80 * 1.1**(-20/365) < 200): day 30
    assert payback_days(d, costs={"paid": 200.0}, annual_discount_rate=0.10)["paid"] == 30
    # never reached when the CAC is higher than everything they ever bring
    assert np.isnan(payback_days(d, costs={"paid": 1000.0})["paid"])
    ue = unit_economics(d, horizon_days=60, costs={"paid": 200.0}, annual_discount_rate=0.0)
    row = ue.set_index("channel").loc["paid"]
    assert row["ltv"] == pytest.approx(150.0) and row["ltv_to_cac"] == pytest.approx(1.5)


def test_k_factor_and_cost_per_referred():
    customers = pd.DataFrame(
        {
            "customer_id": range(10),
            "referrer": [-1, -1, -1, -1, -1, -1, -1, 0, 0, 1],
            "channel": ["paid"] * 7 + ["referral"] * 3,
            "join_date": START,
        }
    )
    orders = _orders([(0, 0, 10.0, None, "paid")])
    d = lab.as_order_data(orders, customers)
    k = k_factor(d, costs={"referral": 75.0})
    assert k["k_factor"] == pytest.approx(0.3)
    assert k["sharers"] == 2 and k["cost_per_referred"] == pytest.approx(25.0)


def test_k_factor_needs_to_know_who_was_invited():
    with pytest.raises(ValueError, match="referrer"):
        k_factor(lab.as_order_data(_orders([(0, 0, 10.0, None, "paid")])), costs={})


@pytest.fixture(scope="module")
def run():
    return lab.run("scenarios/baseline.yaml", days=120, seed=5)


def test_run_cac_matches_the_booked_costs(run):
    t = cac_by_channel(run).set_index("channel")
    n_paid = int((run.customers["channel"] == "paid").sum())
    assert t.loc["paid", "cac"] == pytest.approx(run.daily["cost_paid_acquisition"].sum() / n_paid)
    assert (
        t.loc["stock_import", "cac"] == 0 and "no acquisition cost" in t.loc["stock_import", "note"]
    )
    k = k_factor(run)
    assert k["k_factor"] == pytest.approx(k["shares_per_customer"] * k["joins_per_share"])
    ue = unit_economics(run, horizon_days=60)
    assert np.isnan(ue.set_index("channel").loc["stock_import", "ltv_to_cac"])


def test_net_ltv_from_the_margin_table_is_customer_ltv_net_exactly(run):
    from lab.analysis import customer_ltv
    from lab.analysis.ltv import net_ltv

    margin = customer_ltv(run, 180, "margin")
    net = customer_ltv(run, 180, "net")
    derived = net_ltv(margin, run)
    pd.testing.assert_frame_equal(derived, net, check_exact=True)  # same bits, same attrs
    assert derived.attrs == net.attrs and margin.attrs["value"] == "margin"  # copy, not in place
    assert (net["ltv"] != margin["ltv"]).any()  # the run credits money outside orders
    with pytest.raises(ValueError, match="value='margin'"):
        net_ltv(net, run)
