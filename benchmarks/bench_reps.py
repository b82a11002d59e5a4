"""Replications (issue 16 item 4): CPU time per step of a batch of seeds, trees interleaved.

One measurement (``phases``) runs in a fresh interpreter on one thread
(``numba.set_num_threads(1)``): a batch of ``--seeds`` seeds of ``scenarios/baseline.yaml``
scaled to ``--customers`` customers on day 0 (as ``bench_engine.py``), ``--days`` days,
advanced together by :class:`lab.batch.BatchRun`.  Every step of the day is wrapped
with ``time.process_time`` (the per-model steps of :data:`lab.model.STEP_ORDER`, the
shared loop :func:`lab.agents.batch_step.step_batch` and the batch's own work around
it), then the results are built (:class:`lab.results.RunResult`) and summarised as
``lab.replicate`` does (:func:`lab.experiments.replicate._summarise_run` with the
headline metrics).  CPU seconds and ns per customer-day per phase are printed as JSON.

``--before TREE`` runs the same measurement on another checkout (``git archive``), the
two trees alternating (before, after, before, after, ...) for ``--rounds`` rounds; the
load (``/proc/loadavg``) is recorded before each measurement.

``--replicate`` adds, per tree and round, the issue's measurement: ``lab.replicate(sc,
seeds=range(64), days=365, workers=2, daily_metrics=("customers", "orders"))`` cold,
its workers' CPU seconds (``RUSAGE_CHILDREN``) and wall seconds.

Usage::

    python benchmarks/bench_reps.py --seeds 32 --rounds 2 --before /tmp/reps/before \\
        --out /tmp/reps/raw.json
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

PHASES = """
import sys, time, json
from collections import defaultdict
sys.path.insert(0, {bench!r})
import numba
numba.set_num_threads(1)
import lab, lab.batch
from lab.batch import BatchRun, _BEFORE, _AFTER
from lab.model import PoolModel
from lab.experiments.replicate import _summarise_run
from lab.analysis.headline import headline_metrics
from bench_engine import base_scenario, scaled
base, _ = base_scenario()
warm = BatchRun(scaled(base, 500), [1, 2], 5)  # numba caches loaded, not timed
warm.run()
[_summarise_run("b", r, ("customers",), headline_metrics) for r in warm.results()]
acc = defaultdict(float)
clock = time.process_time
def timed(fn, name):
    def run(*a, **k):
        s = clock()
        try:
            return fn(*a, **k)
        finally:
            acc[name] += clock() - s
    return run
if hasattr(BatchRun, "_run_step"):  # a step for every model at once: timed per step
    inner = BatchRun._run_step
    def run_step(self, live, name):
        s = clock()
        try:
            return inner(self, live, name)
        finally:
            acc[name] += clock() - s
    BatchRun._run_step = run_step
    PoolModel.end_day = timed(PoolModel.end_day, "end_day")
else:  # model by model
    for name in _BEFORE + _AFTER + ("end_day",):
        setattr(PoolModel, name, timed(getattr(PoolModel, name), name))
lab.batch.step_batch = timed(lab.batch.step_batch, "shared loop (step_batch)")
BatchRun._customers_respond = timed(BatchRun._customers_respond, "_customers_respond")
sc = scaled(base, {customers})
s = clock()
b = BatchRun(sc, list(range({seeds})), {days})
acc["setup"] = clock() - s
s = clock()
b.run()
acc["days"] = clock() - s
s = clock()
res = list(b.results())
acc["results"] = clock() - s
s = clock()
out = [_summarise_run("b", r, ("customers", "orders"), headline_metrics) for r in res]
acc["summaries (headline metrics)"] = clock() - s
acc["batch glue"] = acc.pop("_customers_respond") - acc["shared loop (step_batch)"]
acc["customer_days"] = sum(float(o["daily"]["customers"].sum()) for o in out)
acc["orders"] = sum(float(o["daily"]["orders"].sum()) for o in out)
print(json.dumps(acc))
"""

REPLICATE = """
import sys, time, resource, json
sys.path.insert(0, {bench!r})
import lab
from bench_engine import base_scenario, scaled
base, _ = base_scenario()
sc = scaled(base, {customers})
t0 = time.perf_counter()
reps = lab.replicate(sc, seeds=range({seeds}), days={days}, workers=2, progress=False,
                     daily_metrics=("customers", "orders"))
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps(dict(wall=wall, worker_cpu=ru.ru_utime + ru.ru_stime,
                      orders=float(reps.daily.query("metric == 'orders'")["value"].sum()))))
"""


def child(tree: Path, template: str, **fmt) -> dict:
    """Run ``template`` in a fresh interpreter importing ``tree``'s lab; its JSON line."""
    code = template.format(bench=str(HERE), **fmt)
    env = dict(os.environ, PYTHONPATH=str(tree))
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True
    )
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def uptime() -> str:
    """The load averages (1, 5, 15 min)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(rows: list[dict]) -> str:
    """Markdown: median CPU seconds and ns per customer-day of each phase, per tree."""
    trees = sorted({r["tree"] for r in rows if r["kind"] == "phases"}, reverse=True)
    skip = {"round", "tree", "kind", "load", "customer_days", "orders"}
    phases = list(dict.fromkeys(k for r in rows for k in r if k not in skip))
    head = "| phase | " + " | ".join(f"{t}: CPU s | {t}: ns/cd" for t in trees) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(trees)]
    for p in phases:
        cells = []
        for t in trees:
            rs = [r for r in rows if r["tree"] == t and r["kind"] == "phases"]
            s = statistics.median(r.get(p, 0.0) for r in rs)
            ns = statistics.median(r.get(p, 0.0) / r["customer_days"] * 1e9 for r in rs)
            cells.append(f"{s:.3f} | {ns:.1f}")
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--after", type=Path, default=ROOT, help="the tree measured as after")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--replicate", action="store_true")
    ap.add_argument("--replicate-only", action="store_true", help="no phases, replicate alone")
    ap.add_argument("--out", type=Path, default=Path("/tmp/reps_raw.json"))
    a = ap.parse_args()
    trees = [("after", a.after)] if a.before is None else [("before", a.before), ("after", a.after)]
    rows = []
    for r in range(a.rounds):
        for label, tree in trees if r % 2 == 0 else trees[::-1]:
            if not a.replicate_only:
                load = uptime()
                ph = child(tree, PHASES, customers=a.customers, seeds=a.seeds, days=a.days)
                rows.append(dict(round=r, tree=label, kind="phases", load=load, **ph))
                print(json.dumps(rows[-1]), flush=True)
            if a.replicate or a.replicate_only:
                load = uptime()
                rep = child(tree, REPLICATE, customers=a.customers, seeds=64, days=a.days)
                rows.append(dict(round=r, tree=label, kind="replicate", load=load, **rep))
                print(json.dumps(rows[-1]), flush=True)
    a.out.write_text(json.dumps(rows, indent=1))
    if any(r["kind"] == "phases" for r in rows):
        print(table([r for r in rows if r["kind"] == "phases"]))


if __name__ == "__main__":
    main()
