"""Run independent tasks on the local cores: a process pool, with a progress bar.

Why processes: a run is one Python thread driving a numba kernel, so two runs in two
processes use two cores; threads would share one interpreter.  Each worker is
told to use one thread for numeric libraries (``*_NUM_THREADS=1``) so processes
and threads are never nested.  Workers are started with ``spawn`` (a clean
interpreter, safe whatever threads the parent has running); as with any
``spawn`` pool, a *script* that calls :func:`lab.replicate` or :func:`lab.compare`
with more than one worker must do so under ``if __name__ == "__main__":``
(notebooks, the CLI and tests need nothing).

Results come back in task order whatever order the workers finish in, and every
task is deterministic given its inputs (the lab's random streams depend only on the
seed), so the output does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

__all__ = ["default_workers", "run_tasks"]

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "ARROW_NUM_THREADS",
)


def default_workers() -> int:
    """Worker processes used by default: the local cores (``os.cpu_count()``)."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update(dict.fromkeys(_THREAD_VARS, "1"))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _progress_bar(total: int, description: str, show: bool | None):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    if show is None:
        show = sys.stderr.isatty()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not show,
    )


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    workers: int | None = None,
    progress: bool | None = None,
    description: str = "running",
) -> list[Any]:
    """Apply ``fn`` to every task, in parallel processes, and return results in task order.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function of one argument.
    tasks : sequence
        Picklable arguments.
    workers : int, optional
        Processes to use; default :func:`default_workers`.  1 runs in this process.
    progress : bool, optional
        Show a progress bar on stderr; default: only when stderr is a terminal.
    description : str
        Text in front of the bar.
    """
    n = len(tasks)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    workers = min(workers, max(n, 1))
    results: list[Any] = [None] * n
    with _progress_bar(n, description, progress) as bar:
        job = bar.add_task(description, total=n)
        if workers == 1:
            for i, task in enumerate(tasks):
                results[i] = fn(task)
                bar.advance(job)
            return results
        if mp.parent_process() is not None and mp.current_process().name != "MainProcess":
            raise RuntimeError(_GUARD_HELP)
        try:
            with (
                _single_threaded_children(),
                ProcessPoolExecutor(
                    max_workers=workers, mp_context=mp.get_context("spawn")
                ) as pool,
            ):
                futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.advance(job)
        except BrokenProcessPool as exc:
            raise RuntimeError(f"a worker process died. {_GUARD_HELP}") from exc
    return results


_GUARD_HELP = (
    "If this was called from a script, put the call under "
    "'if __name__ == \"__main__\":' (worker processes are started with spawn and "
    "re-import the script), or pass workers=1."
)
