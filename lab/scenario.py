"""Scenario schema, loading, validation and hashing.

A scenario is data: a YAML file (or a dict, or the Python objects below) validated
by this schema.  Unknown keys are rejected with the list of valid ones, ranges are
checked, and *all* problems are reported at once, each naming file, field and value.
YAML, dict and objects build identical runs (same :func:`scenario_hash`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from lab.acquisition_terms import pool_projection_problem
from lab.configs.adding import Adding
from lab.configs.annoyance import Annoyance
from lab.configs.calendar import Calendar
from lab.configs.contacts import ContactCarryover, ContactWearOut
from lab.configs.content import ContentEffect
from lab.configs.dropout import Dropout
from lab.configs.fatigue import Fatigue
from lab.configs.fission import FissionResponse
from lab.configs.habit import Habit
from lab.configs.lifecycle import Lifecycle
from lab.configs.outside import Competition, PlatformStore
from lab.configs.personas import Personas
from lab.configs.promotion import PromotionResponse
from lab.configs.reference_price import ReferencePrice
from lab.configs.referred import ReferredCustomers
from lab.mapping_defaults import merge_onto_defaults
from lab.params import (
    P,
    ProblemsError,
    StrictModel,
    assumed,
    by_key,
    calibrated,
    check_names,
    platform_rule,
    setting,
    source_extra,
)
from lab.scenario_paths import ScenarioPathError, deep_merge, loc_text, resolve_param, set_at
from lab.strategies import STRATEGY_CONFIGS
from lab.suggest import did_you_mean
from lab.vocab import CHANNELS

__all__ = [
    "Scenario",
    "ScenarioError",
    "TraitDist",
    "TraitSpec",
    "deep_merge",
    "dump_scenario",
    "load_scenario",
    "scenario_from_dict",
    "scenario_hash",
]


# --------------------------------------------------------------------------- traits
class TraitDist(StrictModel):
    """A distribution of one latent trait across customers.

    ``gamma``: mean and shape (rate = shape / mean); ``beta``: mean and concentration
    (a = mean * concentration, b = (1 - mean) * concentration); ``fixed``: everyone
    gets the mean.
    """

    dist: Literal["gamma", "beta", "fixed"] = P(
        "fixed", "name", "gamma | beta | fixed", source=setting("distribution family")
    )
    mean: float = P(0.0, "trait unit", "population mean of the trait", ge=0)
    shape: float | None = P(None, "1", "gamma shape r (heterogeneity; smaller = more spread)", gt=0)
    concentration: float | None = P(None, "1", "beta a+b (larger = less spread)", gt=0)

    @model_validator(mode="after")
    def _consistent(self):
        if self.dist == "gamma" and self.shape is None:
            raise ValueError("a gamma trait needs 'shape'")
        if self.dist == "beta":
            if self.concentration is None:
                raise ValueError("a beta trait needs 'concentration'")
            if not 0 < self.mean < 1:
                raise ValueError(f"a beta trait needs 0 < mean < 1, got {self.mean}")
        return self


class Basket(StrictModel):
    """Gamma–gamma order values (Fader, Hardie & Lee 2005).

    Each customer's orders are Gamma(p, nu) with nu ~ Gamma(q, gamma) across
    customers; the population mean order value is p * gamma / (q - 1).
    """

    mean_order_value_cny: float = P(
        150.0,
        "CNY",
        "population mean list value of an order",
        gt=0,
        source=setting("the brand's own basket: set it from your order data"),
    )
    shape_per_order: float = P(
        6.0,
        "1",
        "p: shape of one customer's order values",
        gt=0,
        source=calibrated(
            "CDNOW gamma-gamma spend fit, Fader, Hardie & Lee 2005 (JMR): p 6.25", band=(2.0, 12.0)
        ),
    )
    shape_across_customers: float = P(
        4.0,
        "1",
        "q: heterogeneity of customers' means",
        gt=1,
        source=calibrated(
            "CDNOW gamma-gamma spend fit, Fader, Hardie & Lee 2005 (JMR): q 3.74", band=(2.0, 8.0)
        ),
    )


def _gamma(mean, shape):
    return TraitDist(dist="gamma", mean=mean, shape=shape)


def _beta(mean, conc):
    return TraitDist(dist="beta", mean=mean, concentration=conc)


def _fixed(v):
    return TraitDist(dist="fixed", mean=v)


def _trait_src(family: str, mean: dict, spread: dict | None = None) -> dict:
    """Sources of a trait's distribution: its family, its mean and its spread parameter."""
    unused = setting(f"unused by a {family} distribution")
    return by_key(
        {
            "dist": setting("distribution family"),
            "mean": mean,
            "shape": spread if family == "gamma" else unused,
            "concentration": spread if family == "beta" else unused,
        }
    )


class TraitSpec(StrictModel):
    """Latent traits drawn for each customer at acquisition."""

    propensity_per_day: TraitDist = Field(
        default_factory=lambda: _gamma(0.012, 0.6),
        description="purchase rate lambda (1/day); gamma gives a BG/NBD-style pool",
        json_schema_extra=source_extra(
            _trait_src(
                "gamma",
                assumed(
                    0.003, 0.03, "CDNOW BG/NBD (Fader, Hardie & Lee 2005): r/alpha = 0.008/day"
                ),
                assumed(0.2, 2.0, "CDNOW BG/NBD r = 0.243: more spread than the default"),
            )
        ),
    )
    dropout_after_purchase: TraitDist = Field(
        default_factory=lambda: _beta(0.08, 8.0),
        description="chance of leaving for good right after each order (BG/NBD p)",
        json_schema_extra=source_extra(
            _trait_src(
                "beta",
                assumed(0.02, 0.3, "CDNOW BG/NBD (Fader, Hardie & Lee 2005): a/(a+b) = 0.25"),
                assumed(1.0, 20.0, "CDNOW BG/NBD a+b = 3.2"),
            )
        ),
    )
    dropout_per_day: TraitDist = Field(
        default_factory=lambda: _fixed(0.0005),
        description="daily hazard of leaving for good",
        json_schema_extra=source_extra(
            _trait_src(
                "fixed",
                assumed(
                    0.0001,
                    0.002,
                    "constant hazard, 4%-52% a year; Fader & Hardie 2007: churn is heterogeneous",
                ),
            )
        ),
    )
    basket: Basket = Field(default_factory=Basket, description="order value distribution")
    deal_proneness: TraitDist = Field(
        default_factory=lambda: _beta(0.5, 4.0),
        description="response to discounts, 0..1",
        json_schema_extra=source_extra(_trait_src("beta", assumed(0.2, 0.8), assumed(1.0, 20.0))),
    )
    contact_tolerance_per_week: TraitDist = Field(
        default_factory=lambda: _gamma(4.0, 3.0),
        description="marketing contacts per week a customer accepts before annoyance",
        json_schema_extra=source_extra(
            _trait_src(
                "gamma",
                assumed(1.0, 10.0, "seed 001 says over-contact annoys; no rate published"),
                assumed(1.0, 10.0),
            )
        ),
    )
    referral_propensity: TraitDist = Field(
        default_factory=lambda: _beta(0.15, 4.0),
        description="base chance of sharing after an order, before reward effects",
        json_schema_extra=source_extra(_trait_src("beta", assumed(0.03, 0.4), assumed(1.0, 20.0))),
    )
    trust: TraitDist = Field(
        default_factory=lambda: _beta(0.6, 6.0),
        description="initial trust in the brand, 0..1 (multiplies purchase rate)",
        json_schema_extra=source_extra(
            _trait_src(
                "beta",
                assumed(0.3, 0.9, "seed 001: trust is a conversion barrier"),
                assumed(2.0, 20.0),
            )
        ),
    )
    segments: dict[str, float] = P(
        {"student": 0.2, "white_collar": 0.6, "business": 0.2},
        "share",
        "persona labels and their shares (normalised)",
        source=setting("persona mix of the pool (personas from seed 003)"),
    )

    @field_validator("segments")
    @classmethod
    def _segments_ok(cls, v):
        if not v:
            raise ValueError("needs at least one segment")
        if any(s < 0 for s in v.values()) or sum(v.values()) <= 0:
            raise ValueError("segment shares must be >= 0 with a positive sum")
        return v


