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

The default effects are assumptions in the direction the personas suggest (students
price-sensitive, tolerant of messages, small baskets, keen sharers; business buyers
the reverse), each with a plausible range, so ``lab compare --robustness`` can test
how much an answer hinges on them.  Off by default: no published source gives them.
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
        "contact_tolerance": 1.3,
        "basket": 0.7,
        "referral_propensity": 1.5,
    },
    "white_collar": dict.fromkeys(PERSONA_TRAITS, 1.0),
    "business": {
        "deal_proneness": 0.7,
        "contact_tolerance": 0.7,
        "basket": 1.6,
        "referral_propensity": 0.8,
    },
}

_NOTE = "seeds 003/004 layer customers by persona without numbers; direction assumed"


class Personas(StrictModel):
    """Per-segment multipliers on drawn traits (off by default)."""

    enabled: bool = P(
        False, "flag", "personas behave differently (multiply traits by segment)", source=setting()
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
                    f"{seg}.{trait}": assumed(round(v * 0.6, 2), round(v * 1.5, 2), _NOTE)
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


def persona_multipliers(cfg: Personas, segment_names: list[str]) -> dict[str, list[float]]:
    """Per trait, the multiplier of each segment code (in ``segment_names`` order)."""
    return {
        t: [float(cfg.effects.get(s, {}).get(t, 1.0)) for s in segment_names]
        for t in PERSONA_TRAITS
    }
