"""``lab run`` end to end before and after the output work of issue 16 (branch runout).

Each measurement is one ``lab run SCENARIO --days D --out DIR --quiet --seed 1`` child
(with or without ``--no-csv``): its CPU seconds (user + system of the child and all its
threads, ``os.wait4`` rusage), wall seconds and peak RSS (``ru_maxrss``), with the
1-minute load average before it.  "before" is another tree (``git archive main``) first
on ``PYTHONPATH``, "after" this checkout; they alternate in every round (A B A B ...).
The child runs through a tiny driver that fixes the ``git_commit`` stamp to ``fixed``,
so the two trees' folders can be compared byte for byte: every file but
``manifest.json`` (whose ``created_utc`` differs) must have the same SHA-256, and the
manifests must be equal without ``created_utc``.

The scenario is ``scenarios/baseline.yaml`` scaled as in ``bench_engine.py``.  The
machine is shared: CPU time is the measure to read; wall time is given with the load.

Run: ``python benchmarks/bench_runout.py --before /tmp/runout_before``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_run_outputs import write_scenario  # noqa: E402

DRIVER = """
import sys
import lab.results
lab.results.git_commit = lambda: "fixed"
from lab.cli import app
sys.argv = ["lab", "run", *sys.argv[1:]]
app()
"""


def run_once(tree: Path | None, scenario: Path, days: int, csv: bool, out: Path) -> dict:
    """One ``lab run`` child: CPU, wall, peak RSS, the load before it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree if tree is not None else ROOT)
    cmd = [sys.executable, "-c", DRIVER, str(scenario), "--days", str(days)]
    cmd += ["--out", str(out), "--quiet", "--seed", "1"] + ([] if csv else ["--no-csv"])
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree})")
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        "load1": load,
        "bytes": sum(p.stat().st_size for p in out.iterdir()),
    }


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file; the manifest without its creation time."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.name == "manifest.json":
            m = json.loads(p.read_text(encoding="utf-8"))
            m.pop("created_utc", None)
            out[p.name] = json.dumps(m)
            continue
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 24), b""):
                h.update(block)
        out[p.name] = h.hexdigest()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="tree of the old code")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, nargs="+", default=[2, 2], help="rounds per size")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--csv-only", action="store_true", help="only the runs with CSV")
    ap.add_argument("--json", type=Path, default=Path(tempfile.gettempdir()) / "runout.json")
    args = ap.parse_args()
    trees = {"before": args.before.resolve(), "after": None}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench_runout_") as tmp:
        work = Path(tmp)
        for label, tree in trees.items():  # warm-up: numba cache loaded/compiled per tree
            run_once(tree, write_scenario(2_000, work), 10, True, work / f"warm_{label}")
        for size, rounds in zip(args.sizes, args.rounds, strict=False):
            scenario = write_scenario(size, work)
            for r in range(rounds):
                for csv in (True,) if args.csv_only else (False, True):
                    outs = {}
                    for label, tree in trees.items():
                        outs[label] = work / f"o_{label}"
                        m = run_once(tree, scenario, args.days, csv, outs[label])
                        m.update(size=size, csv=csv, tree=label, round=r)
                        rows.append(m)
                        print(json.dumps(m), flush=True)
                    same = digests(outs["before"]) == digests(outs["after"])
                    rows[-1]["same_files_as_before"] = same
                    print(f"{size:,} csv={csv} round {r}: same files: {same}", flush=True)
                    args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(table(rows))
    print(f"raw: {args.json}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


def table(rows: list[dict]) -> str:
    """Medians by size, outputs and tree (markdown)."""
    lines = [
        "| customers | outputs | tree | rounds | CPU s | wall s | peak RSS MB | load 1-min"
        " | same files |",
        "|---:|---|---|---:|---:|---:|---:|---|---|",
    ]
    keys = sorted({(r["size"], r["csv"]) for r in rows})
    for size, csv in keys:
        for tree in ("before", "after"):
            ms = [r for r in rows if (r["size"], r["csv"], r["tree"]) == (size, csv, tree)]
            if not ms:
                continue
            med = {k: statistics.median(m[k] for m in ms) for k in ("cpu_s", "wall_s")}
            rss = statistics.median(m["peak_rss_mb"] for m in ms)
            loads = ", ".join(f"{m['load1']:.1f}" for m in ms)
            same = [m.get("same_files_as_before") for m in ms if "same_files_as_before" in m]
            lines.append(
                f"| {size:,} | {'parquet + CSV' if csv else 'parquet'} | {tree} | {len(ms)} "
                f"| {med['cpu_s']:.1f} | {med['wall_s']:.1f} | {rss:,.0f} | {loads} "
                f"| {'yes' if same and all(same) else ('-' if not same else 'NO')} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
