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
