"""A/B of ``lab run`` by phase: two trees in turn through ``profile_run_phases.py``.

Each round runs the before and the after tree (order swapped every round) at
CUSTOMERS x 365 days with CSV, each in a child process on the default numba threads,
output in a fresh folder under ``--tmp`` (removed after its files are hashed).  One JSON
line per run: the simulation's and the writing's wall, CPU and system CPU seconds (the
writing = every phase after the simulation: files, fsync, rename), the whole
``_run_and_write``, peak RSS, reallocations, the SHA-256 of every output file but the
manifest, and the 1-minute load before and after.  On a shared machine the writing's
CPU and system seconds are steadier than the whole run's wall::

    python benchmarks/bench_csvwall_ab.py /tmp/tree_before /tmp/tree_after 2 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_run(tree: str, customers: int, tmp_root: str) -> dict:
    tmp = tempfile.mkdtemp(prefix="csvwall_ab_", dir=tmp_root)
    try:
        out = Path(tmp) / "out"
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
        env["PYTHONPATH"] = tree
        load0 = os.getloadavg()[0]
        proc = subprocess.run(
            [sys.executable, str(HERE / "profile_run_phases.py"), str(customers), "--out", str(out)],
            env=env, cwd=tmp, capture_output=True, text=True, check=True,
        )  # fmt: skip
        data = json.loads(proc.stdout)
        digests = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            for p in sorted(out.iterdir())
            if p.name != "manifest.json"
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    phases = data["phases"]
    sim = next(p for p in phases if p["phase"].startswith("simulate"))
    after = phases[phases.index(sim) + 1 :]
    return {
        "simulate": [sim["wall"], sim["cpu"], sim["sys"]],
        "writing": [
            round(sum(p["wall"] for p in after), 2),
            round(sum(p["cpu"] for p in after), 2),
            round(sum(p["sys"] for p in after), 2),
        ],
        "by_file": {p["phase"]: [p["wall"], p["cpu"], p["sys"]] for p in after if p["wall"] > 0.2},
        "run_and_write": [data["run_and_write_wall"], data["run_and_write_cpu"]],
        "rss_max_mb": data["rss_max_mb"],
        "reallocations": len(data["reallocations"]),
        "sha256": digests,
        "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("rounds", type=int)
    ap.add_argument("customers", type=int)
    ap.add_argument("--tmp", default=tempfile.gettempdir())
    a = ap.parse_args(argv)
    trees = {"before": a.before, "after": a.after}
    for r in range(a.rounds):
        for name in ("before", "after") if r % 2 == 0 else ("after", "before"):
            row = {"tree": name, "round": r}
            print(json.dumps({**row, **one_run(trees[name], a.customers, a.tmp)}), flush=True)


if __name__ == "__main__":
    main()
