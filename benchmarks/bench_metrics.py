"""End-of-run metrics of replications (issue 16 item 4): CPU per run, trees interleaved.

``lab.replicate`` summarises every run in its worker: the daily KPIs it keeps and the
headline metrics (:func:`lab.analysis.headline_metrics`).  This measures that summary
alone, on the same finished runs in every tree:

1. ``--make``: one batch of ``--seeds`` seeds of ``scenarios/baseline.yaml`` scaled to
   ``--customers`` customers on day 0 (as ``bench_engine.py``), ``--days`` days
   (:class:`lab.batch.BatchRun`), its ``RunResult`` objects pickled to ``--runs``.
2. Per tree and round, in a fresh interpreter on one thread: every run unpickled anew
   (no table built yet) and summarised as a ``lab.replicate`` worker does
   (:func:`lab.experiments.replicate._summarise_run`, daily ``customers, orders`` and the
   headline metrics), timed with ``time.process_time``; then, on fresh copies whose
   daily table is built, ``headline_metrics`` alone.  The metrics' values are returned
   too, so the trees' numbers are compared exactly.

``--sweep``: instead, a sweep of ``--points`` discount depths x ``--seeds`` seeds of the
same scaled scenario in one process (``workers=1``), each point's seeds batched
(:class:`lab.experiments.sweep.BatchedRuns`) or run one by one, alternating, CPU
seconds of the whole sweep (runs, metrics, run files) and whether the tables agree.

``--before TREE`` (e.g. ``git archive main | tar -x -C /tmp/before``) alternates the
trees (before, after / after, before / ...) for ``--rounds`` rounds; the load
(``/proc/loadavg``) is recorded before each measurement.

Usage::

    python benchmarks/bench_metrics.py --make --seeds 8 --runs /tmp/metric_runs.pkl
    python benchmarks/bench_metrics.py --before /tmp/before --rounds 4 --runs /tmp/metric_runs.pkl
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

MAKE = """
import sys, pickle
sys.path.insert(0, {bench!r})
from lab.batch import BatchRun
from bench_engine import base_scenario, scaled
base, _ = base_scenario()
b = BatchRun(scaled(base, {customers}), list(range({seeds})), {days})
b.run()
with open({runs!r}, "wb") as f:
    pickle.dump([pickle.dumps(r) for r in b.results()], f)
print("{{}}")
"""

MEASURE = """
import sys, time, json, pickle
import numba
numba.set_num_threads(1)
from lab.experiments.replicate import _summarise_run
from lab.analysis.headline import headline_metrics
with open({runs!r}, "rb") as f:
    blobs = pickle.load(f)
_summarise_run("b", pickle.loads(blobs[0]), ("customers",), headline_metrics)  # warm
clock = time.process_time
summary = metrics = 0.0
values, cd = [], 0.0
for blob in blobs:
    res = pickle.loads(blob)
    s = clock()
    out = _summarise_run("b", res, ("customers", "orders"), headline_metrics)
    summary += clock() - s
    cd += float(out["daily"]["customers"].sum())
    res = pickle.loads(blob)
    res.daily
    s = clock()
    h = headline_metrics(res)
    metrics += clock() - s
    values.append({{k: repr(float(v)) for k, v in h.items()}})
print(json.dumps(dict(summary=summary, metrics=metrics, runs=len(blobs),
                      customer_days=cd, values=values)))
"""

SWEEP = """
import sys, time, json, tempfile
sys.path.insert(0, {bench!r})
import numba
numba.set_num_threads(1)
from lab.experiments.sweep import sweep
from bench_engine import base_scenario, scaled
base, _ = base_scenario()
sc = scaled(base, {customers})
grid = {{"strategies.discount_cadence.depth": [round(0.1 + 0.1 * i, 2) for i in range({points})]}}
warm = scaled(base, 300)
with tempfile.TemporaryDirectory() as d:
    sweep(warm, grid=grid, seeds=2, days=5, out=d + "/w", workers=1, progress=False,
          batch={batch})
    s = time.process_time()
    res = sweep(sc, grid=grid, seeds={seeds}, days={days}, out=d + "/s", workers=1,
                progress=False, batch={batch})
    cpu = time.process_time() - s
    t = res.table
