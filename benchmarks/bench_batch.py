"""Replications before/after batching (issue 16 item 4), side by side in one run.

Each measurement is a fresh interpreter that imports the lab of one tree, warms its
kernels (a small replicate in the process, so the numba caches on disk are filled),
then times ``lab.replicate(scenario, seeds, days, workers=2)``: the call starts its
worker processes (cold), runs every seed and summarises them (the headline metrics).
The scenario is ``scenarios/baseline.yaml`` scaled so the pool starts at 10,000
customers (as ``bench_engine.py``).  Trees: ``--before`` (e.g. ``git archive main``),
this checkout with ``batch=False`` (seed by seed) and this checkout (batches).

Usage::

    python benchmarks/bench_batch.py --before /tmp/tree_main_batch \\
        --sizes 8x10000x120 64x10000x365 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import sys, time, json
sys.path.insert(0, {bench!r})
import lab
from bench_engine import base_scenario, scaled

base, _ = base_scenario()
kw = {kw}
lab.replicate(scaled(base, 500), seeds=[1, 2], days=5, workers=1, progress=False, **kw)
sc = scaled(base, {customers})
t0 = time.perf_counter()
reps = lab.replicate(sc, seeds=range({seeds}), days={days}, workers={workers}, progress=False,
                     daily_metrics=("customers", "orders"), **kw)
wall = time.perf_counter() - t0
d = reps.daily
cd = float(d.loc[d["metric"] == "customers", "value"].sum())
orders = float(d.loc[d["metric"] == "orders", "value"].sum())
print(json.dumps({{"wall_s": wall, "customer_days": cd, "orders": orders}}))
"""


def measure(tree: Path, batch: bool | None, seeds: int, customers: int, days: int, workers: int):
    """Time one cold ``lab.replicate`` in a fresh interpreter running ``tree``'s lab."""
    kw = {} if batch is None else {"batch": batch}
    code = CHILD.format(
        bench=str(HERE), kw=repr(kw), customers=customers, seeds=seeds, days=days, workers=workers
    )
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"measurement failed in {tree}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="tree of the code before")
    ap.add_argument("--sizes", nargs="+", default=["8x10000x120", "64x10000x365"])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=HERE / "results_batch.json")
    ap.add_argument(
        "--variants", nargs="+", default=["before", "seed by seed", "batches"],
        help="which of: before, 'seed by seed', batches",
    )  # fmt: skip
    args = ap.parse_args(argv)
    known = {"before": (args.before, None), "seed by seed": (ROOT, False), "batches": (ROOT, True)}
    variants = [(v, *known[v]) for v in args.variants]
    rows = []
    for size in args.sizes:
        seeds, customers, days = (int(v) for v in size.split("x"))
        for rnd in range(args.rounds):
            for label, tree, batch in variants:  # interleaved, so load hits all alike
                load = os.getloadavg()[0]
                r = measure(tree, batch, seeds, customers, days, args.workers)
                r.update(variant=label, size=size, round=rnd, load_at_start=load)
                rows.append(r)
                print(
                    f"{size:>14} round {rnd} {label:>13}: {r['wall_s']:7.1f} s "
                    f"(orders {r['orders']:,.0f}, load {load:.1f})",
                    flush=True,
                )
    args.out.write_text(json.dumps({"rows": rows, "time": time.ctime()}, indent=1))


if __name__ == "__main__":
    main()
