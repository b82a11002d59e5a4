"""The daily loop alone, on a saved day: before/after of kernel changes in seconds, not minutes.

``save`` runs the scaled baseline to a day and pickles that day's inputs of
:func:`lab.agents.behaviour.step_population` (the pool, the plan, parameters, keys,
buffers); ``time`` loads them in a fresh process of the tree given by ``--tree``, runs
the loop on fresh copies and prints CPU and wall medians with a hash of every state
array, KPI and buyer list (the same hash before and after = the same results);
``halves`` times the first and second half of the chunks serially (balance of threads).

    PYTHONPATH=$PWD python benchmarks/bench_kernel_snapshot.py save --customers 1000000 --day 300
    python benchmarks/bench_kernel_snapshot.py time --tree /tmp/tree_main   # before
    python benchmarks/bench_kernel_snapshot.py time --tree .                # after
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT = Path("/tmp/kernel_snapshot.pkl")


def save(customers: int, day: int, path: Path) -> None:
    """Run to ``day`` and pickle that day's kernel inputs to ``path``."""
    sys.path.insert(0, str(HERE))
    from bench_engine import base_scenario, scaled

    from lab.model import STEP_ORDER, PoolModel

    base, _ = base_scenario()
    model = PoolModel(scaled(base, customers), seed=1, days=day + 1)
    while model.day < day:
        model.step()
    for step in STEP_ORDER:
        if step.name == "customers respond":
            break
        getattr(model, step.run.__name__)(day)
    with path.open("wb") as fh:
        pickle.dump(model.kernel_inputs(day), fh, protocol=5)


def _copy(bundle):
    return type(bundle)(*(a.copy() if isinstance(a, np.ndarray) else a for a in bundle))


def _hash(c, out, n: int, bought: tuple[int, int]) -> str:
    h = hashlib.sha1()
    for a in c:
        h.update(a[:n].tobytes())
    nb, ns = bought
    for a in (out.kpi, out.buy_slot[:nb], out.buy_price[:nb], out.buy_trial[:nb]):
        h.update(a.tobytes())
    h.update(out.share_slot[:ns].tobytes())
    h.update(out.share_friends[:ns].tobytes())
    return h.hexdigest()[:12]


def _load(path: Path) -> tuple:
    """The saved inputs, parameters as this tree's model makes them (a tree that has
    parameters the saving tree had not gets them from the saved day, see kbytes_count)."""
    sys.path.insert(0, str(HERE))
    from kbytes_count import load

    return load(path)


def time_loop(path: Path, repeats: int) -> str:
    """Median CPU and wall ms of ``step_population`` on copies of the saved day."""
    import numba

    import lab.agents.behaviour as bh

    n, day, c0, plan, p, keys, out0, chunk = _load(path)
    threads = numba.get_num_threads()
    walls, cpus, digest = [], [], ""
    for r in range(repeats + 1):
        c, out = _copy(c0), _copy(out0)
        t0, p0 = time.perf_counter(), time.process_time()
        bought = bh.step_population(n, day, c, plan, p, keys, out, chunk, threads)
        if r:  # the first is a warm-up
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - p0)
        digest = _hash(c, out, n, bought)
    cpu = float(np.median(cpus))
    return (
        f"{bh.__file__} threads={threads} n={n} alive={c0.alive[:n].mean():.3f} "
        f"cpu_ms={cpu * 1e3:.2f} cpu_min_ms={min(cpus) * 1e3:.2f} wall_ms={np.median(walls) * 1e3:.1f} "
        f"ns_per_customer_cpu={cpu / n * 1e9:.1f} hash={digest} load={os.getloadavg()[0]:.1f}"
    )


def halves(path: Path, repeats: int) -> str:
    """CPU ms of the first and the second half of the chunks, run serially."""
    import lab.agents.behaviour as bh

    n, day, c, plan, p, keys, out, chunk = _load(path)
    n_chunks = (n + chunk - 1) // chunk
    kpis = np.zeros((n_chunks, out.kpi.size))

    def run(ks) -> float:
        t0 = time.process_time()
        for k in ks:
            lo = k * chunk
            bh.step_customers(lo, min(lo + chunk, n), day, c, plan, p, keys, out, kpis[k])
        return time.process_time() - t0

    run(range(2))
    h = n_chunks // 2
    parts = {"first half": range(h), "second half": range(h, n_chunks)}
    parts.update({"even chunks": range(0, n_chunks, 2), "odd chunks": range(1, n_chunks, 2)})
    times = {k: [] for k in parts}
    for _ in range(repeats):
        for k, ks in parts.items():
            times[k].append(run(ks))
    return f"{bh.__file__} " + " ".join(
        f"{k.replace(' ', '_')}_cpu_ms={np.median(v) * 1e3:.1f}" for k, v in times.items()
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("save", "time", "halves"))
    ap.add_argument("--snapshot", type=Path, default=DEFAULT)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--day", type=int, default=300)
    ap.add_argument("--tree", type=Path, default=None, help="lab tree to import (time, halves)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    if args.tree is not None:
        sys.path.insert(0, str(args.tree.resolve()))
    if args.what == "save":
        save(args.customers, args.day, args.snapshot)
    elif args.what == "time":
        print(time_loop(args.snapshot, args.repeats))
    else:
        print(halves(args.snapshot, args.repeats))


if __name__ == "__main__":
    main()