class TraitOverride(StrictModel):
    """Per-channel overrides of :class:`TraitSpec`; anything left out is inherited."""

    propensity_per_day: TraitDist | None = None
    dropout_after_purchase: TraitDist | None = None
    dropout_per_day: TraitDist | None = None
    basket: Basket | None = None
    deal_proneness: TraitDist | None = None
    contact_tolerance_per_week: TraitDist | None = None
    referral_propensity: TraitDist | None = None
    trust: TraitDist | None = None
    segments: dict[str, float] | None = None


class Traits(StrictModel):
    """Trait distributions: a default and per-channel overrides."""

    default: TraitSpec = Field(default_factory=TraitSpec)
    by_channel: dict[str, TraitOverride] = Field(
        default_factory=lambda: {
            "referral": TraitOverride(trust=_beta(0.75, 6.0)),
            "paid": TraitOverride(
                propensity_per_day=_gamma(0.009, 0.5), deal_proneness=_beta(0.65, 4.0)
            ),
        },
        description=f"overrides keyed by channel ({', '.join(CHANNELS)})",
        json_schema_extra=source_extra(
            by_key(
                {
                    "referral.trust.dist": setting("distribution family"),
                    "referral.trust.mean": assumed(
                        0.6,
                        0.9,
                        "referred customers are more loyal (Schmitt, Skiera & Van den Bulte 2011)",
                    ),
                    "referral.trust.concentration": assumed(2.0, 20.0),
                    "paid.propensity_per_day.dist": setting("distribution family"),
                    "paid.propensity_per_day.mean": assumed(
                        0.003, 0.02, "paid customers buy less often"
                    ),
                    "paid.propensity_per_day.shape": assumed(0.2, 2.0),
                    "paid.deal_proneness.dist": setting("distribution family"),
                    "paid.deal_proneness.mean": assumed(0.4, 0.85, "deal-acquired customers"),
                    "paid.deal_proneness.concentration": assumed(1.0, 20.0),
                },
                rest=setting("none = inherited from traits.default; or unused by the family"),
            )
        ),
    )
    _merge_defaults = merge_onto_defaults("by_channel")  # one override changes that one

    @field_validator("by_channel")
    @classmethod
    def _known_channels(cls, v):
        return check_names(v, CHANNELS, "channel")

    def for_channel(self, channel: str) -> TraitSpec:
        """The resolved traits of one channel (default merged with its override)."""
        over = self.by_channel.get(channel)
        if over is None:
            return self.default
        patch = {k: v for k, v in over.__dict__.items() if v is not None}
        return self.default.model_copy(update=patch)

    def segment_names(self) -> list[str]:
        """All segment labels across channels, in a stable order."""
        return sorted({s for ch in CHANNELS for s in self.for_channel(ch).segments})


# ---------------------------------------------------------------------- acquisition
class StockImport(StrictModel):
    """存量导入: customers who already bought elsewhere, moved into the pool."""

    enabled: bool = P(True, "flag", "switch stock import on/off", source=setting())
    customers_per_day: float = P(
        40.0, "customers/day", "import rate", ge=0, source=setting("the brand's import capacity")
    )
    total_customers: int = P(
        6000,
        "customers",
        "size of the existing customer base to move",
        ge=0,
        source=setting("size of the brand's existing base"),
    )
    start_day: int = P(0, "day", "first import day", ge=0, source=setting())
    prior_orders_mean: float = P(
        1.5,
        "orders",
        "mean orders before joining (1 + Poisson(mean - 1))",
        ge=1,
        le=20,
        source=setting("history of the imported base: set it from your data"),
    )
    prior_recency_max_days: int = P(
        120,
        "days",
        "last pre-pool order is uniform in [0, this] days before joining",
        ge=0,
        source=setting("history of the imported base: set it from your data"),
    )
    adding: Adding = Field(default_factory=Adding)


class PaidAcquisition(StrictModel):
    """公域拉新: ads and KOL traffic bought per customer; unit cost rises with volume."""

    enabled: bool = P(True, "flag", "switch paid acquisition on/off", source=setting())
    daily_budget_cny: float = P(
        2000.0, "CNY/day", "spend per day", ge=0, source=setting("a decision")
    )
    base_cac_cny: float = P(
        60.0,
        "CNY/customer",
        "cost per customer at low volume",
        gt=0,
        source=assumed(
            20.0, 200.0, "category-dependent; seed 004: public-traffic CAC keeps rising"
        ),
    )
    saturation_customers_per_day: float = P(
        50.0,
        "customers/day",
        "volume at which the unit cost has doubled",
        gt=0,
        source=assumed(10.0, 200.0),
    )
    start_day: int = P(0, "day", "first day of spend", ge=0, source=setting())
    end_day: int | None = P(
        None, "day", "last day of spend (inclusive); none = run end", ge=0, source=setting()
    )


class StaffInvites(StrictModel):
    """全员营销: staff invite relatives, neighbours and walk-in customers."""

    enabled: bool = P(True, "flag", "switch staff invites on/off", source=setting())
    staff: int = P(10, "people", "staff inviting", ge=0, source=setting("a decision"))
    invites_per_staff_per_day: float = P(
        0.8,
        "customers/staff/day",
        "mean successful adds",
        ge=0,
        source=assumed(0.1, 3.0, "seed 000 describes all-staff marketing, gives no rate"),
    )
    bonus_per_invite_cny: float = P(
        5.0, "CNY/customer", "bonus paid per added customer", ge=0, source=setting("a decision")
    )


