"""Repurchase rate, purchase ladder and inter-purchase times on a hand-built log."""

from __future__ import annotations

import pandas as pd
import pytest

import lab
from lab.analysis import (
    inter_purchase_summary,
    inter_purchase_times,
    purchase_ladder,
    repurchase_rate,
)

START = pd.Timestamp("2026-01-01")


@pytest.fixture
def data():
    rows = [("A", 0), ("A", 10), ("A", 30), ("B", 3), ("C", 0), ("C", 5)]
    orders = pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "date": [START + pd.Timedelta(days=d) for _, d in rows],
            "amount": 50.0,
            "is_trial": False,
        }
    )
    trial = pd.DataFrame(
        {
            "customer_id": ["B"],
            "date": [START + pd.Timedelta(days=1)],
            "amount": 9.9,
            "is_trial": True,
        }
    )
    customers = pd.DataFrame({"customer_id": list("ABCD"), "join_date": START})
    return lab.as_order_data(pd.concat([orders, trial], ignore_index=True), customers)


def test_repurchase_rate(data):
    assert repurchase_rate(data) == pytest.approx(2 / 3)  # A and C of the buyers A, B, C
    assert repurchase_rate(data, include_trial=True) == pytest.approx(1.0)  # B's trial counts


def test_purchase_ladder(data):
    lad = purchase_ladder(data, max_order=4).set_index("order_number")
    assert lad["customers"].tolist() == [3, 2, 1, 0]
    assert lad["share_of_customers"].tolist() == pytest.approx([3 / 4, 2 / 4, 1 / 4, 0])
    assert lad["share_of_buyers"].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert lad["step_rate"].tolist() == pytest.approx([3 / 4, 2 / 3, 1 / 2, 0])


def test_inter_purchase_times(data):
    g = inter_purchase_times(data).sort_values(["customer_id", "order_number"])
    assert g[["customer_id", "order_number", "days"]].values.tolist() == [
        ["A", 1, 10],
        ["A", 2, 20],
        ["C", 1, 5],
    ]
    s = inter_purchase_summary(data, max_order=2).set_index("from_order")
    assert s.loc["1", "mean"] == pytest.approx(7.5) and s.loc["2+", "count"] == 1
    assert s.loc["all", "median"] == 10


def test_include_prior_needs_prior_orders(data):
    with pytest.raises(ValueError, match="prior_orders"):
        repurchase_rate(data, include_prior=True)
