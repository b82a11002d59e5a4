"""The calendar of demand multipliers (lab/configs/calendar.py) and its effect on a run."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

import lab
from lab.configs.calendar import CHINESE_NEW_YEAR, Calendar, day_multipliers
from tests.conftest import bare


def test_calendar_off_is_all_ones_even_with_multipliers_set():
    cal = Calendar(enabled=False, weekday=[2.0] * 7)
    assert (day_multipliers(cal, dt.date(2026, 1, 1), 30) == 1.0).all()


def test_weekday_month_event_and_campaign_multiply():
    cal = Calendar(
        enabled=True,
        weekday=[1, 1, 1, 1, 1, 2, 3],
        month=[1] * 10 + [1.5, 1],
        events=[{"name": "double11", "lift": 4.0}],
        campaigns=[{"name": "c", "start": "2026-11-10", "end": "2026-11-12", "lift": 0.5}],
    )
    start = dt.date(2026, 10, 30)  # a Friday
    m = day_multipliers(cal, start, 20)
    dates = [start + dt.timedelta(days=i) for i in range(20)]

    def expect(d):
        v = [1, 1, 1, 1, 1, 2, 3][d.weekday()] * (1.5 if d.month == 11 else 1.0)
        v *= 4.0 if dt.date(2026, 11, 1) <= d <= dt.date(2026, 11, 11) else 1.0  # 1-11 Nov
        v *= 0.5 if dt.date(2026, 11, 10) <= d <= dt.date(2026, 11, 12) else 1.0
        return v

    np.testing.assert_allclose(m, [expect(d) for d in dates])


def test_chinese_new_year_window_follows_the_table():
    cal = Calendar(enabled=True, events=[{"name": "cny", "lift": 0.5, "days_before": 1}])
    for year in (2016, 2024, 2035):
        cny = CHINESE_NEW_YEAR[year]
        start = cny - dt.timedelta(days=3)
        m = day_multipliers(cal, start, 14)
        on = np.flatnonzero(m < 1.0)
        # from the day before to 7 days after (the default days_after)
        assert on[0] == 2 and on[-1] == 3 + 7, (year, on)


def test_bad_calendar_names_the_field():
    with pytest.raises(ValidationError, match=r"calendar\.weekday: needs 7 values"):
        Calendar(weekday=[1.0] * 6)
    with pytest.raises(ValidationError, match="positive"):
        Calendar(month=[1.0] * 11 + [0.0])
    with pytest.raises(ValidationError, match="before start"):
        Calendar(campaigns=[{"start": "2026-02-02", "end": "2026-02-01"}])


@pytest.fixture(scope="module")
def weekend_runs():
    """The same pool with and without a calendar that doubles weekend demand."""
    sc = bare(2000, 84)
    on = bare(2000, 84, calendar={"enabled": True, "weekday": [1, 1, 1, 1, 1, 2, 2]})
    return lab.run(sc, seed=3).daily, lab.run(on, seed=3).daily


def test_weekend_multiplier_moves_orders_to_weekends(weekend_runs):
    off, on = weekend_runs

    def weekend_share(d):
        wk = d["date"].dt.weekday >= 5
        return d.loc[wk, "orders"].sum() / d["orders"].sum()

    # 2/7 of days; doubling their rate makes them about 4/9 of orders.  With ~2,000
    # orders the share's binomial SE is ~0.011, so 0.06 is > 5 SE from either value.
    assert weekend_share(off) < 2 / 7 + 0.06
    assert weekend_share(on) > 4 / 9 - 0.06
    assert on["orders"].sum() > off["orders"].sum()


def test_calendar_scales_paid_arrivals():
    paid = {"paid": {"enabled": True, "daily_budget_cny": 2000.0}}
    base = bare(10, 28, acquisition=paid)
    on = bare(
        10,
        28,
        acquisition=paid,
        start_date="2026-01-05",  # a Monday: 4 whole weeks
        calendar={"enabled": True, "weekday": [0.5, 0.5, 0.5, 0.5, 0.5, 3, 3]},
    )
    d0, d1 = lab.run(base, seed=1).daily, lab.run(on, seed=1).daily
    wk = d1["date"].dt.weekday >= 5
    assert d1.loc[wk, "new_paid"].mean() > 3 * d1.loc[~wk, "new_paid"].mean()
    assert d0.loc[wk, "new_paid"].mean() < 1.5 * d0.loc[~wk, "new_paid"].mean()
