"""Order-log validation and the run <-> order-log round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.analysis import OrderLogError, as_order_data, order_values, repurchase_rate


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2026-01-01", "2026-01-05", "2026-01-03"],
            "amount": [80.0, 100.0, 50.0],
            "list_price": [100.0, 100.0, 50.0],
        }
    )


def test_defaults_and_days():
    d = as_order_data(_log())
    assert d.n_days == 5
    assert d.orders["day"].tolist() == [0, 2, 4]
    assert d.orders["discount"].tolist() == [20.0, 0.0, 0.0]
    assert d.orders["on_discount"].tolist() == [True, False, False]
    assert set(d.orders["channel"]) == {"unknown"}
    assert d.customers.set_index("customer_id")["start_day"].to_dict() == {1: 0, 2: 2}


def test_missing_columns_are_named_with_the_source():
    with pytest.raises(OrderLogError) as exc:
        as_order_data(_log().drop(columns=["amount", "date"]))
    msg = str(exc.value)
    assert (
        "<DataFrame>" in msg and "date, amount" in msg and "found: customer_id, list_price" in msg
    )


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "orders.csv"
    with pytest.raises(OrderLogError, match=r"file not found: .*orders\.csv"):
        as_order_data(path)


def test_bad_values_are_reported_together(tmp_path):
    bad = _log()
    bad.loc[1, "date"] = "not a date"
    bad.loc[2, "amount"] = -5
    path = tmp_path / "orders.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(OrderLogError) as exc:
        as_order_data(path)
    assert len(exc.value.problems) == 2
    text = str(exc.value)
    assert str(path) in text
    assert "'not a date' at row 1" in text and "column amount: -5.0 at row 2" in text


def test_customers_table_needs_customer_id():
    with pytest.raises(OrderLogError, match="customers table: missing column customer_id"):
        as_order_data(_log(), customers=pd.DataFrame({"id": [1]}))


def test_margin_needs_a_rate_or_cost():
    with pytest.raises(ValueError, match="margin_rate"):
        order_values(as_order_data(_log()), "margin")
    m = order_values(as_order_data(_log(), margin_rate=0.5), "margin")
    # orders are sorted by day: (1, day 0), (2, day 2), (1, day 4); amount - list * (1 - 0.5)
    assert m.tolist() == [30.0, 25.0, 50.0]


@pytest.fixture(scope="module")
def run():
    return lab.run("scenarios/baseline.yaml", days=90, seed=3)


def test_margin_of_orders_adds_up_to_the_daily_gross_margin(run):
    m = order_values(as_order_data(run), "margin").sum()
    assert m == pytest.approx(run.daily["gross_margin"].sum(), rel=1e-9)


def test_saved_order_log_reads_back_with_the_same_repurchase_rate(run, tmp_path):
    run.save(tmp_path / "out", formats=("csv",))
    from_file = repurchase_rate(tmp_path / "out" / "transactions.csv")
    assert from_file == pytest.approx(repurchase_rate(run))
    assert np.isfinite(from_file)
