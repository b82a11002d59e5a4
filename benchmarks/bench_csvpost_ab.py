"""A/B of ``lab run`` end to end (CSV + parquet, and parquet only) between two trees.

The two trees run in turn (the order swapped each round), each in a child process on
the machine's default numba threads, at ``CUSTOMERS`` x 365 days of the scaled
baseline.  One JSON line per run: wall and CPU seconds, peak RSS, peak anonymous
memory, a hash of the data files (the same bytes in both trees), the 1-minute load::

    git archive OLD | tar -x -C /tmp/tree_before
    git archive NEW | tar -x -C /tmp/tree_after
    python benchmarks/bench_csvpost_ab.py /tmp/tree_before /tmp/tree_after 3 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def one_run(tree: str, customers: int, csv: bool) -> dict:
    """One ``python -m lab run`` child of ``tree``: its measures."""
    import bench_engine as be

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "s.yaml"
        scenario.write_text(json.dumps(be._scaled_file(customers, None)), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
        env["PYTHONPATH"] = tree
        out = Path(tmp) / "o"
        cmd = [sys.executable, "-m", "lab", "run", str(scenario), "--days", "365"]
        cmd += ["--out", str(out), "--quiet", "--seed", "1"] + ([] if csv else ["--no-csv"])
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL)
        anon = be._peak_anon_mb(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (tree {tree})")
        files = sorted(p for p in out.iterdir() if p.name.startswith(("transactions", "customers")))
        digest = subprocess.run(
            ["md5sum", *map(str, files)], capture_output=True, text=True, check=True
        ).stdout
        return {
            "wall": round(wall, 2),
            "cpu": round(usage.ru_utime + usage.ru_stime, 1),
            "rss": round(usage.ru_maxrss / 1024),
            "anon": round(anon),
            "files_md5": "".join(line.split()[0][:8] for line in digest.splitlines()),
            "load": round(os.getloadavg()[0], 2),
        }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("rounds", type=int)
    ap.add_argument("customers", type=int)
    a = ap.parse_args(argv)
    trees = {"before": a.before, "after": a.after}
    for r in range(a.rounds):
        for csv in (True, False):
            for name in ("before", "after") if r % 2 == 0 else ("after", "before"):
                row = {"tree": name, "csv": csv, "round": r}
                print(json.dumps({**row, **one_run(trees[name], a.customers, csv)}), flush=True)


if __name__ == "__main__":
    main()
