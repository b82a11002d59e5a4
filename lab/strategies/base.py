"""What every strategy shares: its config base, targeting, and the runtime hooks.

A strategy is two classes in one module of ``lab/strategies/``:

* a config (a :class:`StrategyConfig` subclass with a literal ``type``), which is
  what a scenario's ``strategies:`` list holds and validates;
* a runtime (a :class:`Strategy` subclass) created by the model for one run.

The model calls the runtime's hooks from the steps of the day
(:data:`lab.model.STEP_ORDER`; ``lab explain`` prints them in order):

``start(env)``
    once, before day 0: register SimPy processes for dated events (the calendar).
``prepare(day, plan)``
    in the ``groups`` step, before any strategy acts: update standing structures
    that shape today's plan for every strategy (community groups take in
    newcomers, update their health and gate the group touchpoint).
``act(day, plan)``
    in the ``strategies act`` step: write today's offers and contacts into the
    :class:`~lab.plan.DayPlan` for the customers the strategy targets.
``after_queues(day, plan)``
    in the ``queues`` step, for strategies with ``queues = True``: the SimPy clock has
    run to the end of today's service hours (the model owns the clock); apply what was
    served (shop-guide chats) to today's plan.
``after_orders(day, orders)``
    in the ``strategies after orders`` step: react to today's orders.
``tables()``
    once, when the run's results are built: extra tidy tables the strategy kept
    (e.g. ``groups``: daily group health), saved beside the standard ones.

Costs (discounts are booked per order by the core; rewards, fees, staff) go through
``model.book(kind, amount)`` so that margin, not only GMV, comes out of every run.

A strategy sees the run only through :class:`lab.services.ModelServices` (``self.model``)
and changes customers only through the day plan, except the customer states it declares
in ``owned_states`` (see :mod:`lab.services`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import field_validator

from lab.params import P, StrictModel, check_names, setting
from lab.rng import uniform
from lab.strategies.value_targets import value_mask
from lab.vocab import CHANNELS, RFM_CLASSES, STAGES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import simpy

    from lab.plan import DayPlan
    from lab.services import ModelServices

__all__ = ["Strategy", "StrategyConfig", "Target"]


class Target(StrictModel):
    """Which customers a strategy addresses; every list left out means "all"."""

    stages: list[str] | None = P(
        None,
        "stage names",
        f"lifecycle stages, of {', '.join(STAGES)}",
        source=setting("whom the strategy addresses"),
    )
    channels: list[str] | None = P(
        None,
        "channel names",
        f"acquisition channels, of {', '.join(CHANNELS)}",
        source=setting("whom the strategy addresses"),
    )
    segments: list[str] | None = P(
        None,
        "segment names",
        "persona segments from the traits",
        source=setting("whom the strategy addresses"),
    )
    members: bool | None = P(
        None,
        "flag",
        "true: paid members only; false: non-members only",
        source=setting("whom the strategy addresses"),
    )
    rfm_classes: list[str] | None = P(
        None,
        "RFM class names",
        "classes set by an rfm_playbook",
        source=setting("whom the strategy addresses"),
    )
    reachable_only: bool = P(
        False,
        "flag",
        "skip customers who blocked the brand",
        source=setting("whom the strategy addresses"),
    )
    # targeting by value (issue 17 item 3): see lab/strategies/value_targets.py
    spend_top_share: float | None = P(
        None,
        "share",
        "the top share of buyers by spend in the run (0.1: the top-10% super users, 超级用户); "
        "ties at the cut are included",
        gt=0,
        le=1,
        source=setting("whom the strategy addresses (DOMAIN.md: top 10% by spend)"),
    )
    orders_top_share: float | None = P(
        None,
        "share",
        "the top share of buyers by order count (0.3: the top 30% by repurchases, key care); "
        "ties at the cut are included",
        gt=0,
        le=1,
        source=setting("whom the strategy addresses (DOMAIN.md: top 30% by repurchase count)"),
    )
    min_orders: int | None = P(
        None,
        "orders",
        "customers with at least this many orders (pre-pool history included)",
        ge=0,
        source=setting("whom the strategy addresses"),
    )
    min_level: int | None = P(
        None,
        "level",
        "customers at this member level or above (1 = the first level of a points "
        "strategy's levels; needs a points strategy)",
        ge=0,
        source=setting("whom the strategy addresses"),
    )
    max_orders: int | None = P(
        None,
        "orders",
        "customers with at most this many orders (1 with min_orders 1: bought once)",
        ge=0,
        source=setting("whom the strategy addresses"),
    )

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, v):
        return check_names(v, STAGES, "stage")

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, v):
        return check_names(v, CHANNELS, "channel")

    @field_validator("rfm_classes")
    @classmethod
    def _known_rfm(cls, v):
        return check_names(v, RFM_CLASSES, "RFM class")

    def mask(self, model: ModelServices) -> np.ndarray:
        """Boolean mask over the live population slots that this target selects."""
        pop = model.pop
        n = pop.n
        m = np.ones(n, dtype=bool)
        if self.stages is not None:
            codes = [STAGES.index(s) for s in self.stages]
            m &= np.isin(pop.stage[:n], codes)
        if self.channels is not None:
            codes = [CHANNELS.index(c) for c in self.channels]
            m &= np.isin(pop.channel[:n], codes)
        if self.segments is not None:
            codes = [model.segment_code(s) for s in self.segments]
            m &= np.isin(pop.segment[:n], codes)
        if self.members is not None:
            m &= (pop.member_until[:n] >= model.day) == self.members
        if self.rfm_classes is not None:
            m &= np.isin(pop.rfm_class[:n], [RFM_CLASSES.index(c) for c in self.rfm_classes])
        if self.reachable_only:
            m &= ~pop.blocked[:n]
        return value_mask(self, pop, m)


class StrategyConfig(StrictModel):
    """Fields every strategy config has."""

    type: str
    label: str | None = P(
        None, "text", "name shown in reports; defaults to the type", source=setting()
    )
    enabled: bool = P(True, "flag", "switch the strategy off without deleting it", source=setting())
    target: Target = Target()


class Strategy:
    """Runtime base: one instance per strategy per run."""

    config_cls: ClassVar[type[StrategyConfig]]
    #: one line for ``lab explain``: what the strategy does in the daily step
    summary: ClassVar[str] = ""
    #: cost lines this strategy books with ``model.book`` (columns ``cost_<kind>``)
    cost_kinds: ClassVar[tuple[str, ...]] = ()
    #: revenue lines it books with ``model.book_revenue`` (columns ``revenue_<kind>``)
    revenue_kinds: ClassVar[tuple[str, ...]] = ()
    #: daily KPI columns it writes with ``model.count`` / ``model.set_kpi``
    kpis: ClassVar[tuple[str, ...]] = ()
    #: customer states of its own, ``name -> (dtype, initial value, description)``: the
    #: population allocates them (as ``pop.<name>``) when the strategy is enabled and the
    #: customers table shows them; the strategy owns them
    states: ClassVar[dict[str, tuple[str, float, str]]] = {}
    #: standard customer states (``lab.population.STATE_SPEC``) this strategy keeps
    #: itself; every other state changes only through the day plan
    owned_states: ClassVar[tuple[str, ...]] = ()
    #: True if the strategy queues work on the SimPy clock for the ``queues`` step
    queues: ClassVar[bool] = False

    def __init__(self, config: StrategyConfig, model: ModelServices, index: int) -> None:
        self.config = config
        self.model = model
        self.index = index

    @property
    def label(self) -> str:
        return self.config.label or f"{self.config.type}#{self.index}"

    def start(self, env: simpy.Environment) -> None:
        """Register calendar processes; default: none."""

    def prepare(self, day: int, plan: DayPlan) -> None:
        """Update standing structures before any strategy acts today; default: nothing."""

    def act(self, day: int, plan: DayPlan) -> None:
        """Write today's offers and contacts; default: nothing."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Extra result tables by name (saved as ``<name>.csv/.parquet``); default: none."""
        return {}

    def after_queues(self, day: int, plan: DayPlan) -> None:
        """Apply what today's queues served (``queues = True`` only); default: nothing."""

    def after_orders(self, day: int, orders: dict[str, np.ndarray]) -> None:
        """React to today's orders (slot, amount, list_price, discount, is_trial); default: nothing."""

    def draws(self, day: int, slots: np.ndarray, salt: int = 0) -> np.ndarray:
        """Uniform draws of this strategy's own stream for customers ``slots`` on ``day``.

        Each strategy instance (and each ``salt``) gets an independent stream keyed by
        customer identity, so adding a strategy does not move anyone else's draws.
        """
        from lab.rng import mix64

        key = self.model.streams.key("strategy") ^ mix64(np.uint64(self.index * 1000 + salt + 1))
        return uniform(key, day, self.model.pop.rkey[slots])
