"""Speed and memory of the lab's engine: the benchmark behind ``make bench``.

What it measures (each measurement in a fresh subprocess, numba compile excluded by a
small warm-up run in the same process first, except where said):

* **Mesa peer vs lab, same size, same run**: the idiomatic Mesa model
  (``benchmarks/mesa_reference.py``) and the lab at 5k and 20k customers, one core,
  interleaved round by round so machine noise hits both; the speed-up is the median
  over rounds of the per-round ratio of customer-days per second.
* **lab engine alone** at 10k / 100k / 1M customers (10M with ``--big``; it needs
  ~8 GB) on 1 and 2 threads (``NUMBA_NUM_THREADS``, pinned to as many cores).
* **``lab run`` end to end** (interpreter start, simulation, parquet with and without
  CSV) at 1M: wall seconds and the child's peak RSS (``os.wait4``).
* **replications**: 64 seeds x 10k x 365 days through :func:`lab.replicate` on 2
  workers (cold: the call starts its workers).
* **sweep scaling**: the same 8 runs on a warm pool of 1 and of 2 worker processes;
  efficiency = rate on 2 / (2 x rate on 1).

With ``--before TREE`` (e.g. ``git archive main | tar -x -C /tmp/before``) every lab
measurement also runs on that tree (first on ``PYTHONPATH``), interleaved with this
checkout in each round, so a before/after comparison comes from one run on one
machine.  Medians and min-max over ``--rounds`` go to ``benchmarks/RESULTS.md``;
raw numbers to ``benchmarks/results.json`` (not committed).

The lab runs ``scenarios/baseline.yaml`` scaled so the pool starts at N customers on
day 0 (stock import ``total_customers = customers_per_day = N``).
Customer-days = sum over days of the pool size (daily ``customers``).

Run with ``.venv/bin/python benchmarks/bench_engine.py`` or ``make bench``
(``--quick`` for a smoke run of a few minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: the targets of issue 16
TARGET_RATE_1T = 25e6  # customer-days per second, 1M x 365, one thread
TARGET_RATE_2T = 45e6  # same, two threads
TARGET_SPEEDUP = 100.0  # x the Mesa peer at 5k and 20k
TARGET_RUN_S = 20.0  # `lab run` 1M x 365 with outputs, 2 cores
TARGET_RSS_MB = 1024.0  # 1 GB peak, same run
TARGET_REPS_S = 5.0  # 64 x 10k x 365 on 2 cores
TARGET_SMALL = 10e6  # customer-days/s at 10k
TARGET_SWEEP = 0.9  # scaling efficiency 1 -> 2 workers


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
    data["max_customers"] = _max_customers(customers, data.get("max_customers", 0))
    return lab.scenario_from_dict(data)


def _max_customers(customers: int, limit: int) -> int:
    """The pool's safety limit for a scaled run: room for the year's growth (the baseline's
    pool grows ~1.8x in a year; the default limit, 5M, refuses the 10M run)."""
    return max(int(limit), 3 * int(customers))


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
        "cpu": f"{cpu} ({os.cpu_count()} logical cores; runs pinned to as many as threads)",
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": f"numpy {numpy.__version__}, numba {numba.__version__}, "
        f"mesa {mesa.__version__}, pandas {pandas.__version__}",
    }


# --------------------------------------------------------------------------- children
def _env(threads: int, tree: Path | None) -> dict[str, str]:
    env = dict(os.environ, **dict.fromkeys(THREAD_VARS, str(threads)))
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def _child(args: list[str], threads: int, tree: Path | None) -> dict:
    """Run ``bench_engine.py --worker ARGS`` in a fresh process; its JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(threads), *args]
    t0 = time.perf_counter()
    out = subprocess.run(
        cmd, env=_env(threads, tree), capture_output=True, text=True, check=False,
        cwd=tempfile.gettempdir(),
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree}):\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - t0
    return result


def _scaled_file(customers: int, tree: Path | None) -> dict:
    """The scaled scenario as a file the tree under test reads: ``extends:`` its own
    baseline (a dump of this checkout's scenario may hold keys an older tree refuses)."""
    stock = dict(enabled=True, total_customers=int(customers), customers_per_day=float(customers))
    own = (tree / "scenarios" / "baseline.yaml") if tree is not None else BASELINE
    if own.is_file():
        return {
            "extends": str(own.resolve()),
            "max_customers": _max_customers(customers, 5_000_000),
            "acquisition": {"stock_import": stock},
        }
    from lab.scenario import dump_scenario

    base, _ = base_scenario()
    return dump_scenario(scaled(base, customers))