class Referral(StrictModel):
    """裂变: buyers invite friends for a reward.

    After an order a customer shares with probability
    ``referral_propensity * (base_share + (1-base_share) * R/(R + half_saturation))
    * invites_required ** -threshold_elasticity``; a share brings Poisson
    (friends_per_share) friends; each full group of ``invites_required`` friends
    earns the inviter ``reward_cny``; each friend gets ``invitee_reward_cny``.  The
    scenario's ``fission_response`` makes these costs change behaviour (a sharer tries
    for the invites required, the gift raises acceptance, over-hyped rewards backfire).
    """

    enabled: bool = P(True, "flag", "switch referral on/off", source=setting())
    reward_cny: float = P(
        20.0,
        "CNY",
        "reward per completed invite (gift / red envelope)",
        ge=0,
        source=setting("a decision"),
    )
    invitee_reward_cny: float = P(
        5.0, "CNY", "welcome gift to each invitee", ge=0, source=setting("a decision")
    )
    invites_required: int = P(
        1, "friends", "friends needed for one reward", ge=1, le=20, source=setting("a decision")
    )
    base_share: float = P(
        0.2,
        "share",
        "share of the propensity acted on with no reward",
        ge=0,
        le=1,
        source=assumed(0.05, 0.6, "seed 000: some share without reward"),
    )
    reward_half_saturation_cny: float = P(
        30.0,
        "CNY",
        "reward at which half the reward effect is reached",
        gt=0,
        source=assumed(5.0, 100.0, "seed 000: the higher the reward, the more act"),
    )
    threshold_elasticity: float = P(
        0.7,
        "1",
        "how fast sharing falls with the number of invites required",
        ge=0,
        source=assumed(0.2, 1.5, "seed 000: the number of invites required matters"),
    )
    friends_per_share: float = P(
        0.8,
        "friends",
        "mean friends joining per share (with a market: friends invited, each joins with "
        "market.acceptance)",
        ge=0,
        le=20,
        source=assumed(0.2, 3.0),
    )
    stated_reward_cny: float | None = P(
        None,
        "CNY",
        "reward value the brand's posters state (over-hyped if above reward_cny: more "
        "sharing now, disappointment later, see fission_response); none = the real value",
        ge=0,
        source=setting("a decision: how the reward is packaged"),
    )
    trait_correlation: float = P(
        0.0,
        "1",
        "Gaussian-copula correlation of invitee traits with the inviter (lasting)",
        ge=0,
        le=0.99,
        source=assumed(
            0.0,
            0.6,
            "homophily of friends; 0: the similarity is carried by referred.rate_boost, "
            "which fades, since a lasting one keeps referred customers' margin gap open at "
            "month 30 (Schmitt, Skiera & Van den Bulte 2011 find it ~0)",
        ),
    )


class KnownCustomers(StrictModel):
    """老客户名单: real customers from an order log, each joining on its own date.

    The file is a CSV described in :mod:`lab.known_customers` (``lab calibrate``
    writes one); a relative path is read relative to the scenario file.  Customers
    join at the end of their day through the stock-import channel.
    """

    enabled: bool = P(False, "flag", "bring in the customers listed in the file", source=setting())
    file: str | None = P(
        None, "path", "CSV of customers (relative to the scenario file)", source=setting()
    )
    book_first_order: bool = P(
        True,
        "flag",
        "book an order on each join day (the log's first purchase); off = join with history",
        source=setting(),
    )
    rate_is_daily_chance: bool = P(
        True,
        "flag",
        "their purchase rate is read as the chance of an order each day (a fitted model's "
        "expected orders per day); off = P(order) = 1 - exp(-rate) as for other customers",
        source=setting(),
    )
    sha256: str | None = P(
        None,
        "hex",
        "checksum of the file; filled in on loading, a mismatch is an error",
        source=setting("derived from the file"),
    )
    _table: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _read_table(self):
        if not self.enabled:
            return self
        if not self.file:
            raise ValueError("known customers need 'file'")
        from lab.known_customers import read_known_customers

        table = read_known_customers(self.file)
        if self.sha256 is not None and self.sha256 != table.sha256:
            raise ValueError(
                f"{self.file}: the file changed since the scenario was written "
                f"(sha256 {table.sha256[:12]}..., expected {self.sha256[:12]}...)"
            )
        self.__dict__["sha256"] = table.sha256  # no re-validation: the digest is derived
        self._table = table
        return self

    @property
    def table(self):
        """The validated :class:`lab.known_customers.KnownCustomerTable` (None if off)."""
        return self._table


class Acquisition(StrictModel):
    """引流: the ways customers enter the private pool."""

    stock_import: StockImport = Field(default_factory=StockImport)
    paid: PaidAcquisition = Field(default_factory=PaidAcquisition)
    staff_invite: StaffInvites = Field(default_factory=StaffInvites)
    referral: Referral = Field(default_factory=Referral)
    known_customers: KnownCustomers = Field(default_factory=KnownCustomers)


# --------------------------------------------------------------------------- market
class GraphSpec(StrictModel):
    """Structure of the market's social graph (see :mod:`lab.market.graph`)."""

    kind: Literal["well_mixed", "random", "clustered"] = P(
        "clustered",
        "name",
        "well_mixed: everyone knows everyone (Bass); random: random ties at mean_degree; "
        "clustered: communities (neighbourhood groups, interest circles, colleagues)",
        source=setting("structure of the market"),
    )
    mean_degree: float = P(
        20.0,
        "friends",
        "mean friends per person (random, clustered)",
        gt=0,
        le=1000,
        source=assumed(5.0, 150.0),
    )
    degree_shape: float | None = P(
        2.0,
        "1",
        "gamma shape of the spread of friend counts (gamma-Poisson); smaller = a few people "
        "with very many friends; none = Poisson",
        gt=0,
        source=assumed(0.5, 10.0),
    )
    community_size: float = P(
        200.0,
        "people",
        "mean size of a community (clustered)",
        ge=2,
        source=assumed(50.0, 1000.0),
    )
    within_community_share: float = P(
        0.8,
        "share",
        "share of a person's ties inside their community (clustered)",
        ge=0,
        le=1,
        source=assumed(0.5, 0.95),
    )
    homophily: float = P(
        0.5,
        "share",
        "share of ties outside the community that go to the same segment",
        ge=0,
        le=1,
        source=assumed(0.2, 0.8),
    )
    tie_strength: TraitDist = Field(
        default_factory=lambda: _beta(0.5, 4.0),
        description="strength of a tie, 0..1 (one per tie); a fixed value stores no weights",
        json_schema_extra=source_extra(_trait_src("beta", assumed(0.2, 0.8), assumed(1.0, 20.0))),
    )


class SocialProof(StrictModel):
    """社会认同: a friend is likelier to join when more of their friends are customers."""

    strength: float = P(
        0.0,
        "x",
        "acceptance chance is multiplied by (1 + strength x proof), capped at 1",
        ge=0,
        source=assumed(0.0, 2.0, "0 = off"),
    )
    form: Literal["share", "count"] = P(
        "share",
        "name",
        "proof = share of the friend's friends who are customers, or their count",
        source=setting(),
    )


