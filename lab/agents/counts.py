"""Counts drawn by inverse CDF, without importing ``scipy.stats``.

Importing ``scipy.stats`` costs every run about 45 MB of memory and a second of
start-up (issue 16 item 3); the engine's one use of it, the Poisson inverse CDF of the
staff invites' daily count, is computed here from ``scipy.special`` by the same steps,
so the counts are the same (``tests/test_poisson_count.py``).
"""

from __future__ import annotations

import math

from scipy.special import pdtr, pdtrik

__all__ = ["poisson_ppf"]


def poisson_ppf(q: float, mu: float) -> float:
    """``scipy.stats.poisson.ppf(q, mu)`` for one ``q`` and ``mu > 0``, by the same steps."""
    if q == 0.0:
        return -1.0  # below the support, as scipy
    if not 0.0 < q < 1.0:
        return math.inf if q == 1.0 else math.nan
    vals = math.ceil(pdtrik(q, mu))
    lower = max(vals - 1, 0)
    return float(lower if pdtr(lower, mu) >= q else vals)
