"""Whole-run CPU time per step of the day, before and after, rounds interleaved (A B A B ...).

Runs ``benchmarks/profile_day.py`` of each tree (``--before``: a checkout of the old
code, imported through ``PYTHONPATH``; "after": this checkout) in a fresh process, one
numba thread pinned to one core, and reports the median over rounds of each step's
CPU seconds, the time outside the customer loop and customer-days per CPU second::

    PYTHONPATH=$PWD python benchmarks/bench_whole_ab.py --before /tmp/old --customers 10000

The load average is printed next to the numbers (CPU time, but a loaded machine still
shares caches).  Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("acquisition", "strategies act", "orders", "referral joins", "record")
CONTROL = "customers respond"


def run_once(tree: Path, customers: int) -> dict:
    """One ``profile_day.py`` run of ``tree`` (its own copy of the script): its JSON."""
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(tree))
    cmd = ["taskset", "-c", "0", sys.executable]
    cmd += [str(tree / "benchmarks/profile_day.py"), "--customers", str(customers)]
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(res: dict) -> dict[str, float]:
    """The steps' CPU seconds, the part outside the loop and customer-days per CPU second."""
    cpu = res["steps_cpu_s"]
    out = {s: cpu[s] for s in (*STEPS, CONTROL)}
    out["outside the loop"] = res["total_cpu_s"] - cpu[CONTROL]
    out["total"] = res["total_cpu_s"]
    out["M customer-days / CPU s"] = res["customer_days"] / res["total_cpu_s"] / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="checkout of the old code")
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    loads = []
    for _ in range(args.rounds):
        for name, tree in (("before", args.before.resolve()), ("after", ROOT)):
            loads.append(os.getloadavg()[0])
            runs[name].append(summary(run_once(tree, args.customers)))
    print(
        f"{args.customers:,} customers, {args.rounds} rounds, load {min(loads):.1f}-{max(loads):.1f}"
    )
    print("\n| CPU s per run (median) | before | after | after/before |\n|---|---:|---:|---:|")
    for key in runs["before"][0]:
        b = statistics.median(r[key] for r in runs["before"])
        a = statistics.median(r[key] for r in runs["after"])
        print(f"| {key} | {b:.4f} | {a:.4f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
