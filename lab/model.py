"""The run: a ``mesa.Model`` holding the population, the calendar and the strategies.

Why each framework is here:

* **mesa** is the run container: ``PoolModel`` is a ``mesa.Model`` (seeded, stepped,
  ``running`` flag) and its daily KPIs go through a ``mesa.DataCollector``.
  Customers are *not* mesa Agents: a million of them live as arrays
  (:mod:`lab.population`) and respond in one fused loop (:mod:`lab.agents.behaviour`).
  The few actors that are worth an object each (shop guides, groups) are mesa Agents.
* **SimPy** is the calendar: dated events (promotions, big sales, scheduled
  broadcasts) are SimPy processes, and each day the model advances the SimPy clock
  to today so every event due today has fired before customers act.

One tick is one day.  :data:`STEP_ORDER` is the day: a tuple of steps, each bound to
the method that runs it, which :meth:`PoolModel.step` runs in order (``lab explain``
prints it with each step's file and line).  The customers' own step expands into the
named mechanisms of :data:`lab.agents.behaviour.MECHANISMS`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import mesa
import numba
import numpy as np
import simpy

from lab.acquisition_terms import projected_pool
from lab.agents.acquisition import (
    Acquirer,
    Joins,
    ReferralTerms,
    pool_projection_problem,
    projected_customers,
    run_joins,
)
from lab.agents.behaviour import (
    CHUNK,
    KERNEL_KPIS,
    MECHANISMS,
    K,
    KernelParams,
    customers_bundle,
    make_params,
    new_day_out,
    plan_bundle,
    plan_switches,
    step_population,
    stream_keys,
)
from lab.agents.fission import FissionState
from lab.agents.order_values import OrderValues
from lab.configs.adding import adding_states
from lab.configs.calendar import day_multipliers
from lab.configs.promotion import kernel_params as promotion_kernel_params
from lab.customer_money import CustomerMoney
from lab.kpis import KPI_TABLE, kpi_rows
from lab.market import MarketState
from lab.market.outside import OUTSIDE_KPIS, OutsideOptions
from lab.order_log import OrderLog
from lab.plan import DayPlan
from lab.population import (
    CHANNELS,
    STAGES,
    PoolTooLarge,
    Population,
    available_memory,
    bytes_per_customer,
)
from lab.rng import RandomStreams
from lab.scenario import Scenario
from lab.strategies import RUNTIME_BY_TYPE, strategy_states

__all__ = [
    "COST_KINDS",
    "MARKET_KPIS",
    "STEP_ORDER",
    "UNATTRIBUTED_COSTS",
    "PoolModel",
    "PoolTooLarge",
    "Step",
    "code_location",
    "day_steps",
]

#: peak memory of a pool over its state arrays: growth copies, day buffers, order log
_MEMORY_FACTOR = 3.0

#: daily KPIs of a run with a finite market (``market.size``), after the core ones
MARKET_KPIS: tuple[str, ...] = tuple(k.name for k in kpi_rows("market"))

#: cost lines every run books (strategies may add their own)
COST_KINDS: tuple[str, ...] = (
    "paid_acquisition",
    "staff_bonus",
    "referral_rewards",
    "contacts",
    "trial_products",
)


#: cost lines that belong to no customer: acquisition budgets (compared with LTV as CAC)
#: and fixed costs; every other booking is credited to its customers (lab.customer_money)
UNATTRIBUTED_COSTS: frozenset[str] = frozenset(
    {"cost_paid_acquisition", "cost_staff_bonus", "cost_guide_salaries"}
)


#: time of day the ``queues`` step runs the SimPy clock to (the calendar runs it to 0.5)
QUEUES_CLOSE = 0.999


class PoolModel(mesa.Model):
    """One simulated private-traffic pool.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario.
    seed : int, optional
        Run seed; defaults to ``scenario.seed``.
    days : int, optional
        Length of the run; defaults to ``scenario.days``.
    """

    #: customers per chunk of the threaded daily loop (results do not depend on it)
    kernel_chunk: int = CHUNK

    def __init__(self, scenario: Scenario, seed: int | None = None, days: int | None = None):
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(seed=seed)
        self.scenario = scenario
        self.seed = seed
        self.days = scenario.days if days is None else int(days)
        self.day = 0
        self.streams = RandomStreams(seed)
        self.segment_names = scenario.traits.segment_names()
        self.market: MarketState | None = self._build_market()
        self.segment_codes = {s: i for i, s in enumerate(self.segment_names)}
        self._check_size()
        self.pop = Population(
            capacity=self._initial_capacity(),
            limit=scenario.max_customers,
            extra_states={
                **strategy_states(scenario.strategies),
                **adding_states(scenario.acquisition.stock_import.adding),
            },
        )
        self.plan = DayPlan(scenario.contacts)
        self.env = simpy.Environment()
        self.events: list[tuple[int, str]] = []
        self.outside = OutsideOptions(
            scenario.platform_store,
            scenario.competition,
            scenario.start_date,
            scenario.purchase.margin_rate,
        )
        #: multiplier on paid CAC from outside the pool (the store's reviews, 反哺)
        self.paid_cac_factor = 1.0
        self.acquirer = Acquirer(self)
        self.strategies = [
            RUNTIME_BY_TYPE[cfg.type](cfg, self, i)
            for i, cfg in enumerate(scenario.strategies)
            if cfg.enabled
        ]
        self.cost_kinds = list(COST_KINDS)
        self.revenue_kinds: list[str] = []
        self.extra_kpis: list[str] = []
        for s in self.strategies:
            for declared, names in (
                (self.cost_kinds, s.cost_kinds),
                (self.revenue_kinds, s.revenue_kinds),
                (self.extra_kpis, s.kpis),
            ):
                declared.extend(n for n in names if n not in declared)
        if scenario.acquisition.stock_import.adding.enabled:  # issue 17 item 4
            self.cost_kinds.append("adding")
            self.extra_kpis.extend(("adds_active", "adds_passive"))
        self.standing_referral_terms = ReferralTerms.from_scenario(scenario.acquisition.referral)
        self.referral_terms = self.standing_referral_terms
        self.fission = FissionState(
            scenario.fission_response, scenario.acquisition.referral.friends_per_share
        )
        for s in self.strategies:
            s.start(self.env)
        self._queued = [s for s in self.strategies if s.queues]
        self._baskets = [s for s in self.strategies if hasattr(s, "shape_baskets")]  # catalogue
        self._shapes = np.array(
            [scenario.traits.for_channel(c).basket.shape_per_order for c in CHANNELS]
        )
        self._order_values = OrderValues(self._shapes)  # compiled gamma quantiles
        self._params = self._kernel_params()
        self._season = day_multipliers(scenario.calendar, scenario.start_date, self.days)
        self._keys = stream_keys(self.streams.key)
        self._out = new_day_out(self.pop.capacity)
        self._bundle_cache: tuple | None = None  # (key, customers, plan): see _bundles
        self.pop.on_grow(self._drop_bundles)  # the old arrays go as the new ones come
        self._bought = (0, 0)  # buyers and sharers of today's customer step
        self._day_orders: dict[str, np.ndarray] | None = None
        self._referred = 0
        self.order_log = OrderLog()  # every order of the run, compact (lab.order_log)
        self.today: dict[str, float] = defaultdict(float)
        #: non-order money booked for customers, per customer (lab.customer_money)
        self.money = CustomerMoney(scenario.economics.annual_discount_rate)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in self.kpi_names()}
        )
        #: each KPI's column of the collector, filled in place by :meth:`_collect`
        self._kpi_columns = [
            (name, self.datacollector.model_vars[name]) for name in self.datacollector.model_vars
        ]

    # ---------------------------------------------------------------- set-up
    def _build_market(self) -> MarketState | None:
        """The finite market and its social graph (``market.size``), or None.

        The market's segments join the segment labels (a customer's segment is
        their person's).
        """
        mk = self.scenario.market
        if not mk.enabled:
            return None
        shares_of = mk.segments or self.scenario.traits.default.segments
        labels = sorted(shares_of)
        self.segment_names = sorted(set(self.segment_names) | set(labels))
        shares = np.array([shares_of[s] for s in labels], dtype=np.float64)
        return MarketState(mk, self.streams, labels, shares)

    def _check_size(self) -> None:
        """Refuse, before allocating, a pool beyond ``max_customers`` or the free memory."""
        problem = pool_projection_problem(self.scenario, self.days)
        if problem:
            raise PoolTooLarge(problem)
        total = projected_customers(self.scenario, self.days)["total"]
        need = total * bytes_per_customer() * _MEMORY_FACTOR
        free = available_memory()
        if free is not None and need > free:
            raise PoolTooLarge(
                f"acquisition: about {total:,.0f} customers in {self.days} days need about "
                f"{need / 1e9:,.1f} GB of memory, {free / 1e9:,.1f} GB is available; shorten "
                "the run or lower the acquisition rates"
            )

    def _initial_capacity(self) -> int:
        """Slots the pool starts with: the projected pool with a fifth to spare.

        The projection (:func:`lab.acquisition_terms.projected_pool`) counts the steady
        channels and the referral growth they start, plus 20 a day for seeds and
        organic joins, and is capped by ``max_customers``.  The referral part is an
        estimate, so it is reserved only as far as the free memory holds it at the
        run's peak (as :meth:`_check_size` counts it); a pool that outgrows its slots
        grows at run time.  Slots the pool never reaches cost no memory
        (:class:`lab.population.Population`), so a projection above the realised pool
        costs little, and one below it a reallocation mid-run: the pool's arrays copied
        into bigger fresh ones (at 1M customers, ~300 MB of first-touched memory).
        """
        proj = projected_pool(self.scenario, self.days)
        limit = self.scenario.max_customers
        steady = min(proj["steady"] + self.days * 20, limit)
        guess = min(proj["total"] + self.days * 20, limit)
        free = available_memory()
        if free is not None and guess > steady:
            guess = min(guess, max(steady, free / (bytes_per_customer() * _MEMORY_FACTOR)))
        return max(1024, min(int(guess * 1.2), limit))  # (the pool never exceeds the limit)

    def _kernel_params(self) -> KernelParams:
        """The kernel's parameters from the scenario, by name."""
        s = self.scenario
        ann, fat, ref, hab, fo, pur = (
            s.annoyance,
            s.fatigue,
            s.reference_price,
            s.habit,
            s.first_order,
            s.purchase,
        )
        load_keep = 0.5 ** (1.0 / ann.load_halflife_days)
        rf = s.acquisition.referral
        share_factor = ReferralTerms.from_scenario(rf).share_factor
        return make_params(
            {
                "fatigue_on": fat.enabled,
                "fatigue_keep": 1.0 - fat.decay_per_day,
                "fatigue_gain_promo_day": fat.gain_per_promo_day,
                "fatigue_damping": pur.fatigue_damping,
                "refprice_on": ref.enabled,
                "refprice_learn": ref.learning_rate,
                "refprice_recover": ref.recovery_per_day,
                "annoy_on": ann.enabled,
                "load_keep": load_keep,
                # steady-state EW load c/(1-keep) for c contacts/day -> 7c per week
                "load_to_week": 7.0 * (1.0 - load_keep),
                "block_hazard": ann.block_hazard,
                "promo_lift": pur.promo_lift,
                "full_price_penalty": pur.full_price_penalty,
                "blocked_factor": pur.blocked_factor,
                "trust_gain": pur.trust_gain_per_order,
                "habit_on": hab.enabled,
                "habit_orders": hab.orders_to_habit,
                "habit_lift": hab.rate_lift,
                "habit_dropout_reduction": hab.dropout_reduction,
                "first_order_on": fo.enabled,
                "action_cost": fo.action_cost,
                "trial_on": fo.enabled and fo.trial.enabled,
                "trial_uptake": fo.trial.uptake * fo.trial.price_factor(),
                "trial_trust_gain": fo.trial.trust_gain,
                "drop_purchase_on": s.dropout.after_purchase,
                "drop_day_on": s.dropout.per_day,
                "referral_on": ReferralTerms.from_scenario(rf).enabled,
                "share_factor": share_factor,
                "friends_per_share": rf.friends_per_share,
                "days_to_silent": s.lifecycle.days_to_silent,
                "days_to_sleeping": s.lifecycle.days_to_sleeping,
                "days_to_churned": s.lifecycle.days_to_churned,
                **promotion_kernel_params(s.promotion_response),
                "carry_on": s.contacts.carryover.enabled,
                "carry_keep": 0.5 ** (1.0 / s.contacts.carryover.halflife_days),
                "timing_erlang": pur.timing == "erlang",
                "timing_k": pur.timing_k,
                "referred_on": s.referred.enabled,
                "referred_retention": s.referred.retention,
                "referred_boost": s.referred.rate_boost,
                "referred_boost_log_keep": math.log(0.5) / s.referred.boost_halflife_days,
                "season_on": s.calendar.enabled,
                "season_mult": 1.0,
                "burst_on": pur.early_burst.rate_boost > 0.0,
                # day a covers the ages (a - 1, a]: its multiplier is g's mean over them,
                # 1 + b e^(-(a - 1)/tau) with b = beta tau (1 - e^(-1/tau)) (the first
                # day's mean), as the calibration's fit credits a day-stamped repeat
                # (lab.calibrate.agebump.day_mean_decay)
                "burst_boost": -pur.early_burst.rate_boost
                * pur.early_burst.tau_days
                * math.expm1(-1.0 / pur.early_burst.tau_days),
                "burst_inv_tau": 1.0 / pur.early_burst.tau_days,
                **plan_switches(None),  # every plan array read, until a day says otherwise
            }
        )

    # ---------------------------------------------------------------- services for modules
    def book(self, kind: str, amount: float, slots=None, each=None) -> None:
        """Book a cost (CNY) on today's ledger under ``kind``.

        With ``slots`` the cost belongs to those customers, ``each`` CNY apiece (one
        amount or one per slot, summing to ``amount``); without, to no one.
        """
        if kind not in self.cost_kinds:
            raise KeyError(f"unknown cost kind {kind!r}; declare it in the strategy's cost_kinds")
        self.today["cost_" + kind] += float(amount)
        self._attribute("cost_" + kind, amount, slots, each)

    def book_revenue(self, kind: str, amount: float, slots=None, each=None) -> None:
        """Book non-order revenue (CNY), e.g. membership fees or breakage, under ``kind``
        (``slots``, ``each``: the customers it comes from, as in :meth:`book`)."""
        if kind not in self.revenue_kinds:
            raise KeyError(
                f"unknown revenue kind {kind!r}; declare it in the strategy's revenue_kinds"
            )
        self.today["revenue_" + kind] += float(amount)
        self._attribute("revenue_" + kind, amount, slots, each)

    def _attribute(self, column: str, amount: float, slots, each) -> None:
        """Credit a booking to its customers (:mod:`lab.customer_money`)."""
        if slots is None:
            if amount:
                self.money.unattributed.add(column)
            return
        self.money.add(
            column, slots, amount if each is None else each, self.day, self.pop.cohort_day
        )

    def money_columns(self) -> list[str]:
        """The daily ledger columns that customers are credited with (all but unattributed)."""
        kinds = [f"revenue_{k}" for k in self.revenue_kinds] + [
            f"cost_{k}" for k in self.cost_kinds
        ]
        return [k for k in kinds if k not in UNATTRIBUTED_COSTS]

    def count(self, name: str, value: float = 1.0) -> None:
        """Add to a strategy's daily KPI ``name`` (declared in its ``kpis``)."""
        if name not in self.extra_kpis:
            raise KeyError(f"unknown KPI {name!r}; declare it in the strategy's kpis")
        self.today[name] += float(value)

    def set_kpi(self, name: str, value: float) -> None:
        """Set a strategy's daily level KPI (a stock such as members, not a flow)."""
        if name not in self.extra_kpis:
            raise KeyError(f"unknown KPI {name!r}; declare it in the strategy's kpis")
        self.today[name] = float(value)

    def count_new(self, channel: str, count: int) -> None:
        """Record ``count`` customers joining today through ``channel``."""
        self.today["new_" + channel] += count

    def log_event(self, text: str) -> None:
        """Record a pool-level event (promotion start, ...) for today."""
        self.events.append((self.day, text))

    def weekday(self, day: int) -> int:
        """Weekday of a run day, Monday = 0."""
        return (self.scenario.start_date + dt.timedelta(days=day)).weekday()

    def day_mult(self, day: int) -> float:
        """The calendar's demand multiplier of a run day (1 when the calendar is off)."""
        return float(self._season[day]) if 0 <= day < self._season.size else 1.0

    def date(self, day: int) -> dt.date:
        """Calendar date of a run day."""
        return self.scenario.start_date + dt.timedelta(days=day)

    def segment_code(self, name: str) -> int:
        """Code of a segment label (an unknown label is an error naming the valid ones)."""
        try:
            return self.segment_codes[name]
        except KeyError:
            raise KeyError(
                f"unknown segment {name!r}; valid: {', '.join(self.segment_names)}"
            ) from None

    def kpi_names(self) -> list[str]:
        """Columns of the daily KPI table, in order."""
        families = {
            "new_{channel}": [f"new_{c}" for c in CHANNELS],
            "revenue_{kind}": [f"revenue_{k}" for k in self.revenue_kinds],
            "cost_{kind}": [f"cost_{k}" for k in self.cost_kinds],
            "contacts_{touchpoint}": [f"contacts_{tp}" for tp in self.plan.touchpoints],
        }
        names: list[str] = []
        for row in KPI_TABLE:
            if row.source in ("market", "outside"):
                continue
            names += families.get(row.name, [row.name])
            if row.name == "contacts_{touchpoint}":
                names += self.extra_kpis
        if self.market is not None:
            names += list(MARKET_KPIS)
        if self.outside.enabled:
            names += list(OUTSIDE_KPIS)
        return names

    # ---------------------------------------------------------------- the day
    def step(self) -> None:
        """Advance the pool by one day: the steps of :data:`STEP_ORDER`, in order."""
        day = self.day
        for step in STEP_ORDER:
            getattr(self, step.run.__name__)(day)
        self.end_day()

    def end_day(self) -> None:
        """Move to the next day; the run stops after its last day."""
        self.day += 1
        if self.day >= self.days:
            self.running = False

    def _calendar(self, day: int) -> None:
        """Open today's ledger and fire every SimPy event due today."""
        self.today = defaultdict(float)
        env, until = self.env, day + 0.5
        now = env.now
        if now < until < env.peek():
            # nothing due by then: run(until) would only move the clock, to the time its
            # stop event is scheduled at (now + delay, as simpy computes it)
            env._now = now + (until - now)
        else:
            env.run(until=until)

    def _acquire(self, day: int) -> None:
        """New customers of today's start-of-day channels join the pool."""
        run_joins(self.acquire_joins(day), self.acquirer.draw)

    def acquire_joins(self, day: int) -> Joins:
        """:meth:`_acquire` as a generator of its trait draws (:func:`lab.agents.acquisition.run_joins`;
        ``lab.batch`` draws a batch's together)."""
        self.paid_cac_factor = self.outside.cac_factor()
        yield from self.acquirer.acquire_joins(day)

    def _prepare_strategies(self, day: int) -> None:
        """Clear today's plan (sized to the pool) and let strategies prepare (groups)."""
        self.plan.reset(self.pop, day)
        self.referral_terms = self.standing_referral_terms
        for strategy in self.strategies:
            strategy.prepare(day, self.plan)

    def _strategies_act(self, day: int) -> None:
        """Strategies write today's offers and contacts into the plan; contacts are costed."""
        for strategy in self.strategies:
            strategy.act(day, self.plan)
        self._book_contacts()

    def _serve_queues(self, day: int) -> None:
        """Run the SimPy clock to the close of today's service hours; strategies apply what was served.

        The model is the clock's one owner: the calendar step runs it to mid-day, this
        step to :data:`QUEUES_CLOSE` when some strategy queues work on it (shop-guide chats
        wait for a guide's capacity).  Without such a strategy the clock is left alone,
        so calendar events keep the day they fire on.
        """
        if self._queued:
            self.env.run(until=day + QUEUES_CLOSE)  # the rest of the queue waits till tomorrow
            for strategy in self._queued:
                strategy.after_queues(day, self.plan)

    def _book_contacts(self) -> None:
        """Cost of today's delivered contacts, by touchpoint (one place for every strategy)."""
        price = self.scenario.contacts.cost_per_contact_cny
        cost = 0.0
        n = self.plan.n
        paid = []  # touchpoints with contacts at a price today, in order
        for tp, count in self.plan.contacts_by_touchpoint.items():
            self.today["contacts_" + tp] = float(count)
            cost += count * price[tp]
            if count and price[tp]:
                paid.append(tp)
        if not paid:
            self.book("contacts", cost, np.zeros(0, np.int64))
            return
        # every customer's amount, sum of contacts x price (zero if not contacted),
        # credited densely in one pass
        self.today["cost_contacts"] += float(cost)
        self.money.add_dense_products(
            "cost_contacts",
            tuple(self.plan.sent[tp][:n] for tp in paid),
            tuple(float(price[tp]) for tp in paid),
            self.day,
            self.pop.cohort_day,
        )

    def _outside_options(self, day: int) -> None:
        """A competitor's lower price takes part of deal-prone customers' wallet today."""
        if self.outside.enabled:
            self.outside.apply(day, self.plan, self.pop, self.today)

    def _customers_respond(self, day: int) -> None:
        """Every customer lives the day: the kernel's mechanisms, in their order."""
        self._bought = step_population(*self.kernel_inputs(day), numba.get_num_threads())

    def kernel_inputs(self, day: int) -> tuple:
        """Today's arguments of the daily loop, ready to call (``lab.batch`` calls it too).

        ``(n, day, customers, plan, params, keys, out, chunk)``; today's referral terms,
        calendar multiplier and plan arrays in use (``plan_switches``) are set into the
        parameters and the day buffers sized.
        """
        pop = self.pop
        if pop.capacity > self._out.buy_slot.size:
            self._out = new_day_out(pop.capacity)
        terms = self.referral_terms  # a strategy may have changed today's terms
        share, friends = self.fission.kernel_terms(terms)
        p = self._params
        today = (share, friends, bool(terms.enabled))
        if (p.share_factor, p.friends_per_share, p.referral_on) != today:  # else as they are
            p = p._replace(share_factor=share, friends_per_share=friends, referral_on=today[2])
        if p.season_on and p.season_mult != float(self.day_mult(day)):
            p = p._replace(season_mult=float(self.day_mult(day)))
        use = plan_switches(self.plan.written())  # plan arrays the loop reads today
        if any(getattr(p, name) != on for name, on in use.items()):
            p = p._replace(**use)
        self._params = p
        return (
            pop.n,
            day,
            *self._bundles(),
            self._params,
            self._keys,
            self._out,
            self.kernel_chunk,
        )

    def _bundles(self) -> tuple:
        """The population's and the plan's arrays as the kernel's bundles.

        Kept from day to day: a population replaces its arrays only when it grows
        (``reallocations``) and the plan only when its capacity grows, so the bundles
        are rebuilt then (about 60 attribute lookups a day saved otherwise).
        """
        pop, plan = self.pop, self.plan
        key = (pop.reallocations, plan.capacity)
        cached = self._bundle_cache
        if (
            cached is None
            or cached[0] != key
            or cached[1].propensity is not pop.propensity
            or cached[2].offer_depth is not plan.offer_depth
        ):
            cached = self._bundle_cache = (key, customers_bundle(pop), plan_bundle(plan))
        return cached[1], cached[2]

    def _drop_bundles(self) -> None:
        """Forget the kernel bundles (before the pool's arrays are reallocated)."""
        self._bundle_cache = None

    def _orders_booked(self, day: int) -> None:
        """Order values drawn, money booked and today's orders appended to the log."""
        self._day_orders = self._book_orders(day, self._bought[0])

    def _strategies_after_orders(self, day: int) -> None:
        """Strategies react to today's orders (membership upsell, stored value, tasks)."""
        if self._day_orders is not None:
            for strategy in self.strategies:
                strategy.after_orders(day, self._day_orders)

    def _referral_joins(self, day: int) -> None:
        """Friends reached by today's sharers join the pool (rewards booked)."""
        run_joins(self.referral_joins(day), self.acquirer.draw)

    def referral_joins(self, day: int) -> Joins:
        """:meth:`_referral_joins` as a generator of its trait draws (as :meth:`acquire_joins`)."""
        ns, out = self._bought[1], self._out
        self._referred = yield from self.acquirer.referral_joins(
            day, out.share_slot[:ns].copy(), out.share_friends[:ns].copy()
        )

    def _record_day(self, day: int) -> None:
        """Today's KPIs collected; a pool grown past ``max_customers`` stops the run."""
        self._record(self._referred)
        if self.pop.n > self.scenario.max_customers:
            raise PoolTooLarge(
                f"day {day}: the pool reached {self.pop.n:,} customers, above max_customers = "
                f"{self.scenario.max_customers:,} (referrals growing without bound? check the "
                "K-factor: acquisition.referral.friends_per_share x sharing); raise max_customers "
                "if this size is intended"
            )
        self._collect()

    def _collect(self) -> None:
        """Append today's KPIs to the DataCollector's columns (what ``collect`` stores).

        ``mesa.DataCollector.collect`` calls each reporter and deep-copies its value; a
        KPI is a float (immutable, so the copy is the same value), and the loop here
        stores the same values in the same lists without the per-KPI calls and copies.
        """
        t = self.today
        for name, values in self._kpi_columns:
            values.append(t[name])

    def _join_known(self, day: int) -> None:
        """Known customers joining today; their first order booked at list price if asked."""
        joined = self.acquirer.add_known(day)
        if joined is None:
            return
        sl, book = joined
        slots = np.arange(sl.start, sl.stop, dtype=np.int32)
        t, pop = self.today, self.pop
        for code, count in zip(*np.unique(pop.stage[sl], return_counts=True), strict=True):
            t[STAGES[code]] += float(count)
        t["alive"] += float(pop.alive[sl].sum())
        if np.any(book):  # one flag, or one per joiner (the table's book_first_order column)
            slots = slots[book] if np.ndim(book) else slots
            n = slots.size
            self._book_rows(day, slots, np.ones(n), np.zeros(n, dtype=np.bool_))
            t["orders"] += n
            t["first_orders"] += n

    def _book_orders(self, day: int, nb: int) -> dict[str, np.ndarray] | None:
        if nb == 0:
            return None
        out = self._out
        slots = out.buy_slot[:nb].copy()
        price = out.buy_price[:nb].astype(np.float64)
        trial = out.buy_trial[:nb].copy()
        if self.outside.platform.enabled:  # the platform store takes some repeat orders
            keep = self.outside.divert(
                day,
                self.pop,
                self.streams,
                {"slot": slots, "price": price, "trial": trial},
                self.expected_order_value,
                self.today,
            )
            slots, price, trial = slots[keep], price[keep], trial[keep]
            if not slots.size:
                return None
        return self._book_rows(day, slots, price, trial)

    def _book_rows(
        self, day: int, slots: np.ndarray, price: np.ndarray, trial: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Draw order values (gamma-gamma), book money and append the orders to the log."""
        s = self.scenario
        nb = slots.size
        pop = self.pop
        list_value = self._order_values.draw(  # gammaincinv(shape, u) / rate, to the cent
            self.streams.key("basket"), day, slots, pop.rkey, pop.channel, pop.basket_rate
        )
        if self._baskets:  # a catalogue fills the basket with items (issue 17 item 1)
            list_value = np.where(trial, s.first_order.trial.price_cny, list_value)
            list_value = np.round(list_value, 2)
            paid, list_value, cogs = self._shape_baskets(day, slots, list_value, price, trial)
            discount = list_value - paid
            trial_count, credited = int(trial.sum()), False
        else:  # the same amounts in one compiled pass (np.round(x, 2) is rint(x * 100) / 100)
            amounts = np.empty((4, nb))
            trial_count, credited = _order_amounts(
                list_value, np.ascontiguousarray(trial, dtype=np.bool_),
                np.ascontiguousarray(price, dtype=np.float64),
                float(s.first_order.trial.price_cny), 1.0 - s.purchase.margin_rate, amounts,
                np.ascontiguousarray(slots, dtype=np.int64), pop.spend, pop.discount_received,
            )  # fmt: skip
            list_value, paid, cogs, discount = amounts
        if trial_count:
            unit = s.first_order.trial.unit_cost_cny
            self.book("trial_products", trial_count * unit, slots[trial], unit)
        if not credited:  # else added in the compiled pass
            pop.spend[slots] += paid
            pop.discount_received[slots] += discount
        orders = {
            "slot": slots,
            "day": np.full(nb, day, dtype=np.int32),
            "amount": paid,
            "list_price": list_value,
            "discount": discount,
            "is_trial": trial,
        }
        # the log keeps no discount: orders_arrays() derives it by the same subtraction
        self.order_log.append(day, slots, paid, list_value, trial)
        t = self.today
        t["gmv"] += float(paid.sum())
        t["list_value"] += float(list_value.sum())
        t["discount_cost"] += float(discount.sum())
        t["cogs"] += float(cogs.sum())
        return orders

    def _shape_baskets(self, day, slots, list_value, price, trial):
        """Paid, list value and cost of goods of orders whose items a catalogue draws."""
        off = np.zeros(slots.size)
        cogs = None
        for strategy in self._baskets:
            list_value, extra_off, cogs = strategy.shape_baskets(day, slots, list_value, trial)
            off += extra_off
        paid = np.maximum(np.round(list_value * price - off, 2), 0.0)
        return paid, list_value, cogs

    def _basket_shape(self, slots: np.ndarray) -> np.ndarray:
        return self._shapes[self.pop.channel[slots]]

    def expected_order_value(self, slots: np.ndarray) -> np.ndarray:
        """Each customer's mean order list value, CNY (gamma-gamma: p / nu)."""
        return self._basket_shape(slots) / self.pop.basket_rate[slots]

    def recent_orders(self, day: int, window_days: int) -> tuple[np.ndarray, np.ndarray]:
        """Slots and amounts of the orders placed in the ``window_days`` days before ``day``."""
        return self.order_log.recent(day, window_days)

    def _record(self, referred: int) -> None:
        t, k = self.today, self._out.kpi
        for name, value in zip(KERNEL_KPIS, k, strict=True):
            t[name] += float(value)
        t["prospect"] += referred  # today's invitees joined after the response step
        t["alive"] += referred
        alive = max(k[K.alive], 1.0)
        t["mean_fatigue"] = k[K.fatigue_sum] / alive
        t["mean_ref_price"] = k[K.ref_price_sum] / alive
        t["customers"] = float(self.pop.n)
        m = self.market
        if m is not None:  # the kernel counted friends reached; only those who joined count
            t["referred"] = float(referred)
            t["market_remaining"] = float(m.remaining)
            t["market_reached_share"] = m.customers / m.size
            t.setdefault(
                "paid_cac_multiplier",
                (m.size / max(m.remaining, 1)) ** m.cfg.paid_cac_scarcity_elasticity,
            )
        t["gross_margin"] = t["gmv"] - t["cogs"]
        self.outside.after_orders(int(t["orders"]))
        revenues = sum(t["revenue_" + kind] for kind in self.revenue_kinds)
        costs = sum(t["cost_" + kind] for kind in self.cost_kinds)
        t["net_margin"] = t["gross_margin"] + revenues - costs

    # ---------------------------------------------------------------- running
    def run_model(self, progress=None) -> None:
        """Run all days; ``progress`` is an optional callable ``f(days_done)``."""
        while self.running and self.day < self.days:
            self.step()
            if progress is not None:
                progress(self.day)

    def orders_arrays(self) -> dict[str, np.ndarray]:
        """All orders of the run, concatenated (columns as in the order log)."""
        log = self.order_log.arrays()
        return {
            "slot": log["slot"],
            "day": log["day"],
            "amount": log["amount"],
            "list_price": log["list_price"],
            "discount": log["list_price"] - log["amount"],  # as booked: list - paid
            "is_trial": log["is_trial"],
        }


@numba.njit(cache=True)
def _order_amounts(value, trial, price, trial_price, cost_share, out, slots, spend, discounts):
    """Order by order: list value (the trial price for a trial) and paid amount rounded to
    the cent, cost of goods (none for a trial) and discount, into ``out`` rows 0..3, as
    ``np.round``/``np.where`` compute them.

    Paid amounts and discounts are also added to ``spend`` and ``discounts`` at
    ``slots`` (``spend[slots] += paid``) when the slots are strictly increasing (each
    customer once, so the adds are those of the fancy-indexed ``+=``); otherwise
    nothing is added.  Returns the number of trial orders and whether it added them.
    """
    trials = 0
    once = True
    for i in range(1, slots.size):
        if slots[i] <= slots[i - 1]:
            once = False
            break
    for i in range(value.size):
        lv = trial_price if trial[i] else value[i]
        lv = np.rint(lv * 100.0) / 100.0
        paid = np.rint(lv * price[i] * 100.0) / 100.0
        out[0, i] = lv
        out[1, i] = paid
        out[2, i] = 0.0 if trial[i] else lv * cost_share
        out[3, i] = lv - paid
        trials += trial[i]
    if once:  # a loop of its own: the scattered adds' cache misses overlap
        for i in range(slots.size):
            spend[slots[i]] += out[1, i]
            discounts[slots[i]] += out[3, i]
    return trials, once


def _reporter(name: str):
    def report(model: PoolModel) -> float:
        return model.today[name]

    report.__name__ = f"report_{name}"
    return report


class Step(NamedTuple):
    """One step of the day, bound to the function that runs it.

    ``run`` is a :class:`PoolModel` method (called by name, so a subclass may
    override it) or, for the steps inside the customer kernel, its numba mechanism.
    """

    name: str
    what: str
    run: Callable
    mechanisms: tuple = ()

    def where(self) -> str:
        """``file:line`` of the code that runs the step."""
        return code_location(self.run)


def code_location(fn: Callable) -> str:
    """``file:line`` of a function (a numba function's Python source), from the repo root."""
    fn = getattr(fn, "py_func", fn)
    root = Path(__file__).resolve().parents[1]
    file = Path(inspect.getsourcefile(fn)).resolve()
    rel = file.relative_to(root) if file.is_relative_to(root) else file
    lines, first = inspect.getsourcelines(fn)
    skip = next(k for k, ln in enumerate(lines) if ln.lstrip().startswith("def "))  # decorators
    return f"{rel.as_posix()}:{first + skip}"


#: the day, in order: :meth:`PoolModel.step` runs these steps one after the other
STEP_ORDER: tuple[Step, ...] = (
    Step("calendar", "advance the SimPy calendar to today: promotions and big sales due today start or end", PoolModel._calendar),
    Step("acquisition", "seed customers (KOC), stock import, paid acquisition, staff invites and organic joins add customers (traits drawn, welcome message); with a market, from the part not yet won", PoolModel._acquire),
    Step("groups", "community groups (mesa Agents) take in newcomers and update health from yesterday's messages; quiet (dead) groups stop delivering group contacts", PoolModel._prepare_strategies),
    Step("strategies act", "each enabled strategy writes today's offers and contacts into the day plan (caps, blocks enforced)", PoolModel._strategies_act),
    Step("queues", "the SimPy clock runs to the close of the day: queued requests (shop-guide chats) are served within capacity and applied to the plan", PoolModel._serve_queues),
    Step("outside options", "a competitor's lower price takes part of deal-prone customers' wallet (off unless configured; the platform store takes repeat orders in the orders step)", PoolModel._outside_options),
    Step("customers respond", "one fused loop over customers runs the mechanisms below for each", PoolModel._customers_respond, MECHANISMS),
    Step("orders", "order values drawn (gamma-gamma), discounts and margin booked, order log appended", PoolModel._orders_booked),
    Step("strategies after orders", "strategies react to today's orders (membership upsell, stored value, tasks)", PoolModel._strategies_after_orders),
    Step("referral joins", "friends of today's sharers join the pool (with a market: invitations along the social graph, then word of mouth); rewards booked", PoolModel._referral_joins),
    Step("known customers join", "customers of a known-customer table join on their day, with that day's first order booked or their history", PoolModel._join_known),
    Step("record", "daily KPIs collected (mesa DataCollector)", PoolModel._record_day),
)  # fmt: skip


def day_steps() -> tuple[Step, ...]:
    """The day flattened: model steps, with the customer step replaced by its mechanisms."""
    flat: list[Step] = []
    for step in STEP_ORDER:
        if step.mechanisms:
            flat += [Step(m.name, m.what, m.run) for m in step.mechanisms]
        else:
            flat.append(step)
    return tuple(flat)
