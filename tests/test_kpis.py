"""One KPI table describes every daily column: names, integer dtype and labels agree."""

from __future__ import annotations

import numpy as np

import lab
from lab.agents.behaviour import KERNEL_KPIS, K
from lab.i18n import label
from lab.kpis import KPI_TABLE, integer_kpis, kpi_rows
from lab.model import PoolModel


def _daily_and_model():
    sc = lab.Scenario(
        days=5,
        market={"size": 20_000},
        strategies=[{"type": "discount_cadence"}, {"type": "membership"}],
    )
    return lab.run(sc).daily, PoolModel(sc)


def _row_for(column: str):
    for row in KPI_TABLE:
        head, brace, _ = row.name.partition("{")
        if row.name == column or (brace and column.startswith(head)):
            return row
    return None


def test_every_daily_column_is_a_table_row_or_a_strategy_kpi():
    daily, model = _daily_and_model()
    columns = [c for c in daily.columns if c not in ("day", "date")]
    assert columns == model.kpi_names()
    undescribed = [c for c in columns if _row_for(c) is None]
    assert undescribed == model.extra_kpis and undescribed  # membership declares its own


def test_integer_columns_are_exactly_the_integer_rows():
    daily, model = _daily_and_model()
    integer = integer_kpis(daily.columns)
    for col in model.kpi_names():
        assert (daily[col].dtype == np.int64) == (col in integer), col
        row = _row_for(col)
        if row is not None and col not in model.extra_kpis:
            assert row.integer == (col in integer), col


def test_labels_come_from_the_table():
    for row in KPI_TABLE:
        if "{" not in row.name:
            assert label(row.name, "en") == row.en
            assert label(row.name, "zh") == row.zh


def test_kernel_kpi_slots_follow_the_kernel_rows():
    names = [k.name for k in kpi_rows("kernel")]
    assert list(KERNEL_KPIS[: len(names)]) == names
    assert all(getattr(K, n) == i for i, n in enumerate(KERNEL_KPIS))
