"""Reading messy order exports: every cleaning rule touches exactly the rows it should."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from lab.analysis import OrderLogError
from lab.calibrate.ingest import RULES, clean_orders, read_orders

MESSY = """\
user_id,order_time,paid_amount,note
A001,2024-01-05,100,x
A001,2024-01-05,100,x
A001,2024-01-05 10:00,50,y
A001,20240110,"¥1,234.50",z
A002,2024/01/06,80,a
A002,15/01/2024,-30,partial return
A003,2024-01-07T23:30:00Z,60,zone
A003,,70,c
,2024-01-08,70,d
A004,garbage,70,e
A004,2024-01-09,,f
A004,2024-01-09,abc,g
A005,2024-01-10,0,h
A006,2024-01-11,-20,orphan return
A007,2024年1月12日,40,i
A007,2024-01-13,40,j
A007,2024-01-14,-40,full return
A008,2024-01-15,inf,k
A008,2024-01-15,1e308,l
A008,2024-01-16,-99999999999,m
"""


def _write(tmp_path, text, name="orders.csv"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_each_rule_counts_exactly_the_rows_it_touched(tmp_path):
    clean = read_orders(_write(tmp_path, MESSY))
    rep = clean.report
    expected = {
        "duplicate_rows": 1,
        "missing_customer": 1,
        "missing_date": 1,
        "bad_date": 1,
        "date_format": 4,  # 20240110, 2024/01/06, 15/01/2024, 2024年1月12日
        "time_zone": 1,
        "amount_text": 1,
        "missing_amount": 1,
        "bad_amount": 1,
        "absurd_amount": 3,  # inf, 1e308 and a return of -1e11 (beyond the 1e7 cap)
        "return_netted": 2,
        "order_cancelled": 1,
        "return_unmatched": 1,
        "zero_amount": 1,
        "same_day_orders": 1,
    }
    assert {r: rep.count(r) for r in RULES} == expected
    assert rep.columns == {"customer": "user_id", "date": "order_time", "amount": "paid_amount"}
    assert rep.rows_read == 20 and rep.rows_kept == len(clean.orders) == 6
    assert rep.dayfirst is True  # 15/01/2024 proves day first
    o = clean.orders.set_index(["customer_id", clean.orders["date"].dt.strftime("%Y-%m-%d")])
    assert o.loc[("A001", "2024-01-05"), "amount"] == 150.0  # two orders that day, summed
    assert o.loc[("A001", "2024-01-05"), "n_orders"] == 2
    assert o.loc[("A001", "2024-01-10"), "amount"] == 1234.5
    assert o.loc[("A002", "2024-01-06"), "amount"] == 50.0  # 80 net of the 30 return
    # 23:30 UTC on the 7th is the 8th in Shanghai
    assert ("A003", "2024-01-08") in o.index
    assert o.loc[("A005", "2024-01-10"), "amount"] == 0.0  # a free order is still a purchase
    assert not (o.reset_index(level=0)["customer_id"] == "A006").any()
    assert "A007" in clean.orders["customer_id"].values
    assert len(clean.orders.query("customer_id == 'A007'")) == 1  # the 13th fully returned


def test_time_zone_option_changes_the_calendar_date():
    raw = pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-07T23:30:00Z"], "amount": ["5"]})
    assert clean_orders(raw).orders["date"].iloc[0] == pd.Timestamp("2024-01-08")
    assert clean_orders(raw, tz="UTC").orders["date"].iloc[0] == pd.Timestamp("2024-01-07")


def test_slash_dates_month_first_when_proven_and_conflict_is_an_error():
    raw = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["01/02/2024", "03/25/2024"], "amount": ["1", "2"]}
    )
    clean = clean_orders(raw)
    assert clean.report.dayfirst is False
    assert pd.Timestamp("2024-01-02") in set(clean.orders["date"])  # month first
    both = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["25/01/2024", "01/25/2024"], "amount": ["1", "2"]}
    )
    with pytest.raises(OrderLogError, match="day/month/year in some rows"):
        clean_orders(both)
    # an explicit choice settles the ambiguous ones
    assert clean_orders(raw.iloc[:1], dayfirst=True).orders["date"].iloc[0] == pd.Timestamp(
        "2024-02-01"
    )


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("", {}, "the file is empty"),
        ("customer_id,date,amount\n", {}, "header but no rows"),
        ("who,when,amount\n1,2024-01-01,3\n", {}, "no customer column"),
        (
            "customer_id,date,amount\n1,2024-01-01,3\n",
            {"amount_col": "paid"},
            "--amount-col 'paid'",
        ),
        ("customer_id,date,amount\n1,soon,3\n2,later,4\n", {}, "no value could be read as a date"),
        ("customer_id,date,amount\n1,2024-01-01,-3\n", {}, "no orders left"),
    ],
)
def test_unreadable_input_names_file_and_problem(tmp_path, text, kwargs, message):
    p = _write(tmp_path, text)
    with pytest.raises(OrderLogError, match=message) as err:
        read_orders(p, **kwargs)
    assert str(p) in str(err.value)


def test_missing_file_and_unknown_tz(tmp_path):
    with pytest.raises(OrderLogError, match="file not found"):
        read_orders(tmp_path / "nope.csv")
    p = _write(tmp_path, "customer_id,date,amount\n1,2024-01-01,3\n")
    with pytest.raises(OrderLogError, match="not a known time zone"):
        read_orders(p, tz="Mars/Olympus")


def test_parquet_with_aware_timestamps_and_ids_kept_as_text(tmp_path):
    df = pd.DataFrame(
        {
            "customer_id": ["007", "007", "010"],
            "date": pd.to_datetime(
                ["2024-03-01 17:00", "2024-03-02 09:00", "2024-03-01 12:00"]
            ).tz_localize("UTC"),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    p = tmp_path / "o.parquet"
    df.to_parquet(p)
    clean = read_orders(p)
    assert clean.report.count("time_zone") == 3
    # 17:00 UTC on the 1st is 01:00 on the 2nd in Shanghai: same day as the next order
    assert clean.report.count("same_day_orders") == 1
    assert sorted(clean.orders["customer_id"]) == ["007", "010"]


def test_duplicates_by_order_id_or_kept_on_request():
    raw = pd.DataFrame(
        {
            "order_id": ["1", "1", "2"],
            "customer_id": ["a", "a", "a"],
            "date": ["2024-01-01", "2024-01-01", "2024-01-01"],
            "amount": ["5", "6", "5"],  # order 1 exported twice (amount edited), order 2 real
        }
    )
    clean = clean_orders(raw)
    assert clean.report.count("duplicate_rows") == 1
    assert clean.orders["amount"].iloc[0] == 10.0  # order 1 once (first row) + order 2
    plain = raw.drop(columns="order_id")
    assert clean_orders(plain).report.count("duplicate_rows") == 1  # rows 0 and 2 identical
    kept = clean_orders(plain, duplicates="keep")
    assert kept.report.count("duplicate_rows") == 0 and kept.orders["amount"].iloc[0] == 16.0
