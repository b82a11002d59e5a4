"""Issue 17 item 1: a product catalogue fills baskets; a 满减 coupon tops them up.

Paired seeds (the same orders are drawn in both arms), a small pool, 60 days."""

from __future__ import annotations

import numpy as np
import pytest

import lab

SEED = 6


def _run(coupon: bool) -> lab.RunResult:
    sc = lab.scenario_from_dict(
        {
            "days": 60,
            "acquisition": {"stock_import": {"customers_per_day": 40, "total_customers": 2000},
                            "staff_invite": {"enabled": False}},
            "strategies": [{"type": "catalogue", "spend_coupon": {"enabled": coupon}}],
        }
    )  # fmt: skip
    return lab.run(sc, seed=SEED)


@pytest.fixture(scope="module")
def runs():
    return {c: _run(c) for c in (False, True)}


def _items(res):
    return res.extra_tables["order_items"]


def test_item_lines_add_up_to_the_order(runs):
    res = runs[True]
    tx, items = res.transactions, _items(res)
    line = (items["quantity"] * items["unit_price"]).groupby(items["order_id"]).sum()
    assert set(items["order_id"]) <= set(tx["order_id"])
    assert len(line) == len(tx) > 1000
    assert np.allclose(line.to_numpy(), tx["list_price"].to_numpy(), atol=0.01)


def test_cost_of_goods_follows_the_items_margins(runs):
    res = runs[False]
    items = _items(res)
    cfg = lab.scenario_from_dict({"strategies": [{"type": "catalogue"}]}).strategies[0]
    margin = {p.name: p.margin_rate for p in cfg.products}
    cogs = (items["quantity"] * items["unit_price"] * (1 - items["product"].map(margin))).sum()
    assert res.daily["cogs"].sum() == pytest.approx(cogs, rel=1e-9)


def test_first_orders_draw_traffic_products(runs):
    res = runs[False]
    items, tx = _items(res), res.transactions
    first = tx.groupby("customer_id").cumcount().to_numpy() == 0  # first in the run
    is_first = first[items["order_id"].to_numpy()]
    traffic = (items["role"] == "traffic").to_numpy()
    # thousands of lines; the traffic weight is 3x in a first order
    assert traffic[is_first].mean() > traffic[~is_first].mean()


def test_spend_coupon_raises_baskets_toward_the_threshold(runs):
    without, with_ = runs[False].transactions, runs[True].transactions
    assert len(without) == len(with_)  # paired: the same orders, only the baskets change
    at = [(t["list_price"] >= 300).mean() for t in (without, with_)]
    # ~a fifth of ~2,000 orders sit within 30% below 300 and half of them top up
    assert at[1] > at[0] + 0.05, at
    assert with_["list_price"].sum() > without["list_price"].sum()
    d = runs[True].daily
    assert d["coupon_topups"].sum() > 0
    # the 40 CNY off is part of the orders' discount
    assert with_["discount"].sum() >= 40 * d["coupon_orders"].sum()


# --- product roles beyond labels: welfare products retain, fission products drive sharing


def _roles_run(**catalogue) -> lab.RunResult:
    sc = lab.scenario_from_dict(
        {
            "days": 90,
            "acquisition": {"stock_import": {"customers_per_day": 40, "total_customers": 2000},
                            "staff_invite": {"enabled": False}},
            "strategies": [{"type": "catalogue", **catalogue}],
        }
    )  # fmt: skip
    return lab.run(sc, seed=SEED)


@pytest.fixture(scope="module")
def roles():
    off = {"welfare_retention": 0.0, "fission_share_lift": 0.0}
    return {
        "off": _roles_run(**off),
        "welfare": _roles_run(**{**off, "welfare_retention": 1.0}),
        "fission": _roles_run(**{**off, "fission_share_lift": 2.0}),
    }


def test_welfare_products_retain(roles):
    off, on = roles["off"].daily, roles["welfare"].daily
    # paired (same seed, same draws): no dropout hazard for 30 days after a welfare item.
    # Most of the ~200 dropouts hit customers without a recent order, so the fall is
    # about a tenth (202 -> 178 at this seed); the direction is what is asserted
    assert on["dropouts"].sum() < off["dropouts"].sum(), (
        on["dropouts"].sum(),
        off["dropouts"].sum(),
    )
    assert on["alive"].iloc[-1] > off["alive"].iloc[-1]


def test_fission_products_drive_sharing(roles):
    off, on = roles["off"].daily, roles["fission"].daily
    # paired: a 3x sharing chance for 30 days after a fission item; ~150 shares in 90
    # days without it, ~190 with it, so a 10% rise is asserted with room to spare
    assert on["shares"].sum() > 1.1 * off["shares"].sum(), (on["shares"].sum(), off["shares"].sum())
    assert on["referred"].sum() > off["referred"].sum()


def test_role_effects_need_the_roles(roles):
    # a catalogue with no welfare or fission products: the switches change nothing
    plain = [{"name": "serum", "role": "profit", "list_price_cny": 189, "margin_rate": 0.7}]
    a = _roles_run(products=plain, welfare_retention=0.0, fission_share_lift=0.0)
    b = _roles_run(products=plain, welfare_retention=1.0, fission_share_lift=2.0)
    assert a.daily["gmv"].sum() == b.daily["gmv"].sum()
    assert a.daily["shares"].sum() == b.daily["shares"].sum()
