"""Run independent tasks on the local cores: a process pool, with a progress bar.

Why processes: a run is one Python thread driving a numba kernel, so two runs in two
processes use two cores; threads would share one interpreter.  Each worker is
told to use one thread for numeric libraries (``*_NUM_THREADS=1``) so processes
and threads are never nested.  Workers are started with ``spawn`` (a clean
interpreter, safe whatever threads the parent has running); as with any
``spawn`` pool, a *script* that calls :func:`lab.replicate` or :func:`lab.compare`
with more than one worker must do so under ``if __name__ == "__main__":``
(notebooks, the CLI and tests need nothing).

:class:`LocalExecutor` is the pool itself (spawned processes, started once and reused
by every :meth:`~LocalExecutor.stream`, a bounded number of tasks in flight);
:func:`run_tasks` maps a function over a list of tasks on it.

Results come back in task order whatever order the workers finish in, and every
task is deterministic given its inputs (the lab's random streams depend only on the
seed), so the output does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

__all__ = ["LocalExecutor", "default_workers", "run_tasks"]

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
    results: list[Any] = [None] * n
    pool = LocalExecutor(min(workers, max(n, 1)))
    try:
        with _progress_bar(n, description, progress) as bar:
            job = bar.add_task(description, total=n)
            for i, result in pool.stream(fn, enumerate(tasks)):
                results[i] = result
                bar.advance(job)
    finally:
        pool.close()
    return results


_GUARD_HELP = (
    "If this was called from a script, put the call under "
    "'if __name__ == \"__main__\":' (worker processes are started with spawn and "
    "re-import the script), or pass workers=1."
)


class LocalExecutor:
    """Worker processes on this machine: the lab's one local process pool.

    :func:`run_tasks` (replications, back-tests) and the experiments
    (:mod:`lab.experiments.executors`) both run on it.

    Parameters
    ----------
    workers : int, optional
        Processes (default :func:`default_workers`); 1 runs every task in this process.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else int(workers)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.where = f"{self.workers} local process(es)"
        self._pool: ProcessPoolExecutor | None = None

    def stream(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[tuple[Any, Any]],
        max_pending: int | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Yield ``(key, fn(task))`` as runs finish (in this process when ``workers == 1``)."""
        if self.workers == 1:
            for key, task in tasks:
                yield key, fn(task)
            return
        limit = max_pending or 4 * self.workers
        pool = self._open_pool()
        todo = iter(tasks)
        pending: dict = {}
        try:
            with _single_threaded_children():  # processes start on submit and inherit it
                yield from self._loop(fn, todo, pool, pending, limit)
        except BrokenProcessPool as exc:
            self.close()
            raise RuntimeError(f"a worker process died. {_GUARD_HELP}") from exc
        finally:
            for fut in pending:
                fut.cancel()

    @staticmethod
    def _loop(fn, todo, pool, pending: dict, limit: int):
        # keep at most `limit` runs in flight; hand each result back as it finishes
        while True:
            for key, task in todo:
                pending[pool.submit(fn, task)] = key
                if len(pending) >= limit:
                    break
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield pending.pop(fut), fut.result()

    def _open_pool(self) -> ProcessPoolExecutor:
        # one pool for every stream() of this executor: workers start (and import the
        # lab) once, not once per batch of an optimisation
        if self._pool is None:
            if mp.parent_process() is not None and mp.current_process().name != "MainProcess":
                raise RuntimeError(_GUARD_HELP)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=mp.get_context("spawn")
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker processes (waiting for runs in progress)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
