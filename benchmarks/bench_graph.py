"""Speed and memory of the finite market's social graph (``market:`` in a scenario).

Every configuration runs in a fresh subprocess with numba, OpenMP, MKL and OpenBLAS
limited to one thread, after a warm-up build of 2,000 people (numba compile excluded):

* **build s**: wall time of :class:`lab.market.MarketState` (graph + per-person state
  + the random order the channels draw from), from the scenario's ``market`` section;
* **graph B/person**: bytes of the graph's arrays (CSR ``indptr`` int64, ``indices``
  int32 and, with varying tie strengths, ``weight`` float32; segment int8,
  community int32) divided by the market size;
* **market B/person**: the graph plus the per-person state (state, slot,
  declined day, friends who are customers, draw order);
* **RSS added MB**: resident memory after the build minus before (what stays);
* **peak RSS MB**: the whole process at its peak (the build's temporaries: stubs,
  sort keys);

and one year of ``scenarios/q8_fission_saturation.yaml`` with the market grown to
1,000,000 people, next to ``scenarios/baseline.yaml`` (no market) for the cost of the
market in a run.  Results go to ``benchmarks/RESULTS_graph.md``.

Run with ``.venv/bin/python benchmarks/bench_graph.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
TARGET_BUILD_S = 60.0  # 1M people
TARGET_BYTES = 400.0  # "a few hundred bytes per person"

GRAPHS = {
    "clustered": {
        "kind": "clustered",
        "mean_degree": 20,
        "degree_shape": 1.5,
        "community_size": 200,
        "within_community_share": 0.7,
        "homophily": 0.5,
        "tie_strength": {"dist": "beta", "mean": 0.5, "concentration": 4},
    },
    "random, fixed ties": {
        "kind": "random",
        "mean_degree": 20,
        "degree_shape": None,
        "tie_strength": {"dist": "fixed", "mean": 1.0},
    },
}


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _market_state(size: int, graph: dict):
    import numpy as np

    from lab.market import MarketState
    from lab.rng import RandomStreams
    from lab.scenario import Market

    cfg = Market(size=size, graph=graph)
    labels = ["business", "student", "white_collar"]
    return MarketState(cfg, RandomStreams(1), labels, np.array([0.2, 0.2, 0.6]))


def measure_build(size: int, graph_name: str) -> dict:
    """Warm up, then build one market; meant to run alone in a fresh process."""
    graph = GRAPHS[graph_name]
    _market_state(2_000, graph)
    rss0 = _rss_mb()
    c0, t0 = time.process_time(), time.perf_counter()
    m = _market_state(size, graph)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rss1 = _rss_mb()
    deg = m.graph.degree()
    return {
        "what": "build",
        "graph": graph_name,
        "size": size,
        "build_s": wall,
        "build_cpu_s": cpu,
        "mean_degree": float(deg.mean()),
        "max_degree": int(deg.max()),
        "graph_bytes_per_person": m.graph.nbytes() / size,
        "market_bytes_per_person": m.nbytes() / size,
        "rss_added_mb": rss1 - rss0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def measure_run(name: str, market_size: int | None) -> dict:
    """One year of a scenario (q8 with a market of ``market_size``, or baseline)."""
    import lab
    from lab.scenario import dump_scenario

    path = ROOT / "scenarios" / name
    data = dump_scenario(lab.load_scenario(path))
    lab.run(lab.scenario_from_dict(dict(data, market={**data["market"], "size": 2000})), days=5)
    if market_size is not None:
        data["market"]["size"] = market_size
    sc = lab.scenario_from_dict(data)
    c0, t0 = time.process_time(), time.perf_counter()
    daily = lab.run(sc, seed=1).daily
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "what": "run",
        "scenario": name,
        "size": market_size,
        "wall_s": wall,
        "cpu_s": cpu,
        "customers_at_end": int(daily["customers"].iloc[-1]),
        "customer_days": int(daily["customers"].sum()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def _isolated(*args: str) -> dict:
    env = dict(os.environ, **dict.fromkeys(THREAD_VARS, "1"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_report(builds: list[dict], runs: list[dict], path: Path) -> str:
    """Write RESULTS_graph.md and return its text."""
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Social-graph benchmark",
        "",
        f"Generated by `benchmarks/bench_graph.py` on {date} at commit `{_commit()}`.",
        "",
        "Each row is a fresh subprocess, one thread (`NUMBA_NUM_THREADS` etc. = 1), after a",
        "warm-up build of 2,000 people (numba compile excluded). Build = graph + per-person",
        "market state + draw order (`lab.market.MarketState`), seed 1, target mean degree 20.",
        "Stubs lost to self-ties and duplicate ties are re-paired (up to four rounds), so the",
        "realised mean degree is close to 20. RSS added = resident memory kept after the",
        "build; peak RSS includes the",
        "build's temporaries (stub arrays and sort keys, freed at the end). CPU s is the",
        "process time of the build (less sensitive than wall time to other load on the",
        f"machine; 1-minute load average when this file was written: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores).",
        "",
        "| graph | people | build s | CPU s | mean degree | max degree | graph B/person "
        "| market B/person | RSS added MB | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in builds:
        lines.append(
            f"| {b['graph']} | {b['size']:,} | {b['build_s']:.2f} | {b['build_cpu_s']:.2f} "
            f"| {b['mean_degree']:.1f} "
            f"| {b['max_degree']:,} | {b['graph_bytes_per_person']:.0f} "
            f"| {b['market_bytes_per_person']:.0f} | {b['rss_added_mb']:.0f} "
            f"| {b['peak_rss_mb']:.0f} |"
        )
    big = [b for b in builds if b["size"] >= 1_000_000]
    lines += ["", "## Targets", "", "| target | measured | status |", "|---|---:|---|"]
    for b in big:
        ok_t = b["build_s"] < TARGET_BUILD_S
        ok_b = b["market_bytes_per_person"] <= TARGET_BYTES
        lines.append(
            f"| {b['graph']}: 1M people build in < {TARGET_BUILD_S:.0f} s | "
            f"{b['build_s']:.1f} s | {'met' if ok_t else '**not met**'} |"
        )
        lines.append(
            f"| {b['graph']}: <= {TARGET_BYTES:.0f} B/person (graph + market state) | "
            f"{b['market_bytes_per_person']:.0f} B | {'met' if ok_b else '**not met**'} |"
        )
    lines += [
        "",
        "## A year with a market",
        "",
        "| scenario | market | customers (end) | customer-days | wall s | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        size = f"{r['size']:,}" if r["size"] else "none"
        lines.append(
            f"| `{r['scenario']}` | {size} | {r['customers_at_end']:,} | {r['customer_days']:,} "
            f"| {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        "The market run includes building its graph (1M people), invitations along ties and",
        "scarcity pricing of paid acquisition; the baseline has no market. JIT warm-up excluded.",
    ]
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, *args = sys.argv[2:]
        if kind == "build":
            result = measure_build(int(args[0]), args[1])
        else:
            result = measure_run(args[0], int(args[1]) if args[1] != "none" else None)
        print(json.dumps(result))
        return
    builds = [_isolated("build", str(n), g) for g in GRAPHS for n in (100_000, 1_000_000)]
    for b in builds:
        print(b, flush=True)
    runs = [
        _isolated("run", "baseline.yaml", "none"),
        _isolated("run", "q8_fission_saturation.yaml", "1000000"),
    ]
    for r in runs:
        print(r, flush=True)
    print(write_report(builds, runs, HERE / "RESULTS_graph.md"))


if __name__ == "__main__":
    main()
