"""The pool's initial capacity against the pool each shipped scenario really reaches.

For every ``scenarios/*.yaml`` (and the baseline scaled to ``--scaled N`` customers on
day 0, as ``benchmarks/bench_engine.py``), one run of the scenario's days: the steady
channels' projection, the projection with referral growth
(:func:`lab.acquisition_terms.projected_pool`), the initial capacity, the realised pool,
the customers who joined by referral, the pool's reallocations, and the realised orders
per customer-day against the largest channel mean of ``propensity_per_day`` (what
:data:`lab.acquisition_terms.ORDER_RATE_FACTOR` stands for).  One JSON line each::

    PYTHONPATH=. python benchmarks/capacity_projection.py [--scaled 100000] [--days D]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def measure(name: str, sc, days: int | None) -> dict:
    import numpy as np

    from lab.acquisition_terms import projected_pool, referral_growth_per_day
    from lab.model import PoolModel

    model = PoolModel(sc, seed=1, days=days)
    capacity0 = model.pop.capacity
    t0 = time.perf_counter()
    model.run_model()
    wall = time.perf_counter() - t0
    proj = projected_pool(sc, model.days)
    daily = model.datacollector.get_model_vars_dataframe()
    customer_days = float(daily["customers"].sum())
    orders = len(model.order_log)
    specs = [sc.traits.default, *(sc.traits.for_channel(c) for c in sc.traits.by_channel)]
    propensity = max(s.propensity_per_day.mean for s in specs)
    n = model.pop.n
    return {
        "scenario": name,
        "days": model.days,
        "steady": round(proj["steady"]),
        "projected": round(proj["total"]),
        "capacity0": capacity0,
        "realised": n,
        "referred": int(np.count_nonzero(model.pop.view("referrer") >= 0)),
        "reallocations": model.pop.reallocations,
        "capacity_end": model.pop.capacity,
        "growth_per_day": round(referral_growth_per_day(sc), 6),
        "orders_per_customer_day": round(orders / max(customer_days, 1.0), 5),
        "over_propensity": round(orders / max(customer_days, 1.0) / propensity, 2),
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scaled", type=int, nargs="*", default=[])
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--only", nargs="*", default=None, help="scenario file stems")
    a = ap.parse_args(argv)
    import tempfile

    import bench_engine as be

    from lab.scenario import load_scenario

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if a.only is not None and path.stem not in a.only:
            continue
        print(json.dumps(measure(path.stem, load_scenario(path), a.days)), flush=True)
    for customers in a.scaled:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "s.yaml"
            p.write_text(json.dumps(be._scaled_file(customers, None)), encoding="utf-8")
            sc = load_scenario(p)
        print(json.dumps(measure(f"baseline x{customers}", sc, a.days)), flush=True)


if __name__ == "__main__":
    main()
