"""Quantile bands and paired intervals, now :mod:`lab.stats` (re-exported here)."""

from __future__ import annotations

from lab.stats import BAND, Interval, band, paired_interval, unpaired_interval

__all__ = ["BAND", "Interval", "band", "paired_interval", "unpaired_interval"]
