"""Replications (issue 16): where 64 seeds x 10,000 x 365 days spend their CPU time.

Two measurements, each in fresh interpreters (``--before`` tree and this checkout
interleaved, A B A B ...):

* ``phases``: one batch of ``--phase-seeds`` seeds in one process on one thread, CPU
  seconds (``time.process_time``) of the process start (imports), the numba cache
  loading (first tiny batch), the models' set-up, the shared customer loop
  (:func:`lab.agents.batch_step.step_batch`), the per-model Python steps of the days
  (the rest of the run), the results and summaries (:func:`lab.analysis.headline_metrics`)
  and the pickling back to the parent.
* ``replicate``: ``lab.replicate(sc, range(64), days=365, workers=2)`` cold (the call
  starts its two workers) and, for this checkout, once more on a warm
  :class:`lab.parallel.LocalExecutor` kept from the first call; wall seconds and the
  workers' CPU seconds (``/proc/<pid>/stat``, cold: ``RUSAGE_CHILDREN``).

Usage::

    python benchmarks/bench_batchrep.py --before /tmp/br_before --rounds 2 \\
        --out benchmarks/batchrep_raw.json
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

PHASES = """
import sys, time
t0 = time.process_time()
sys.path.insert(0, {bench!r})
import numba
numba.set_num_threads(1)
import lab, lab.batch
from lab.experiments.replicate import _batch_run, _summarise_run, DAILY_METRICS
from lab.analysis.headline import headline_metrics
from bench_engine import base_scenario, scaled
t1 = time.process_time()
base, _ = base_scenario()
_batch_run(("b", scaled(base, 500), [1, 2], 5, DAILY_METRICS, headline_metrics))
t2 = time.process_time()
loop = [0.0]
inner = lab.batch.step_batch
def timed(*a):
    s = time.process_time(); inner(*a); loop[0] += time.process_time() - s
lab.batch.step_batch = timed
sc = scaled(base, {customers})
s = time.process_time()
b = lab.batch.BatchRun(sc, list(range({seeds})), {days})
t3 = time.process_time()
b.run()
t4 = time.process_time()
out = [_summarise_run("b", r, DAILY_METRICS, headline_metrics) for r in b.results()]
t5 = time.process_time()
import pickle
blob = pickle.dumps(out)
t6 = time.process_time()
cd = sum(float(o["daily"]["customers"].sum()) for o in out)
print(json.dumps(dict(imports=t1 - t0, cache_load=t2 - t1, setup=t3 - s, loop=loop[0],
    per_model_python=t4 - t3 - loop[0], summarise=t5 - t4, pickle=t6 - t5,
    pickle_bytes=len(blob), customer_days=cd)))
""".replace("json.dumps", "__import__('json').dumps")

REPLICATE = """
import sys, time, resource, os, json
sys.path.insert(0, {bench!r})
import lab
from bench_engine import base_scenario, scaled
base, _ = base_scenario()
sc = scaled(base, {customers})
kw = dict(seeds=range({seeds}), days={days}, progress=False, daily_metrics=("customers",))
def cpu(pid):
    f = open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
out = {{}}
t0 = time.perf_counter()
reps = lab.replicate(sc, workers=2, **kw)
out["cold_wall"] = time.perf_counter() - t0
out["cold_worker_cpu"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + \\
    resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
out["customer_days"] = float(reps.daily["value"].sum())
if {warm}:
    from lab.parallel import LocalExecutor
    pool = LocalExecutor(2)
    lab.replicate(sc, executor=pool, **dict(kw, seeds=range(2), days=5))  # start, load caches
    pids = list(pool._pool._processes)
    c0 = sum(cpu(p) for p in pids)
    t0 = time.perf_counter()
    warm = lab.replicate(sc, executor=pool, **kw)
    out["warm_wall"] = time.perf_counter() - t0
    out["warm_worker_cpu"] = sum(cpu(p) for p in pids) - c0
    pool.close()
    assert warm.daily.equals(reps.daily) and warm.totals.equals(reps.totals)
print(json.dumps(out))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, default=64)
    ap.add_argument("--phase-seeds", type=int, default=4)
    ap.add_argument("--skip-replicate", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "batchrep_raw.json")
    a = ap.parse_args()
    rows = []
    for r in range(a.rounds):
        for label, tree in (("before", a.before), ("after", ROOT)):
            load = uptime()
            ph = child(tree, PHASES, customers=a.customers, seeds=a.phase_seeds, days=a.days)
            rows.append(dict(round=r, tree=label, kind="phases", load=load, **ph))
            print(json.dumps(rows[-1]), flush=True)
            if a.skip_replicate:
                continue
            load = uptime()
            rep = child(
                tree, REPLICATE, customers=a.customers, seeds=a.seeds, days=a.days,
                warm=label == "after",
            )  # fmt: skip
            rows.append(dict(round=r, tree=label, kind="replicate", load=load, **rep))
            print(json.dumps(rows[-1]), flush=True)
    a.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
