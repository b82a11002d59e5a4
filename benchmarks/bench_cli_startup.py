"""How long ``lab --help``, ``lab --version`` and ``lab CMD --help`` take, as a user waits.

Each command is run as a fresh ``python -m lab ...`` process (the ``lab`` console
script does the same imports); the wall time of the whole process and its CPU
time (user + system, which a busy machine inflates far less) are measured ``--runs``
times, and the medians and the fastest runs are reported.  With
``--before REV`` the same commands also run on the ``lab/`` package of git
revision REV (exported to a temporary folder, run from there), the
two interleaved run by run so a busy machine slows both alike.

    .venv/bin/python benchmarks/bench_cli_startup.py                 # this tree
    .venv/bin/python benchmarks/bench_cli_startup.py --before 7e28cd3 --runs 7

Writes ``benchmarks/RESULTS_cli.md`` (``--out`` to change) and prints the table.
The interpreter start alone (``python -c pass``) is measured too: the floor no
command can go below.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: what is timed: the arguments after ``python -m lab`` (None: the bare interpreter)
COMMANDS: tuple[tuple[str, ...] | None, ...] = (
    None,
    ("--help",),
    ("--version",),
    ("run", "--help"),
    ("sweep", "--help"),
    ("sensitivity", "--help"),
    ("optimize", "--help"),
    ("compare", "--help"),
    ("calibrate", "--help"),
    ("facts", "--help"),
)


def export_revision(rev: str, into: Path) -> Path:
    """The ``lab/`` package of git revision ``rev``, written below ``into``."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "lab"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(args: tuple[str, ...] | None, pythonpath: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds of one ``python -m lab *args`` process (``python -c pass`` for None).

    None when the command fails there (an older tree without ``--version``).
    """
    cmd = [sys.executable, "-c", "pass"] if args is None else [sys.executable, "-m", "lab", *args]
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "COLUMNS": "100"}
    cpu, start = _children_cpu(), time.perf_counter()
    # run in the tree: ``python -m`` puts the working folder first on the path
    done = subprocess.run(cmd, env=env, cwd=pythonpath, capture_output=True, check=False)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    return (wall, cpu) if done.returncode == 0 else None


def measure(trees: dict[str, Path], runs: int) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """(wall, CPU) seconds per tree and command, the trees interleaved run by run."""
    out: dict[str, dict[str, list[tuple[float, float]]]] = {t: {} for t in trees}
    for args in COMMANDS:
        for path in trees.values():  # one warm-up each (bytecode caches, page cache)
            time_once(args, path)
        for _ in range(runs):
            for name, path in trees.items():
                timed = time_once(args, path)
                out[name].setdefault(label(args), []).extend([timed] if timed else [])
    return out


def label(args: tuple[str, ...] | None) -> str:
    return "python -c pass" if args is None else "lab " + " ".join(args)


def table(results: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    """Markdown: per command and tree, median (fastest) wall and CPU seconds."""
    trees = list(results)
    head = "| command | " + " | ".join(f"{t}: wall s | {t}: CPU s" for t in trees) + " |"
    rows = [head, "|---" * (2 * len(trees) + 1) + "|"]
    for cmd in results[trees[0]]:
        cells = []
        for t in trees:
            if not results[t][cmd]:
                cells += ["fails", "fails"]
                continue
            for i in (0, 1):  # wall, CPU
                xs = [r[i] for r in results[t][cmd]]
                cells.append(f"{statistics.median(xs):.2f} ({min(xs):.2f})")
        rows.append(f"| `{cmd}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def git_head() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--before", help="git revision to compare with (e.g. main)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS_cli.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        if args.before:
            trees[f"before ({args.before})"] = export_revision(args.before, Path(tmp))
        trees[f"this tree ({git_head()})"] = ROOT
        load = os.getloadavg()[0]
        results = measure(trees, args.runs)
    text = (
        "# CLI start-up time\n\n"
        "Made by `benchmarks/bench_cli_startup.py"
        + (f" --before {args.before}" if args.before else "")
        + f" --runs {args.runs}`: wall time of a fresh `python -m lab ...` process, "
        f"{args.runs} runs each after one warm-up, trees interleaved; median (fastest) "
        "of the wall time and of the process's CPU time (user + system). "
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the start "
        "(a busy machine inflates every figure alike).\n\n" + table(results) + "\n"
    )
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
