"""Summaries of replications: quantile bands and intervals for paired differences.

Below experiments, plots, reports and facts, which all summarise seeds the same way.

No randomness here: intervals are Student-t intervals, computed in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["BAND", "Interval", "band", "paired_interval", "unpaired_interval"]

#: the quantiles of every band in the lab: median with a 10–90% band
BAND: tuple[float, float, float] = (0.1, 0.5, 0.9)


def band(values) -> tuple[float, float, float]:
    """(10%, median, 90%) of the finite values (NaN if none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    lo, med, hi = np.quantile(v, BAND)
    return float(lo), float(med), float(hi)


@dataclass(frozen=True)
class Interval:
    """A two-sided interval for a difference of means."""

    estimate: float
    low: float
    high: float
    level: float
    n: int

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)


def paired_interval(a, b, level: float = 0.90) -> Interval:
    """Interval for the mean of the per-seed differences ``b - a`` (paired t).

    Seeds where either value is not finite are dropped.  With CRN the two runs of
    a seed share every draw where the scenarios agree, so the differences vary far
    less than the outcomes and this interval is much narrower than
    :func:`unpaired_interval` on the same runs.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    d = b[ok] - a[ok]
    n = d.size
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, level, 0)
    m = float(d.mean())
    if n < 2:
        return Interval(m, np.nan, np.nan, level, n)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
    return Interval(m, m - half, m + half, level, n)


def unpaired_interval(a, b, level: float = 0.90) -> Interval:
    """Welch interval for ``mean(b) - mean(a)`` treating the runs as independent samples."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return Interval(np.nan, np.nan, np.nan, level, min(a.size, b.size))
    m = float(b.mean() - a.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    if se == 0:
        return Interval(m, m, m, level, min(a.size, b.size))
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return Interval(m, m - half, m + half, level, min(a.size, b.size))
