"""Small pieces several strategies share."""

from __future__ import annotations

import numpy as np

__all__ = ["logistic", "on_cycle"]


def logistic(x: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-x))


def on_cycle(day: int, every_days: int | None, duration_days: int = 1, first_day: int = 0) -> bool:
    """True on the first ``duration_days`` of every ``every_days``-day cycle from ``first_day``."""
    if every_days is None or day < first_day:
        return False
    return (day - first_day) % every_days < duration_days