metrics = [c for c in t.columns if t[c].dtype.kind == "f"]
print(json.dumps(dict(cpu=cpu, runs=len(t), values=[[repr(float(v)) for v in t[m]] for m in metrics])))
"""


def sweep_rounds(args) -> None:
    """Batched and seed-by-seed sweeps alternating in fresh interpreters (``--sweep``)."""
    rows = []
    for rnd in range(args.rounds):
        for batch in (False, True) if rnd % 2 == 0 else (True, False):
            load = uptime()
            fmt = dict(customers=args.customers, days=args.days, seeds=args.seeds,
                       points=args.points, batch=batch)  # fmt: skip
            r = child(args.after, SWEEP, **fmt)
            rows.append({"round": rnd, "batch": batch, "load": load, **r})
            print(f"round {rnd} batch={batch} load {load}: {r['cpu']:.2f} CPU s", file=sys.stderr)
    print("| round | batched | load | sweep CPU s | per run |\n|---:|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['round']} | {r['batch']} | {r['load']} | {r['cpu']:.2f} | "
              f"{r['cpu'] / r['runs']:.3f} |")  # fmt: skip
    for b in (False, True):
        print(
            f"median batched={b}: {statistics.median(r['cpu'] for r in rows if r['batch'] == b):.2f}"
        )
    same = all(r["values"] == rows[0]["values"] for r in rows)
    print(f"\ntables identical (every metric, every run): {same}")
    args.out.write_text(json.dumps(rows, indent=1))


def child(tree: Path, template: str, **fmt) -> dict:
    """Run ``template`` in a fresh interpreter importing ``tree``'s lab; its JSON line."""
    code = template.format(bench=str(HERE), **fmt)
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1")
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True
    )
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def uptime() -> str:
    """The load averages (1, 5, 15 min)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def report(rows: list[dict]) -> str:
    """Markdown: per round and tree, then the medians and the after / before ratio."""
    lines = [
        "| round | tree | load | summary per run: CPU ms | ns/cd | headline_metrics alone: ms |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for r in rows:
        per = r["summary"] / r["runs"] * 1e3
        lines.append(
            f"| {r['round']} | {r['tree']} | {r['load']} | {per:.1f} | "
            f"{r['summary'] / r['customer_days'] * 1e9:.2f} | {r['metrics'] / r['runs'] * 1e3:.1f} |"
        )
    med = {}
    for t in dict.fromkeys(r["tree"] for r in rows):
        rs = [r for r in rows if r["tree"] == t]
        med[t] = {
            k: statistics.median(r[k] / r["runs"] * 1e3 for r in rs) for k in ("summary", "metrics")
        }
        lines.append(f"| median | {t} | | {med[t]['summary']:.1f} | | {med[t]['metrics']:.1f} |")
    if {"before", "after"} <= set(med):
        b, a = med["before"], med["after"]
        lines.append(
            f"\nbefore / after: summary {b['summary'] / a['summary']:.1f}x, "
            f"headline_metrics {b['metrics'] / a['metrics']:.1f}x"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--make", action="store_true", help="make the runs (in --after's tree)")
    ap.add_argument("--runs", type=Path, default=Path("/tmp/bench_metrics_runs.pkl"))
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--after", type=Path, default=ROOT, help="the tree measured as after")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_metrics.json"))
    ap.add_argument("--sweep", action="store_true", help="batched vs seed-by-seed sweep")
    ap.add_argument("--points", type=int, default=2)
    args = ap.parse_args()
    if args.sweep:
        sweep_rounds(args)
        return
    runs = str(args.runs.resolve())
    if args.make:
        fmt = dict(customers=args.customers, days=args.days, seeds=args.seeds, runs=runs)
        child(args.after, MAKE, **fmt)
    trees = {"after": args.after}
    if args.before is not None:
        trees = {"before": args.before, "after": args.after}
    rows = []
    for rnd in range(args.rounds):
        order = list(trees) if rnd % 2 == 0 else list(reversed(trees))
        for name in order:
            load = uptime()
            r = child(trees[name], MEASURE, runs=runs)
            rows.append({"round": rnd, "tree": name, "load": load, **r})
            print(f"round {rnd} {name} load {load}: summary {r['summary']:.3f} s, "
                  f"metrics {r['metrics']:.3f} s ({r['runs']} runs)", file=sys.stderr)  # fmt: skip
    same = all(r["values"] == rows[0]["values"] for r in rows)
    print(report(rows))
    print(f"\nmetric values identical in every tree and round: {same}")
    args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
