"""``lab run`` end to end (simulate + write outputs), before and after the Arrow writer.

Each measurement is one ``python -m lab run SCENARIO --days D --out DIR --quiet``
child process (with or without ``--no-csv``): wall seconds of the whole child
(interpreter start, imports, numba cache load, simulation, parquet and CSV) and
its peak RSS (``os.wait4`` rusage of that child).  "before" is the code of another
tree (by default ``main``, exported with ``git archive main | tar -x -C DIR``) put
first on ``PYTHONPATH``; "after" is this checkout.  The two run interleaved in
the same rounds, so machine noise hits both alike; medians are reported.

The scenario is ``scenarios/baseline.yaml`` scaled as in ``bench_engine.py`` (the
stock import brings N customers on day 0).  Results go to
``benchmarks/RESULTS_outputs.md``.

Run: ``.venv/bin/python benchmarks/bench_run_outputs.py --before /tmp/arrow_before``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_engine import base_scenario, scaled  # noqa: E402


def write_scenario(customers: int, folder: Path) -> Path:
    """The baseline scaled to ``customers`` on day 0, as a scenario file (JSON is YAML)."""
    from lab.scenario import dump_scenario

    base, _ = base_scenario()
    path = folder / f"bench_{customers}.yaml"
    path.write_text(json.dumps(dump_scenario(scaled(base, customers))), encoding="utf-8")
    return path


def run_once(tree: Path | None, scenario: Path, days: int, csv: bool, out: Path) -> dict:
    """One ``lab run`` child: wall seconds and peak RSS (MB)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    cmd = [sys.executable, "-m", "lab", "run", str(scenario), "--days", str(days)]
    cmd += ["--out", str(out), "--quiet", "--seed", "1"]
    cmd += [] if csv else ["--no-csv"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree})")
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024.0, "bytes": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="tree of the old code")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, nargs="+", default=[3, 2], help="rounds per size")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS_outputs.md")
    args = ap.parse_args()
    trees = {"before": args.before.resolve(), "after": None}
    rows: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_outputs_") as tmp:
        work = Path(tmp)
        for label, tree in trees.items():  # warm-up: numba cache compiled/loaded per tree
            run_once(tree, write_scenario(2_000, work), 10, True, work / f"warm_{label}")
        for size, rounds in zip(args.sizes, args.rounds, strict=False):
            scenario = write_scenario(size, work)
            for r in range(rounds):
                for csv in (False, True):
                    for label, tree in trees.items():
                        m = run_once(tree, scenario, args.days, csv, work / f"o_{label}")
                        rows.setdefault((size, csv, label), []).append(m)
                        print(f"{size:>9,} csv={csv!s:5} {label:6} round {r}: {m}", flush=True)
                        # rewritten after every measurement: an interrupted run keeps its data
                        args.out.write_text(report(rows, args), encoding="utf-8")
    print(f"wrote {args.out}")


def report(rows: dict[tuple, list[dict]], args) -> str:
    """RESULTS_outputs.md: machine, commit, a table of medians."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# `lab run` end to end: outputs written straight from the arrays",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; commit `{commit}` (after)"
        f" vs `{args.before}` (before, `git archive main`)",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()} (shared and noisy: read medians loosely)",
        f"- scenario: `scenarios/baseline.yaml` scaled to N customers on day 0, {args.days} days,"
        " seed 1; one `python -m lab run` child per measurement (import + simulate + write)",
        "- before and after interleaved in the same rounds; wall = median seconds"
        " (min–max), peak RSS = median of the child's `ru_maxrss`",
        "",
        "| customers | outputs | rounds | before wall s | after wall s | before peak MB"
        " | after peak MB | output MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        for csv in (False, True):
            b, a = rows.get((size, csv, "before")), rows.get((size, csv, "after"))
            if not b or not a:
                continue
            lines.append(
                f"| {size:,} | {'parquet + CSV' if csv else 'parquet (--no-csv)'} | {len(a)} "
                f"| {_wall(b)} | {_wall(a)} | {_med(b, 'peak_rss_mb'):,.0f} "
                f"| {_med(a, 'peak_rss_mb'):,.0f} | {_med(a, 'bytes') / 1e6:,.0f} |"
            )
    return "\n".join(lines) + "\n"


def _med(ms: list[dict], key: str) -> float:
    return statistics.median(m[key] for m in ms)


def _wall(ms: list[dict]) -> str:
    walls = [m["wall_s"] for m in ms]
    return f"{statistics.median(walls):.1f} ({min(walls):.1f}–{max(walls):.1f})"


if __name__ == "__main__":
    main()
