"""Before/after of the steps ``RESULTS_daystep.md`` changed, best of many repeats (A/B).

Whole runs on a shared machine move by 20-50% with the load; the best of many repeats
of one step on one day moves far less.  In a fresh process per tree (``--before``
first on ``PYTHONPATH``; "after" is this checkout), one numba thread pinned to one CPU:

* ``build + day-0 acquisition``: the model built and day 0's joiners added (the stock
  import brings N customers: traits drawn, the pool's arrays written), CPU and wall
  seconds once per process (memory the process touches for the first time included);
* then ``--warm`` days run, and on the next day, best of ``--repeats`` of each:
  ``customers respond`` (the daily loop) and ``orders`` (today's orders booked from
  the loop's buyers; it books them again each repeat, the same amount of work).

Rounds alternate which tree goes first.  Prints one JSON line per measurement and a
table of medians over rounds::

    python benchmarks/bench_daystep_steps.py --before /tmp/daystep_before --customers 1000000
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
import json, os, sys, time
sys.path.insert(0, {here!r})
os.sched_setaffinity(0, {{sorted(os.sched_getaffinity(0))[0]}})
import lab
from lab.model import PoolModel, STEP_ORDER
from bench_engine import base_scenario, scaled
base, _ = base_scenario()
lab.run(scaled(base, 2_000), seed=1, days=10)  # numba caches loaded
out = {{"lab_file": lab.__file__}}
c0, t0 = time.process_time(), time.perf_counter()
m = PoolModel(scaled(base, {n}), seed=1, days={warm} + 2)
m._calendar(0)
m._acquire(0)
out["build + day-0 acquisition cpu"] = time.process_time() - c0
out["build + day-0 acquisition wall"] = time.perf_counter() - t0
for s in STEP_ORDER[2:]:
    getattr(m, s.run.__name__)(0)
m.end_day()
for _ in range({warm} - 1):
    m.step()
day = m.day
names = [s.name for s in STEP_ORDER]
for s in STEP_ORDER[: names.index("customers respond")]:
    getattr(m, s.run.__name__)(day)
def best(f):
    ts = []
    for _ in range({repeats}):
        t = time.process_time()
        f()
        ts.append(time.process_time() - t)
    return min(ts) * 1e3
out["customers respond ms"] = best(lambda: m._customers_respond(day))
out["orders ms"] = best(lambda: m._orders_booked(day))
out["buyers"] = int(m._bought[0])
out["customers"] = int(m.pop.n)
print(json.dumps(out))
"""


def run_one(tree: Path, n: int, warm: int, repeats: int) -> dict:
    """The step times of the lab in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1")
    code = _WORKER.format(here=str(HERE), n=n, warm=warm, repeats=repeats)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"measurement of {tree} failed:\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(r["lab_file"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"expected the lab of {tree}, imported {r['lab_file']}")
    return r


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--warm", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    trees = [("before", args.before.resolve()), ("after", ROOT)]
    rows = []
    for r in range(args.rounds):
        for label, tree in trees if r % 2 == 0 else trees[::-1]:
            load = os.getloadavg()[0]
            row = {"round": r, "tree": label, "load_1min": load}
            row.update(run_one(tree, args.customers, args.warm, args.repeats))
            rows.append(row)
            print(json.dumps(row), flush=True)
    keys = [k for k in rows[0] if k.endswith(("cpu", "wall", " ms"))]
    print(f"| measure ({args.customers:,} customers) | before | after | after/before |")
    print("|---|---:|---:|---:|")
    for k in keys:
        b = statistics.median(x[k] for x in rows if x["tree"] == "before")
        a = statistics.median(x[k] for x in rows if x["tree"] == "after")
        print(f"| {k} | {b:.3f} | {a:.3f} | {a / b:.3f} |")


if __name__ == "__main__":
    main()
