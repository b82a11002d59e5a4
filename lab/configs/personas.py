"""Personas (用户画像: student, white collar, business) that behave differently.

The seeds (003, 004) layer customers by persona but give no numbers, so the segment
labels drawn by ``traits.*.segments`` carry no behaviour unless this section is
switched on.  With ``personas.enabled`` each customer's drawn traits are multiplied
by their segment's effects, after the segment is known (the market's, with a
finite market):

* ``deal_proneness`` (price sensitivity; capped at 1),
* ``contact_tolerance`` (contacts per week tolerated before annoyance),
* ``basket`` (mean order value),
* ``referral_propensity`` (chance to share after a purchase; capped at 1).

Seed 003 gives the directions it supports: students have limited spending power and
price is what holds them back, so they get coupons and cheaper products (more
deal-prone, smaller baskets); business buyers are taken as the reverse.  The sizes
are assumptions with plausible ranges (``lab compare --robustness`` draws them).  No
seed or evidence note says how contact tolerance or sharing differ by persona, so
those effects default to 1 (a scenario may set them; robustness draws them around 1).

On by default, with ``normalise``: each trait's multipliers are divided by their mean
over the pool's persona mix (``market.segments`` with a finite market, else
``traits.default.segments``), so the average customer, and with it every fact the lab
is calibrated on, stays where it was; personas only spread the traits across segments.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from lab.params import P, StrictModel, assumed, by_key, setting, source_extra

__all__ = ["PERSONA_TRAITS", "Personas", "persona_multipliers"]

#: the traits a persona effect multiplies (the effect's keys)
PERSONA_TRAITS: tuple[str, ...] = (
    "deal_proneness",
    "contact_tolerance",
    "basket",
    "referral_propensity",
)

_DEFAULT_EFFECTS: dict[str, dict[str, float]] = {
    "student": {
        "deal_proneness": 1.3,
        "contact_tolerance": 1.0,
        "basket": 0.7,
        "referral_propensity": 1.0,
    },
    "white_collar": dict.fromkeys(PERSONA_TRAITS, 1.0),
    "business": {
        "deal_proneness": 0.7,
        "contact_tolerance": 1.0,
        "basket": 1.6,
        "referral_propensity": 1.0,
    },
}

#: what the seeds say about each trait's persona effect (the sizes are assumed)
_NOTES: dict[str, str] = {
    "deal_proneness": "seed 003: students' limited spending power, price holds them back; "
    "business the reverse (assumed); size assumed",
    "basket": "seed 003: students get cheaper products; business the reverse (assumed); "
    "size assumed",
    "contact_tolerance": "no seed or evidence on persona differences; 1 = none",
    "referral_propensity": "no seed or evidence on persona differences; 1 = none",
}


def _range(v: float) -> tuple[float, float]:
    """Plausible range of a default multiplier: 0.6x..1.5x, or 0.7..1.4 around a neutral 1."""
    return (0.7, 1.4) if v == 1.0 else (round(v * 0.6, 2), round(v * 1.5, 2))


class Personas(StrictModel):
    """Per-segment multipliers on drawn traits (on by default, mean-preserving)."""

    enabled: bool = P(
        True, "flag", "personas behave differently (multiply traits by segment)", source=setting()
    )
    normalise: bool = P(
        True,
        "flag",
        "divide each trait's multipliers by their mean over the pool's persona mix, so "
        "the average customer is unchanged",
        source=setting(),
    )
    effects: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in _DEFAULT_EFFECTS.items()},
        description="segment -> trait -> multiplier (traits: "
        + ", ".join(PERSONA_TRAITS)
        + "); merged onto the defaults: a segment or trait left out keeps its default "
        "(1 for a segment without defaults)",
        json_schema_extra=source_extra(
            by_key(
                {
                    f"{seg}.{trait}": assumed(*_range(v), _NOTES[trait])
                    for seg, traits in _DEFAULT_EFFECTS.items()
                    for trait, v in traits.items()
                },
                rest=setting("a multiplier the scenario sets"),
            )
        ),
    )

    @field_validator("effects", mode="before")
    @classmethod
    def _onto_defaults(cls, v):
        """A partial mapping changes only what it names (segments, then traits)."""
        if not isinstance(v, dict):
            return v
        out = {k: dict(t) for k, t in _DEFAULT_EFFECTS.items()}
        for seg, traits in v.items():
            if isinstance(traits, dict):
                out[seg] = {**out.get(seg, {}), **traits}
            else:
                out[seg] = traits
        return out

    @field_validator("effects")
    @classmethod
    def _effects_ok(cls, v):
        for seg, traits in v.items():
            bad = [t for t in traits if t not in PERSONA_TRAITS]
            if bad:
                raise ValueError(
                    f"{seg}: unknown trait {bad[0]!r}; valid: {', '.join(PERSONA_TRAITS)}"
                )
            neg = [t for t, x in traits.items() if not x > 0]
            if neg:
                raise ValueError(f"{seg}.{neg[0]}: a multiplier must be > 0")
        return v


def persona_multipliers(
    cfg: Personas, segment_names: list[str], mix: dict[str, float] | None = None
) -> dict[str, list[float]]:
    """Per trait, the multiplier of each segment code (in ``segment_names`` order).

    Parameters
    ----------
    cfg : Personas
        The scenario's ``personas`` section.
    segment_names : list of str
        Segment labels in code order.
    mix : dict, optional
        The pool's persona shares; with ``cfg.normalise`` each trait's multipliers are
        divided by their share-weighted mean over it (a mean of 1: the average customer
        keeps the trait means).  None: no normalising.

    Returns
    -------
    dict
        Trait -> multiplier per segment code.
    """
    raw = {
        t: [float(cfg.effects.get(s, {}).get(t, 1.0)) for s in segment_names]
        for t in PERSONA_TRAITS
    }
    if not (cfg.normalise and mix):
        return raw
    total = sum(mix.values())
    for t, m in raw.items():
        mean = sum(float(cfg.effects.get(s, {}).get(t, 1.0)) * w for s, w in mix.items()) / total
        raw[t] = [x / mean for x in m]
    return raw
