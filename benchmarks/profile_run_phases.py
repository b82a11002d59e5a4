"""Where the time of ``lab run`` goes, phase by phase (wall, process CPU, threads, I/O).

Runs what ``lab run SCENARIO --out OUT`` runs (``lab.cli.run._run_and_write``) in this
process, with timers wrapped around its phases, for the baseline scaled to CUSTOMERS on
day 0 (as ``benchmarks/bench_engine.py``).  Per phase: wall seconds, CPU seconds of the
whole process (all threads) and of each thread that worked (by name: numba's workers,
the CSV text threads ``lab-csv``, Arrow's own pools), bytes the process handed to the
kernel for writing (``/proc/self/io`` ``wchar``), and the machine's dirty and
under-writeback page cache at the phase's end (``/proc/meminfo``)::

    PYTHONPATH=TREE python benchmarks/profile_run_phases.py 1000000 --out /tmp/x/o
    PYTHONPATH=TREE python benchmarks/profile_run_phases.py 1000000 --out /dev/shm/x/o

One JSON object on stdout (phases in the order they ended; a phase that runs more than
once, e.g. a parquet file per table, is named by its file).  The output folder is the
lab's own (``--out`` must not exist or be a lab folder); remove it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PHASES: list[dict] = []
_CLK = os.sysconf("SC_CLK_TCK")


def _threads() -> dict[str, tuple[float, float]]:
    """(user, system) CPU seconds of each live thread of this process, keyed 'name/tid'."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[f"{name}/{tid}"] = (int(fields[11]) / _CLK, int(fields[12]) / _CLK)
    return out


def _machine() -> dict[str, float]:
    """Machine-wide CPU seconds since boot (``/proc/stat``): user, system, iowait, steal."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    return {"user": (f[0] + f[1]) / _CLK, "sys": (f[2] + f[5] + f[6]) / _CLK,
            "iowait": f[4] / _CLK, "steal": f[7] / _CLK}  # fmt: skip


def _wchar() -> int:
    with open("/proc/self/io") as fh:
        for line in fh:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def _meminfo(*keys: str) -> dict[str, float]:
    out = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            k = line.split(":")[0]
            if k in keys:
                out[k] = round(int(line.split()[1]) / 1024, 1)
    return out


@contextlib.contextmanager
def phase(name: str):
    t0, c0, th0, w0 = time.perf_counter(), time.process_time(), _threads(), _wchar()
    r0, m0 = resource.getrusage(resource.RUSAGE_SELF), _machine()
    try:
        yield
    finally:
        th1 = _threads()
        busy = {}
        for k, (u, s) in th1.items():
            u0, s0 = th0.get(k, (0.0, 0.0))
            if u - u0 + s - s0 >= 0.05:
                busy[k] = {"user": round(u - u0, 2), "sys": round(s - s0, 2)}
        usage, m1 = resource.getrusage(resource.RUSAGE_SELF), _machine()
        PHASES.append(
            {
                "phase": name,
                "wall": round(time.perf_counter() - t0, 3),
                "cpu": round(time.process_time() - c0, 3),
                "sys": round(usage.ru_stime - r0.ru_stime, 3),
                "minflt": usage.ru_minflt - r0.ru_minflt,
                "threads": busy,
                "written_mb": round((_wchar() - w0) / 2**20, 1),
                "rss_max_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "machine": {k: round(m1[k] - m0[k], 2) for k in m1},
                **_meminfo("Dirty", "Writeback"),
            }
        )


def timed(owner, attr: str, label) -> None:
    """Wrap ``owner.attr`` in :func:`phase` (``label(*args)`` names each call)."""
    inner = getattr(owner, attr)

    @functools.wraps(inner)
    def wrapper(*args, **kw):
        with phase(label(*args, **kw) if callable(label) else label):
            return inner(*args, **kw)

    setattr(owner, attr, wrapper)


def _name_of_path(pos: int, prefix: str = ""):
    def label(*args, **kw):
        path = kw.get("path", args[pos] if len(args) > pos else "?")
        return f"{prefix}{Path(str(path)).name}"

    return label


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("customers", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--no-csv", action="store_true")
    a = ap.parse_args(argv)
    t_start = time.perf_counter()

    import bench_engine as be

    import lab.api
    import lab.io
    import lab.population
    import lab.results
    from lab.cli.run import _run_and_write
    from lab.scenario import load_scenario

    reallocs: list[dict] = []
    reserve = lab.population.Population.reserve

    def counted(self, extra):
        before, t0 = self.capacity, time.perf_counter()
        reserve(self, extra)
        if self.capacity != before:
            reallocs.append(
                {"from": before, "to": self.capacity, "n": self.n,
                 "wall": round(time.perf_counter() - t0, 3)}
            )  # fmt: skip

    lab.population.Population.reserve = counted
    timed(lab.api, "run", "simulate (model, run, RunResult)")
    timed(lab.results, "write_csv_slices", _name_of_path(1, "csv "))
    timed(lab.results, "write_parquet_slices", _name_of_path(1, "parquet "))
    timed(lab.results, "write_parquet", _name_of_path(1, "parquet "))
    timed(lab.results, "write_csv", _name_of_path(1, "csv "))
    timed(lab.results.RunResult, "_customer_columns", "customers columns")
    timed(lab.results.RunResult, "_release_log", "release log")
    timed(lab.results, "_release_arrow_memory", "release arrow memory")
    timed(lab.io, "_stamp_manifest", "manifest stamp")
    timed(lab.io, "_fsync_tree", "fsync tree")
    timed(lab.io, "_swap_in", "rename into place")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(json.dumps(be._scaled_file(a.customers, None)), encoding="utf-8")
        sc = load_scenario(path)
    formats = ("parquet",) if a.no_csv else ("parquet", "csv")
    t0, c0 = time.perf_counter(), time.process_time()
    _run_and_write(sc, 1, a.days, Path(a.out), formats, lambda d: None)
    import numba
    import pyarrow as pa

    print(
        json.dumps(
            {
                "customers": a.customers,
                "out": a.out,
                "csv": not a.no_csv,
                "numba_threads": numba.get_num_threads(),
                "arrow_cpu_count": pa.cpu_count(),
                "arrow_io_threads": pa.io_thread_count(),
                "imports_wall": round(t0 - t_start, 2),
                "run_and_write_wall": round(time.perf_counter() - t0, 2),
                "run_and_write_cpu": round(time.process_time() - c0, 2),
                "rss_max_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "reallocations": reallocs,
                "load1": round(os.getloadavg()[0], 2),
                "phases": PHASES,
            }
        )
    )


if __name__ == "__main__":
    main()
