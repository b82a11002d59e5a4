"""The one door from strategies to the run: what a strategy may use of the model.

Strategies are written against :class:`ModelServices`, a typing ``Protocol`` that
:class:`lab.model.PoolModel` satisfies, never against the whole model.  It names
everything a strategy needs and nothing else:

* the clock: ``day`` (today), ``weekday(day)``, ``date(day)``;
* read views of the customers: ``pop`` (the struct-of-arrays population) and
  ``segment_code``, ``expected_order_value``, ``recent_orders``;
* its own random streams: ``streams`` (keys of the lab's named streams);
* the ledger: ``book`` (costs), ``book_revenue``, ``count`` / ``set_kpi`` (its KPIs),
  ``log_event``;
* the referral offer in force today: ``referral_terms`` (a fission program replaces
  it for its campaign window).

Customers change only through the day plan (:class:`lab.plan.DayPlan`): offers,
contacts, multipliers on today's purchase rate and dropout hazard, and nudges to trust
(:meth:`~lab.plan.DayPlan.raise_trust`, :meth:`~lab.plan.DayPlan.scale_trust`).  The
one exception is the customer states a strategy *owns* (declared in its
``Strategy.owned_states``, e.g. a membership's ``member_until``): the strategy keeps
them itself through ``pop``; every other strategy may only read them (targeting by
membership, RFM class ...).  ``tests/test_layers.py`` checks this on the source.

The module imports nothing of the engine at run time, so strategies (and the scenario
schema that holds their configs) do not depend on the model.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from lab.acquisition_terms import ReferralTerms
    from lab.population import Population
    from lab.rng import RandomStreams

__all__ = ["ModelServices", "PoolServices"]


class ModelServices(Protocol):
    """What strategies may use of a run (implemented by :class:`lab.model.PoolModel`)."""

    #: today's day number (0 = the run's first day)
    day: int
    #: the customers (read; write only the states the strategy owns)
    pop: Population
    #: the lab's named random streams (common random numbers)
    streams: RandomStreams
    #: the referral offer in force today (a fission program may replace it)
    referral_terms: ReferralTerms
    #: the fission response (disappointment, incentive effects): a
    #: :class:`lab.agents.fission.FissionState`, typed loosely on purpose (strategies may
    #: not import behaviour, even for types)
    fission: Any

    def weekday(self, day: int) -> int:
        """Weekday of a run day, Monday = 0."""
        ...

    def date(self, day: int) -> dt.date:
        """Calendar date of a run day."""
        ...

    def segment_code(self, name: str) -> int:
        """Code of a persona segment label."""
        ...

    def expected_order_value(self, slots: np.ndarray) -> np.ndarray:
        """Expected order value (CNY) of customers ``slots``."""
        ...

    def recent_orders(self, day: int, window_days: int) -> tuple[np.ndarray, np.ndarray]:
        """Slots and amounts of the orders in the ``window_days`` before ``day``."""
        ...

    def book(self, kind: str, amount: float, slots=None, each=None) -> None:
        """Book a cost (CNY) under a kind the strategy declares in ``cost_kinds``.

        With ``slots``, the cost belongs to those customers, ``each`` CNY apiece (one
        amount or one per slot, summing to ``amount``): see :mod:`lab.customer_money`.
        """
        ...

    def book_revenue(self, kind: str, amount: float, slots=None, each=None) -> None:
        """Book non-order revenue (CNY) under a kind declared in ``revenue_kinds``
        (``slots``, ``each``: the customers it comes from, as in :meth:`book`)."""
        ...

    def count(self, name: str, value: float = 1.0) -> None:
        """Add to a daily KPI the strategy declares in ``kpis``."""
        ...

    def set_kpi(self, name: str, value: float) -> None:
        """Set a daily level KPI the strategy declares in ``kpis``."""
        ...

    def log_event(self, text: str) -> None:
        """Record a pool-level event for today."""
        ...


class PoolServices(ModelServices, Protocol):
    """What the acquisition module uses of a run: the strategies' services and a little more.

    ``scenario`` and ``market`` are typed loosely on purpose: naming their classes here
    would make this low module import the scenario schema and the market, which import
    the strategies that import this module.
    """

    #: the validated :class:`lab.scenario.Scenario` of the run
    scenario: Any
    #: the finite market (:class:`lab.market.MarketState`), or None
    market: Any
    #: today's ledger (KPI name -> value)
    today: dict[str, float]
    #: persona segment label -> code
    segment_codes: dict[str, int]
    #: multiplier on paid CAC from outside the pool (the platform store's reviews)
    paid_cac_factor: float

    def count_new(self, channel: str, count: int) -> None:
        """Record ``count`` customers joining today through ``channel``."""
        ...