class SeedCustomers(StrictModel):
    """种子用户 / KOC: well-connected customers recruited on purpose, who share a lot."""

    count: int = P(
        0, "people", "seed customers (KOC) to recruit", ge=0, source=setting("a decision")
    )
    selection: Literal["degree", "random"] = P(
        "degree",
        "name",
        "degree: the best-connected people of the market; random: anyone",
        source=setting("a decision"),
    )
    referral_propensity: float | None = P(
        0.8,
        "0..1",
        "their chance to share after an order; none = drawn like others",
        ge=0,
        le=1,
        source=assumed(0.3, 1.0, "KOCs share a lot (seeds 000, 004)"),
    )
    join_day: int = P(0, "day", "day they join the pool", ge=0, source=setting())


#: channels that draw people from the market's remainder (and may weigh segments)
WEIGHTED_CHANNELS = ("stock_import", "paid", "staff_invite")


class Market(StrictModel):
    """A finite addressable market on a social graph (see ``docs/market.md``).

    Absent (``size: null``), the market is unlimited and has no graph: every channel
    brings new people forever, as without this section.
    """

    size: int | None = P(
        None,
        "people",
        "people who could ever become customers; none = unlimited (no graph)",
        ge=10,
        le=50_000_000,
        source=setting("the addressable market"),
    )
    segments: dict[str, float] | None = P(
        None,
        "share",
        "persona mix of the market; none = traits.default.segments",
        source=setting("persona mix of the market"),
    )
    graph: GraphSpec = Field(default_factory=GraphSpec)
    acceptance: float = P(
        0.5,
        "share",
        "chance an invited friend joins, at mean tie strength and no social proof",
        ge=0,
        le=1,
        source=assumed(0.1, 0.9),
    )
    tie_elasticity: float = P(
        1.0,
        "1",
        "acceptance = 1 - (1 - acceptance) ** ((tie / mean tie) ** tie_elasticity); 0 = ties do not matter",
        ge=0,
        source=assumed(0.0, 2.0),
    )
    social_proof: SocialProof = Field(default_factory=SocialProof)
    reinvite_after_days: int | None = P(
        None,
        "days",
        "a friend who declined may be invited again after this; none = never",
        ge=1,
        source=setting(),
    )
    paid_cac_scarcity_elasticity: float = P(
        1.0,
        "1",
        "paid CAC x (size / not yet customers) ** e: dearer as the easy customers are taken",
        ge=0,
        source=assumed(0.0, 2.0, "seed 004: public-traffic CAC keeps rising"),
    )
    word_of_mouth_per_day: float = P(
        0.0,
        "contacts/customer/day",
        "daily word of mouth: each customer talks to this many random friends (Bass q / acceptance)",
        ge=0,
        le=20,
        source=assumed(
            0.0,
            0.01,
            "0 = off; Bass q 0.38/year (Sultan, Farley & Lehmann 1990) / acceptance 0.5 = 0.002/day",
        ),
    )
    external_adoption_per_day: float = P(
        0.0,
        "1/day",
        "chance per day that a non-customer joins on their own (organic; Bass p)",
        ge=0,
        le=1,
        source=assumed(
            0.0, 0.0003, "0 = off; Bass p 0.03/year (Sultan, Farley & Lehmann 1990) = 8e-5/day"
        ),
    )
    seed_customers: SeedCustomers = Field(default_factory=SeedCustomers)
    channel_segment_weights: dict[str, dict[str, float]] = P(
        {},
        "x",
        "who a channel reaches: relative chance per segment (e.g. paid: {student: 3}); "
        "segments left out weigh 1 (stock_import, paid, staff_invite)",
        source=setting("who a channel reaches: describe your channels"),
    )

    @property
    def enabled(self) -> bool:
        """Whether the scenario declares a finite market."""
        return self.size is not None

    @field_validator("segments")
    @classmethod
    def _segments_ok(cls, v):
        if v is not None and (not v or any(s < 0 for s in v.values()) or sum(v.values()) <= 0):
            raise ValueError("segment shares must be >= 0 with a positive sum")
        return v

    @field_validator("channel_segment_weights")
    @classmethod
    def _weights_ok(cls, v):
        check_names(v, WEIGHTED_CHANNELS, "channel")
        for ch, w in v.items():
            if any(x < 0 for x in w.values()):
                raise ValueError(f"{ch}: segment weights must be >= 0")
        return v

    @model_validator(mode="after")
    def _seeds_fit(self):
        sp = self.social_proof
        if self.graph.kind == "well_mixed" and sp.form == "count" and sp.strength > 0:
            raise ValueError(
                "social_proof.form 'count' needs a graph with ties (everyone is a friend in a "
                "well_mixed market); use form 'share'"
            )
        if self.size is not None and self.seed_customers.count > self.size:
            raise ValueError(
                f"seed_customers.count ({self.seed_customers.count}) exceeds the market size "
                f"({self.size})"
            )
        return self


# ------------------------------------------------------------------- behaviour
class Trial(StrictModel):
    """体验品: a cheap trial product that lowers the action cost and builds trust."""

    enabled: bool = P(False, "flag", "offer a trial product to prospects", source=setting())
    price_cny: float = P(
        9.9, "CNY", "price of the trial product", ge=0, source=setting("a decision")
    )
    unit_cost_cny: float = P(
        12.0, "CNY", "cost of goods of one trial", ge=0, source=setting("the brand's cost")
    )
    uptake: float = P(
        1.5,
        "x",
        "trial rate relative to the first-order rate",
        ge=0,
        source=assumed(0.5, 4.0, "seed 001: a cheap trial lowers the action cost"),
    )
    trust_gain: float = P(
        0.5,
        "share",
        "share of missing trust a trial adds",
        ge=0,
        le=1,
        source=assumed(0.1, 0.9, "seed 001: a trial builds trust"),
    )
    reference_price_cny: float = P(
        9.9,
        "CNY",
        "trial price at which ``uptake`` holds (the price the uptake was set for)",
        gt=0,
        source=setting("the price the uptake was estimated at"),
    )
    price_sensitivity: float = P(
        1.0,
        "1",
        "uptake x exp(-this x (price - reference) / reference): a dearer trial is taken "
        "less, a cheaper or free one more; 0 = uptake ignores the price",
        ge=0,
        source=assumed(
            0.3, 3.0, "seed 001: an 18-CNY trial lowers the action cost of a 5000-CNY course"
        ),
    )

    def price_factor(self) -> float:
        """Multiplier on ``uptake`` from the trial price (1 at the reference price)."""
        gap = (self.price_cny - self.reference_price_cny) / self.reference_price_cny
        return math.exp(-self.price_sensitivity * gap)


