"""Choose behavioural defaults jointly: a grid of candidate defaults measured on the facts.

Each candidate is a ``behaviour`` patch (scenario sections merged into every scenario
the facts build, as :func:`lab.facts.run_facts` takes it); every candidate runs the
same facts on the same seeds (common random numbers), so candidates differ only by
their parameters.  A candidate is judged on *all* the facts run at once: how many
pass, and its *slack*, the smallest distance over the facts from the lab's band to
the nearer end of the target range, as a share of the target's width (a direction,
one end infinite, counts against the band's own width).  The candidate to prefer
passes every fact with the largest slack: the one furthest from failing any of them.

>>> from lab.facts.grid import behaviour_grid, fact_grid
>>> grid = behaviour_grid({"referred.rate_boost": [0.4, 0.6], "referred.retention": [0.5, 0.7]})
>>> table = fact_grid(grid, only=["referral_value", "referral_margin_gap_30m"])  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["behaviour_grid", "fact_grid", "slack"]


def behaviour_grid(axes: Mapping[str, Sequence]) -> dict[str, dict]:
    """Every combination of the values of ``axes`` as a behaviour patch.

    Parameters
    ----------
    axes : mapping
        Dotted scenario path (e.g. ``"referred.rate_boost"``) -> values to try.

    Returns
    -------
    dict
        Label (``"path=value, ..."``) -> nested behaviour patch.
    """
    out: dict[str, dict] = {}
    for combo in itertools.product(*axes.values()):
        patch: dict = {}
        for path, value in zip(axes, combo, strict=True):
            *parents, leaf = path.split(".")
            node = patch
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        out[", ".join(f"{p}={v}" for p, v in zip(axes, combo, strict=True))] = patch
    return out


def slack(row: Mapping) -> float:
    """How far a fact's band is from failing, as a share of the target's width (< 0: fails).

    ``min(band_low - target_low, target_high - band_high)`` over the finite ends,
    divided by the target's width, or by the band's width where one end is infinite.
    """
    lo, hi = float(row["target_low"]), float(row["target_high"])
    blo, bhi = float(row["band_low"]), float(row["band_high"])
    if np.isnan(blo) or np.isnan(bhi):
        return -np.inf
    gaps = [g for g in (blo - lo, hi - bhi) if np.isfinite(g)]
    width = hi - lo if np.isfinite(hi - lo) else max(bhi - blo, 1e-12)
    return min(gaps) / width if gaps else np.inf


def fact_grid(
    candidates: Mapping[str, dict],
    quick: bool = True,
    only: list[str] | None = None,
    seeds: int | None = None,
    workers: int | None = 1,
) -> pd.DataFrame:
    """Run the facts for every candidate; one row per candidate, best first.

    Parameters
    ----------
    candidates : mapping
        Label -> behaviour patch (e.g. from :func:`behaviour_grid`).
    quick, only, seeds, workers
        As for :func:`lab.facts.run_facts`.

    Returns
    -------
    pandas.DataFrame
        ``candidate, passed, facts, slack, worst_fact`` and each fact's value (median
        over seeds), sorted by passed then slack, descending.
    """
    from lab.facts.suite import run_facts

    rows = []
    for label, patch in candidates.items():
        run = run_facts(quick=quick, only=only, seeds=seeds, workers=workers, behaviour=patch)
        table = run.table
        slacks = {r["fact"]: slack(r) for r in table.to_dict("records")}
        worst = min(slacks, key=slacks.get)
        rows.append(
            {
                "candidate": label,
                "passed": int(table["pass"].sum()),
                "facts": len(table),
                "slack": slacks[worst],
                "worst_fact": worst,
                **dict(zip(table["fact"], table["value"], strict=True)),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["passed", "slack"], ascending=False, ignore_index=True)
