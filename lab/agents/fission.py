"""The run's fission response: today's sharing and friends per share, and disappointment.

Built by the model from the scenario's ``fission_response``
(:class:`lab.configs.fission.FissionResponse`): it turns the referral terms in force
today into the kernel's ``share_factor`` and ``friends_per_share``, remembers how
disappointing the rewards delivered so far were, and scales staff invites and newcomer
task completion by their incentives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from lab.acquisition_terms import ReferralTerms
    from lab.configs.fission import FissionResponse

__all__ = ["FissionState"]


class FissionState:
    """Pool-level state of the fission response for one run.

    Parameters
    ----------
    cfg : FissionResponse
        The scenario's ``fission_response`` section.
    friends_per_share : float
        The scenario's ``acquisition.referral.friends_per_share``.
    """

    def __init__(self, cfg: FissionResponse, friends_per_share: float) -> None:
        self.cfg = cfg
        self.friends_per_share = friends_per_share
        self.keep = 0.5 ** (1.0 / cfg.disappointment_halflife_days)
        #: disappointment memory D (0..1) as of this morning
        self.disappointment = 0.0
        self._pending = 0.0  # disappointment of the rewards delivered today

    @property
    def _hype_on(self) -> bool:
        return self.cfg.enabled and self.cfg.hype

    def kernel_terms(self, terms: ReferralTerms) -> tuple[float, float]:
        """Today's ``(share_factor, friends_per_share)`` for the kernel; call once a day.

        Folds yesterday's delivered rewards into the disappointment memory first.
        """
        if self._hype_on:
            d = self.keep * self.disappointment
            if self._pending > 0.0:  # yesterday's rewards disappointed
                d += self.cfg.disappointment_rise * (self._pending - d)
            self.disappointment = d
            self._pending = 0.0
        return self.terms_effect(terms)

    def terms_effect(self, terms: ReferralTerms) -> tuple[float, float]:
        """``(share_factor, friends_per_share)`` under ``terms`` with today's disappointment."""
        cfg, friends_per_share = self.cfg, self.friends_per_share
        if not cfg.enabled:
            return float(terms.share_factor), friends_per_share
        share = terms.share_factor_for(self.stated_value(terms))
        friends = cfg.friends_mean(friends_per_share, terms.invites_required)
        friends *= cfg.invitee_gift.factor(terms.invitee_reward_cny)
        if self._hype_on:
            share *= 1.0 - cfg.wom_loss * self.disappointment
            friends *= 1.0 - cfg.acceptance_loss * self.disappointment
        return float(share), float(friends)

    def wom_factor(self) -> float:
        """Multiplier on word of mouth from today's disappointment (1 without hype)."""
        if not self._hype_on:
            return 1.0
        return 1.0 - self.cfg.wom_loss * self.disappointment

    def stated_value(self, terms: ReferralTerms) -> float:
        """The reward value sharers act on: the stated one when hype is on, else the real one."""
        if self._hype_on and terms.stated_reward_cny is not None:
            return terms.stated_reward_cny
        return terms.reward_cny

    def on_rewards(self, terms: ReferralTerms, rewards: int) -> None:
        """``rewards`` were delivered today under ``terms``: remember their disappointment."""
        stated = self.stated_value(terms)
        if rewards > 0 and stated > terms.reward_cny:
            self._pending = max(self._pending, 1.0 - terms.reward_cny / stated)

    def staff_factor(self, bonus_cny: float) -> float:
        """Multiplier on staff invites from the bonus per invite."""
        return self.cfg.staff_bonus.factor(bonus_cny) if self.cfg.enabled else 1.0

    def task_factor(self, reward_cny: float) -> float:
        """Multiplier on newcomer task completion from its reward."""
        return self.cfg.task_reward.factor(reward_cny) if self.cfg.enabled else 1.0
