"""Where the serial time of a big pool's day goes: each step and the functions inside it.

Runs the baseline scaled to ``--customers`` for ``--days`` days (one process, the numba
thread count read from ``NUMBA_NUM_THREADS`` at start-up) with timers (wall and process
CPU seconds, CPU counting every thread) around each step of ``PoolModel.step`` and
around the functions listed in :data:`PROBES` (inclusive times, summed over the run;
a function missing from the tree under test is skipped).  Prints one JSON line::

    NUMBA_NUM_THREADS=2 PYTHONPATH=$PWD python benchmarks/profile_daystep.py --customers 1000000

A wrapper costs about a microsecond a call, so functions called thousands of times a
day are not wrapped.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: ``module:attribute path`` of the functions timed inside the steps
PROBES: tuple[str, ...] = (
    "lab.plan:DayPlan.reset",
    "lab.plan:DayPlan.contact",
    "lab.plan:DayPlan.offer",
    "lab.plan:_deliver",
    "lab.strategies.base:Target.mask",
    "lab.strategies.contact_plan:ContactPlan.act",
    "lab.strategies.discount_cadence:DiscountCadence.act",
    "lab.model:PoolModel._book_contacts",
    "lab.model:PoolModel.kernel_inputs",
    "lab.model:step_population",
    "lab.model:PoolModel._book_rows",
    "lab.model:_order_amounts",
    "lab.customer_money:CustomerMoney.add_dense_products",
    "lab.customer_money:CustomerMoney.add",
    "lab.customer_money:_dense_age_range",
    "lab.customer_money:_credit_dense",
    "lab.agents.order_values:OrderValues.draw",
    "lab.order_log:OrderLog.append",
    "lab.agents.acquisition:Acquirer.add",
    "lab.agents.acquisition:Acquirer._book_rewards",
    "lab.agents.acquisition:Acquirer._credit_invitees",
    "lab.agents.acquisition:Acquirer._inviter_u",
    "lab.agents.acquisition:Acquirer.draw",
    "lab.agents.traits:TraitDrawer.draw",
    "lab.population:Population.append",
    "lab.population:Population.reserve",
)


def _wrap(owner, name: str, label: str, wall: dict, cpu: dict, calls: dict) -> None:
    fn = getattr(owner, name)

    def timed(*args, **kwargs):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            wall[label] += time.perf_counter() - t0
            cpu[label] += time.process_time() - c0
            calls[label] += 1

    setattr(owner, name, timed)


def install(wall: dict, cpu: dict, calls: dict) -> list[str]:
    """Wrap every probe found; returns the probes installed."""
    done = []
    for probe in PROBES:
        module, path = probe.split(":")
        owner = importlib.import_module(module)
        *parents, name = path.split(".")
        try:
            for p in parents:
                owner = getattr(owner, p)
            getattr(owner, name)
        except AttributeError:
            continue
        _wrap(owner, name, probe, wall, cpu, calls)
        done.append(probe)
    return done


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    import numba
    from bench_engine import base_scenario, scaled

    import lab
    from lab.model import STEP_ORDER, PoolModel

    base, _ = base_scenario()
    lab.run(scaled(base, 2_000), seed=args.seed, days=10)  # compile / load caches
    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    installed = install(wall, cpu, calls)
    model = PoolModel(scaled(base, args.customers), seed=args.seed, days=args.days)
    for key in (wall, cpu, calls):  # the model's set-up is not a day
        key.clear()
    t_start, c_start = time.perf_counter(), time.process_time()
    customer_days = 0
    while model.running and model.day < model.days:
        day = model.day
        for s in STEP_ORDER:
            t0, c0 = time.perf_counter(), time.process_time()
            getattr(model, s.run.__name__)(day)
            wall["step: " + s.name] += time.perf_counter() - t0
            cpu["step: " + s.name] += time.process_time() - c0
        customer_days += model.pop.n
        model.end_day()
    total_wall = time.perf_counter() - t_start
    total_cpu = time.process_time() - c_start
    print(
        json.dumps(
            {
                "lab_file": lab.__file__,
                "threads": numba.get_num_threads(),
                "customers": args.customers,
                "days": args.days,
                "pool_end": int(model.pop.n),
                "customer_days": customer_days,
                "total_wall_s": total_wall,
                "total_cpu_s": total_cpu,
                "probes": installed,
                "wall_s": dict(wall),
                "cpu_s": dict(cpu),
                "calls": dict(calls),
            }
        )
    )


if __name__ == "__main__":
    main()
