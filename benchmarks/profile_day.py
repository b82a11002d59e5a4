"""Where a day's time goes at scale: each step of ``PoolModel.step`` timed, and the
daily loop taken apart (chunk loop, per-day allocation, KPI row sum, float sums, gather).

Run it once per thread count (the numba thread count is read at start-up)::

    NUMBA_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/profile_day.py --customers 1000000
    NUMBA_NUM_THREADS=2 PYTHONPATH=$PWD python benchmarks/profile_day.py --customers 1000000

Each step is timed with wall and CPU seconds (CPU counts both threads).  On three days
(``--probe-days``) the loop's parts are timed separately, on a copy of the state taken
just before that day's loop, so the run itself is not disturbed.  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _copy_bundle(bundle):
    return type(bundle)(*(a.copy() if isinstance(a, np.ndarray) else a for a in bundle))


def probe_loop(model, day: int, repeats: int = 3) -> dict:
    """Time the daily loop's parts on copies of today's inputs (medians of ``repeats``)."""
    import numba

    from lab.agents import behaviour as bh

    n, day, c0, plan, p, keys, out0, chunk = model.kernel_inputs(day)
    threads = numba.get_num_threads()
    parts: dict[str, list[float]] = {k: [] for k in ("whole", "chunks", "float_sums", "gather")}
    n_chunks = (n + chunk - 1) // chunk
    for _ in range(repeats):
        c, out = _copy_bundle(c0), _copy_bundle(out0)
        t0 = time.perf_counter()
        bh.step_population(n, day, c, plan, p, keys, out, chunk, threads)
        parts["whole"].append(time.perf_counter() - t0)
        c, out = _copy_bundle(c0), _copy_bundle(out0)
        kpis = np.zeros((n_chunks, out.kpi.size))
        t0 = time.perf_counter()
        counts = [
            bh.step_customers(
                k * chunk, min(k * chunk + chunk, n), day, c, plan, p, keys, out, kpis[k]
            )
            for k in range(n_chunks)
        ]
        parts["chunks"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bh._float_sums(n, c, out.kpi)
        parts["float_sums"].append(time.perf_counter() - t0)
        starts = np.arange(n_chunks, dtype=np.int64) * chunk
        nbuy = np.array([x[0] for x in counts], dtype=np.int64)
        nsh = np.array([x[1] for x in counts], dtype=np.int64)
        t0 = time.perf_counter()
        bh._gather(out.buy_slot, out.buy_slot, starts, nbuy)
        bh._gather(out.buy_price, out.buy_price, starts, nbuy)
        bh._gather(out.buy_trial, out.buy_trial, starts, nbuy)
        bh._gather(out.share_slot, out.share_slot, starts, nsh)
        bh._gather(out.share_friends, out.share_friends, starts, nsh)
        parts["gather"].append(time.perf_counter() - t0)
    res = {k: float(np.median(v)) for k, v in parts.items()}
    alive = int(c0.alive[:n].sum())
    res.update(day=day, n=n, alive=alive, alive_share=alive / n)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe-days", type=int, nargs="*", default=[30, 180, 364])
    args = ap.parse_args(argv)

    import numba
    from bench_engine import base_scenario, scaled

    import lab
    from lab.model import STEP_ORDER, PoolModel

    base, _ = base_scenario()
    lab.run(scaled(base, 2_000), seed=args.seed, days=10)  # compile / load caches
    model = PoolModel(scaled(base, args.customers), seed=args.seed, days=args.days)
    wall = {s.name: 0.0 for s in STEP_ORDER}
    cpu = dict(wall)
    probes = []
    customer_days = 0
    t_start, c_start = time.perf_counter(), time.process_time()
    while model.running and model.day < model.days:
        day = model.day
        for s in STEP_ORDER:
            if s.name == "customers respond" and day in args.probe_days:
                probes.append(probe_loop(model, day))
            t0, c0 = time.perf_counter(), time.process_time()
            getattr(model, s.run.__name__)(day)
            wall[s.name] += time.perf_counter() - t0
            cpu[s.name] += time.process_time() - c0
        customer_days += model.pop.n
        t0, c0 = time.perf_counter(), time.process_time()
        model.end_day()
        wall["record"] += time.perf_counter() - t0
        cpu["record"] += time.process_time() - c0
    total_wall = time.perf_counter() - t_start
    total_cpu = time.process_time() - c_start
    probe_wall = sum(
        sum(v for k, v in p.items() if k in ("whole", "chunks", "float_sums", "gather")) * 3
        for p in probes
    )
    print(
        json.dumps(
            {
                "threads": numba.get_num_threads(),
                "customers": args.customers,
                "days": args.days,
                "pool_end": int(model.pop.n),
                "capacity_end": int(model.pop.capacity),
                "reallocations": int(model.pop.reallocations),
                "customer_days": customer_days,
                "total_wall_s": total_wall,
                "total_cpu_s": total_cpu,
                "probe_wall_s_approx": probe_wall,
                "steps_wall_s": wall,
                "steps_cpu_s": cpu,
                "probes": probes,
            }
        )
    )


if __name__ == "__main__":
    main()
