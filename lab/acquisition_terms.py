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

__all__ = [
    "ReferralTerms",
    "paid_volume",
    "pool_projection_problem",
    "projected_customers",
    "projected_pool",
    "referral_growth_per_day",
]

#: orders per customer-day assumed for the referral projection, as a multiple of the
#: largest channel's mean purchase propensity (``traits.*.propensity_per_day``): the
#: kernel multiplies propensity by trust, habit, promotions, contacts, the early burst
#: and the referred boost; on the shipped scenarios the realised rate was at most
#: about twice the mean propensity (``benchmarks/RESULTS_csvwall.md``)
ORDER_RATE_FACTOR = 2.0


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


def referral_growth_per_day(scenario: Any) -> float:
    """Friends joining per customer per day under the standing referral terms (a rate).

    The kernel's chain: orders per customer-day (:data:`ORDER_RATE_FACTOR` x the largest
    channel mean of ``propensity_per_day``) x chance to share after an order (the largest
    channel mean of ``referral_propensity`` x the terms' share factor, at most 1) x
    friends per share (``friends_per_share``; with a market x its ``acceptance``).  An
    estimate for sizing the pool's arrays, not a forecast: dropout, which shrinks the
    sharing pool, is left out, and strategies that raise sharing for a while (fission
    programs, fission products) are not in the standing terms.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.

    Returns
    -------
    float
        New referred customers per customer in the pool per day (0 when referral is off).
    """
    rf = scenario.acquisition.referral
    terms = ReferralTerms.from_scenario(rf)
    if not terms.enabled:
        return 0.0
    traits = scenario.traits
    specs = [traits.default, *(traits.for_channel(c) for c in traits.by_channel)]
    orders = ORDER_RATE_FACTOR * max(s.propensity_per_day.mean for s in specs)
    share = min(1.0, max(s.referral_propensity.mean for s in specs) * terms.share_factor)
    friends = rf.friends_per_share
    if scenario.market.size is not None:
        friends *= scenario.market.acceptance
    return orders * share * friends


def projected_pool(scenario: Any, days: int) -> dict[str, float]:
    """Customers in the pool after ``days`` days, referral growth included (an estimate).

    The steady channels of :func:`projected_customers` arrive day by day (stock import
    at its daily rate up to its base, paid and staff invites at their daily volumes,
    the known-customer list on day 0) and every customer in the pool brings
    :func:`referral_growth_per_day` friends a day, who bring friends in turn.  Capped
    by ``market.size`` when the market is finite.  For sizing the pool's arrays ahead
    of the run (a pool that outgrows them grows at run time); the refusals before a
    run use the steady channels alone (:func:`pool_projection_problem`).

    Returns
    -------
    dict
        ``"steady"`` (the steady channels' total), ``"referral"`` (projected referred
        customers) and ``"total"``; ``inf`` on overflow.
    """
    steady = projected_customers(scenario, days)["total"]
    growth = referral_growth_per_day(scenario)
    out = {"steady": steady, "referral": 0.0, "total": steady}
    if not math.isfinite(steady) or growth <= 0 or days <= 0:
        return out
    a = scenario.acquisition
    arrivals = [0.0] * days
    st = a.stock_import
    if st.enabled and st.customers_per_day > 0:
        left = float(st.total_customers)
        for day in range(st.start_day, days):
            take = min(left, st.customers_per_day)
            arrivals[day] += take
            left -= take
            if left <= 0:
                break
    pd_ = a.paid
    if pd_.enabled:
        last = days - 1 if pd_.end_day is None else min(pd_.end_day, days - 1)
        volume = paid_volume(
            pd_.daily_budget_cny, pd_.base_cac_cny, pd_.saturation_customers_per_day
        )
        for day in range(pd_.start_day, last + 1):
            arrivals[day] += volume + 1.0
    sf = a.staff_invite
    if sf.enabled:
        per_day = float(sf.staff) * sf.invites_per_staff_per_day
        arrivals = [x + per_day for x in arrivals]
    if a.known_customers.table is not None:
        arrivals[0] += float(len(a.known_customers.table))
    cap = math.inf if scenario.market.size is None else float(scenario.market.size)
    pool = referred = 0.0
    for day in range(days):
        pool += arrivals[day]
        new = min(pool * growth, max(cap - pool, 0.0))
        if not math.isfinite(new) or pool > 1e15:
            return {"steady": steady, "referral": math.inf, "total": math.inf}
        pool += new
        referred += new
    out["referral"] = referred
    out["total"] = min(pool, cap)
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
