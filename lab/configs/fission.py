"""Fission that can backfire: what the costs of a referral campaign change (issue 17 item 5).

The scenario section ``fission_response`` (:class:`FissionResponse`) gives the costs
of fission their effects on behaviour; each effect is 1 at a reference value, so a
scenario at the references runs as before:

* **a real invite threshold** (seed 000: "invite N friends"): a sharer facing a rule
  of ``N`` friends per reward goes for it, reaching on average
  ``max(friends_per_share, N x target_completion)`` friends, while fewer sharers
  start (the referral terms' ``threshold_elasticity``);
* **over-hyped rewards** (seed 000: free products whose poster exaggerates their
  value disappoint; the value must be packaged to set a fitting expectation): a
  stated value above the real one (``stated_reward_cny``) raises sharing now, through
  the reward effect of the stated value, and rewards delivered leave disappointment
  ``1 - real / stated``: on each day rewards are delivered the pool's memory ``D``
  takes ``disappointment_rise`` of the gap to it, and it fades with half-life
  ``disappointment_halflife_days``; ``D`` cuts sharing (word of mouth) by
  ``wom_loss x D`` and the friends who accept by ``acceptance_loss x D``;
* **the invitee gift** raises acceptance: friends joining per share x
  ``(1 + lift x g/(g + h)) / (1 + lift x g0/(g0 + h))`` for gift ``g``, reference ``g0``;
* **the staff bonus** raises staff invites, and **the newcomer task reward** raises
  task completion, by the same saturating form around their references.
"""

from __future__ import annotations

from pydantic import Field

from lab.params import P, StrictModel, assumed, setting

__all__ = ["FissionResponse", "IncentiveEffect", "saturating_ratio"]


def saturating_ratio(value: float, reference: float, lift: float, half: float) -> float:
    """``(1 + lift x v/(v+h)) / (1 + lift x r/(r+h))``: 1 at the reference, rising with ``v``."""
    return (1.0 + lift * value / (value + half)) / (1.0 + lift * reference / (reference + half))


class IncentiveEffect(StrictModel):
    """A saturating effect of a CNY incentive on a rate, equal to 1 at ``reference_cny``."""

    enabled: bool = P(True, "flag", "switch this effect on/off", source=setting())
    lift: float = P(
        0.6,
        "x",
        "largest relative rise of the rate as the incentive grows without bound (vs none)",
        ge=0,
        source=assumed(0.1, 2.0, "seed 000: rewards make people act; no size published"),
    )
    half_saturation_cny: float = P(
        10.0,
        "CNY",
        "incentive at which half the lift is reached",
        gt=0,
        source=assumed(2.0, 50.0),
    )
    reference_cny: float = P(
        5.0,
        "CNY",
        "incentive at which the rate is the configured one (factor 1)",
        ge=0,
        source=setting("the incentive the configured rate was observed at"),
    )

    def factor(self, value_cny: float) -> float:
        """Multiplier on the rate for an incentive of ``value_cny`` (1 when off)."""
        if not self.enabled:
            return 1.0
        return saturating_ratio(value_cny, self.reference_cny, self.lift, self.half_saturation_cny)


class FissionResponse(StrictModel):
    """How sharers, invitees, staff and newcomers respond to what fission pays."""

    enabled: bool = P(True, "flag", "switch every effect of this section on/off", source=setting())
    threshold_effort: bool = P(
        True,
        "flag",
        "a sharer facing an N-friend rule tries for N (off: Poisson(friends_per_share) whatever N)",
        source=setting(),
    )
    target_completion: float = P(
        0.7,
        "share",
        "share of the invites required that a sharer going for the reward brings, on average",
        ge=0,
        le=2,
        source=assumed(0.3, 1.0, "seed 000: invite-N rules; completion unpublished"),
    )
    hype: bool = P(
        True,
        "flag",
        "rewards stated above their real value disappoint (word of mouth, acceptance)",
        source=setting(),
    )
    wom_loss: float = P(
        0.8,
        "share",
        "share of sharing lost at full disappointment (D = 1)",
        ge=0,
        le=1,
        source=assumed(0.2, 1.0, "seed 000: exaggerated value hurts word of mouth"),
    )
    acceptance_loss: float = P(
        0.5,
        "share",
        "share of friends' acceptance lost at full disappointment",
        ge=0,
        le=1,
        source=assumed(0.1, 0.9, "seed 000: exaggerated value hurts word of mouth"),
    )
    disappointment_rise: float = P(
        0.2,
        "share",
        "on a day rewards are delivered, share of the gap between the pool's memory D and "
        "their disappointment (1 - real/stated) that D takes",
        gt=0,
        le=1,
        source=assumed(0.05, 0.5),
    )
    disappointment_halflife_days: float = P(
        60.0,
        "days",
        "half-life of the pool's memory of disappointing rewards",
        gt=0,
        source=assumed(14.0, 180.0),
    )
    invitee_gift: IncentiveEffect = Field(
        default_factory=lambda: IncentiveEffect(lift=0.6, half_saturation_cny=10, reference_cny=5)
    )
    staff_bonus: IncentiveEffect = Field(
        default_factory=lambda: IncentiveEffect(lift=0.8, half_saturation_cny=10, reference_cny=5)
    )
    task_reward: IncentiveEffect = Field(
        default_factory=lambda: IncentiveEffect(lift=0.8, half_saturation_cny=5, reference_cny=3)
    )

    def friends_mean(self, friends_per_share: float, invites_required: int) -> float:
        """Mean friends a sharer brings under an ``invites_required`` rule (before acceptance)."""
        if not (self.enabled and self.threshold_effort):
            return friends_per_share
        return max(friends_per_share, invites_required * self.target_completion)
