"""Run every stylized fact over a list of seeds and tabulate value, band and verdict.

The value of a fact is the median of its per-seed measurements and the band is the
lab's usual 10-90% band over seeds (:func:`lab.stats.band`).  A fact
passes when its whole band lies inside the published target range, so a lab that is
right only on some seeds does not pass.  Experiments are the unit of work: each
(experiment, seed) runs once, in a worker process if asked, and every fact reading
it gets its measurement from that one run; results do not depend on the number of
workers because every run is fixed by its seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from lab.facts import cohort, contacts, customer_base, membership, promotions
from lab.facts.base import FULL, QUICK, Fact, Size, check_behaviour
from lab.parallel.pool import run_tasks
from lab.stats import band

__all__ = ["COLUMNS", "EXPERIMENTS", "FACTS", "FactsRun", "run_facts"]

_MODULES = (promotions, contacts, cohort, membership, customer_base)

#: every fact, in the order of the table and the plot
FACTS: tuple[Fact, ...] = tuple(f for m in _MODULES for f in m.FACTS)
#: experiment name -> function(seed, size) -> measurements
EXPERIMENTS = {name: fn for m in _MODULES for name, fn in m.EXPERIMENTS.items()}

#: columns of the facts table (``facts.csv``)
COLUMNS = [
    "fact",
    "source",
    "target_low",
    "target_high",
    "value",
    "band_low",
    "band_high",
    "pass",
    "unit",
    "n_seeds",
    "finding",
    "measured",
]


class FactsRun:
    """The table of facts, the per-seed measurements and the run's provenance.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per fact, :data:`COLUMNS`.
    by_seed : pandas.DataFrame
        ``fact, seed, value``: every measurement.
    meta : dict
        Seeds, size, lab version, git commit, time.
    """

    def __init__(self, table: pd.DataFrame, by_seed: pd.DataFrame, meta: dict) -> None:
        self.table = table
        self.by_seed = by_seed
        self.meta = meta


def _one(task: tuple[str, int, Size]) -> dict[str, float]:
    name, seed, size = task
    return EXPERIMENTS[name](seed, size)


def _select(only: list[str] | None) -> tuple[Fact, ...]:
    if only is None:
        return FACTS
    keys = [f.key for f in FACTS]
    unknown = [k for k in only if k not in keys]
    if unknown:
        raise ValueError(f"unknown fact(s) {', '.join(unknown)}; valid: {', '.join(keys)}")
    return tuple(f for f in FACTS if f.key in only)


def run_facts(
    quick: bool = False,
    seeds: int | None = None,
    first_seed: int = 1,
    workers: int | None = 1,
    only: list[str] | None = None,
    size: Size | None = None,
    progress: bool | None = False,
    behaviour: dict | None = None,
) -> FactsRun:
    """Measure the lab against every stylized fact.

    Parameters
    ----------
    quick : bool
        Small pools and 3 seeds (the test suite's run, well under a minute);
        otherwise the full size and 10 seeds.
    seeds : int, optional
        Number of seeds (``first_seed``, ``first_seed + 1``, ...).
    first_seed : int
        First seed.
    workers : int, optional
        Worker processes (1: in this process; None: the local cores).
    only : list of str, optional
        Fact keys to run (default: all).
    size : Size, optional
        Override the pool sizes.
    progress : bool, optional
        Show a progress bar.
    behaviour : dict, optional
        Scenario sections merged into every scenario the facts build (behaviour
        parameters only, e.g. ``{"fatigue": {"decay_per_day": 0.05}}``): measures a
        candidate set of defaults.  Default: the lab's own defaults.

    Returns
    -------
    FactsRun
    """
    n_seeds = (3 if quick else 10) if seeds is None else int(seeds)
    if n_seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {n_seeds}")
    if first_seed < 0:
        raise ValueError(f"first_seed must be >= 0, got {first_seed}")
    size = size or (QUICK if quick else FULL)
    if behaviour:
        size = replace(size, behaviour=check_behaviour(dict(behaviour)))
    facts = _select(only)
    seed_list = list(range(first_seed, first_seed + n_seeds))
    names = list(dict.fromkeys(f.experiment for f in facts))
    tasks = [(name, s, size) for name in names for s in seed_list]
    results = run_tasks(_one, tasks, workers=workers, progress=progress, description="facts")
    got = {(t[0], t[1]): r for t, r in zip(tasks, results, strict=True)}
    rows, per_seed = [], []
    for f in facts:
        values = [float(got[(f.experiment, s)][f.measure]) for s in seed_list]
        per_seed += [
            {"fact": f.key, "seed": s, "value": v} for s, v in zip(seed_list, values, strict=True)
        ]
        rows.append(_row(f, values))
    from lab._version import __version__
    from lab.results import git_commit

    meta = {
        "kind": "facts",
        "quick": quick,
        "seeds": seed_list,
        "size": {k: v for k, v in size.__dict__.items() if k != "behaviour"},
        "behaviour": size.behaviour,
        "lab_version": __version__,
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return FactsRun(pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(per_seed), meta)


def _row(f: Fact, values: list[float]) -> dict:
    lo, med, hi = band(values)  # of the finite values
    return {
        "fact": f.key,
        "source": f.source,
        "target_low": f.target_low,
        "target_high": f.target_high,
        "value": med,
        "band_low": lo,
        "band_high": hi,
        "pass": f.passes(lo, hi) and bool(np.isfinite(values).all()),  # every seed measured
        "unit": f.unit,
        "n_seeds": len(values),
        "finding": f.finding,
        "measured": f.measured,
    }
