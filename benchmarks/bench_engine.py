"""Speed and memory of the lab's engine, and its speed-up over an idiomatic Mesa model.

Every configuration runs in a fresh subprocess pinned to one core, with numba, OpenMP,
MKL and OpenBLAS limited to one thread, so each measurement is isolated:

* **wall seconds** of one timed run (``lab.run(...).daily`` or ``run_reference``),
  after a small warm-up run in the same process that loads the cached numba kernel
  (or compiles it), so JIT compile time is excluded;
* **customer-days** = sum over days of the population size (the daily ``customers``
  column), and customer-days per second;
* **peak RSS** of the whole process (``resource.getrusage``: interpreter, imports,
  warm-up and the run).

The lab runs ``scenarios/baseline.yaml`` scaled so the pool starts at N customers on
day 0 (stock import ``total_customers = customers_per_day = N``), for N = 100k and
1M; the Mesa reference (``benchmarks/mesa_reference.py``) and, for an equal-size
comparison, the lab run the same scenario at a small N.  Results go to
``benchmarks/RESULTS.md`` and ``benchmarks/results.json``.

Run with ``.venv/bin/python benchmarks/bench_engine.py`` or ``make bench``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: the targets of the engine, checked on the largest lab configuration
TARGET_RATE = 10e6  # customer-days per second, one core
TARGET_SPEEDUP = 50.0  # x the Mesa reference
TARGET_WALL_S = 60.0  # 1M customers x 365 days
TARGET_RSS_MB = 1024.0  # 1 GB


def base_scenario():
    """The scenario to scale: ``scenarios/baseline.yaml``, or a default with two strategies.

    Returns
    -------
    tuple of (lab.Scenario, str)
        The scenario and a description of where it came from.
    """
    import lab

    if BASELINE.is_file():
        return lab.load_scenario(BASELINE), "scenarios/baseline.yaml"
    strategies = [{"type": "discount_cadence"}, {"type": "contact_plan"}]
    return lab.Scenario(strategies=strategies), f"lab.Scenario(strategies={strategies})"


def scaled(scenario, customers: int):
    """The scenario with the stock import bringing ``customers`` customers on its first day."""
    import lab
    from lab.scenario import dump_scenario

    data = dump_scenario(scenario)
    data["acquisition"]["stock_import"].update(
        enabled=True, total_customers=int(customers), customers_per_day=float(customers)
    )
    return lab.scenario_from_dict(data)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(engine: str, customers: int, days: int, seed: int) -> dict:
    """Warm up, then time one run; meant to run alone in a fresh process.

    Parameters
    ----------
    engine : {"lab", "mesa"}
        The vectorised engine or the Mesa reference.
    customers : int
        Pool size on day 0.
    days : int
        Days simulated.
    seed : int
        Run seed.

    Returns
    -------
    dict
        Wall seconds, customer-days, rate, RSS before the run and peak RSS (MB).
    """
    import lab

    if engine == "mesa":  # imported only when measured, so it does not weigh on the lab's RSS
        sys.path.insert(0, str(HERE))
        from mesa_reference import run_reference

    def run(scenario, n_days):
        if engine == "lab":
            return lab.run(scenario, seed=seed, days=n_days).daily
        return run_reference(scenario, seed=seed, days=n_days)

    base, _ = base_scenario()
    run(scaled(base, 2_000), 10)  # warm-up: numba kernel loaded/compiled, code paths touched
    scenario = scaled(base, customers)
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    daily = run(scenario, days)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KB on Linux
    customer_days = int(daily["customers"].sum())
    return {
        "engine": engine,
        "customers": customers,
        "days": days,
        "customers_at_end": int(daily["customers"].iloc[-1]),
        "customer_days": customer_days,
        "wall_s": wall,
        "customer_days_per_s": customer_days / wall,
        "rss_before_run_mb": rss_before,
        "peak_rss_mb": peak,
        "orders": int(daily["orders"].sum()),
    }


def _run_isolated(engine: str, customers: int, days: int, seed: int) -> dict:
    env = dict(os.environ, **dict.fromkeys(THREAD_VARS, "1"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    cmd += [engine, str(customers), str(days), str(seed)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - t0
    return result


def machine_info() -> dict[str, str]:
    """CPU, memory, OS and the versions that matter for the numbers."""
    import mesa
    import numba
    import numpy
    import pandas

    cpu = platform.processor() or "unknown"
    mem = "unknown"
    try:
        text = Path("/proc/cpuinfo").read_text()
        cpu = next(ln.split(":", 1)[1].strip() for ln in text.splitlines() if "model name" in ln)
        meminfo = Path("/proc/meminfo").read_text().splitlines()[0]
        mem = f"{int(meminfo.split()[1]) / 1024**2:.1f} GB"
    except (OSError, StopIteration):
        pass
    return {
        "cpu": f"{cpu} ({os.cpu_count()} logical cores; runs pinned to 1)",
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": f"numpy {numpy.__version__}, numba {numba.__version__}, "
        f"mesa {mesa.__version__}, pandas {pandas.__version__}",
    }


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_report(results: list[dict], meta: dict, path: Path) -> str:
    """Write RESULTS.md (table, targets, machine, provenance) and return its text."""
    mesa_rate = next(r["customer_days_per_s"] for r in results if r["engine"] == "mesa")
    lines = [
        "# Engine benchmark",
        "",
        f"Generated by `benchmarks/bench_engine.py` on {meta['date']} at commit `{meta['commit']}`.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_engine.py` (or `make bench`).",
        "",
        f"Scenario: `{meta['scenario']}` scaled so the pool starts at N customers on day 0",
        "(stock import `total_customers = customers_per_day = N`); acquisition, referrals and",
        f"strategies as in the file; seed {meta['seed']}. Each row is one run in a fresh",
        "subprocess pinned to one core with `NUMBA_NUM_THREADS`, `OMP_NUM_THREADS`,",
        "`MKL_NUM_THREADS` and `OPENBLAS_NUM_THREADS` set to 1. **Numba JIT compile time is",
        "excluded**: each process first does a small warm-up run (2,000 customers x 10 days).",
        "Customer-days = sum over days of the pool size (daily `customers`). Peak RSS is the",
        "whole process (interpreter, imports, warm-up and run; `resource.getrusage`).",
        "",
        "| configuration | customers (day 0) | customers (end) | days | customer-days | wall s "
        "| customer-days/s | peak RSS MB | speed-up vs Mesa |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['customers']:,} | {r['customers_at_end']:,} | {r['days']} "
            f"| {r['customer_days']:,} | {r['wall_s']:.2f} | {r['customer_days_per_s'] / 1e6:.2f} M "
            f"| {r['peak_rss_mb']:.0f} | {r['customer_days_per_s'] / mesa_rate:.1f}x |"
        )
    full = [r for r in results if r["engine"] == "lab" and r["customers"] >= 1_000_000]
    big = max(full or [r for r in results if r["engine"] == "lab"], key=lambda r: r["customers"])
    n_big = f"{big['customers']:,} x {big['days']}"
    speedup = big["customer_days_per_s"] / mesa_rate
    year = next((r for r in full if r["days"] >= 365), None)
    checks = [
        (f">= {TARGET_RATE / 1e6:.0f} M customer-days/s on one core ({n_big})",
         f"{big['customer_days_per_s'] / 1e6:.2f} M", big["customer_days_per_s"] >= TARGET_RATE),
        (f">= {TARGET_SPEEDUP:.0f}x the Mesa reference ({n_big} vs Mesa)",
         f"{speedup:.0f}x", speedup >= TARGET_SPEEDUP),
        (f"1M customers x 365 days in < {TARGET_WALL_S:.0f} s",
         f"{year['wall_s']:.1f} s" if year else "not run", bool(year) and year["wall_s"] < TARGET_WALL_S),
        ("1M customers x 365 days in < 1 GB peak RSS",
         f"{year['peak_rss_mb']:.0f} MB" if year else "not run",
         bool(year) and year["peak_rss_mb"] < TARGET_RSS_MB),
    ]  # fmt: skip
    lines += ["", "## Targets", "", "| target | measured | status |", "|---|---:|---|"]
    lines += [f"| {t} | {m} | {_mark(ok)} |" for t, m, ok in checks]
    lines += [
        "",
        "RSS before the timed run (interpreter, imports, warm-up): "
        + ", ".join(f"{r['label']} {r['rss_before_run_mb']:.0f} MB" for r in results)
        + ".",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in meta["machine"].items()],
        "",
        "Raw numbers: `benchmarks/results.json` (not committed).",
        "",
    ]
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> None:
    """Run every configuration in its own process and write the reports."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--mesa-customers", type=int, default=5_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)

    from lab.results import git_commit

    configs = [("lab", n, f"lab engine, {n:,}") for n in args.sizes]
    configs += [
        ("lab", args.mesa_customers, f"lab engine, {args.mesa_customers:,} (Mesa size)"),
        ("mesa", args.mesa_customers, f"Mesa reference, {args.mesa_customers:,}"),
    ]
    results = []
    for engine, n, label in configs:
        print(f"{label} x {args.days} days ...", end=" ", flush=True)
        r = _run_isolated(engine, n, args.days, args.seed)
        r["label"] = label
        results.append(r)
        print(f"{r['wall_s']:.1f} s, {r['customer_days_per_s'] / 1e6:.2f} M customer-days/s, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "scenario": base_scenario()[1],
        "seed": args.seed,
        "jit_compile_time": "excluded (warm-up run in each process before timing)",
        "threads": dict.fromkeys(THREAD_VARS, 1),
        "machine": machine_info(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8"
    )
    print(write_report(results, meta, args.out / "RESULTS.md"))


def _worker(argv: list[str]) -> None:
    engine, customers, days, seed = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(json.dumps(measure(engine, customers, days, seed)))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
    else:
        main()
