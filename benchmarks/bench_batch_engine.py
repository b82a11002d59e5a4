"""The engine alone: k seeds run one after the other vs advanced together in a batch.

One process, interleaved rounds, no result tables or metrics: the wall time of the days
and the part of it spent in the customers' step (the kernel call and its Python
preparation), for ``k`` seeds of ``scenarios/baseline.yaml`` scaled to 10,000 customers.

Usage::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_batch_engine.py 16 120
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import base_scenario, scaled

import lab
from lab.batch import BatchRun, run_batch
from lab.model import PoolModel


def main(k: int, days: int, rounds: int = 2) -> None:
    """Print, per round, the wall and kernel-step seconds of both ways."""
    base, _ = base_scenario()
    sc = scaled(base, 10_000)
    lab.run(scaled(base, 500), seed=1, days=3)  # kernels loaded
    run_batch(scaled(base, 500), [1, 2], days=3)
    spent = {"kernel": 0.0}
    alone_step, batch_step = PoolModel._customers_respond, BatchRun._customers_respond

    def timed_alone(self, day):
        t = time.perf_counter()
        alone_step(self, day)
        spent["kernel"] += time.perf_counter() - t

    def timed_batch(self, live):
        t = time.perf_counter()
        batch_step(self, live)
        spent["kernel"] += time.perf_counter() - t

    PoolModel._customers_respond, BatchRun._customers_respond = timed_alone, timed_batch
    for rnd in range(rounds):
        spent["kernel"] = 0.0
        t = time.perf_counter()
        for s in range(k):
            PoolModel(sc, seed=s, days=days).run_model()
        wall_a, kern_a = time.perf_counter() - t, spent["kernel"]
        spent["kernel"] = 0.0
        t = time.perf_counter()
        BatchRun(sc, range(k), days).run()
        wall_b, kern_b = time.perf_counter() - t, spent["kernel"]
        print(
            f"round {rnd}: {k} seeds x 10k x {days} days: one after the other {wall_a:.2f} s "
            f"(customers' step {kern_a:.2f} s) | batch {wall_b:.2f} s "
            f"(customers' step {kern_b:.2f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