class FirstOrder(StrictModel):
    """转化: welcome message and the conversion barriers (trust, action cost)."""

    enabled: bool = P(
        True, "flag", "apply barriers; off = prospects buy like customers", source=setting()
    )
    welcome_quality: float = P(
        0.6,
        "0..1",
        "quality of the welcome message (欢迎语)",
        ge=0,
        le=1,
        source=setting("how good the brand's welcome message is: a lever"),
    )
    welcome_trust_gain: float = P(
        0.5,
        "share",
        "share of missing trust a perfect welcome message adds",
        ge=0,
        le=1,
        source=assumed(
            0.2,
            0.8,
            "seed 003: the welcome message decides ~70% of the chance of a deal; the mapping to trust is ours",
        ),
    )
    action_cost: float = P(
        0.4,
        "0..1",
        "friction of the first order (share of rate lost)",
        ge=0,
        lt=1,
        source=assumed(0.1, 0.7, "seed 001: action cost is a conversion barrier"),
    )
    trial: Trial = Field(default_factory=Trial)


class Purchase(StrictModel):
    """Daily purchase: rate = propensity x trust x habit x price x promotion x contact."""

    promo_lift: float = P(
        6.0,
        "x per price gap",
        "lift per unit cut off list price, x deal proneness (without loss aversion: per unit "
        "gap below the reference price)",
        ge=0,
        source=assumed(
            2.0,
            15.0,
            "gives a 20%-cut elasticity of about -4.9 with the reference-price gain on top, inside the -1.5 to -6 band of van Heerde & Neslin 2008 (fact promo_elasticity); range scaled to that band",
        ),
    )
    full_price_penalty: float = P(
        4.0,
        "per price gap",
        "rate lost per unit gap above the reference price, x deal proneness",
        ge=0,
        source=assumed(
            0.5,
            12.0,
            "loss aversion: direction from Kalyanaram & Winer 1995, size unmeasured (smaller once heterogeneity is controlled, Bell & Lattin 2000)",
        ),
    )
    fatigue_damping: float = P(
        0.9,
        "share",
        "share of promotion and contact lift lost at fatigue 1",
        ge=0,
        le=1,
        source=assumed(0.3, 0.95),
    )
    blocked_factor: float = P(
        0.4,
        "x",
        "purchase rate of customers who blocked the brand",
        ge=0,
        le=1,
        source=assumed(0.1, 0.8),
    )
    trust_gain_per_order: float = P(
        0.3, "share", "share of missing trust each order adds", ge=0, le=1, source=assumed(0.1, 0.6)
    )
    margin_rate: float = P(
        0.55,
        "share",
        "gross margin on list price",
        ge=0,
        le=1,
        source=setting("the brand's gross margin"),
    )
    timing: Literal["poisson", "erlang"] = P(
        "poisson",
        "name",
        "inter-purchase clock: poisson (memoryless, BG/NBD) or erlang (regular: an order "
        "right after the last one is unlikely; e.g. groceries, consumables; the clock runs "
        "from a customer's first order, customers joining with history start it afresh unless "
        "their known-customer row gives purchase_phase)",
        source=setting("the category's purchase cycle"),
    )
    timing_k: int = P(
        3,
        "stages",
        "stages of the erlang clock (inter-purchase CV about 1/sqrt(k); 1 = Poisson)",
        ge=1,
        le=20,
        source=assumed(2.0, 5.0, "regular categories; unused with timing poisson"),
    )


class Contacts(StrictModel):
    """触达: how contacts act (strategies decide who is contacted and when)."""

    content: dict[str, ContentEffect] = Field(
        default_factory=lambda: {
            "promotion": ContentEffect(purchase_lift=3.2, fatigue_gain=0.06, annoyance_weight=1.0),
            "value": ContentEffect(purchase_lift=1.0, fatigue_gain=0.005, annoyance_weight=0.4),
            "interaction": ContentEffect(purchase_lift=0.6, fatigue_gain=0.0, annoyance_weight=0.3),
        },
        description="content types: promotion, value (useful content), interaction (fun)",
        json_schema_extra=source_extra(
            by_key(
                {
                    "promotion.purchase_lift": calibrated(
                        "fact contact_lift_sleeping (lab facts): with a 4-day carry-over "
                        "half-life, one promotional mass message lifts sleeping customers' "
                        "two-week conversion about 1.85x, inside the 1.5-2.2x of Hillstrom "
                        "2008; the band gives 1.5 and 2.2",
                        band=(1.8, 4.8),
                    ),
                    "promotion.fatigue_gain": assumed(0.01, 0.15),
                    "promotion.annoyance_weight": setting(
                        "the unit: a promotion counts as one contact"
                    ),
                    "value.purchase_lift": assumed(
                        0.2, 4.0, "relative to promotion: about a third of its lift"
                    ),
                    "value.fatigue_gain": assumed(0.0, 0.03),
                    "value.annoyance_weight": assumed(0.1, 1.0),
                    "interaction.purchase_lift": assumed(
                        0.0, 2.4, "relative to promotion: about a fifth of its lift"
                    ),
                    "interaction.fatigue_gain": assumed(0.0, 0.02),
                    "interaction.annoyance_weight": assumed(0.05, 1.0),
                }
            )
        ),
    )
    channel_weight: dict[str, float] = P(
        {"private_chat": 1.0, "group": 0.5, "moments": 0.3, "mass_message": 0.7},
        "x",
        "strength of one contact by touchpoint (私聊, 群聊, 朋友圈, 群发)",
        source=by_key(
            {
                "private_chat": setting("the unit: a private chat has full strength"),
                "group": assumed(0.1, 1.0),
                "moments": assumed(0.05, 0.8),
                "mass_message": assumed(0.2, 1.0),
            },
            rest=assumed(0.05, 1.0),
        ),
    )
    daily_cap: dict[str, int] = P(
        {"private_chat": 3, "group": 5, "moments": 3, "mass_message": 1},
        "contacts/customer/day",
        "platform caps per touchpoint (Moments 3 a day, mass message 1 a day)",
        source=by_key(
            {
                "private_chat": assumed(1, 10),
                "group": assumed(1, 20),
                "moments": platform_rule(
                    "WeCom: at most 3 enterprise Moments posts a day (seed 003)"
                ),
                "mass_message": platform_rule("WeCom: 1 mass message a day (seed 003)"),
            },
            rest=setting("a platform cap: set it from the platform's rules"),
        ),
    )

    cost_per_contact_cny: dict[str, float] = P(
        {"private_chat": 0.3, "group": 0.01, "moments": 0.01, "mass_message": 0.0},
        "CNY/contact",
        "staff time and tool cost of one delivered contact, by touchpoint",
        source=setting("the brand's staff and tool costs"),
    )
    carryover: ContactCarryover = Field(default_factory=ContactCarryover)
    wear_out: ContactWearOut = Field(default_factory=ContactWearOut)
    # one content type or touchpoint given changes that entry; the others keep their defaults
    _merge_defaults = merge_onto_defaults(
        "content", "channel_weight", "daily_cap", "cost_per_contact_cny"
    )

    @model_validator(mode="after")
    def _same_channels(self):
        if not set(self.channel_weight) == set(self.daily_cap) == set(self.cost_per_contact_cny):
            raise ValueError(
                "channel_weight, daily_cap and cost_per_contact_cny must name the same touchpoints"
            )
        if any(v < 0 for v in self.cost_per_contact_cny.values()):
            raise ValueError("contact costs must be >= 0")
        if any(v < 0 for v in self.daily_cap.values()):
            raise ValueError("daily caps must be >= 0")
        return self


