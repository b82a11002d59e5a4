"""Peak RSS of one ``lab run`` and where it happens (run in a fresh process).

A sampler thread reads ``VmRSS`` from ``/proc/self/status`` every ``--every`` seconds
while ``python -m lab run`` runs in this process (the CLI's own ``main``).  Each time
the RSS reaches a new high the main thread's stack is recorded, so the report says in
which function the peak was reached; it also prints the RSS at a few milestones
(imports, model built, simulation done, outputs written) and the kernel's ``VmHWM``.
NumPy allocations are counted (tracemalloc would miss most of them).

Run (the tree to measure first on ``PYTHONPATH``)::

    PYTHONPATH=$PWD python benchmarks/profile_mem.py SCENARIO.yaml --days 365 --out DIR [--no-csv]

The scenario is written by ``bench_run_outputs.write_scenario`` (``--customers N``
writes the baseline scaled to N customers and runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _status(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class Sampler(threading.Thread):
    """Polls RSS; keeps the main thread's stack at each new high and the top few."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.main_id = threading.main_thread().ident
        self.peak = 0.0
        self.peak_stack: list[str] = []
        self.highs: list[tuple[float, float, str]] = []  # (t, MB, innermost lab frame)
        self.stop = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self.stop.is_set():
            rss = _status("VmRSS:")
            if rss > self.peak + 5.0:
                frame = sys._current_frames().get(self.main_id)
                stack = traceback.format_stack(frame) if frame is not None else []
                del frame  # a kept frame would keep the run's locals (the model) alive
                self.peak = rss
                self.peak_stack = stack
                lab_frames = [s for s in stack if "/lab/" in s]
                where = lab_frames[-1].strip().splitlines()[0] if lab_frames else "?"
                self.highs.append((time.perf_counter() - self.t0, rss, where))
            time.sleep(self.every)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path, nargs="?")
    ap.add_argument("--customers", type=int, default=None)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-csv", action="store_true")
    ap.add_argument("--every", type=float, default=0.02)
    ap.add_argument("--json", type=Path, default=None, help="write the result here too")
    args = ap.parse_args()
    sampler = Sampler(args.every)
    sampler.start()
    scenario = args.scenario
    if scenario is None:
        sys.path.insert(0, str(HERE))
        from bench_run_outputs import write_scenario

        scenario = write_scenario(args.customers, Path(tempfile.mkdtemp(prefix="memprof_")))
    milestones = {"start": _status("VmRSS:")}
    from lab.cli import main as lab_main

    milestones["cli imported"] = _status("VmRSS:")
    import lab.model as model

    built = model.PoolModel.__init__

    def init(self, *a, **k):
        built(self, *a, **k)
        milestones["model built"] = _status("VmRSS:")

    model.PoolModel.__init__ = init
    argv = ["lab", "run", str(scenario), "--days", str(args.days), "--out", str(args.out)]
    argv += ["--quiet", "--seed", "1"] + (["--no-csv"] if args.no_csv else [])
    sys.argv = argv
    t_cpu = time.process_time()
    try:
        lab_main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    cpu = time.process_time() - t_cpu
    milestones["end"] = _status("VmRSS:")
    sampler.stop.set()
    sampler.join()
    result = {
        "peak_rss_mb_sampled": round(sampler.peak, 1),
        "vmhwm_mb": round(_status("VmHWM:"), 1),
        "cpu_s_run": round(cpu, 2),
        "milestones_mb": {k: round(v, 1) for k, v in milestones.items()},
        "highs": [(round(t, 2), round(m, 1), w) for t, m, w in sampler.highs[-12:]],
        "peak_stack": [s.strip().splitlines()[0] for s in sampler.peak_stack if "/lab/" in s],
    }
    text = json.dumps(result, indent=1)
    print(text, flush=True)
    if args.json:
        args.json.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
