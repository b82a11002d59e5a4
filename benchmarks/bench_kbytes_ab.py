"""Before/after of the daily loop on a saved day and of a whole engine run, interleaved.

Two long-lived worker processes, one per lab tree (``--before``, ``--after``), each
started with ``NUMBA_NUM_THREADS=2`` and warmed up; the driver then asks them in turn
(A B A B ..., the order swapped every round) for one measurement at a time, at each
thread count of ``--threads`` (``numba.set_num_threads``), and prints one JSON line per
measurement with the 1-minute load average before it.

``snapshot``: the inputs of ``step_population`` saved by ``bench_kernel_snapshot.py
save`` (the 1M baseline's day 300), converted to each tree's state dtypes (refused if a
value would change) and run ``--repeats`` times on fresh copies; CPU ms (all threads)
and wall ms medians, and a hash of every state array (in the saved dtypes), the KPIs and
the buyer and sharer lists: the same hash before and after = the same results.

``engine``: one ``lab.run`` of the baseline scaled to ``--customers`` for ``--days``
(engine only, no files): CPU and wall seconds, orders and the pool at the end.

    git archive main | tar -x -C /tmp/kbytes_before
    nice -n -5 python benchmarks/bench_kbytes_ab.py snapshot --before /tmp/kbytes_before
    nice -n -5 python benchmarks/bench_kbytes_ab.py engine --before /tmp/kbytes_before \\
        --customers 100000 --rounds 5
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
SNAPSHOT = Path("/tmp/kernel_snapshot.pkl")

_WORKER = r"""
import hashlib, json, pickle, sys, time
import numpy as np
sys.path.insert(0, {here!r})
import numba
import lab
import lab.agents.behaviour as bh
from lab.population import STATE_SPEC

what, snapshot, repeats, customers, days = {what!r}, {snapshot!r}, {repeats}, {customers}, {days}


def convert(bundle, dtypes):
    # the saved arrays in this tree's dtypes, refused if a value would change
    arrays = []
    for name, a in zip(bundle._fields, bundle):
        b = a.astype(dtypes[name]) if a.dtype != dtypes[name] else a
        if not np.array_equal(b.astype(a.dtype), a):
            raise ValueError(f"{{name}}: values change in {{dtypes[name]}}")
        arrays.append(b)
    return type(bundle)(*arrays)


class SavedParams:
    # the saved parameters by name (this tree's fields may add some at the end)
    def __new__(cls, *values):
        return dict(zip(bh.KernelParams._fields, values))


class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("lab.agents.behaviour", "KernelParams"):
            return SavedParams
        return super().find_class(module, name)


def params(values, plan, n):
    # this tree's parameters from the saved ones; fields the saved tree lacked (which
    # plan arrays are in use today) from the arrays' contents
    for name in set(bh.KernelParams._fields) - set(values):
        arrays = bh.PLAN_GROUPS[name]
        values[name] = any(
            bool(np.any(getattr(plan, a)[:n] != (1 if a in lab.plan.DayPlan._ONES else 0)))
            for a in arrays
        )
    return bh.make_params(values)


def digest(c, out, n, bought, saved):
    h = hashlib.sha1()
    for name, a in zip(c._fields, c):
        h.update(a[:n].astype(saved[name]).tobytes())
    nb, ns = bought
    for a in (out.kpi, out.buy_slot[:nb], out.buy_price[:nb], out.buy_trial[:nb]):
        h.update(a.tobytes())
    h.update(out.share_slot[:ns].tobytes())
    h.update(out.share_friends[:ns].tobytes())
    return h.hexdigest()[:12]


if what == "snapshot":
    import lab.plan
    with open(snapshot, "rb") as fh:
        n, day, c0, plan, p0, keys, out0, chunk = Loader(fh).load()
    saved = {{name: a.dtype for name, a in zip(c0._fields, c0)}}
    c0 = convert(c0, {{name: np.dtype(spec[0]) for name, spec in STATE_SPEC.items()}})
    p = params(p0, plan, n)
    copy = lambda b: type(b)(*(a.copy() if isinstance(a, np.ndarray) else a for a in b))

    def measure(threads):
        numba.set_num_threads(threads)
        cpus, walls = [], []
        for r in range(repeats + 1):
            c, out = copy(c0), copy(out0)
            t0, p_0 = time.perf_counter(), time.process_time()
            bought = bh.step_population(n, day, c, plan, p, keys, out, chunk, threads)
            if r:
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - p_0)
        return dict(cpu_ms=1e3 * float(np.median(cpus)), wall_ms=1e3 * float(np.median(walls)),
                    cpu_min_ms=1e3 * min(cpus), wall_min_ms=1e3 * min(walls), n=int(n),
                    hash=digest(c, out, n, bought, saved))
