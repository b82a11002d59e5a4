"""Write a comparison to a folder: tables, plots and a manifest, atomically and stamped.

The CSVs are plain (``pandas.read_csv``); the provenance stamp is in
``manifest.json`` (``lab.results.load_table`` returns it with a CSV) and in the
parquet file's schema metadata (``lab:`` keys, without the creation time).  Files
are written through :func:`lab.io.atomic_folder`: an interrupted save leaves the
previous outputs, never half files, and only a folder the lab made is replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from lab.io import atomic_folder, write_csv, write_parquet

__all__ = ["KPI_PLOTS", "comparison_stamp", "save_comparison"]

#: daily KPIs drawn as band plots by :func:`save_comparison`
KPI_PLOTS: tuple[str, ...] = (
    "cum_gmv",
    "cum_net_margin",
    "active",
    "mean_fatigue",
    "blocked_total",
)


def comparison_stamp(cmp) -> dict[str, str]:
    """Flat provenance of a comparison: scenario names and hashes, seeds, versions."""
    m = cmp.meta
    seeds = m["seeds"]
    contiguous = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    return {
        "scenarios": ",".join(f"{k}:{v['name']}@{v['hash']}" for k, v in m["scenarios"].items()),
        "baseline": str(m["baseline"]),
        "seeds": f"{seeds[0]}..{seeds[-1]}" if contiguous else ",".join(map(str, seeds)),
        "n_seeds": str(len(seeds)),
        "days": ",".join(f"{k}:{v}" for k, v in m["days"].items()),
        "level": str(m["level"]),
        "lab_version": m["lab_version"],
        "git_commit": m["git_commit"],
        "created_utc": m["created_utc"],
    }


def save_comparison(
    cmp,
    out_dir: str | Path,
    lang: str = "en",
    plots: bool = True,
    extra: Callable[[Path], dict[str, int]] | None = None,
) -> Path:
    """Write a :class:`~lab.experiments.Comparison` into ``out_dir`` (replaced atomically).

    Files: ``diff.csv`` (what differs between the scenarios, see
    :meth:`~lab.experiments.Comparison.diff_frame`), ``comparison.csv`` (the
    table), ``channels.csv`` (unit economics by acquisition channel),
    ``breakdown.csv`` (B − A by segment, channel and RFM class),
    ``differences.csv`` (per seed),
    ``totals.csv`` and ``daily.parquet`` (tidy long runs), ``manifest.json``, and
    with ``plots``: ``forest.png`` and ``kpi_<metric>.png`` for :data:`KPI_PLOTS`.
    """
    out = Path(out_dir)
    stamp = comparison_stamp(cmp)
    reps = cmp.replications
    with atomic_folder(out) as tmp:
        files = {}
        for name, df in (
            ("diff.csv", cmp.diff_frame()),
            ("comparison.csv", cmp.table),
            ("channels.csv", cmp.channels),
            ("breakdown.csv", cmp.breakdown),
            ("differences.csv", cmp.differences),
            ("totals.csv", reps.totals),
        ):
            write_csv(df, tmp / name, stamp)
            files[name] = len(df)
        write_parquet(reps.daily, tmp / "daily.parquet", stamp)
        files["daily.parquet"] = len(reps.daily)
        if plots:
            files.update(_plots(cmp, tmp, lang))
        if extra is not None:
            files.update(extra(tmp))
        manifest = {
            **stamp,
            "meta": cmp.meta,
            "files": files,
            "comparison": cmp.table.to_dict(orient="records"),
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, default=_json_default),
            encoding="utf-8",
        )
    return out


def _plots(cmp, folder: Path, lang: str) -> dict[str, int]:
    # Figures made directly (not through pyplot): no backend, no window, no global state
    from matplotlib.figure import Figure

    from lab.plots import plot_forest, plot_kpi
    from lab.plots._style import styled

    def axes(figsize):
        fig = Figure(figsize=figsize, layout="constrained")
        with styled(lang):  # axes made in the house style, as the plot functions make them
            return fig, fig.add_subplot()

    written = {}
    rows = max(int((cmp.table["scenario"] == cmp.table["scenario"].iloc[0]).sum()), 3)
    fig, ax = axes((7.5, 0.32 * min(rows, 14) + 1.4))
    plot_forest(cmp, ax=ax, lang=lang)
    fig.savefig(folder / "forest.png", dpi=150)
    written["forest.png"] = 1
    have = set(cmp.replications.daily["metric"].unique())
    for metric in KPI_PLOTS:
        if metric not in have:
            continue
        fig, ax = axes((7.0, 4.0))
        plot_kpi(cmp, metric, ax=ax, lang=lang)
        fig.savefig(folder / f"kpi_{metric}.png", dpi=150)
        written[f"kpi_{metric}.png"] = 1
    return written


def _json_default(x):
    if hasattr(x, "item"):
        return x.item()
    return str(x)
