"""Seasonality: a calendar of demand multipliers (季节性日历).

The scenario section ``calendar`` (:class:`Calendar`) gives every day of a run one
multiplier of the purchase hazard (and of the day's new-customer arrivals):

    multiplier(day) = weekday[Mon..Sun] x month[Jan..Dec] x lift of each named event
                      in progress x lift of each dated campaign in progress

* **weekday** (7 values, Monday first) and **month** (12 values) multipliers;
* **named recurring events**: Chinese New Year (春节, by a table of its dates 2015–2035),
  618, 双11 (``double11``) and 双12 (``double12``), each a window of days around its
  anchor date with a lift;
* **campaigns**: the brand's own dated one-off campaigns (start, end, lift).

``lab calibrate`` estimates the calendar from an order log
(:mod:`lab.calibrate.seasonality`); off by default (every multiplier 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from lab.params import P, StrictModel, setting

__all__ = [
    "CHINESE_NEW_YEAR",
    "EVENT_ANCHORS",
    "EVENT_NAMES",
    "Calendar",
    "Campaign",
    "Event",
    "day_multipliers",
    "event_days",
    "event_spans",
]

#: Gregorian date of Chinese New Year (春节, first day of the lunar year), 2015–2035
CHINESE_NEW_YEAR: dict[int, dt.date] = {
    y: dt.date.fromisoformat(d)
    for y, d in {
        2015: "2015-02-19",
        2016: "2016-02-08",
        2017: "2017-01-28",
        2018: "2018-02-16",
        2019: "2019-02-05",
        2020: "2020-01-25",
        2021: "2021-02-12",
        2022: "2022-02-01",
        2023: "2023-01-22",
        2024: "2024-02-10",
        2025: "2025-01-29",
        2026: "2026-02-17",
        2027: "2027-02-06",
        2028: "2028-01-26",
        2029: "2029-02-13",
        2030: "2030-02-03",
        2031: "2031-01-23",
        2032: "2032-02-11",
        2033: "2033-01-31",
        2034: "2034-02-19",
        2035: "2035-02-08",
    }.items()
}

#: (month, day) anchor of the fixed-date shopping festivals
EVENT_ANCHORS: dict[str, tuple[int, int]] = {
    "618": (6, 18),
    "double11": (11, 11),
    "double12": (12, 12),
}

#: default window (days before, days after the anchor) of each named event
EVENT_WINDOWS: dict[str, tuple[int, int]] = {
    "cny": (7, 7),  # the week before (logistics stop) to the week after
    "618": (17, 0),  # 1-18 June
    "double11": (10, 0),  # 1-11 November (pre-sales)
    "double12": (2, 0),  # 10-12 December
}

EventName = Literal["cny", "618", "double11", "double12"]

#: how a reader names each event: (English, 中文)
EVENT_NAMES: dict[str, tuple[str, str]] = {
    "cny": ("CNY", "春节"),
    "618": ("618", "618"),
    "double11": ("Double 11", "双11"),
    "double12": ("Double 12", "双12"),
}


class Event(StrictModel):
    """A named recurring event: a window of days around its anchor date, with a lift."""

    name: EventName = P("double11", "name", "cny, 618, double11 or double12", source=setting())
    lift: float = P(1.0, "x", "demand multiplier on the event's days", gt=0, source=setting())
    days_before: int | None = P(
        None, "days", "window start before the anchor (default per event)", ge=0, le=60,
        source=setting(),
    )  # fmt: skip
    days_after: int | None = P(
        None, "days", "window end after the anchor (default per event)", ge=0, le=60,
        source=setting(),
    )  # fmt: skip

    def window(self) -> tuple[int, int]:
        """(days before, days after) the anchor, defaults filled in."""
        before, after = EVENT_WINDOWS[self.name]
        return (
            before if self.days_before is None else self.days_before,
            after if self.days_after is None else self.days_after,
        )


class Campaign(StrictModel):
    """A dated one-off campaign of the brand: its days (inclusive) and lift."""

    name: str = P("campaign", "text", "label", source=setting())
    start: dt.date = P(dt.date(2026, 1, 1), "date", "first day", source=setting())
    end: dt.date = P(dt.date(2026, 1, 1), "date", "last day (inclusive)", source=setting())
    lift: float = P(1.0, "x", "demand multiplier on the campaign's days", gt=0, source=setting())

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"campaign {self.name!r}: end {self.end} is before start {self.start}")
        return self


class Calendar(StrictModel):
    """Seasonality: demand multipliers by weekday, month, named event and campaign."""

    enabled: bool = P(False, "flag", "switch the calendar on/off", source=setting())
    weekday: list[float] = P(
        [1.0] * 7, "x", "purchase multiplier of each weekday, Monday first (7 values)",
        source=setting("estimated by lab calibrate"),
    )  # fmt: skip
    month: list[float] = P(
        [1.0] * 12, "x", "purchase multiplier of each month, January first (12 values)",
        source=setting("estimated by lab calibrate"),
    )  # fmt: skip
    events: list[Event] = Field(
        default_factory=list,
        description="named recurring events (cny, 618, double11, double12)",
        json_schema_extra={"source": setting("estimated by lab calibrate")},
    )
    campaigns: list[Campaign] = Field(
        default_factory=list,
        description="the brand's dated one-off campaigns",
        json_schema_extra={"source": setting("the brand's campaign calendar")},
    )
    arrivals: bool = P(
        True, "flag", "the multiplier also scales new-customer arrivals", source=setting()
    )
    base: float = P(
        1.0, "x",
        "multiplier of every day (below 1 where fitted events and campaigns lift some days: "
        "the calendar as a whole then adds no orders to the calibration period)",
        source=setting("estimated by lab calibrate"),
    )  # fmt: skip

    @field_validator("weekday")
    @classmethod
    def _seven(cls, v):
        return _positive(v, 7, "calendar.weekday")

    @field_validator("month")
    @classmethod
    def _twelve(cls, v):
        return _positive(v, 12, "calendar.month")

    @field_validator("base")
    @classmethod
    def _one(cls, v):
        return _positive([v], 1, "calendar.base")[0]


def _positive(v: list[float], n: int, where: str) -> list[float]:
    if len(v) != n:
        raise ValueError(f"{where}: needs {n} values, got {len(v)}")
    bad = [x for x in v if not (x > 0 and np.isfinite(x))]
    if bad:
        raise ValueError(f"{where}: multipliers must be positive numbers, got {bad[0]!r}")
    return v


def event_days(name: str, dates: np.ndarray, before: int, after: int) -> np.ndarray:
    """True on the days of ``dates`` (datetime64[D]) inside event ``name``'s window.

    Chinese New Year outside the table's years (2015–2035) is never in progress.
    """
    anchors = []
    if dates.size == 0:
        return np.zeros(0, dtype=bool)
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    for y in range(int(years.min()) - 1, int(years.max()) + 2):  # windows may cross a new year
        if name == "cny":
            if y in CHINESE_NEW_YEAR:
                anchors.append(np.datetime64(CHINESE_NEW_YEAR[y], "D"))
        else:
            m, d = EVENT_ANCHORS[name]
            anchors.append(np.datetime64(dt.date(y, m, d), "D"))
    hit = np.zeros(dates.size, dtype=bool)
    for a in anchors:
        hit |= (dates >= a - np.timedelta64(before, "D")) & (
            dates <= a + np.timedelta64(after, "D")
        )
    return hit


def event_spans(first: dt.date, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The named events' default windows (:data:`EVENT_WINDOWS`) with days in ``first``
    to ``last`` (inclusive), each clipped to that period, in date order.

    Returns
    -------
    list of tuple
        ``(name, first day, last day)``; a window cut by ``first`` or ``last`` gives
        only its days inside.
    """
    if last < first:
        return []
    dates = np.datetime64(first, "D") + np.arange((last - first).days + 1)
    out = []
    for name, (before, after) in EVENT_WINDOWS.items():
        on = np.flatnonzero(event_days(name, dates, before, after))
        if on.size == 0:
            continue
        cut = np.flatnonzero(np.diff(on) > 1)  # windows of two years apart
        for a, b in zip(np.r_[on[0], on[cut + 1]], np.r_[on[cut], on[-1]], strict=True):
            out.append((name, dates[a].astype(dt.date), dates[b].astype(dt.date)))
    return sorted(out, key=lambda span: (span[1], span[0]))


def day_multipliers(calendar: Calendar, start_date: dt.date, days: int) -> np.ndarray:
    """The multiplier of each run day ``0 .. days-1`` (all ones when the calendar is off).

    Parameters
    ----------
    calendar : Calendar
    start_date : datetime.date
        Date of day 0.
    days : int
        Number of days.

    Returns
    -------
    numpy.ndarray
        float64, one multiplier per day.
    """
    out = np.ones(int(days), dtype=np.float64)
    if not calendar.enabled or days <= 0:
        return out
    dates = np.datetime64(start_date, "D") + np.arange(int(days))
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    month = dates.astype("datetime64[M]").astype(int) % 12
    out *= np.asarray(calendar.weekday)[weekday] * np.asarray(calendar.month)[month]
    if calendar.base != 1.0:  # (x 1.0 would change no bit either)
        out *= calendar.base
    for ev in calendar.events:
        before, after = ev.window()
        out[event_days(ev.name, dates, before, after)] *= ev.lift
    for c in calendar.campaigns:
        on = (dates >= np.datetime64(c.start, "D")) & (dates <= np.datetime64(c.end, "D"))
        out[on] *= c.lift
    return out
