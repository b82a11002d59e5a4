"""What every strategy shares: its config base, targeting, and the runtime hooks.

A strategy is two classes in one module of ``lab/strategies/``:

* a config (a :class:`StrategyConfig` subclass with a literal ``type``), which is
  what a scenario's ``strategies:`` list holds and validates;
* a runtime (a :class:`Strategy` subclass) created by the model for one run.

The model calls the runtime's hooks in the documented daily step order
(``lab explain`` prints it):

``start(env)``
    once, before day 0: register SimPy processes for dated events (the calendar).
``act(day, plan)``
    every day after acquisition: write today's offers and contacts into the
    :class:`~lab.plan.DayPlan` for the customers the strategy targets.

Costs (discounts are booked per order by the core; rewards, fees, staff) go through
``model.book(kind, amount)`` so that margin, not only GMV, comes out of every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import field_validator

from lab.params import P, StrictModel
from lab.population import CHANNELS, STAGES

if TYPE_CHECKING:  # pragma: no cover
    import simpy

    from lab.model import PoolModel
    from lab.plan import DayPlan

__all__ = ["Strategy", "StrategyConfig", "Target"]


class Target(StrictModel):
    """Which customers a strategy addresses; every list left out means "all"."""

    stages: list[str] | None = P(None, "stage names", f"lifecycle stages, of {', '.join(STAGES)}")
    channels: list[str] | None = P(
        None, "channel names", f"acquisition channels, of {', '.join(CHANNELS)}"
    )
    segments: list[str] | None = P(None, "segment names", "persona segments from the traits")

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, v):
        return _check_names(v, STAGES, "stage")

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, v):
        return _check_names(v, CHANNELS, "channel")

    def mask(self, model: PoolModel) -> np.ndarray:
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
        return m


def _check_names(values, valid, what):
    if values is None:
        return values
    bad = [v for v in values if v not in valid]
    if bad:
        raise ValueError(f"unknown {what} {bad[0]!r}; valid: {', '.join(valid)}")
    return values


class StrategyConfig(StrictModel):
    """Fields every strategy config has."""

    type: str
    label: str | None = P(None, "text", "name shown in reports; defaults to the type")
    enabled: bool = P(True, "flag", "switch the strategy off without deleting it")
    target: Target = Target()


class Strategy:
    """Runtime base: one instance per strategy per run."""

    config_cls: ClassVar[type[StrategyConfig]]
    #: one line for ``lab explain``: what the strategy does in the daily step
    summary: ClassVar[str] = ""

    def __init__(self, config: StrategyConfig, model: PoolModel, index: int) -> None:
        self.config = config
        self.model = model
        self.index = index

    @property
    def label(self) -> str:
        return self.config.label or f"{self.config.type}#{self.index}"

    def start(self, env: simpy.Environment) -> None:
        """Register calendar processes; default: none."""

    def act(self, day: int, plan: DayPlan) -> None:
        """Write today's offers and contacts; default: nothing."""
