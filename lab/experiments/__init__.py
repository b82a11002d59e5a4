"""Replications, paired comparisons, sweeps, sensitivity and strategy search (local cores or dask)."""

from __future__ import annotations

from lab.experiments.compare import (
    Comparison,
    ConfoundedWarning,
    compare,
    interval_widths,
    paired_table,
)
from lab.experiments.design import DesignError
from lab.experiments.optimize import OptimizeResult, optimize
from lab.experiments.replicate import DAILY_METRICS, Replications, replicate, simulate_many
from lab.experiments.robustness import RobustnessResult, robustness
from lab.experiments.runstore import EXPERIMENT_METRICS, DesignMismatch, RunFileWarning
from lab.experiments.sensitivity import SensitivityResult, sensitivity
from lab.experiments.sweep import SweepResult, sweep
from lab.parallel.pool import WorkerDied, default_workers, run_tasks
from lab.stats import Interval, band, paired_interval, unpaired_interval

__all__ = [
    "DAILY_METRICS",
    "Comparison",
    "ConfoundedWarning",
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
__all__ += [
    "EXPERIMENT_METRICS",
    "DesignError",
    "DesignMismatch",
    "OptimizeResult",
    "RobustnessResult",
    "RunFileWarning",
    "SensitivityResult",
    "SweepResult",
    "WorkerDied",
    "optimize",
    "robustness",
    "sensitivity",
    "sweep",
]
