"""Personas' own behaviour: a segment's multipliers applied to newly drawn traits.

See :mod:`lab.configs.personas`.  The multipliers act on the traits as drawn, after
the customer's segment is final (the market's, with a finite market): deal proneness
and referral propensity are capped at 1, a larger basket is a lower gamma-gamma rate.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from lab.configs.personas import Personas, persona_multipliers

__all__ = ["PersonaTable", "persona_traits"]

#: persona effect -> (population column, applied as a divisor, cap)
_COLUMNS: dict[str, tuple[str, bool, float | None]] = {
    "deal_proneness": ("deal_proneness", False, 1.0),
    "contact_tolerance": ("tolerance", False, None),
    "basket": ("basket_rate", True, None),  # mean order value p / nu: x m means nu / m
    "referral_propensity": ("referral_propensity", False, 1.0),
}


class PersonaTable:
    """Per trait, the multiplier of each segment code (built once per run)."""

    def __init__(
        self, cfg: Personas, segment_names: list[str], mix: dict[str, float] | None = None
    ) -> None:
        self.by_trait = {
            t: np.asarray(m, dtype=np.float64)
            for t, m in persona_multipliers(cfg, segment_names, mix).items()
        }


def persona_traits(cols: dict[str, np.ndarray], table: PersonaTable) -> None:
    """Multiply the traits in ``cols`` (new customers' columns) by their segment's effects.

    Float64 columns (as acquisition draws them) are scaled in one compiled pass per
    trait, the same division or product and cap per customer; others through NumPy.
    """
    seg = np.asarray(cols["segment"], dtype=np.int64)
    for trait, (column, divide, cap) in _COLUMNS.items():
        x = cols[column]
        m = table.by_trait[trait]
        if isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim == 1:
            y = np.empty_like(x)
            _scale(x, m, seg, divide, cap is not None, 0.0 if cap is None else cap, y)
            cols[column] = y
            continue
        m = m[seg]
        x = np.asarray(x, dtype=np.float64)
        y = x / m if divide else x * m
        if cap is not None:
            y = np.minimum(y, cap)
        cols[column] = y.astype(np.asarray(cols[column]).dtype, copy=False)


@njit(cache=True)
def _scale(x, mult, seg, divide, capped, cap, out):
    """``out = min(x / mult[seg] or x * mult[seg], cap)``, customer by customer (NaN kept,
    as ``np.minimum`` keeps it)."""
    for i in range(x.size):
        m = mult[seg[i]]
        y = x[i] / m if divide else x[i] * m
        if capped and not y <= cap and not np.isnan(y):
            y = cap
        out[i] = y
