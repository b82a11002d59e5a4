"""``lab run`` at scale, phase by phase, and before/after interleaved (issue 16 item 3).

Two modes, each one ``lab run SCENARIO --days D --out DIR --quiet --seed 1`` child per
measurement (the scenario: ``scenarios/baseline.yaml`` scaled as in ``bench_engine.py``):

``phases``
    The child runs through a driver that wraps the run's functions with timers (no
    change to the code under test): wall seconds, process CPU seconds (all threads)
    and the highest RSS (sampled every 10 ms) of each phase -- start-up and imports,
    scenario load, model set-up, the day loop, the end of the run (result object,
    freeing the model), the customers' columns, each file written, the fsync and
    swap of the folder, the printed summary.  Phases nest (a file written inside the
    save); the table shows each phase's own time (``self``) beside its total.
``ab``
    ``before`` (another tree, e.g. ``git archive main``, first on ``PYTHONPATH``) and
    ``after`` (this checkout) alternate in every round (A B A B ...): CPU seconds of the
    child and all its threads (``os.wait4``), wall seconds, peak RSS (``ru_maxrss``)
    and the 1-minute load before each run; the two trees' folders are compared
    byte for byte (SHA-256 of every file, the ``git_commit`` stamp fixed to ``fixed``
    in both; manifests equal but for ``created_utc``).

The machine is shared: CPU time is the measure to read; wall time is given with the load.

Run::

    PYTHONPATH=$PWD python benchmarks/bench_runfast.py phases --size 1000000
    PYTHONPATH=$PWD python benchmarks/bench_runfast.py ab --before /tmp/runfast_before
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_run_outputs import write_scenario  # noqa: E402
from bench_runout import digests  # noqa: E402

#: the child of ``phases``: wraps the run's functions with phase timers, then runs the CLI
PHASE_DRIVER = r'''
import json, os, sys, threading, time
T0_WALL, T0_CPU = time.perf_counter(), time.process_time()
STACK, ROWS = [], {}
PEAK = {"value": 0.0}

def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def sampler():
    while True:
        r = rss_mb()
        for name in list(STACK) or ["(between)"]:
            row = ROWS.setdefault(name, {"wall": 0.0, "cpu": 0.0, "self_wall": 0.0,
                                         "self_cpu": 0.0, "rss": 0.0, "calls": 0})
            row["rss"] = max(row["rss"], r)
        time.sleep(0.01)

threading.Thread(target=sampler, daemon=True).start()

class Phase:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        self.t, self.c = time.perf_counter(), time.process_time()
        self.child_w = self.child_c = 0.0
        STACK.append(self.name)
        return self
    def __exit__(self, *exc):
        w, c = time.perf_counter() - self.t, time.process_time() - self.c
        STACK.pop()
        OPEN.pop()
        row = ROWS.setdefault(self.name, {"wall": 0.0, "cpu": 0.0, "self_wall": 0.0,
                                          "self_cpu": 0.0, "rss": 0.0, "calls": 0})
        row["wall"] += w; row["cpu"] += c; row["calls"] += 1
        row["self_wall"] += w - self.child_w; row["self_cpu"] += c - self.child_c
        if OPEN:
            OPEN[-1].child_w += w; OPEN[-1].child_c += c
        return False

OPEN = []

def phase(name):
    p = Phase(name)
    OPEN.append(p)
    return p

def wrap(owner, attr, name):
    fn = getattr(owner, attr)
    def wrapped(*a, **k):
        if threading.current_thread() is not threading.main_thread():
            return fn(*a, **k)  # phases are the main thread's; a writer thread has its own row
        with phase(name):
            return fn(*a, **k)
    wrapped.__wrapped__ = fn
    setattr(owner, attr, wrapped)

def wrap_gen(owner, attr, name):
    """A generator's time spent producing items (not the consumer's)."""
    fn = getattr(owner, attr)
    def wrapped(*a, **k):
        it = fn(*a, **k)
        while True:
            with phase(name):
                try:
                    item = next(it)
                except StopIteration:
                    return
            yield item
    setattr(owner, attr, wrapped)

with phase("start-up: imports (lab.cli)"):
    import lab.results
    lab.results.git_commit = lambda: "fixed"
    import lab.cli, lab.cli.run, lab.cli.common
with phase("start-up: imports (engine: lab.api)"):
    import lab.api, lab.model, lab.io
import lab.results as R, lab.model as M, lab.api as A, lab.io as IO
wrap(lab.cli.run, "load_or_exit", "scenario load")
wrap(M.PoolModel, "__init__", "model set-up")
wrap(M.PoolModel, "run_model", "day loop")
wrap(R.RunResult, "__init__", "end of run: result object")
wrap(A, "release_freed_memory", "end of run: gc + malloc_trim")
wrap(R.RunResult, "save", "save (all files)")
wrap(R.RunResult, "_customer_columns", "customers: columns")
wrap_gen(R.RunResult, "_transaction_slices", "transactions: slices from the log")
wrap(R, "write_parquet_slices", "write parquet slices")
wrap(R, "write_csv_slices", "write CSV slices")
wrap(R, "write_csv", "write CSV (table)")
wrap(R, "write_parquet", "write parquet (table)")
wrap(R.RunResult, "summary", "summary (headline numbers)")
if hasattr(R.RunResult, "write_files"):  # the tree with the streamed transactions CSV
    wrap(R.RunResult, "_write_customers", "customers: columns, parquet, CSV")
    wrap(R.TransactionsCsvStream, "join", "wait for the transactions CSV thread")
    _thread_run = R.TransactionsCsvStream._run

    def thread_run(self):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return _thread_run(self)
        finally:
            ROWS["transactions CSV thread (its own CPU; runs beside the others)"] = {
                "wall": time.perf_counter() - t, "cpu": time.thread_time() - c,
                "self_wall": 0.0, "self_cpu": 0.0, "rss": 0.0, "calls": 1}

    R.TransactionsCsvStream._run = thread_run
wrap(IO, "_fsync_tree", "fsync the folder")
wrap(IO, "_swap_in", "swap the folder in")
wrap(lab.cli.run, "_print_summary", "print summary")
import gc
_collect = gc.collect
def collect(*a):
    with phase("end of run: gc.collect"):
        return _collect(*a)
gc.collect = collect
sys.argv = ["lab", "run", *sys.argv[1:]]
try:
    with phase("lab run command"):
        lab.cli.app(standalone_mode=False)
finally:
    ROWS["(whole process, from the driver's start)"] = {
        "wall": time.perf_counter() - T0_WALL, "cpu": time.process_time() - T0_CPU,
        "self_wall": 0.0, "self_cpu": 0.0, "rss": rss_mb(), "calls": 1}
    ROWS["(main thread's own CPU: the critical path on idle cores)"] = {
        "wall": 0.0, "cpu": time.thread_time(), "self_wall": 0.0, "self_cpu": 0.0,
        "rss": 0.0, "calls": 1}
    sys.stderr.write("PHASES " + json.dumps(ROWS) + "\n")
'''

#: the child of ``ab``: the ``git_commit`` stamp fixed, then the CLI
AB_DRIVER = """
import sys
import lab.results
lab.results.git_commit = lambda: "fixed"
from lab.cli import app
sys.argv = ["lab", "run", *sys.argv[1:]]
app()
"""


def _command(driver: str, scenario: Path, days: int, csv: bool, out: Path) -> list[str]:
    cmd = [sys.executable, "-c", driver, str(scenario), "--days", str(days)]
    return cmd + ["--out", str(out), "--quiet", "--seed", "1"] + ([] if csv else ["--no-csv"])


def _env(tree: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree if tree is not None else ROOT)
    return env


def run_once(tree: Path | None, scenario: Path, days: int, csv: bool, out: Path) -> dict:
    """One ``lab run`` child: CPU (all threads), wall, peak RSS, the load before it."""
    cmd = _command(AB_DRIVER, scenario, days, csv, out)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=_env(tree), cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree})")
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        "load1": load,
        "load1_after": os.getloadavg()[0],
    }


def run_phases(tree: Path | None, scenario: Path, days: int, csv: bool, out: Path) -> dict:
    """One phase-instrumented ``lab run`` child: its phase rows and whole-process numbers."""
    cmd = _command(PHASE_DRIVER, scenario, days, csv, out)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=_env(tree), cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree}):\n{err[-3000:]}")
    line = next(ln for ln in err.splitlines() if ln.startswith("PHASES "))
    return {
        "phases": json.loads(line[len("PHASES ") :]),
        "wall_s": wall,
        "load1": load,
        "load1_after": os.getloadavg()[0],
    }


def phase_table(runs: list[dict]) -> str:
    """Median over runs of each phase (markdown), in the order the phases ran."""
    names = list(runs[0]["phases"])
    lines = [
        "| phase | calls | wall s | CPU s (all threads) | self wall s | self CPU s | max RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        rows = [r["phases"][name] for r in runs if name in r["phases"]]

        def med(key: str, rows: list[dict] = rows) -> float:
            return statistics.median(x[key] for x in rows)

        lines.append(
            f"| {name} | {rows[0]['calls']} | {med('wall'):.2f} | {med('cpu'):.2f} "
            f"| {med('self_wall'):.2f} | {med('self_cpu'):.2f} | {med('rss'):,.0f} |"
        )
    loads = ", ".join(f"{r['load1']:.1f}->{r['load1_after']:.1f}" for r in runs)
    walls = ", ".join(f"{r['wall_s']:.1f}" for r in runs)
    lines.append(f"\nchild wall s (from Popen): {walls}; 1-min load before->after: {loads}")
    return "\n".join(lines)


def ab_table(rows: list[dict]) -> str:
    """Medians by size, outputs and tree (markdown), with every run's load."""
    lines = [
        "| customers | outputs | tree | runs | CPU s (median; all) | wall s (median; all)"
        " | peak RSS MB (max) | load 1-min before | same files |",
        "|---:|---|---|---:|---|---|---:|---|---|",
    ]
    for size, csv in sorted({(r["size"], r["csv"]) for r in rows}):
        for tree in ("before", "after"):
            ms = [r for r in rows if (r["size"], r["csv"], r["tree"]) == (size, csv, tree)]
            if not ms:
                continue
            cpu = ", ".join(f"{m['cpu_s']:.1f}" for m in ms)
            wall = ", ".join(f"{m['wall_s']:.1f}" for m in ms)
            same = [m["same_files_as_before"] for m in ms if "same_files_as_before" in m]
            lines.append(
                f"| {size:,} | {'parquet + CSV' if csv else 'parquet'} | {tree} | {len(ms)} "
                f"| {statistics.median(m['cpu_s'] for m in ms):.1f} ({cpu}) "
                f"| {statistics.median(m['wall_s'] for m in ms):.1f} ({wall}) "
                f"| {max(m['peak_rss_mb'] for m in ms):,.0f} "
                f"| {', '.join(format(m['load1'], '.1f') for m in ms)} "
                f"| {'yes' if same and all(same) else ('' if not same else 'NO')} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["phases", "ab"])
    ap.add_argument("--before", type=Path, help="tree of the old code (ab; phases: also run it)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--outputs", choices=["both", "csv", "parquet"], default="both")
    ap.add_argument("--json", type=Path, default=Path(tempfile.gettempdir()) / "runfast.json")
    args = ap.parse_args()
    csv_modes = {"both": (False, True), "csv": (True,), "parquet": (False,)}[args.outputs]
    trees = {"after": None} if args.before is None else {"before": args.before.resolve()}
    if args.before is not None:
        trees["after"] = None
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench_runfast_") as tmp:
        work = Path(tmp)
        for label, tree in trees.items():  # warm-up: numba caches loaded/compiled per tree
            run_once(tree, write_scenario(2_000, work), 10, True, work / f"warm_{label}")
        for size in args.sizes:
            scenario = write_scenario(size, work)
            for r in range(args.rounds):
                for csv in csv_modes:
                    outs = {}
                    for label, tree in trees.items():
                        outs[label] = work / f"o_{label}"
                        if args.mode == "phases":
                            m = run_phases(tree, scenario, args.days, csv, outs[label])
                        else:
                            m = run_once(tree, scenario, args.days, csv, outs[label])
                        m.update(size=size, csv=csv, tree=label, round=r)
                        rows.append(m)
                        print(json.dumps({k: v for k, v in m.items() if k != "phases"}), flush=True)
                    if len(outs) == 2:
                        same = digests(outs["before"]) == digests(outs["after"])
                        rows[-1]["same_files_as_before"] = same
                        print(f"{size:,} csv={csv} round {r}: same files: {same}", flush=True)
                    args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.mode == "phases":
        for size, csv, tree in sorted({(r["size"], r["csv"], r["tree"]) for r in rows}):
            runs = [r for r in rows if (r["size"], r["csv"], r["tree"]) == (size, csv, tree)]
            print(
                f"\n### {size:,} x {args.days}, {'parquet + CSV' if csv else 'parquet'}, {tree}\n"
            )
            print(phase_table(runs))
    else:
        print(ab_table(rows))
    print(f"\nraw: {args.json}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
