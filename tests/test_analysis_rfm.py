"""RFM classes on a hand-built log with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

import lab
from lab.analysis import RFM_CLASSES, rfm_class_sizes, rfm_table

START = pd.Timestamp("2026-01-01")

# (customer, day, amount) -> expected class on day 100 with a 90-day window and cuts
# recency <= 30, frequency >= 2, monetary >= 200
ROWS = [
    ("a", 95, 150), ("a", 80, 100),    # R 5, F 2, M 250   important_value
    ("b", 99, 300),                    # R 1, F 1, M 300   important_development
    ("c", 20, 150), ("c", 40, 150),    # R 60, F 2, M 300  important_keep
    ("d", 50, 500),                    # R 50, F 1, M 500  important_retention
    ("e", 90, 20), ("e", 95, 20),      # R 5, F 2, M 40    general_value
    ("f", 100, 10),                    # R 0, F 1, M 10    general_development
    ("g", 30, 10), ("g", 31, 10),      # R 69, F 2, M 20   general_keep
    ("h", 5, 1000),                    # outside the window: F 0, M 0  general_retention
    ("i", 150, 10),                    # after the day: not classified
]  # fmt: skip
EXPECTED = {
    "a": "important_value", "b": "important_development", "c": "important_keep",
    "d": "important_retention", "e": "general_value", "f": "general_development",
    "g": "general_keep", "h": "general_retention",
}  # fmt: skip


@pytest.fixture
def data():
    orders = pd.DataFrame(
        {"customer_id": [r[0] for r in ROWS],
         "date": [START + pd.Timedelta(days=r[1]) for r in ROWS],
         "amount": [float(r[2]) for r in ROWS]}
    )  # fmt: skip
    return lab.as_order_data(orders, start_date=START)


def test_eight_classes_with_fixed_cuts(data):
    t = rfm_table(data, as_of_day=100, window_days=90, recency_cut=30, frequency_cut=2,
                  monetary_cut=200)  # fmt: skip
    assert dict(zip(t["customer_id"], t["rfm_class"].astype(str), strict=True)) == EXPECTED
    row = t.set_index("customer_id").loc["a"]
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (5, 2, 250.0)
    assert list(t["rfm_class"].cat.categories) == [k for k, *_ in RFM_CLASSES]


def test_median_cut_is_over_the_window_buyers(data):
    t = rfm_table(data, as_of_day=100, monetary_cut="median")
    # buyers in the window a..g spend 250, 300, 300, 500, 40, 10, 20 -> median 250
    assert t.attrs["cuts"]["monetary"] == 250.0
    assert t.set_index("customer_id").loc["a", "m_high"]


def test_class_sizes_over_time(data):
    s = rfm_class_sizes(data, every_days=50, monetary_cut=200)
    assert sorted(s["day"].unique()) == [49, 99, 149, 150]  # every 50 days and the last day
    last = s[s["day"] == 150].set_index("rfm_class")["customers"]
    assert last.sum() == 9  # everyone has ordered by the last day
    on_99 = s[s["day"] == 99]
    assert on_99["share"].sum() == pytest.approx(1.0)
