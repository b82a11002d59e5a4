"""Shop guides (导购 / BA): staff who hold customers and serve them 1-to-1.

Each guide is a real ``mesa.Agent`` holding a book of customers (up to
``book_size``), assigned as customers join.  Customers with a guide ask for a
private chat at ``requests_per_week``; each guide is a SimPy ``Resource`` of
capacity one that serves ``chats_per_day`` chats a day in arrival order, and a
request not started within ``patience_days`` is dropped.  A served chat raises the
customer's trust and that day's purchase rate.  Guides quit at ``quit_rate_per_year``
(replaced after ``replacement_delay_days``): the departing guide's customers lose
their contact and trust, and drift away (a higher dropout hazard) unless
``reassign`` moves them to a guide with room.  Salaries are booked daily.

Where requests come from (``requests_from``):

* ``book`` (default): only customers in a guide's book ask, so each guide's load is
  their book times the request rate and a team whose books are not full never
  queues (the behaviour of the lab before issue 18);
* ``customers``: every targeted customer who has not dropped out or blocked the
  brand asks at ``requests_per_week``; a customer with a guide asks that guide, the
  others the active guide with the shortest queue.  Demand then grows with the pool,
  not with the team, so capacity binds: chats wait, some are dropped.

Service level: a chat is *answered in time* when a guide starts it within
``answer_within_minutes`` of the request; the daily KPIs count requests, chats
served, answered in time and dropped, and the minutes served chats waited
(:func:`lab.analysis.service_level` sums them into a service level).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import mesa
import numpy as np
import simpy

from lab.params import P, assumed, setting
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["ShopGuide", "ShopGuides", "ShopGuidesConfig"]


class ShopGuidesConfig(StrategyConfig):
    """A team of shop guides."""

    type: Literal["shop_guides"] = "shop_guides"
    guides: int = P(
        5,
        "people",
        "guides at the start",
        ge=0,
        le=5000,
        source=setting("a decision of the strategy"),
    )
    book_size: int = P(
        500,
        "customers",
        "most customers one guide holds",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    chats_per_day: float = P(
        40.0,
        "chats/day",
        "private chats one guide can serve a day",
        gt=0,
        source=assumed(15.0, 100.0),
    )
    requests_per_week: float = P(
        0.3, "1/week", "how often a customer asks their guide", ge=0, source=assumed(0.05, 1.0)
    )
    patience_days: float = P(
        1.0, "days", "a request not started this soon is dropped", gt=0, source=assumed(0.25, 3.0)
    )
    chat_trust_gain: float = P(
        0.1, "share", "share of missing trust a chat adds", ge=0, le=1, source=assumed(0.02, 0.3)
    )
    chat_purchase_lift: float = P(
        1.5, "x", "extra purchase rate on the day of a chat", ge=0, source=assumed(0.3, 4.0)
    )
    salary_cny_per_day: float = P(
        250.0, "CNY/day", "cost of one guide", ge=0, source=setting("a decision of the strategy")
    )
    quit_rate_per_year: float = P(
        0.4,
        "1/year",
        "guide turnover",
        ge=0,
        source=assumed(
            0.1,
            1.0,
            "seed 002: guides quit and take relationships along; retail staff turnover is high",
        ),
    )
    replacement_delay_days: int | None = P(
        30,
        "days",
        "days to hire a replacement; none = no hiring",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    reassign: bool = P(
        True,
        "flag",
        "move a departing guide's customers to guides with room",
        source=setting("a decision of the strategy"),
    )
    orphan_trust_loss: float = P(
        0.3,
        "share",
        "share of trust lost when the guide leaves",
        ge=0,
        le=1,
        source=assumed(0.05, 0.7, "seed 002: customers drift away when their guide quits"),
    )
    requests_from: Literal["book", "customers"] = P(
        "book",
        "choice",
        "who asks for chats: book = customers in a guide's book; customers = every targeted "
        "customer (demand grows with the pool, so team capacity binds)",
        source=setting("a modelling choice"),
    )
    answer_within_minutes: float = P(
        30.0,
        "minutes",
        "service-level target: a chat started this soon after the request is answered in time",
        gt=0,
        source=setting("a service standard the team sets itself"),
    )
    orphan_dropout_mult: float = P(
        3.0,
        "x",
        "dropout hazard of customers left without a guide",
        ge=1,
        source=assumed(1.2, 6.0, "seed 002: customers drift away when their guide quits"),
    )


class ShopGuide(mesa.Agent):
    """One shop guide: a book of customers and a private-chat queue (a SimPy resource)."""

    def __init__(self, model: mesa.Model, code: int, env: simpy.Environment, day: int) -> None:
        super().__init__(model)
        self.code = code
        self.resource = simpy.Resource(env, capacity=1)
        self.hired_day = day
        self.left_day: int | None = None
        self.served = 0
        self.dropped = 0

    @property
    def active(self) -> bool:
        return self.left_day is None

    @property
    def backlog(self) -> int:
        """Chats in service or waiting for this guide."""
        return self.resource.count + len(self.resource.queue)

    def chat(
        self,
        env,
        delay: float,
        slot: int,
        service_days: float,
        patience: float,
        served: list,
        waits: list | None = None,
    ):
        """SimPy process: a customer's request arrives, waits its turn (or gives up), is served.

        With ``waits``, the days each started chat waited are appended to it.
        """
        yield env.timeout(delay)
        asked = env.now
        with self.resource.request() as req:
            outcome = yield req | env.timeout(patience)
            if req not in outcome:
                self.dropped += 1
                return
            if waits is not None:
                waits.append(env.now - asked)
            yield env.timeout(service_days)
            self.served += 1
            served.append(slot)


class ShopGuides(Strategy):
    """Runtime of :class:`ShopGuidesConfig`."""

    config_cls = ShopGuidesConfig
    summary = (
        "guides (mesa Agents) serve chat requests through SimPy queues; turnover orphans customers"
    )
    cost_kinds = ("guide_salaries",)
    owned_states = ("guide", "guide_lost_day")
    queues = True  # chats wait for a guide on the SimPy clock (the model runs it)
    kpis = (
        "guides_active",
        "chats_requested",
        "chats_served",
        "chats_dropped",
        "orphaned_customers",
    )
    #: the service-level KPIs of ``requests_from: customers`` (see :meth:`__init__`)
    SERVICE_KPIS = ("chats_answered_in_time", "chat_wait_minutes")

    def __init__(self, config, model, index: int) -> None:
        super().__init__(config, model, index)
        if config.requests_from == "customers":  # book mode keeps its daily columns as before
            self.kpis = (*type(self).kpis, *self.SERVICE_KPIS)

    def start(self, env) -> None:
        self.env = env
        self.team: list[ShopGuide] = []
        self._served: list[int] = []
        self._waits: list[float] | None = [] if self.config.requests_from == "customers" else None
        self._dropped_before = 0
        self.team_dropped = 0  # requests with no active guide to queue for, today
        for _ in range(self.config.guides):
            self._hire(0)

    def _hire(self, day: int) -> ShopGuide:
        guide = ShopGuide(self.model, len(self.team), self.env, day)
        self.team.append(guide)
        return guide

    def _hire_later(self, delay: int):
        yield self.env.timeout(delay)
        self._hire(self.model.day)

    def _u(self, day: int, k: int) -> float:
        return self.model.streams.scalar("strategy", day, 1_000_000 * (self.index + 1) + k)

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        n = pop.n
        self._turnover(day, plan)
        self._assign(day)
        guide = pop.guide[:n]
        orphans = (guide < 0) & (pop.guide_lost_day[:n] >= 0)
        if orphans.any():
            plan.multiply(orphans, dropout=cfg.orphan_dropout_mult)
        model.set_kpi("orphaned_customers", float(orphans.sum()))
        self._chats(day, plan)

    def _turnover(self, day: int, plan: DayPlan) -> None:
        cfg, pop = self.config, self.model.pop
        p_quit = 1 - math.exp(-cfg.quit_rate_per_year / 365)
        for g in self.team:
            if g.active and self._u(day, g.code) < p_quit:
                g.left_day = day
                book = np.flatnonzero(pop.guide[: pop.n] == g.code)
                pop.guide[book] = -1
                pop.guide_lost_day[book] = day
                plan.scale_trust(book, 1 - cfg.orphan_trust_loss)
                self.model.log_event(
                    f"{self.label}: guide {g.code} left, {book.size} customers orphaned"
                )
                if cfg.replacement_delay_days is not None:
                    self.env.process(self._hire_later(cfg.replacement_delay_days))

    def _assign(self, day: int) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        n = pop.n
        active = [g for g in self.team if g.active]
        if not active:
            return
        load = np.bincount(pop.guide[:n][pop.guide[:n] >= 0], minlength=len(self.team))
        room = {g.code: cfg.book_size - int(load[g.code]) for g in active}
        waiting = cfg.target.mask(model) & (pop.guide[:n] < 0)
        if not cfg.reassign:
            waiting &= pop.guide_lost_day[:n] < 0
        # orphans first, then newcomers, each in joining order
        lost = pop.guide_lost_day[:n] >= 0
        queue = np.concatenate([np.flatnonzero(waiting & lost), np.flatnonzero(waiting & ~lost)])
        start = 0
        for code, free in sorted(room.items(), key=lambda kv: -kv[1]):
            take = queue[start : start + max(free, 0)]
            pop.guide[take] = code
            start += take.size
            if start >= queue.size:
                break

    def _chats(self, day: int, plan: DayPlan) -> None:
        """Today's chat requests join their guide's SimPy queue (served in the ``queues`` step)."""
        cfg, model, pop = self.config, self.model, self.model.pop
        n = pop.n
        if cfg.requests_from == "customers":
            can_ask = cfg.target.mask(model) & pop.alive[:n] & ~pop.blocked[:n]
        else:
            can_ask = (pop.guide[:n] >= 0) & pop.alive[:n]
        held = np.flatnonzero(can_ask)
        p_req = 1 - math.exp(-cfg.requests_per_week / 7)
        asking = held[self.draws(day, held) < p_req]
        arrival = self.draws(day, asking, salt=1)
        if cfg.requests_from == "customers":
            self._queue_to_team(asking, arrival)
        else:
            for slot, at in zip(asking, arrival, strict=True):
                g = self.team[pop.guide[slot]]
                self.env.process(
                    g.chat(
                        self.env,
                        at,
                        int(slot),
                        1.0 / cfg.chats_per_day,
                        cfg.patience_days,
                        self._served,
                    )
                )
        model.count("chats_requested", asking.size)

    def _queue_to_team(self, asking: np.ndarray, arrival: np.ndarray) -> None:
        """Requests from customers: to their own guide, else to the shortest queue.

        With no active guide a request is dropped at once.  The shortest queue counts
        what each guide still has from before and what today's requests already sent
        them (requests are routed when queued, in arrival order).
        """
        cfg, pop = self.config, self.model.pop
        load = {g.code: g.backlog for g in self.team if g.active}
        order = np.argsort(arrival, kind="stable")
        for slot, at in zip(asking[order], arrival[order], strict=True):
            own = int(pop.guide[slot])
            if own >= 0 and own in load:
                code = own
            elif load:
                code = min(load, key=load.__getitem__)
            else:
                self.team_dropped += 1
                continue
            load[code] += 1
            g = self.team[code]
            self.env.process(
                g.chat(
                    self.env,
                    at,
                    int(slot),
                    1.0 / cfg.chats_per_day,
                    cfg.patience_days,
                    self._served,
                    self._waits,
                )
            )

    def after_queues(self, day: int, plan: DayPlan) -> None:
        """Chats served today (the model ran the clock; the rest waits till tomorrow)."""
        cfg, model = self.config, self.model
        served = np.array(self._served, dtype=np.int64)
        self._served.clear()
        if served.size:
            mask = np.zeros(plan.n, dtype=bool)
            mask[served] = True
            plan.multiply(mask, purchase=1 + cfg.chat_purchase_lift)
            plan.raise_trust(served, cfg.chat_trust_gain)
        model.count("chats_served", served.size)
        # every drop since the last count, also those the clock made before today's
        # requests were queued (the calendar step runs it to mid-day first)
        total = sum(g.dropped for g in self.team)
        model.count("chats_dropped", total - self._dropped_before + self.team_dropped)
        self._dropped_before = total
        self.team_dropped = 0
        if self._waits is not None:
            waits = np.array(self._waits) * 24 * 60  # minutes
            self._waits.clear()
            model.count("chats_answered_in_time", float((waits <= cfg.answer_within_minutes).sum()))
            model.count("chat_wait_minutes", float(waits.sum()))
        active = sum(g.active for g in self.team)  # replacements hired on the clock count
        model.set_kpi("guides_active", active)
        model.book("guide_salaries", active * cfg.salary_cny_per_day)