else:
    from bench_engine import base_scenario, scaled
    base, _ = base_scenario()
    lab.run(scaled(base, 2_000), seed=1, days=10)  # warm-up
    scenario = scaled(base, customers)

    def measure(threads):
        numba.set_num_threads(threads)
        t0, p_0 = time.perf_counter(), time.process_time()
        daily = lab.run(scenario, seed=1, days=days).daily
        wall, cpu = time.perf_counter() - t0, time.process_time() - p_0
        cd = int(daily["customers"].sum())
        return dict(cpu_s=cpu, wall_s=wall, customer_days=cd, m_per_cpu_s=cd / cpu / 1e6,
                    m_per_wall_s=cd / wall / 1e6, orders=int(daily["orders"].sum()),
                    pool_at_end=int(daily["customers"].iloc[-1]))

print(json.dumps(dict(ready=lab.__file__)), flush=True)
for line in sys.stdin:
    r = measure(int(line))
    r["lab_file"] = lab.__file__
    print(json.dumps(r), flush=True)
"""


def start(tree: Path, args) -> subprocess.Popen:
    """A worker for the lab in ``tree``, ready when it has printed its first line."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="2")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    code = _WORKER.format(
        here=str(HERE), what=args.what, snapshot=str(args.snapshot), repeats=args.repeats,
        customers=args.customers, days=args.days,
    )  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=tree, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    ready = json.loads(proc.stdout.readline())
    if not Path(ready["ready"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"expected the lab of {tree}, imported {ready['ready']}")
    return proc


def ask(proc: subprocess.Popen, threads: int) -> dict:
    """One measurement of a worker at ``threads`` numba threads."""
    proc.stdin.write(f"{threads}\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("a worker died (see its stderr above)")
    return json.loads(line)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("snapshot", "engine", "report"))
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--after", type=Path, default=ROOT)
    ap.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5, help="snapshot runs per measurement")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.what == "report":  # the tables of an earlier run's --json file
        print(report(args.json))
        return
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    procs = {label: start(tree, args) for label, tree in trees.items()}
    rows = []
    try:
        for r in range(args.rounds):
            order = list(procs) if r % 2 == 0 else list(procs)[::-1]
            for t in args.threads:
                for label in order:
                    load = os.getloadavg()[0]
                    row = {"what": args.what, "round": r, "tree": label, "threads": t,
                           "load_1min": load, **ask(procs[label], t)}  # fmt: skip
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                    if args.json is not None:
                        with args.json.open("a", encoding="utf-8") as fh:
                            fh.write(json.dumps(row) + "\n")
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
    print(summary(rows))


def summary(rows: list[dict]) -> str:
    """Medians (and all values) of CPU and wall time by thread count and tree, loads."""
    import numpy as np

    snap = "cpu_ms" in rows[0]
    unit, cpu, wall, fmt = (
        ("ms", "cpu_ms", "wall_ms", "{:.1f}") if snap else ("s", "cpu_s", "wall_s", "{:.2f}")
    )
    rate = "" if snap else " M customer-days/s by CPU, wall |"
    lines = [f"| threads | tree | runs | CPU {unit} median (all) | wall {unit} median (all) |{rate} load 1-min | hash / orders |",
             "|---:|---|---:|---|---|" + ("" if snap else "---|") + "---|---|"]  # fmt: skip
    for t in sorted({r["threads"] for r in rows}):
        for tree in ("before", "after"):
            rs = [r for r in rows if r["threads"] == t and r["tree"] == tree]
            c, w, ld = ([r[k] for r in rs] for k in (cpu, wall, "load_1min"))
            same = sorted({str(r.get("hash", r.get("orders"))) for r in rs})
            per = ""
            if not snap:
                cd = rs[0]["customer_days"]
                per = f" {cd / np.median(c) / 1e6:.1f}, {cd / np.median(w) / 1e6:.1f} |"
            lines.append(
                f"| {t} | {tree} | {len(rs)} | {fmt.format(np.median(c))} ({', '.join(fmt.format(x) for x in c)}) "
                f"| {fmt.format(np.median(w))} ({', '.join(fmt.format(x) for x in w)}) |{per}"
                f" {min(ld):.1f}-{max(ld):.1f} | {', '.join(same)} |"
            )
    return "\n".join(lines)


def report(path: Path) -> str:
    """:func:`summary` of the JSON lines of an earlier run (``--json``)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return summary(rows)


if __name__ == "__main__":
    main()
