"""Strategy library: the levers a private-traffic team pulls, one module each.

A scenario switches a strategy on by listing it under ``strategies:`` with its
``type``.  ``STRATEGY_CONFIGS`` is the union the scenario schema validates against;
``RUNTIME_BY_TYPE`` maps a type to the class the model instantiates.

Adding a strategy touches two files: its module (config, runtime, and any customer
states of its own in ``Strategy.states``) and the ``_RUNTIMES`` list below.
"""

from __future__ import annotations

from typing import Union

from lab.strategies.base import Strategy, StrategyConfig, Target
from lab.strategies.catalogue import Catalogue
from lab.strategies.community_groups import CommunityGroups
from lab.strategies.contact_plan import ContactPlan, ContactPlanConfig
from lab.strategies.discount_cadence import DiscountCadence, DiscountCadenceConfig
from lab.strategies.fission_program import FissionProgram
from lab.strategies.lifecycle_playbook import LifecyclePlaybook
from lab.strategies.live_stream import LiveStream
from lab.strategies.membership import Membership
from lab.strategies.newcomer import Newcomer
from lab.strategies.points import Points
from lab.strategies.rfm_playbook import RfmPlaybook
from lab.strategies.shop_guides import ShopGuides
from lab.strategies.stored_value import StoredValue
from lab.strategies.trial_follow_on import TrialFollowOn
from lab.strategies.vip_care import VipCare

_RUNTIMES: tuple[type[Strategy], ...] = (
    DiscountCadence,
    ContactPlan,
    Membership,
    StoredValue,
    FissionProgram,
    LifecyclePlaybook,
    RfmPlaybook,
    ShopGuides,
    Newcomer,
    CommunityGroups,
    LiveStream,
    TrialFollowOn,
    VipCare,
    Points,
    Catalogue,
)

RUNTIME_BY_TYPE: dict[str, type[Strategy]] = {
    r.config_cls.model_fields["type"].default: r for r in _RUNTIMES
}
CONFIG_BY_TYPE: dict[str, type[StrategyConfig]] = {
    t: r.config_cls for t, r in RUNTIME_BY_TYPE.items()
}
STRATEGY_CONFIGS = Union[tuple(CONFIG_BY_TYPE.values())]  # noqa: UP007


def strategy_states(configs) -> dict[str, tuple[str, float, str]]:
    """The customer states the enabled strategies of ``configs`` declare (``Strategy.states``).

    Raises
    ------
    ValueError
        If two strategies declare one state name differently.
    """
    states: dict[str, tuple[str, float, str]] = {}
    for cfg in configs:
        if not cfg.enabled:
            continue
        for name, spec in RUNTIME_BY_TYPE[cfg.type].states.items():
            if states.setdefault(name, spec) != spec:
                raise ValueError(f"strategies declare customer state {name!r} differently")
    return states


__all__ = [
    "CONFIG_BY_TYPE",
    "RUNTIME_BY_TYPE",
    "STRATEGY_CONFIGS",
    "ContactPlanConfig",
    "DiscountCadenceConfig",
    "Strategy",
    "StrategyConfig",
    "Target",
    "strategy_states",
]
