"""Customers' latent traits: distributions, baskets, per-channel overrides (特征).

Part of the scenario schema (:mod:`lab.scenario` composes the sections).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lab.mapping_defaults import merge_onto_defaults
from lab.params import (
    P,
    StrictModel,
    assumed,
    by_key,
    calibrated,
    check_names,
    setting,
    source_extra,
)
from lab.vocab import CHANNELS


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
    customers; the population mean order value is p * gamma / (q - 1).  With
    ``ratio_per_rate_doubling`` != 1 a customer's gamma scales as ``ratio ** log2(lambda /
    G)``, lambda its purchase rate and G the geometric mean rate of its channel
    (:mod:`lab.calibrate.gammagamma`).
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
    ratio_per_rate_doubling: float = P(
        1.0,
        "1",
        "mean order value of a customer buying twice as often, relative (1 = spend "
        "independent of the purchase rate, gamma-gamma's assumption); "
        "mean_order_value_cny is then that of a customer at the geometric-mean rate",
        gt=0,
        source=calibrated(
            "gamma-gamma independence, Fader, Hardie & Lee 2005 (JMR): CDNOW r = 0.11; "
            "lab calibrate fits it when the log's frequency-spend correlation is strong "
            "(lab.calibrate.gammagamma)",
            band=(0.5, 2.0),
        ),
        exclude_if=lambda v: v == 1.0,  # absent at 1: scenarios without it hash as before
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