class Economics(StrictModel):
    """Money conventions."""

    currency: str = P("CNY", "label", "currency label in reports", source=setting())
    annual_discount_rate: float = P(
        0.10, "1/year", "for LTV discounting", ge=0, le=1, source=setting("a finance convention")
    )


StrategyEntry = Annotated[Any, "strategy"]


class Scenario(StrictModel):
    """A whole scenario: the pool, its customers and the strategies run on it."""

    name: str = P("scenario", "text", "short name used in outputs", source=setting())
    description: str = P("", "text", "what this scenario asks", source=setting())
    days: int = P(365, "days", "length of the run", ge=1, le=3650, source=setting())
    seed: int = P(
        0, "1", "default seed (the CLI --seed overrides)", ge=0, lt=2**63, source=setting()
    )
    start_date: dt.date = P(dt.date(2026, 1, 1), "date", "calendar date of day 0", source=setting())
    max_customers: int = P(
        5_000_000,
        "customers",
        "stop with an error if the pool grows past this (runaway fission)",
        ge=1,
        source=setting("a safety limit"),
    )
    economics: Economics = Field(default_factory=Economics)
    acquisition: Acquisition = Field(default_factory=Acquisition)
    market: Market = Field(default_factory=Market, description="finite market and social graph")
    traits: Traits = Field(default_factory=Traits)
    first_order: FirstOrder = Field(default_factory=FirstOrder)
    purchase: Purchase = Field(default_factory=Purchase)
    habit: Habit = Field(default_factory=Habit)
    reference_price: ReferencePrice = Field(default_factory=ReferencePrice)
    fatigue: Fatigue = Field(default_factory=Fatigue)
    promotion_response: PromotionResponse = Field(default_factory=PromotionResponse)
    annoyance: Annoyance = Field(default_factory=Annoyance)
    contacts: Contacts = Field(default_factory=Contacts)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    dropout: Dropout = Field(default_factory=Dropout)
    referred: ReferredCustomers = Field(
        default_factory=ReferredCustomers, description="referred customers after joining"
    )
    platform_store: PlatformStore = Field(
        default_factory=PlatformStore, description="the brand's platform store beside the pool"
    )
    competition: Competition = Field(
        default_factory=Competition, description="a competitor's price (share of wallet)"
    )
    personas: Personas = Field(default_factory=Personas, description="personas' own behaviour")
    calendar: Calendar = Field(default_factory=Calendar, description="seasonality multipliers")
    fission_response: FissionResponse = Field(default_factory=FissionResponse)
    strategies: list[
        Annotated[STRATEGY_CONFIGS, Field(discriminator="type")]  # type: ignore[valid-type]
    ] = Field(
        default_factory=list,
        description="strategies switched on, by type",
        json_schema_extra=source_extra(setting("the strategies the scenario runs")),
    )

    @model_validator(mode="after")
    def _market_segments(self):
        known = self.market.segments or self.traits.default.segments
        for ch, weights in self.market.channel_segment_weights.items():
            bad = [s for s in weights if s not in known]
            if bad:
                raise ValueError(
                    f"market.channel_segment_weights.{ch}: unknown segment {bad[0]!r}; "
                    f"market segments: {', '.join(known)}"
                )
            if sum(weights.get(s, 1.0) for s in known) <= 0:
                raise ValueError(f"market.channel_segment_weights.{ch}: every segment weighs 0")
        return self

    @model_validator(mode="after")
    def _known_customers_in_run(self):
        kc = self.acquisition.known_customers
        if self.market.enabled and kc.enabled and kc.table is not None:
            raise ValueError(
                "acquisition.known_customers cannot be combined with market.size: real "
                "customers from an order log have no place in the simulated social graph; "
                "drop one of the two"
            )
        table = kc.table
        if table is not None and len(table):
            first = table.frame["join_date"].iloc[0]
            if first.date() < self.start_date:
                raise ValueError(
                    f"acquisition.known_customers: customer {table.frame['customer_id'].iloc[0]!r} "
                    f"joins on {first.date()}, before start_date {self.start_date}"
                )
        return self

    @model_validator(mode="after")
    def _strategy_references(self):
        types = [
            s.type for s in self.strategies if s.enabled and getattr(s, "one_per_scenario", False)
        ]
        for t in sorted({t for t in types if types.count(t) > 1}):
            raise ValueError(f"strategies: at most one {t!r} strategy per scenario")
        for i, s in enumerate(self.strategies):
            for ref in getattr(s, "touchpoints_used", lambda: [])():
                if ref not in self.contacts.daily_cap:
                    raise ValueError(
                        f"strategies[{i}] uses touchpoint {ref!r}; "
                        f"known: {', '.join(self.contacts.daily_cap)}"
                    )
            for ref in getattr(s, "contents_used", lambda: [])():
                if ref not in self.contacts.content:
                    raise ValueError(
                        f"strategies[{i}] uses content type {ref!r}; "
                        f"known: {', '.join(self.contacts.content)}"
                    )
        return self

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A validated copy of this scenario with the values at ``changes``' paths replaced.

        Paths are those of ``lab sweep --set`` and ``lab explain`` (resolved by
        :mod:`lab.scenario_paths`): ``"strategies.discount_cadence.depth"``,
        ``"strategies[0].every_days"``, ``"strategies.group plan.reach"``,
        ``"acquisition.referral.reward_cny"``, ``"name"``.  A path may also name a
        section: a mapping given for it is merged key by key (as ``extends:`` does),
        a list replaces it (``"strategies": [...]``).  Every path is resolved
        against this scenario as it is; the original is left unchanged.

        Parameters
        ----------
        changes : mapping
            Path -> new value; strings are read as the field's type, as on the
            command line (``"0.4"``, ``"none"``, ``"yes"``).

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            Listing every unknown path, unusable value and validation problem at
            once, each naming its path and value.

        Examples
        --------
        >>> base = lab.load_scenario("scenarios/baseline.yaml")  # doctest: +SKIP
        >>> weekly = base.with_changes(
        ...     {"name": "weekly", "strategies.discount_cadence.every_days": 7}
        ... )  # doctest: +SKIP
        """
        source = f"{self.name}.with_changes"
        if not isinstance(changes, Mapping):
            raise ScenarioError(
                [f"changes must be a mapping of path -> value, got {type(changes).__name__}"],
                source,
            )
        original = dump_scenario(self)
        data, problems, named = original, [], {}
        for path, value in changes.items():
            try:
                p = resolve_param(self, path, "with_changes", sections=True)
                if p.canonical in named:
                    raise ScenarioPathError(
                        f"with_changes: {path!r} names the same value as {named[p.canonical][0]!r}"
                    )
                named[p.canonical] = (path, _tagged(original, p.loc))
                data = set_at(data, p.loc, p.coerce(value, "with_changes"))
            except ScenarioPathError as exc:
                problems.append(str(exc))
        if problems:
            raise ScenarioError(problems, source)
        try:
            return scenario_from_dict(data, source)
        except ScenarioError as exc:
            raise ScenarioError([_as_written(m, named) for m in exc.problems], source) from None


def _tagged(data: dict, loc: tuple) -> str:
    """``loc`` as validation messages write it: a strategy's type follows its position."""
    out: list = []
    node: Any = data
    for key in loc:
        node = node.get(key) if isinstance(node, dict) else node[key]  # .get: derived keys
        out.append(key)
        if isinstance(key, int) and isinstance(node, dict) and "type" in node:
            out.append(node["type"])
    return loc_text(out)


