"""Acquisition arithmetic that needs no engine: referral terms, paid volume, projected size.

Pure functions of a scenario's numbers, used by the acquisition module at run time and
by the scenario schema and experiment design to refuse an oversized pool before a run
allocates it.  They live below the engine (importing nothing of the lab) so that the
scenario schema does not depend on the engine.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["ReferralTerms", "paid_volume", "pool_projection_problem", "projected_customers"]


@dataclasses.dataclass(frozen=True)
class ReferralTerms:
    """The referral (裂变) offer in force today.

    The scenario's ``acquisition.referral`` gives the standing terms; a fission
    program replaces them during its campaign window (``owner`` is then told what
    the day's referrals cost, to enforce its budget).
    """

    enabled: bool
    reward_cny: float
    invitee_reward_cny: float
    invites_required: int
    base_share: float
    reward_half_saturation_cny: float
    threshold_elasticity: float
    owner: Any = None
    #: reward value the brand states (posters, copy); None = the real value
    stated_reward_cny: float | None = None

    @classmethod
    def from_scenario(cls, rf) -> ReferralTerms:
        """Standing terms from the scenario's ``acquisition.referral`` section."""
        return cls(
            enabled=rf.enabled and rf.friends_per_share > 0,
            reward_cny=rf.reward_cny,
            invitee_reward_cny=rf.invitee_reward_cny,
            invites_required=rf.invites_required,
            base_share=rf.base_share,
            reward_half_saturation_cny=rf.reward_half_saturation_cny,
            threshold_elasticity=rf.threshold_elasticity,
            stated_reward_cny=rf.stated_reward_cny,
        )

    def replace(self, **changes) -> ReferralTerms:
        """These terms with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def share_factor(self) -> float:
        """Multiplier on referral propensity: reward effect x threshold effect (0 if off)."""
        return self.share_factor_for(self.reward_cny)

    def share_factor_for(self, r: float) -> float:
        """:attr:`share_factor` for sharers who value the reward at ``r`` CNY."""
        if not self.enabled:
            return 0.0
        reward_effect = self.base_share + (1 - self.base_share) * r / (
            r + self.reward_half_saturation_cny
        )
        return reward_effect * self.invites_required ** (-self.threshold_elasticity)


def paid_volume(budget: float, base_cac: float, saturation: float) -> float:
    """Customers bought per day for a budget when ``cac(n) = base * (1 + n/saturation)``.

    Solves ``base * n * (1 + n/s) = budget`` for n >= 0.
    """
    if budget <= 0:
        return 0.0
    s = saturation
    return 0.5 * s * (math.sqrt(1.0 + 4.0 * budget / (base_cac * s)) - 1.0)


def projected_customers(scenario: Any, days: int) -> dict[str, float]:
    """Customers each steady channel brings in ``days`` days, before the run allocates them.

    Stock import (capped by its base), paid acquisition at its daily volume over the
    days it spends, staff invites at their mean rate and the known-customer list;
    referrals, seeds and organic joins grow with the pool and are bounded at run time
    by ``max_customers``.  With a finite market every customer is a person of it, so
    the total (key ``"total"``) is capped by ``market.size``.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    days : int
        Length of the run.

    Returns
    -------
    dict
        Channel name -> projected customers (float, ``inf`` on overflow), and ``"total"``.
    """
    a = scenario.acquisition
    out: dict[str, float] = {}
    st = a.stock_import
    if st.enabled:
        out["stock_import"] = min(
            float(st.total_customers), st.customers_per_day * max(days - st.start_day, 0)
        )
    pd_ = a.paid
    if pd_.enabled:
        last = days - 1 if pd_.end_day is None else min(pd_.end_day, days - 1)
        active = max(last - pd_.start_day + 1, 0)
        try:
            volume = paid_volume(
                pd_.daily_budget_cny, pd_.base_cac_cny, pd_.saturation_customers_per_day
            )
        except OverflowError:
            volume = math.inf
        out["paid"] = (volume + 1.0) * active if math.isfinite(volume) else math.inf
    sf = a.staff_invite
    if sf.enabled:
        out["staff_invite"] = float(sf.staff) * sf.invites_per_staff_per_day * days
    if a.known_customers.table is not None:
        out["known_customers"] = float(len(a.known_customers.table))
    total = math.fsum(v for v in out.values() if math.isfinite(v))
    if any(not math.isfinite(v) for v in out.values()):
        total = math.inf
    if scenario.market.size is not None:
        total = min(total, float(scenario.market.size))
    out["total"] = total
    return out


def pool_projection_problem(scenario: Any, days: int) -> str | None:
    """Why the steady channels of ``scenario`` outgrow ``max_customers`` in ``days`` (or None)."""
    proj = projected_customers(scenario, days)
    if proj["total"] <= scenario.max_customers:
        return None
    parts = ", ".join(f"{k} {_count(v)}" for k, v in proj.items() if k != "total")
    return (
        f"acquisition: the channels bring about {_count(proj['total'])} customers in {days} "
        f"days ({parts}), above max_customers = {scenario.max_customers:,}; lower the "
        "acquisition rates or raise max_customers"
    )


def _count(x: float) -> str:
    return f"{x:,.0f}" if x < 1e10 else f"{x:.3g}"
