"""A finite addressable market on a social graph (see docs/market.md).

Part of the scenario schema (:mod:`lab.scenario` composes the sections).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lab.configs.traits import TraitDist, _beta, _trait_src
from lab.params import (
    P,
    StrictModel,
    assumed,
    check_names,
    setting,
    source_extra,
)


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