def run_end_to_end(customers: int, days: int, csv: bool, threads: int, tree: Path | None) -> dict:
    """One ``python -m lab run`` child (outputs written): wall seconds and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        scenario = Path(tmp) / "scenario.yaml"
        scenario.write_text(json.dumps(_scaled_file(customers, tree)), encoding="utf-8")
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "lab", "run", str(scenario), "--days", str(days)]
        cmd += ["--out", str(out), "--quiet", "--seed", "1"] + ([] if csv else ["--no-csv"])
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=_env(threads, tree), cwd=tmp, stdout=subprocess.DEVNULL
        )  # fmt: skip
        anon = _peak_anon_mb(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree})")
        size = sum(p.stat().st_size for p in out.iterdir())
    return {
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        "peak_anon_mb": anon,
        "output_mb": size / 1e6,
    }


def _peak_anon_mb(pid: int, every_s: float = 0.05) -> float:
    """The child's largest anonymous resident memory (``RssAnon``), sampled until it exits.

    Peak RSS (``ru_maxrss``) also counts the clean pages of the shared libraries mapped
    from files, which the kernel may drop whenever memory is short and which depend on
    the filesystem (``benchmarks/RESULTS_startrss.md``: ~90 MB more on ext4 than on
    tmpfs for the same packages); anonymous memory is what the run itself allocates.
    Sampled every ``every_s`` seconds, so a peak shorter than that can be missed.
    NaN where ``/proc`` does not say.
    """
    peak = float("nan")
    path = f"/proc/{pid}/status"
    while True:
        try:
            with open(path) as fh:
                text = fh.read()
        except OSError:
            return peak
        if "\nState:\tZ" in text:  # exited, not yet reaped
            return peak
        for line in text.splitlines():
            if line.startswith("RssAnon:"):
                mb = float(line.split()[1]) / 1024.0
                peak = mb if not peak >= mb else peak
        time.sleep(every_s)


def _sweep_task(task: tuple) -> int:
    """One run of the sweep-scaling workload; its customer-days."""
    import lab

    scenario, seed, days = task
    return int(lab.run(scenario, seed=seed, days=days).daily["customers"].sum())


def measure_sweep(customers: int, days: int, runs: int) -> dict:
    """Warm pools of 1 and 2 processes run the same ``runs`` runs: rates and efficiency."""
    from lab.parallel.pool import LocalExecutor

    base, _ = base_scenario()
    sc = scaled(base, customers)
    out = {}
    for workers in (1, 2):
        pool = LocalExecutor(workers)
        try:  # warm-up: workers started, lab imported, kernels loaded
            list(pool.stream(_sweep_task, ((k, (sc, 100 + k, 5)) for k in range(workers))))
            t0 = time.perf_counter()
            done = list(pool.stream(_sweep_task, ((k, (sc, k, days)) for k in range(runs))))
            wall = time.perf_counter() - t0
        finally:
            pool.close()
        out[f"wall_{workers}"] = wall
        out[f"runs_per_min_{workers}"] = runs / wall * 60.0
        out["customer_days"] = sum(cd for _, cd in done)
    out["efficiency"] = out["runs_per_min_2"] / (2.0 * out["runs_per_min_1"])
    return out


def measure_replications(customers: int, days: int, seeds: int, workers: int) -> dict:
    """``lab.replicate`` of ``seeds`` seeds, cold (the call starts its workers)."""
    import lab

    base, _ = base_scenario()
    sc = scaled(base, customers)
    lab.run(scaled(base, 2_000), seed=1, days=10)  # this process's kernels loaded
    t0 = time.perf_counter()
    reps = lab.replicate(
        sc, seeds=range(seeds), days=days, workers=workers, progress=False,
        daily_metrics=("customers", "orders"),
    )  # fmt: skip
    wall = time.perf_counter() - t0
    d = reps.daily
    cd = float(d.loc[d["metric"] == "customers", "value"].sum())
    return {"wall_s": wall, "customer_days": cd, "customer_days_per_s": cd / wall}


def _worker(argv: list[str]) -> None:
    threads, kind, rest = int(argv[0]), argv[1], argv[2:]
    if kind == "engine" and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(cpus[: max(1, threads)]))
    if kind == "engine":
        engine, customers, days, seed = rest[0], int(rest[1]), int(rest[2]), int(rest[3])
        result = measure(engine, customers, days, seed)
    elif kind == "sweep":
        result = measure_sweep(int(rest[0]), int(rest[1]), int(rest[2]))
    elif kind == "reps":
        result = measure_replications(int(rest[0]), int(rest[1]), int(rest[2]), int(rest[3]))
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")
    import numba

    result["threads"] = numba.get_num_threads()
    print(json.dumps(result))


# --------------------------------------------------------------------------- the suite
def plan(args) -> list[tuple]:
    """Every measurement of one round: ``(section, key, thunk-arguments)``."""
    q = args.quick
    items: list[tuple] = []
    for n in args.mesa_sizes:
        items.append(("mesa", (n, "mesa"), ("engine", ["mesa", str(n), str(args.days), "1"], 1)))
        items.append(("mesa", (n, "lab"), ("engine", ["lab", str(n), str(args.days), "1"], 1)))
    for n in args.sizes:
        for t in (1, 2):
            items.append(("engine", (n, t), ("engine", ["lab", str(n), str(args.days), "1"], t)))
    for csv in (False, True):
        items.append(("run", (args.run_size, csv), ("run", (args.run_size, args.days, csv), 2)))
    reps = (2_000, 60, 8, 2) if q else (10_000, args.days, args.reps_seeds, 2)
    items.append(("reps", reps, ("reps", [str(v) for v in reps], 1)))
    sweep = (2_000, 60, 4) if q else (10_000, args.days, args.sweep_runs)
    items.append(("sweep", sweep, ("sweep", [str(v) for v in sweep], 1)))
    return items


def _measure(how: tuple, tree: Path | None) -> dict:
    kind, args, threads = how
    if kind == "run":
        return run_end_to_end(*args, threads=threads, tree=tree)
    return _child([kind, *args], threads, tree)


def main(argv: list[str] | None = None) -> None:
    """Run the suite round by round and write the report after each measurement."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="lab engine sizes")
    ap.add_argument("--big", action="store_true", help="also 10M customers (needs ~8 GB)")
    ap.add_argument("--mesa-sizes", type=int, nargs="+", default=None)
    ap.add_argument("--run-size", type=int, default=None, help="`lab run` end-to-end size")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--reps-seeds", type=int, default=64, help="seeds of the replications")
    ap.add_argument("--sweep-runs", type=int, default=8, help="runs of the sweep scaling")
    ap.add_argument("--before", type=Path, default=None, help="tree of the old code to compare")
    ap.add_argument("--quick", action="store_true", help="small sizes, one round (smoke run)")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or [10_000, 100_000]
        args.mesa_sizes = args.mesa_sizes or [2_000]
        args.run_size = args.run_size or 100_000
        args.days = min(args.days, 120)
        args.rounds = 1
    args.sizes = args.sizes or [10_000, 100_000, 1_000_000] + ([10_000_000] if args.big else [])
    args.mesa_sizes = args.mesa_sizes or [5_000, 20_000]
    args.run_size = args.run_size or 1_000_000

    from lab.results import git_commit

    trees: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        trees = {"before": args.before.resolve(), "after": None}
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "scenario": base_scenario()[1],
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "before": str(args.before) if args.before else None,
        "load_start": _load(),
        "machine": machine_info(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    rows: list[dict] = []
    args.out.mkdir(parents=True, exist_ok=True)
    for tree in trees.values():  # warm-up: each tree's numba cache compiled/loaded
        _child(["engine", "lab", "2000", "5", "1"], 1, tree)
    for r in range(args.rounds):
        for section, key, how in plan(args):
            for label, tree in trees.items():
                if section == "mesa" and key[1] == "mesa" and label == "before":
                    continue  # the peer does not change with the lab
                t0 = time.perf_counter()
                m = _measure(how, tree)
                rows.append({"section": section, "key": list(key), "tree": label, "round": r, **m})
                print(f"round {r} {section} {key} {label}: {time.perf_counter() - t0:.0f} s "
                      f"{ {k: round(v, 3) for k, v in m.items() if isinstance(v, float)} }",
                      flush=True)  # fmt: skip
                meta["load_end"] = _load()
                (args.out / "results.json").write_text(
                    json.dumps({"meta": meta, "results": rows}, indent=2), encoding="utf-8"
                )
                (args.out / "RESULTS.md").write_text(write_report(rows, meta), encoding="utf-8")
    print((args.out / "RESULTS.md").read_text(encoding="utf-8"))


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# --------------------------------------------------------------------------- the report
def _pick(rows: list[dict], section: str, key: list, tree: str) -> list[dict]:
    return [r for r in rows if r["section"] == section and r["key"] == key and r["tree"] == tree]


def _spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def _med(ms: list[dict], key: str) -> float:
    return statistics.median(m.get(key, float("nan")) for m in ms) if ms else float("nan")


def _mark(ok: bool | None) -> str:
    return "not run" if ok is None else ("met" if ok else "**not met**")


def write_report(rows: list[dict], meta: dict) -> str:
    """RESULTS.md: every section's medians and spread, the targets, machine and commit."""
    a = meta["args"]
    trees = ["before", "after"] if meta["before"] else ["after"]
    lines = [
        "# Engine benchmark",
        "",
        f"Generated by `benchmarks/bench_engine.py` on {meta['date']} at commit "
        f"`{meta['commit']}`" + (f", against the tree `{meta['before']}` (before)" if meta["before"] else "") + ".",
        "",
        f"Command: `{meta['command']}` (`make bench` runs it with the defaults). "
        f"Load average at start {meta['load_start']}, at end {meta.get('load_end', '?')} "
        f"on {os.cpu_count()} cores: other jobs share this machine, so read medians, "
        "and compare before/after only within this run (they ran interleaved).",
        "",
        f"Scenario: `{meta['scenario']}` scaled so the pool starts at N customers on day 0; "
        f"{a['days']} days, seed 1 unless said. Numba compile time excluded (warm-up run in "
        "each process) except in the cold replications. Cells: median (min–max) over rounds.",
        "",
        "## Mesa peer and lab at the same size (one core, interleaved)",
        "",
        "| customers | rounds | Mesa M customer-days/s | lab M/s | speed-up (median of per-round ratios) |",
        "|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    speedups = {}
    for n in a["mesa_sizes"]:
        mesa = _pick(rows, "mesa", [n, "mesa"], "after")
        labr = _pick(rows, "mesa", [n, "lab"], "after")
        ratios = [
            lr["customer_days_per_s"] / mr["customer_days_per_s"]
            for mr, lr in zip(mesa, labr, strict=False)
        ]
        speedups[n] = statistics.median(ratios) if ratios else None
        lines.append(
            f"| {n:,} | {len(ratios)} | {_spread([m['customer_days_per_s'] / 1e6 for m in mesa], '{:.3f}')} "
            f"| {_spread([m['customer_days_per_s'] / 1e6 for m in labr])} | {_spread(ratios, '{:.0f}x')} |"
        )  # fmt: skip
    lines += [
        "",
        "## lab engine alone (`lab.run(...).daily`, pinned to as many cores as threads)",
        "",
        "| customers | threads | tree | customer-days | wall s | M customer-days/s | peak RSS MB |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    rate = {}
    for n in a["sizes"]:
        for t in (1, 2):
            for tree in trees:
                ms = _pick(rows, "engine", [n, t], tree)
                if not ms:
                    continue
                rates = [m["customer_days_per_s"] / 1e6 for m in ms]
                rate[(n, t, tree)] = statistics.median(rates) * 1e6
                lines.append(
                    f"| {n:,} | {t} | {tree} | {ms[0]['customer_days']:,} "
                    f"| {_spread([m['wall_s'] for m in ms])} | {_spread(rates)} "
                    f"| {_med(ms, 'peak_rss_mb'):,.0f} |"
                )
    if 10_000_000 not in a["sizes"]:
        lines += ["", "10M customers: not run (pass `--big`; it needs ~8 GB of free memory)."]
    lines += [
        "",
        f"## `lab run` end to end, {a['run_size']:,} customers (2 threads; outputs written)",
        "",
        "| outputs | tree | wall s | peak RSS MB | peak anonymous MB | output MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    run = {}
    for csv in (False, True):
        for tree in trees:
            ms = _pick(rows, "run", [a["run_size"], csv], tree)
            if ms:
                run[(csv, tree)] = ms
                lines.append(
                    f"| {'parquet + CSV' if csv else 'parquet (--no-csv)'} | {tree} "
                    f"| {_spread([m['wall_s'] for m in ms], '{:.1f}')} "
                    f"| {_med(ms, 'peak_rss_mb'):,.0f} | {_med(ms, 'peak_anon_mb'):,.0f} "
                    f"| {_med(ms, 'output_mb'):,.0f} |"
                )
    lines += ["", "## Replications and sweep scaling", ""]
    lines += ["| measure | tree | result |", "|---|---|---:|"]
    reps_wall, eff = None, None
    for tree in trees:
        ms = [r for r in rows if r["section"] == "reps" and r["tree"] == tree]
        if ms:
            n, d, s, w = ms[0]["key"]
            wall = [m["wall_s"] for m in ms]
            reps_wall = statistics.median(wall) if tree == "after" else reps_wall
            lines.append(
                f"| `lab.replicate`: {s} seeds x {n:,} x {d} days, {w} workers, cold "
                f"| {tree} | {_spread(wall, '{:.1f}')} s |"
            )
        ms = [r for r in rows if r["section"] == "sweep" and r["tree"] == tree]
        if ms:
            n, d, k = ms[0]["key"]
            e = [m["efficiency"] for m in ms]
            eff = statistics.median(e) if tree == "after" else eff
            lines.append(
                f"| sweep, warm pool: {k} runs of {n:,} x {d} days, runs/min on 1 / 2 workers "
                f"| {tree} | {_med(ms, 'runs_per_min_1'):.1f} / {_med(ms, 'runs_per_min_2'):.1f} |"
            )
            lines.append(
                f"| sweep scaling efficiency 1 -> 2 workers | {tree} | {_spread(e, '{:.0%}')} |"
            )
    big = a["sizes"][-1] if 1_000_000 not in a["sizes"] else 1_000_000
    r1, r2 = rate.get((big, 1, "after")), rate.get((big, 2, "after"))
    small = rate.get((10_000, 1, "after"))
    run_csv = run.get((True, "after"))
    run_rss = max(
        (_med(v, "peak_rss_mb") for (c, t), v in run.items() if t == "after"), default=None
    )
    year = a["days"] >= 365
    at_size = {  # which targets were measured at the size the target names
        0: big >= 1_000_000 and year,
        1: big >= 1_000_000 and year,
        3: a["run_size"] >= 1_000_000 and year,
        4: a["run_size"] >= 1_000_000 and year,
        6: a["reps_seeds"] >= 64 and year,
    }
    checks = [
        (f">= {TARGET_RATE_1T / 1e6:.0f} M customer-days/s, {big:,} x {a['days']}, one thread",
         r1, None if r1 is None else r1 >= TARGET_RATE_1T, "{:.1f} M", 1e-6),
        (f">= {TARGET_RATE_2T / 1e6:.0f} M customer-days/s, same, two threads",
         r2, None if r2 is None else r2 >= TARGET_RATE_2T, "{:.1f} M", 1e-6),
        (f">= {TARGET_SPEEDUP:.0f}x the Mesa peer at every compared size",
         min((v for v in speedups.values() if v), default=None),
         None if not speedups or None in speedups.values() else min(speedups.values()) >= TARGET_SPEEDUP,
         "{:.0f}x", 1),
        (f"`lab run` {a['run_size']:,} x {a['days']} with CSV <= {TARGET_RUN_S:.0f} s",
         _med(run_csv, "wall_s") if run_csv else None,
         None if not run_csv else _med(run_csv, "wall_s") <= TARGET_RUN_S, "{:.1f} s", 1),
        (f"`lab run` {a['run_size']:,} x {a['days']} peak RSS < 1 GB (CSV and --no-csv)",
         run_rss, None if run_rss is None else run_rss < TARGET_RSS_MB, "{:.0f} MB", 1),
        (f">= {TARGET_SMALL / 1e6:.0f} M customer-days/s at 10k (one thread)",
         small, None if small is None else small >= TARGET_SMALL, "{:.1f} M", 1e-6),
        (f"64 replications x 10k x 365 <= {TARGET_REPS_S:.0f} s on 2 cores",
         reps_wall, None if reps_wall is None else reps_wall <= TARGET_REPS_S, "{:.1f} s", 1),
        (f"sweep scaling 1 -> 2 workers >= {TARGET_SWEEP:.0%}",
         eff, None if eff is None else eff >= TARGET_SWEEP, "{:.0%}", 1),
    ]  # fmt: skip
    lines += ["", "## Targets (issue 16)", "", "| target | measured | status |", "|---|---:|---|"]
    for k, (text, value, ok, fmt, scale) in enumerate(checks):
        shown = "-" if value is None else fmt.format(value * scale)
        status = _mark(ok) if at_size.get(k, True) or ok is None else "smaller run: not judged"
        lines.append(f"| {text} | {shown} | {status} |")
    lines += [
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in meta["machine"].items()],
        "",
        "Raw numbers: `benchmarks/results.json` (not committed).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
    else:
        main()
