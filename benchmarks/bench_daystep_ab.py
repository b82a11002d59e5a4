"""Before/after of whole runs on one and two threads, interleaved (A B, B A, ...), with the
per-round ratios, CPU seconds and the load average: the A/B of ``RESULTS_daystep.md``.

Each measurement is a fresh process (the "before" tree given by ``--before`` first on
``PYTHONPATH``, "after" this checkout) pinned to ``threads`` CPUs with
``NUMBA_NUM_THREADS=threads``: a warm-up run (numba caches loaded), then one timed
``lab.run`` of the baseline scaled to N customers (:func:`bench_engine.measure`), its
wall and process CPU seconds (CPU counts every thread), and a hash of its daily table
(before and after must agree: the same results).  The trees alternate which goes first
in each round.  Rows go to ``--json`` (one JSON line each) and a summary to stdout::

    git archive main | tar -x -C /tmp/daystep_before
    python benchmarks/bench_daystep_ab.py --before /tmp/daystep_before \\
        --cases 1000000x1 1000000x2 10000x1 --rounds 3 --json /tmp/daystep_ab.jsonl
    python benchmarks/bench_daystep_ab.py --summary /tmp/daystep_ab.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_WORKER = """
import hashlib, json, os, sys, time
sys.path.insert(0, {here!r})
cpus = sorted(os.sched_getaffinity(0))
os.sched_setaffinity(0, set(cpus[:{threads}]))
import pandas as pd
import lab
from bench_engine import measure
_run, cpu, daily = lab.run, [], []
def timed_run(*args, **kwargs):
    t0 = time.process_time()
    try:
        res = _run(*args, **kwargs)
        daily.append(res.daily)
        return res
    finally:
        cpu.append(time.process_time() - t0)
lab.run = timed_run
r = measure("lab", {n}, {days}, {seed})
r["cpu_s"] = cpu[-1]
h = pd.util.hash_pandas_object(daily[-1], index=True).to_numpy()
r["daily_hash"] = hashlib.sha256(h.tobytes()).hexdigest()[:16]
r["lab_file"] = lab.__file__
import numba
r["threads"] = numba.get_num_threads()
print(json.dumps(r))
"""


def run_one(tree: Path, customers: int, days: int, threads: int, seed: int = 1) -> dict:
    """One timed run of the lab in ``tree`` on ``threads`` numba threads."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS=str(threads))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    code = _WORKER.format(here=str(HERE), n=customers, days=days, seed=seed, threads=threads)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"measurement of {tree} failed:\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(r["lab_file"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"expected the lab of {tree}, imported {r['lab_file']}")
    return r


def _case(text: str) -> tuple[int, int]:
    n, t = text.lower().split("x")
    return int(n), int(t)


def summary(rows: list[dict]) -> str:
    """Markdown table: per case, each tree's median (min-max) wall, CPU and rate, and the
    median (min-max) of the per-round ratios before / after."""
    lines = [
        "| customers | threads | rounds | before wall s | after wall s | wall ratio before/after "
        "(per round: median, min-max) | before CPU s | after CPU s | CPU ratio (median) "
        "| before M/s | after M/s | load 1-min (min-max) | daily tables equal |",
        "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    cases = sorted({(r["customers"], r["threads"]) for r in rows}, key=lambda c: (-c[0], c[1]))

    def mmm(xs: list[float], fmt: str = "{:.2f}") -> str:
        return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"

    for n, t in cases:
        mine = [r for r in rows if (r["customers"], r["threads"]) == (n, t)]
        by = {lab: {r["round"]: r for r in mine if r["tree"] == lab} for lab in ("before", "after")}
        both = sorted(set(by["before"]) & set(by["after"]))
        if not both:
            continue
        b = [by["before"][k] for k in both]
        a = [by["after"][k] for k in both]
        wr = [x["wall_s"] / y["wall_s"] for x, y in zip(b, a, strict=True)]
        cr = [x["cpu_s"] / y["cpu_s"] for x, y in zip(b, a, strict=True)]
        loads = [r["load_1min"] for r in mine]
        equal = all(x["daily_hash"] == y["daily_hash"] for x, y in zip(b, a, strict=True))
        lines.append(
            f"| {n:,} | {t} | {len(both)} | {mmm([x['wall_s'] for x in b])} "
            f"| {mmm([x['wall_s'] for x in a])} | {mmm(wr, '{:.3f}')} "
            f"| {mmm([x['cpu_s'] for x in b])} | {mmm([x['cpu_s'] for x in a])} "
            f"| {statistics.median(cr):.3f} "
            f"| {statistics.median(x['customer_days'] / x['wall_s'] / 1e6 for x in b):.2f} "
            f"| {statistics.median(x['customer_days'] / x['wall_s'] / 1e6 for x in a):.2f} "
            f"| {min(loads):.1f}-{max(loads):.1f} | {'yes' if equal else '**NO**'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path)
    ap.add_argument("--cases", nargs="+", default=["1000000x1", "1000000x2", "10000x1"],
                    help="NxT: N customers on T threads")  # fmt: skip
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--summary", type=Path, default=None, help="only summarise this JSON file")
    args = ap.parse_args(argv)
    if args.summary is not None:
        rows = [json.loads(x) for x in args.summary.read_text().splitlines() if x.strip()]
        print(summary(rows))
        return
    if args.before is None:
        ap.error("--before is required to measure")
    trees = [("before", args.before.resolve()), ("after", ROOT)]
    rows = []
    for r in range(args.rounds):
        for case in args.cases:
            n, t = _case(case)
            for label, tree in trees if r % 2 == 0 else trees[::-1]:
                load = os.getloadavg()
                m = run_one(tree, n, args.days, t)
                row = {"round": r, "tree": label, "customers": n, "threads": t,
                       "load_1min": load[0], "load": load, **m}  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.json is not None:
                    with args.json.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(row) + "\n")
    print(summary(rows))


if __name__ == "__main__":
    main()