def _as_written(problem: str, named: Mapping[str, tuple[str, str]]) -> str:
    """A validation problem with the path as the caller wrote it, if it was one of theirs."""
    for canonical, (path, tagged) in sorted(named.items(), key=lambda kv: -len(kv[1][1])):
        rest = problem[len(tagged) :]
        if problem.startswith(tagged) and rest[:1] in ("", " ", ".", "["):
            shown = path if path == canonical else f"{path} ({canonical})"
            return f"{shown}{rest}"
    return problem


# ------------------------------------------------------------------- errors
class ScenarioError(ProblemsError):
    """Every problem found in a scenario, each naming file, field and value."""

    subject = "the scenario"


def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _key_name(part)
    return out or "<top level>"


_NAME = re.compile(r"^[\w.\- ]{1,40}$")


def _key_name(key: Any) -> str:
    """A key from a file as text, or a placeholder when it is not a plain name.

    A file given by mistake (a password file, a log) becomes a mapping whose keys are
    whole lines; those are never printed.
    """
    text = str(key)
    return text if _NAME.match(text) else f"<a key of {len(text)} characters>"


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_repr(value: Any, limit: int = 60) -> str:
    """A bounded repr: never more than ``limit`` characters, built without repr-ing it all.

    Containers are described by their size only (a huge or alias-expanded value
    must not cost time and memory to print, nor echo a file's contents).
    """
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else repr(value[: limit - 5]) + "..."
    if isinstance(value, Mapping):
        return f"<a mapping of {len(value)} key(s)>"
    if isinstance(value, list | tuple | set | frozenset):
        return f"<a list of {len(value)} item(s)>"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an integer of {len(str(value))} digits>"
    return _clip(repr(value), limit)


def _node_at(model_cls: type[BaseModel], loc: tuple):
    """The schema class reached by following ``loc`` (for listing valid keys)."""
    import typing

    node: Any = model_cls
    skip_key = False  # the next part is a dict key (a channel, a content type, ...)
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:
            skip_key = False
            continue
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            return None
        field = node.model_fields.get(part)
        if field is None:  # a discriminated-union tag: pick that strategy's config
            node = _strategy_config(part)
            if node is None:
                return None
            continue
        skip_key = typing.get_origin(_strip_optional(field.annotation)) is dict
        node = _unwrap(field.annotation)
    return node


def _strip_optional(annotation):
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (
        typing.Union,
        getattr(__import__("types"), "UnionType", None),
    ):
        return args[0] if len(args) == 1 else annotation
    return annotation


def _unwrap(annotation):
    """Strip Optional/list/dict/Annotated wrappers down to a model class if any."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in typing.get_args(annotation):
        found = _unwrap(a)
        if found is not None:
            return found
    return None


def _strategy_config(tag):
    from lab.strategies import CONFIG_BY_TYPE

    return CONFIG_BY_TYPE.get(tag)


def _format_error(err: dict) -> str:
    loc = tuple(err.get("loc", ()))
    where = _loc_text(loc)
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = _node_at(Scenario, loc[:-1])
        fields = list(parent.model_fields) if isinstance(parent, type) else []
        key = loc[-1]
        plain = isinstance(key, str) and _NAME.match(key)
        shown = f" {key!r}{did_you_mean(key, fields)}" if plain else ""
        return f"{where}: unknown key{shown}; valid keys here: {', '.join(fields) or '?'}"
    if kind == "union_tag_invalid":
        from lab.strategies import CONFIG_BY_TYPE

        tag = (value or {}).get("type") if isinstance(value, dict) else value
        return (
            f"{where}.type: unknown strategy type {_short_repr(tag, 40)}"
            f"{did_you_mean(tag, CONFIG_BY_TYPE)}; "
            f"valid types: {', '.join(CONFIG_BY_TYPE)}"
        )
    if kind == "union_tag_not_found":
        from lab.strategies import CONFIG_BY_TYPE

        return f"{where}: a strategy needs 'type', one of: {', '.join(CONFIG_BY_TYPE)}"
    msg = _clip(str(err.get("msg", "invalid")).splitlines()[0], 200)
    if isinstance(value, dict):
        return f"{where}: {msg}"
    return f"{where} = {_short_repr(value, 80)}: {msg}"


# ------------------------------------------------------------------- loading
#: a scenario file larger than this is not a scenario (the bundled ones are a few KB)
MAX_FILE_BYTES = 2_000_000
#: YAML nodes a scenario file may expand to, each alias counted as a full copy of
#: what it refers to (the bundled scenarios have under 200; an alias bomb has billions)
MAX_YAML_NODES = 100_000


class _YAMLRefused(yaml.YAMLError):
    """A YAML document the scenario loader refuses (duplicate key, alias expansion)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _ScenarioYAMLLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys and alias bombs before building data."""

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return self.construct_document(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        # PyYAML's own constructors fail with bare Python errors on odd tagged values
        # ("!!float" with no value, "!!int abc", "!!timestamp 2026-13-45")
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this {_tag_name(node)} value ({exc})", node.start_mark
            ) from None


def _tag_name(node: yaml.Node) -> str:
    tag = str(node.tag)
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else "tagged"


def _check_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    """Refuse a mapping that states one key twice (merge keys ``<<`` may be overridden)."""
    first_line: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = first_line.get(key)
        except TypeError:
            continue  # unhashable: the safe constructor reports it
        line = key_node.start_mark.line + 1
        if seen is not None:
            shown = repr(key) if isinstance(key, str) and _NAME.match(key) else _key_name(key)
            raise _YAMLRefused(f"duplicate key {shown} at line {line} (first at line {seen})", line)
        first_line[key] = line


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose alias expansion exceeds :data:`MAX_YAML_NODES` (or loops)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                line = node.start_mark.line + 1
                raise _YAMLRefused(
                    f"the document expands to more than {MAX_YAML_NODES:,} values through "
                    f"aliases (*name) by line {line}: refused as an alias bomb",
                    line,
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            line = node.start_mark.line + 1
            raise _YAMLRefused(f"an alias refers to a value containing itself (line {line})", line)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a plain dict into a :class:`Scenario` (all problems at once).

    Raises
    ------
    ScenarioError
        Listing every problem with its field and value.
    """
    if not isinstance(data, dict):
        raise ScenarioError([f"the top level must be a mapping, got {_type_name(data)}"], source)
    if data and not any(isinstance(k, str) and k in Scenario.model_fields for k in data):
        raise ScenarioError(
            [
                f"not a scenario: none of its {len(data)} top-level key(s) is a scenario key "
                f"({', '.join(Scenario.model_fields)})"
            ],
            source,
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_format_error(e) for e in exc.errors(include_url=False)]
        raise ScenarioError(_capped(problems), source) from None
    problems = [*_absurd_numbers(scenario), *_pool_projection(scenario)]
    if problems:
        raise ScenarioError(_capped(problems), source)
    return scenario


