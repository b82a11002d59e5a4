"""Before/after CPU seconds of each step of the day, whole runs interleaved (A B A B ...).

Each run is ``benchmarks/profile_day.py`` (no probe days) in a fresh process of one
tree, one numba thread (``NUMBA_NUM_THREADS=1``), pinned to one CPU: "before" is the
checkout given by ``--before`` (e.g. ``git archive main | tar -x -C /tmp/tree_main``),
imported through ``PYTHONPATH``; "after" is this checkout.  Rounds alternate the trees;
the 1-minute load is read before and after each run.  Prints one JSON line per run and
a table of per-step medians (CPU seconds) per tree::

    python benchmarks/bench_plans_ab.py --before /tmp/tree_main --customers 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def run_once(tree: Path, customers: int, days: int, cpu: int) -> dict:
    """One ``profile_day.py`` run of ``tree`` (its JSON line, with the load around it)."""
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(tree))
    cmd = ["taskset", "-c", str(cpu), sys.executable, "benchmarks/profile_day.py"]
    cmd += ["--customers", str(customers), "--days", str(days), "--probe-days"]
    before = _load()
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {"load_start": before, "load_end": _load(), "res": res}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for r in range(args.rounds):
        for name, tree in trees.items():
            got = run_once(tree, args.customers, args.days, cpu=r % 2)
            runs[name].append(got)
            print(json.dumps({"round": r + 1, "tree": name, **got}), flush=True)
    steps = list(runs["before"][0]["res"]["steps_cpu_s"])
    print("| step | before CPU s | after CPU s |")
    print("|---|---|---|")
    for step in [*steps, "total"]:
        cells = []
        for name in trees:
            vals = [
                x["res"]["total_cpu_s"] if step == "total" else x["res"]["steps_cpu_s"][step]
                for x in runs[name]
            ]
            cells.append(f"{statistics.median(vals):.3f} ({', '.join(f'{v:.3f}' for v in vals)})")
        print(f"| {step} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
