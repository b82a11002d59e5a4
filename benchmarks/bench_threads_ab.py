"""Before/after of the engine on one and two threads, interleaved in one run (A B A B ...).

Like ``bench_kernel_ab.py`` but at a given numba thread count: each measurement is a
fresh process of :func:`bench_engine.measure` (warm-up first) pinned to ``threads``
CPUs with ``NUMBA_NUM_THREADS=threads``.  Reports wall seconds and the CPU seconds of
the timed ``lab.run`` (all threads together, so on two threads CPU shows the work, not
the speed-up) and the load average before each measurement.  Prints one JSON line per
measurement; ``--json`` appends them to a file.

    git archive main | tar -x -C /tmp/tree_main
    python benchmarks/bench_threads_ab.py --before /tmp/tree_main --sizes 100000 --threads 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_WORKER = """
import json, os, sys, time
sys.path.insert(0, {here!r})
cpus = sorted(os.sched_getaffinity(0))
os.sched_setaffinity(0, set(cpus[:{threads}]))
import lab
from bench_engine import measure
_run, cpu = lab.run, []
def timed_run(*args, **kwargs):
    t0 = time.process_time()
    try:
        return _run(*args, **kwargs)
    finally:
        cpu.append(time.process_time() - t0)
lab.run = timed_run
r = measure("lab", {n}, {days}, {seed})
r["cpu_s"] = cpu[-1]
r["lab_file"] = lab.__file__
import numba
r["threads"] = numba.get_num_threads()
print(json.dumps(r))
"""


def run_one(tree: Path, customers: int, days: int, threads: int, seed: int = 1) -> dict:
    """One measurement of the lab in ``tree`` on ``threads`` numba threads."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS=str(threads))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    code = _WORKER.format(here=str(HERE), n=customers, days=days, seed=seed, threads=threads)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True
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
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": ROOT}
    for r in range(args.rounds):
        for n in args.sizes:
            for t in args.threads:
                for label, tree in trees.items():
                    load = os.getloadavg()[0]
                    m = run_one(tree, n, args.days, t)
                    row = {"round": r, "tree": label, "customers": n, "threads": t,
                           "load_1min": load, **m}  # fmt: skip
                    print(json.dumps(row), flush=True)
                    if args.json is not None:
                        with args.json.open("a", encoding="utf-8") as fh:
                            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