#: at most this many problems are listed (a file that is not a scenario has hundreds)
MAX_PROBLEMS = 20
#: no float in a scenario is larger than this (CNY, rates, weights); products of
#: larger ones overflow to ``inf`` deep inside a run
MAX_ABS_FLOAT = 1e12
#: integers of fields that declare no upper bound of their own fit the run's
#: 32-bit arrays (day counts, caps, sizes)
MAX_ABS_INT = 2**31 - 1


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more problem(s)"]


def _absurd_numbers(model: BaseModel, prefix: str = "") -> list[str]:
    """Numbers beyond :data:`MAX_ABS_FLOAT` / :data:`MAX_ABS_INT` (or non-finite), by path."""
    out: list[str] = []
    for name, field in type(model).model_fields.items():
        bounded = any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                      for m in field.metadata)  # fmt: skip
        out += _absurd_in(getattr(model, name), f"{prefix}{name}", bounded)
    return out


def _absurd_in(value: Any, path: str, bounded: bool = False) -> list[str]:
    if isinstance(value, BaseModel):
        return _absurd_numbers(value, path + ".")
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _absurd_in(v, f"{path}.{_key_name(k)}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _absurd_in(v, f"{path}[{i}]")]
    if isinstance(value, bool) or bounded:
        return []
    if isinstance(value, float) and not (abs(value) <= MAX_ABS_FLOAT):
        return [f"{path} = {_short_repr(value)}: beyond {MAX_ABS_FLOAT:g} (no scenario value is)"]
    if isinstance(value, int) and abs(value) > MAX_ABS_INT:
        return [f"{path} = {_short_repr(value)}: beyond {MAX_ABS_INT:,} (no scenario value is)"]
    return []


def _pool_projection(scenario: Scenario) -> list[str]:
    """Refuse a scenario whose steady channels alone outgrow ``max_customers``."""
    problem = pool_projection_problem(scenario, scenario.days)
    return [problem] if problem else []


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The YAML file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Missing file, malformed YAML, unknown keys, wrong types, out-of-range values.
    """
    p = Path(path)
    data = _read_with_extends(p, chain=())
    return scenario_from_dict(data, source=str(p))


def _read_yaml(p: Path) -> dict:
    """One scenario file as a mapping, through :class:`_ScenarioYAMLLoader`.

    Messages name the file, the line and the offending value, never more of the
    file's text (a file given by mistake must not be echoed to the terminal).
    """
    src = str(p)
    if p.is_dir():
        raise ScenarioError([f"{p} is a folder, not a scenario file"], src)
    if not p.is_file():
        what = "not a regular file" if p.exists() else "file not found"
        raise ScenarioError([f"{what}: {p}"], src)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                [
                    f"the file has {size:,} bytes, more than any scenario "
                    f"({MAX_FILE_BYTES:,}); is it the right file?"
                ],
                src,
            )
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [f"not UTF-8 text (byte {exc.start}); is it a scenario YAML file?"], src
        ) from None
    except OSError as exc:
        raise ScenarioError([f"cannot read the file: {exc.strerror or exc}"], src) from None
    data = _parse_yaml(text, src)
    if data is None:
        raise ScenarioError(
            [
                "the file is empty (or holds only comments): write {} for the scenario "
                "with every default"
            ],
            src,
        )
    if not isinstance(data, dict):
        raise ScenarioError([f"the top level must be a mapping, got {_type_name(data)}"], src)
    return data


def _parse_yaml(text: str, src: str) -> Any:
    """YAML text as data; every YAML problem as one :class:`ScenarioError`."""
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark written by some editors
    try:
        return yaml.load(text, Loader=_ScenarioYAMLLoader)  # a SafeLoader subclass
    except _YAMLRefused as exc:
        raise ScenarioError([exc.message], src) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = _yaml_problem(exc)
        raise ScenarioError([f"malformed YAML{where}: {problem}"], src) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError(
            [
                f"malformed YAML: unacceptable character #x{exc.character:04x} at position "
                f"{exc.position}"
            ],
            src,
        ) from None
    except yaml.YAMLError:
        raise ScenarioError(["malformed YAML"], src) from None
    except RecursionError:
        raise ScenarioError(["malformed YAML: values nested too deeply"], src) from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem text without its excerpt of the file, at most one short line."""
    problem = (exc.problem or exc.context or "not valid YAML").splitlines()[0]
    return problem if len(problem) <= 120 else problem[:117] + "..."


def _type_name(value: Any) -> str:
    return {str: "text", list: "a list", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _read_with_extends(p: Path, chain: tuple[Path, ...]) -> dict:
    """Read ``p``; if it has ``extends: other.yaml``, deep-merge it onto that file.

    Mappings merge key by key; lists and values replace (so a scenario that changes
    one strategy restates its whole ``strategies`` list).
    """
    resolved = p.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(c) for c in (*chain, resolved))
        raise ScenarioError([f"extends: cycle {cycle}"], str(p))
    data = _read_yaml(p)
    _resolve_paths(data, p.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError([f"extends = {parent!r}: must be a path to a scenario file"], str(p))
    base = _read_with_extends(p.parent / parent, (*chain, resolved))
    return deep_merge(base, data)


def _resolve_paths(data: dict, base_dir: Path) -> None:
    """Make file paths in a scenario file relative to that file (in place)."""
    node = data.get("acquisition")
    node = node.get("known_customers") if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get("file"), str):
        f = Path(node["file"])
        if not f.is_absolute():
            node["file"] = str((base_dir / f).resolve())


def dump_scenario(scenario: Scenario) -> dict:
    """The complete scenario (defaults filled in) as plain JSON-able data."""
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Scenario) -> str:
    """Short SHA-256 of the complete scenario: equal hashes mean identical runs."""
    blob = json.dumps(dump_scenario(scenario), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
