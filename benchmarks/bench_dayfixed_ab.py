"""Per-day fixed work of small pools, before/after (issue 16 items 2c and 4), side by side.

Each measurement is a fresh interpreter on one thread (``NUMBA_NUM_THREADS=1``) that
imports the lab of one tree, warms its kernels with a small run, then times one run
in CPU seconds (``time.process_time``): ``lab.run`` of ``scenarios/baseline.yaml``
scaled so the pool starts at N customers (as ``bench_engine.py``), 365 days, and
``lab.replicate`` of S seeds x N customers in this process (``workers=1``, seeds in
batches).  Trees alternate within each round (A B A B ...), so load hits both alike;
the table gives medians over rounds and the min-max, with the load average.

Also ``--profile N``: where the CPU time of one run of N customers goes, by step of
:data:`lab.model.STEP_ORDER` (``--tree``: of another tree).

Usage::

    git archive main | tar -x -C /tmp/tree_main_dayfixed
    python benchmarks/bench_dayfixed_ab.py --before /tmp/tree_main_dayfixed \\
        --runs 5000 10000 --replicate 16x10000 --rounds 5
    python benchmarks/bench_dayfixed_ab.py --profile 1000 5000 10000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
lab.run(scaled(base, 2_000), seed=1, days=10)
lab.replicate(scaled(base, 500), seeds=[1, 2], days=5, workers=1, progress=False)
sc = scaled(base, {customers})
t0 = time.process_time()
if {seeds} == 0:
    d = lab.run(sc, days={days}).daily
    cd = float(d["customers"].sum())
else:
    reps = lab.replicate(sc, seeds=range({seeds}), days={days}, workers=1, progress=False,
                         daily_metrics=("customers",))
    d = reps.daily
    cd = float(d.loc[d["metric"] == "customers", "value"].sum())
cpu = time.process_time() - t0
print(json.dumps({{"cpu_s": cpu, "customer_days": cd}}))
"""

PROFILE = """
import sys, time
sys.path.insert(0, {bench!r})
import lab
from lab.model import STEP_ORDER, PoolModel
from bench_engine import base_scenario, scaled

base, _ = base_scenario()
lab.run(scaled(base, 2_000), seed=1, days=10)
pt = time.process_time
for n in {sizes!r}:
    sc = scaled(base, n)
    m = PoolModel(sc, days={days})
    acc = dict.fromkeys([s.name for s in STEP_ORDER] + ["end of day"], 0.0)
    t0 = pt()
    while m.running and m.day < m.days:
        m.steps += 1
        for s in STEP_ORDER:
            t = pt()
            getattr(m, s.run.__name__)(m.day)
            acc[s.name] += pt() - t
        t = pt()
        m.end_day()
        acc["end of day"] += pt() - t
    total = pt() - t0
    cd = float(sum(m.datacollector.model_vars["customers"]))
    print(f"| {{n:,}} customers (end {{m.pop.n:,}}) | total | {{1e3 * total / m.days:.3f}} | "
          f"100% | {{cd / total / 1e6:.2f}} M/s |")
    for k, v in acc.items():
        print(f"| | {{k}} | {{1e3 * v / m.days:.3f}} | {{100 * v / total:.1f}}% | |")
"""


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    return env


def measure(tree: Path, customers: int, seeds: int, days: int) -> dict:
    """CPU seconds of one run (``seeds == 0``) or one replicate, in a fresh interpreter."""
    code = CHILD.format(bench=str(HERE), customers=customers, seeds=seeds, days=days)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=_env(tree), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"measurement failed in {tree}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, help="tree of the code before")
    ap.add_argument("--runs", type=int, nargs="*", default=[5000, 10000], help="pool sizes")
    ap.add_argument("--replicate", nargs="*", default=["16x10000"], help="SEEDSxCUSTOMERS")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", type=int, nargs="*", help="per-step CPU time at these sizes")
    ap.add_argument("--tree", type=Path, default=ROOT, help="tree to profile (default: this)")
    ap.add_argument("--out", type=Path, default=HERE / "results_dayfixed.json")
    args = ap.parse_args(argv)
    if args.profile:
        code = PROFILE.format(bench=str(HERE), sizes=args.profile, days=args.days)
        print(f"load {os.getloadavg()[0]:.1f}", flush=True)
        subprocess.run([sys.executable, "-c", code], cwd=args.tree, env=_env(args.tree), check=True)
        return
    if args.before is None:
        ap.error("--before is required unless --profile")
    cases = [(n, 0) for n in args.runs]
    cases += [(int(c), int(s)) for s, c in (r.split("x") for r in args.replicate)]
    trees = [("before", args.before), ("after", ROOT)]
    rows = []
    for rnd in range(args.rounds):
        for customers, seeds in cases:
            for label, tree in trees if rnd % 2 == 0 else trees[::-1]:
                load = os.getloadavg()[0]
                r = measure(tree, customers, seeds, args.days)
                r.update(tree=label, customers=customers, seeds=seeds, round=rnd, load=load)
                rows.append(r)
                print(
                    f"round {rnd} {seeds or 1:>3} x {customers:>6,} {label:>6}: "
                    f"{r['cpu_s']:7.2f} s CPU, {r['customer_days'] / r['cpu_s'] / 1e6:5.2f} M/s "
                    f"(load {load:.1f})",
                    flush=True,
                )
    args.out.write_text(json.dumps({"rows": rows, "time": time.ctime()}, indent=1))
    print()
    print("| case | before CPU s | after CPU s | speed-up | before M/s | after M/s | load |")
    print("|---|---|---|---|---|---|---|")
    for customers, seeds in cases:
        got = {}
        for label, _ in trees:
            sel = [
                r
                for r in rows
                if (r["customers"], r["seeds"], r["tree"]) == (customers, seeds, label)
            ]
            cpu = [r["cpu_s"] for r in sel]
            rate = [r["customer_days"] / r["cpu_s"] / 1e6 for r in sel]
            got[label] = (statistics.median(cpu), min(cpu), max(cpu), statistics.median(rate))
        loads = [r["load"] for r in rows if (r["customers"], r["seeds"]) == (customers, seeds)]
        b, a = got["before"], got["after"]
        name = (
            f"lab.run {customers:,} x {args.days}"
            if not seeds
            else (f"replicate {seeds} x {customers:,} x {args.days} (batched, 1 worker)")
        )
        print(
            f"| {name} | {b[0]:.2f} ({b[1]:.2f}-{b[2]:.2f}) | {a[0]:.2f} ({a[1]:.2f}-{a[2]:.2f}) "
            f"| {b[0] / a[0]:.2f}x | {b[3]:.2f} | {a[3]:.2f} | {min(loads):.1f}-{max(loads):.1f} |"
        )


if __name__ == "__main__":
    main()
