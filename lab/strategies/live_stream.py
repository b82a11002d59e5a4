"""Private-domain live streaming (私域直播, e.g. 视频号直播): dated sessions warmed up in groups.

A session is a dated event.  On each of the ``warmup_days`` before it, the team posts a
warm-up (预热) through the ``warmup_touchpoints`` (groups and Moments by default): an
ordinary contact, with its lift, fatigue and annoyance.  On the day, each targeted
customer the brand can still reach attends with a chance that grows with the warm-ups
they received and with the red envelopes (红包) announced for the stream:

    p = min(1, (base_attendance + warmup_gain x warm-ups received)
               x (1 + red_envelope_pull x r / (r + red_envelope_half_cny)))

where ``r`` is the red envelope per attendee.  Attendees get the in-stream offer
(``stream_depth``) and buy at ``in_stream_lift`` times their usual rate that day
(in-stream conversion); a share ``red_envelope_take`` of them grab the red envelope,
booked as a cost with the session's production cost.  Daily KPIs count sessions,
attendees and the orders and GMV attendees placed on the session day.

Sources: seed 000/002 describe live commerce in the private domain warmed up in groups;
the attendance and conversion figures are assumptions with plausible ranges (no
published rates for private-domain streams).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import model_validator

from lab.params import P, StrictModel, assumed, setting
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    import simpy

    from lab.plan import DayPlan

__all__ = ["LiveSession", "LiveStream", "LiveStreamConfig"]

_DECISION = setting("a decision of the strategy")


class LiveSession(StrictModel):
    """One dated live session (直播场次)."""

    name: str = P("live session", "text", "label, e.g. 新品直播", source=_DECISION)
    date: dt.date | None = P(None, "date", "calendar date of the session", source=_DECISION)
    day: int | None = P(None, "day", "or: run day of the session", ge=0, source=_DECISION)

    @model_validator(mode="after")
    def _one_anchor(self):
        if (self.date is None) == (self.day is None):
            raise ValueError("a live session needs exactly one of 'date' or 'day'")
        return self

    def run_day(self, start_date: dt.date) -> int:
        """Run day of the session (negative if before the run starts)."""
        return self.day if self.day is not None else (self.date - start_date).days


class LiveStreamConfig(StrategyConfig):
    """Dated live sessions with warm-ups, attendance, in-stream offer and red envelopes."""

    type: Literal["live_stream"] = "live_stream"
    sessions: list[LiveSession] = P([], "list", "dated sessions", source=_DECISION)
    every_days: int | None = P(
        None,
        "days",
        "or also: a session every N days; none = dated ones only",
        ge=1,
        source=_DECISION,
    )
    first_day: int = P(14, "day", "day of the first recurring session", ge=0, source=_DECISION)
    warmup_days: int = P(
        3, "days", "days of warm-up posts before a session", ge=0, le=14, source=_DECISION
    )
    warmup_touchpoints: list[str] = P(
        ["group", "moments"], "touchpoints", "where warm-ups are posted", source=_DECISION
    )
    warmup_content: Literal["promotion", "value", "interaction"] = P(
        "interaction", "content type", "content of the warm-up posts", source=_DECISION
    )
    base_attendance: float = P(
        0.03,
        "share",
        "chance a reachable customer attends without warm-up",
        ge=0,
        le=1,
        source=assumed(0.005, 0.1, "no published rate for private-domain streams"),
    )
    warmup_gain: float = P(
        0.02,
        "share/warm-up",
        "added attendance chance per warm-up received",
        ge=0,
        le=1,
        source=assumed(0.0, 0.06, "seed 000: streams are warmed up in groups (预热)"),
    )
    in_stream_lift: float = P(
        4.0,
        "x",
        "attendees' purchase rate on the day, times usual",
        ge=1,
        source=assumed(2.0, 10.0, "in-stream conversion; no published private-domain rate"),
    )
    stream_depth: float = P(
        0.1, "share", "in-stream discount offered to attendees", ge=0, le=0.9, source=_DECISION
    )
    red_envelope_cny: float = P(
        2.0, "CNY/attendee", "red envelope per attendee (红包)", ge=0, source=_DECISION
    )
    red_envelope_take: float = P(
        0.6,
        "share",
        "share of attendees who grab the red envelope",
        ge=0,
        le=1,
        source=assumed(0.3, 0.9, "not every attendee stays for the draw"),
    )
    red_envelope_pull: float = P(
        0.5,
        "x",
        "largest relative rise in attendance from red envelopes",
        ge=0,
        source=assumed(0.0, 1.5, "announced red envelopes draw viewers"),
    )
    red_envelope_half_cny: float = P(
        3.0,
        "CNY",
        "red envelope at which half the pull is reached",
        gt=0,
        source=assumed(1.0, 10.0),
    )
    session_cost_cny: float = P(
        1500.0,
        "CNY/session",
        "host, studio and set-up per session",
        ge=0,
        source=setting("the brand's cost"),
    )

    def touchpoints_used(self) -> list[str]:
        return list(self.warmup_touchpoints) if self.warmup_days else []

    def contents_used(self) -> list[str]:
        return [self.warmup_content] if self.warmup_days else []


class LiveStream(Strategy):
    """Runtime of :class:`LiveStreamConfig`."""

    config_cls = LiveStreamConfig
    summary = "warm up in groups and Moments before a session; attendees get the in-stream offer"
    cost_kinds = ("live_red_envelopes", "live_production")
    kpis = ("live_sessions", "live_attendees", "live_orders", "live_gmv")

    def start(self, env: simpy.Environment) -> None:
        start_date = self.model.date(0)
        self.dated = sorted({d for s in self.config.sessions if (d := s.run_day(start_date)) >= 0})
        self.warmups = np.zeros(0, dtype=np.uint8)  # warm-ups received before the next session
        self.attendees = np.zeros(0, dtype=np.int64)

    def _days_to_next(self, day: int) -> int | None:
        """Days from ``day`` to the next session (0 = today), or None when none is left."""
        cfg = self.config
        ahead = [d - day for d in self.dated if d >= day]
        if cfg.every_days is not None:
            since = day - cfg.first_day
            ahead.append(-since if since < 0 else (-since) % cfg.every_days)
        return min(ahead) if ahead else None

    def _grow(self, n: int) -> None:
        if self.warmups.size < n:
            grown = np.zeros(max(n, 2 * self.warmups.size), dtype=np.uint8)
            grown[: self.warmups.size] = self.warmups
            self.warmups = grown

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, model = self.config, self.model
        n = model.pop.n
        self._grow(n)
        self.attendees = np.zeros(0, dtype=np.int64)
        ahead = self._days_to_next(day)
        if ahead is None:
            return
        target = cfg.target.mask(model) & plan.reachable()
        if 0 < ahead <= cfg.warmup_days:
            got = np.zeros(n, dtype=bool)
            for tp in cfg.warmup_touchpoints:
                before = plan.sent[tp][:n].copy()
                plan.contact(target, tp, cfg.warmup_content)
                got |= plan.sent[tp][:n] > before
            self.warmups[:n][got] += 1
        elif ahead == 0:
            self._session(day, plan, target)

    def _attendance(self, warmups: np.ndarray) -> np.ndarray:
        cfg = self.config
        r = cfg.red_envelope_cny
        pull = 1.0 + cfg.red_envelope_pull * r / (r + cfg.red_envelope_half_cny)
        return np.minimum(1.0, (cfg.base_attendance + cfg.warmup_gain * warmups) * pull)

    def _session(self, day: int, plan: DayPlan, target: np.ndarray) -> None:
        cfg, model = self.config, self.model
        n = model.pop.n
        slots = np.flatnonzero(target)
        p = self._attendance(self.warmups[slots].astype(np.float64))
        came = slots[self.draws(day, slots) < p]
        self.warmups[:n] = 0  # the next session starts a fresh warm-up
        self.attendees = came
        model.count("live_sessions")
        model.book("live_production", cfg.session_cost_cny)
        model.log_event(f"{self.label}: live session, {came.size} attendees")
        if not came.size:
            return
        mask = np.zeros(n, dtype=bool)
        mask[came] = True
        if cfg.stream_depth > 0:
            plan.offer(mask, cfg.stream_depth)
        plan.multiply(mask, purchase=cfg.in_stream_lift)
        grabbed = int((self.draws(day, came, salt=1) < cfg.red_envelope_take).sum())
        model.book("live_red_envelopes", grabbed * cfg.red_envelope_cny)
        model.count("live_attendees", came.size)

    def after_orders(self, day: int, orders: dict[str, np.ndarray]) -> None:
        if not self.attendees.size or not orders["slot"].size:
            return
        bought = np.isin(orders["slot"], self.attendees)
        self.model.count("live_orders", int(bought.sum()))
        self.model.count("live_gmv", float(orders["amount"][bought].sum()))
