"""Kernel CPU time of a change that must cost nothing when off: two trees, interleaved.

Each measurement is a fresh process pinned to one core with one thread per library,
importing the lab of one tree (``PYTHONPATH``): ``scenarios/baseline.yaml`` scaled to
100,000 customers on day 0 (``bench_engine.scaled``), a 5-day warm-up (numba's cache
loaded), then 365 days timed with ``time.process_time``: the whole run and the time spent
in the kernel (``step_population``, wrapped).  The trees alternate (order rotating
each round); the report gives medians, bests and the load average.  Written for the
early-life burst (``purchase.early_burst``, off by default):

    mkdir -p /tmp/lab_before && git archive <base> | tar -x -C /tmp/lab_before
    .venv/bin/python benchmarks/bench_burst_off.py --before /tmp/lab_before --rounds 10
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
os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
sys.path.insert(0, {here!r})
import lab
import lab.model as M
from bench_engine import base_scenario, scaled
inner, spent = M.step_population, [0.0]
def timed(*a):
    t = time.process_time()
    try:
        return inner(*a)
    finally:
        spent[0] += time.process_time() - t
M.step_population = timed
sc = scaled(base_scenario()[0], {n})
lab.run(sc, seed=1, days=5)
spent[0] = 0.0
t0 = time.process_time()
res = lab.run(sc, seed=1, days={days})
print(json.dumps({{"kernel": spent[0], "run": time.process_time() - t0,
                  "orders": int(res.daily["orders"].sum()), "lab": lab.__file__}}))
"""

THREADS = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def run_one(tree: Path, n: int, days: int) -> dict:
    """One measurement of the lab in ``tree``."""
    env = dict(os.environ, **dict.fromkeys(THREADS, "1"), PYTHONPATH=str(tree))
    code = _WORKER.format(here=str(HERE), n=n, days=days)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"measurement of {tree} failed:\n{out.stderr}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(r["lab"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"expected the lab of {tree}, imported {r['lab']}")
    return r


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    """Alternate the trees, then write the report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS_burst_off.md")
    args = ap.parse_args(argv)
    trees = {"before": args.before, "after": ROOT}
    got: dict[str, list[dict]] = {k: [] for k in trees}
    start = _load()
    for k in range(args.rounds):
        names = list(trees)[k % 2 :] + list(trees)[: k % 2]
        for name in names:
            r = run_one(trees[name], args.customers, args.days)
            got[name].append(r)
            print(f"{name}: kernel {r['kernel']:.3f} s, run {r['run']:.3f} s", flush=True)
    lines = [
        "# Early burst off: kernel CPU time before and after",
        "",
        f"`benchmarks/bench_burst_off.py`: baseline.yaml scaled to {args.customers:,} "
        f"customers on day 0, {args.days} days, seed 1, one core, one thread; "
        f"{args.rounds} rounds, trees alternating. Trees: "
        + ", ".join(f"{k} = `{v}`" for k, v in trees.items())
        + f". Load average (1 / 5 / 15 min) at the start {start}, at the end {_load()}.",
        "",
        "| tree | kernel cpu: median s (best) | run cpu: median s (best) | kernel / before "
        "(median) | orders = before |",
        "|---|---:|---:|---:|---|",
    ]
    kb = statistics.median(r["kernel"] for r in got["before"])
    for name, rs in got.items():
        kern, run = [r["kernel"] for r in rs], [r["run"] for r in rs]
        lines.append(
            f"| {name} | {statistics.median(kern):.3f} ({min(kern):.3f}) | "
            f"{statistics.median(run):.3f} ({min(run):.3f}) | {statistics.median(kern) / kb:.3f} "
            f"| {rs[0]['orders'] == got['before'][0]['orders']} |"
        )
    pairs = [a["kernel"] / b["kernel"] for a, b in zip(got["after"], got["before"], strict=True)]
    lines += [
        "",
        f"Per-round ratio after / before (kernel): median {statistics.median(pairs):.3f}, "
        f"range {min(pairs):.3f}-{max(pairs):.3f}.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
