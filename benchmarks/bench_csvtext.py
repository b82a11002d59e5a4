"""CSV text of a big run's two tables, the writer alone: before/after trees interleaved.

Each measurement is a child process on one tree (``PYTHONPATH``; the trees run in
turn, the order swapped each round) that builds the ``transactions`` and
``customers`` tables from a saved run's parquet files, warms the writer up (numba
compile) on a few rows, then writes each table as CSV with the tree's
``lab.csv_arrow``: the transactions from slices of 32,768 rows as
``RunResult.write_files`` builds them (:func:`write_csv_tables`), the customers
whole (:func:`write_csv_table`).  One JSON line per table and run: wall and CPU
seconds of the write (the child's own clock), the output's MD5 (the same bytes in both
trees), the child's peak RSS and the 1-minute load::

    git archive main | tar -x -C /tmp/csvtext_before
    python benchmarks/bench_csvtext.py RUN_FOLDER /tmp/csvtext_before . --rounds 5

``RUN_FOLDER`` holds ``transactions.parquet`` and ``customers.parquet`` (``lab run``);
``--threads`` sets the text threads (default 1: CPU seconds compare best).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: rows per transactions slice, as ``lab.results._CSV_ROWS``
TX_ROWS = 1 << 15


def compact(table):
    """The table with each column one contiguous chunk (as the run builds them)."""
    import pyarrow as pa

    return pa.Table.from_arrays(
        [pa.concat_arrays(col.chunks) for col in table.columns], names=table.column_names
    )


def md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def child(run: str, out: str, threads: int, rows: int | None) -> None:
    """Write both tables with this tree's writer; print one JSON line per table."""
    import pyarrow.parquet as pq

    from lab.csv_arrow import write_csv_table, write_csv_tables

    tables = {}
    for name in ("transactions", "customers"):
        table = pq.read_table(Path(run) / f"{name}.parquet")
        tables[name] = compact(table if rows is None else table.slice(0, rows))
    tx = tables["transactions"]
    slices = [compact(tx.slice(s, TX_ROWS)) for s in range(0, tx.num_rows, TX_ROWS)]
    path = Path(out)
    for table in tables.values():  # warm-up: numba compile or cache load
        write_csv_table(table.slice(0, 1000), path, threads=threads)
    jobs = {
        "transactions": lambda: write_csv_tables(iter(slices), path, threads=threads),
        "customers": lambda: write_csv_table(tables["customers"], path, threads=threads),
    }
    for name, job in jobs.items():
        wall, cpu = time.perf_counter(), time.process_time()
        job()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        row = {"table": name, "wall": round(wall, 2), "cpu": round(cpu, 2), "md5": md5(path)}
        row |= {"rss": round(peak), "load": round(os.getloadavg()[0], 2)}
        print(json.dumps(row), flush=True)
        if os.environ.get("BENCH_KEEP"):
            path.rename(f"{path}.{name}")
        else:
            path.unlink()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="folder with transactions.parquet and customers.parquet")
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rows", type=int, default=None, help="first rows of each table only")
    a = ap.parse_args(argv)
    trees = {"before": a.before, "after": a.after}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for tree in ("before", "after") if r % 2 == 0 else ("after", "before"):
                env = {**os.environ, "PYTHONPATH": str(Path(trees[tree]).resolve())}
                cmd = [sys.executable, __file__, "--child", a.run, str(Path(tmp) / "out.csv")]
                cmd += [str(a.threads), "" if a.rows is None else str(a.rows)]
                lines = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
                for line in lines.stdout.splitlines():
                    row = {"round": r, "tree": tree, "threads": a.threads, **json.loads(line)}
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        run, out, threads, rows = sys.argv[2:6]
        child(run, out, int(threads), int(rows) if rows else None)
    else:
        main()
