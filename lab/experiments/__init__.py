"""Replications and paired comparisons, run in parallel on the local cores."""

from __future__ import annotations

from lab.experiments.compare import Comparison, compare, interval_widths, paired_table
from lab.experiments.pool import default_workers, run_tasks
from lab.experiments.replicate import DAILY_METRICS, Replications, replicate, simulate_many
from lab.experiments.stats import Interval, band, paired_interval, unpaired_interval

__all__ = [
    "DAILY_METRICS",
    "Comparison",
    "Interval",
    "Replications",
    "band",
    "compare",
    "default_workers",
    "interval_widths",
    "paired_interval",
    "paired_table",
    "replicate",
    "run_tasks",
    "simulate_many",
    "unpaired_interval",
]
