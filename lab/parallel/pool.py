"""Run independent tasks on the local cores: a process pool, with a progress bar.

Why processes: a run is one Python thread driving a numba kernel, so two runs in two
processes use two cores; threads would share one interpreter.  Each worker is
told to use one thread for numeric libraries (``*_NUM_THREADS=1``) so processes
and threads are never nested (``LocalExecutor(threads=k)`` gives each
worker k threads instead).  Workers are started with ``spawn`` (a clean
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

Workers die with their parent: when the process that started them ends in any
way (``kill -9`` included), they end too instead of finishing their runs for
nobody.  On Linux the kernel signals them at once (``prctl(PR_SET_PDEATHSIG)``);
everywhere, a watchdog thread in each worker waits on multiprocessing's own
parent sentinel and exits when it fires (this one needs the worker to reach
Python code, so it acts once a numeric kernel returns).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

__all__ = ["LocalExecutor", "WorkerDied", "default_workers", "run_tasks"]

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "ARROW_NUM_THREADS",
    "LAB_CSV_THREADS",
)


#: prctl option that asks the kernel to signal this process when its parent dies
_PR_SET_PDEATHSIG = 1


def _init_worker(parent_pid: int, from_main_thread: bool, threads: int = 1) -> None:
    """Worker initializer: ``threads`` numeric threads; end when the parent dies."""
    _limit_threads(threads)
    _die_with_parent(parent_pid, from_main_thread)


def _limit_threads(threads: int) -> None:
    """Use ``threads`` threads in numba's kernel and the numeric libraries of this process.

    The variables are inherited at start already (:func:`_threads_for_children`); set
    again here for libraries loaded later, and numba told directly if a script the
    worker re-imported loaded it before.
    """
    os.environ.update(dict.fromkeys(_THREAD_VARS, str(threads)))
    numba = sys.modules.get("numba")
    if numba is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _die_with_parent(parent_pid: int, from_main_thread: bool) -> None:
    """End this process when the parent ``parent_pid`` dies.

    Linux signals on the end of the parent *thread* that started the worker, so the
    kernel signal is asked for only when that was the main thread (whose end is the
    process's end); otherwise the watchdog alone acts.
    """
    if from_main_thread and sys.platform.startswith("linux"):
        _kernel_parent_death_signal()
    parent = mp.parent_process()
    if parent is not None:
        threading.Thread(
            target=_exit_when_gone, args=(parent,), name="lab-parent-watchdog", daemon=True
        ).start()
    if os.getppid() != parent_pid:  # the parent died before the lines above took effect
        os._exit(1)


def _kernel_parent_death_signal() -> None:
    """Ask Linux to send SIGKILL to this process when its parent ends (best effort)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no libc/prctl: the watchdog acts
        pass


def _exit_when_gone(parent) -> None:
    """Watchdog thread: block until the parent process ends, then end this one."""
    parent.join()  # waits on the parent sentinel, which fires when the parent dies
    os._exit(1)


def default_workers() -> int:
    """Worker processes used by default: the local cores (``os.cpu_count()``)."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def _threads_for_children(threads: int = 1) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update(dict.fromkeys(_THREAD_VARS, str(threads)))
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
    executor: LocalExecutor | None = None,
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
    executor : LocalExecutor, optional
        A pool kept by the caller: its workers (already started, their imports and
        numba caches loaded by earlier calls) run the tasks and stay up afterwards;
        ``workers`` is then ignored.  Default: a pool of ``workers`` processes started
        for this call and stopped at its end.
    """
    n = len(tasks)
    results: list[Any] = [None] * n
    if executor is None:
        workers = default_workers() if workers is None else int(workers)
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        pool = LocalExecutor(min(workers, max(n, 1)))
    else:
        pool = executor
    try:
        with _progress_bar(n, description, progress) as bar:
            job = bar.add_task(description, total=n)
            for i, result in pool.stream(fn, enumerate(tasks)):
                results[i] = result
                bar.advance(job)
    finally:
        if executor is None:
            pool.close()
    return results


class WorkerDied(RuntimeError):
    """A worker process ended in the middle of a run (killed, out of memory, ...)."""


_GUARD_HELP = (
    "If this was called from a script, put the call under "
    "'if __name__ == \"__main__\":' (worker processes are started with spawn and "
    "re-import the script), or pass workers=1."
)


class LocalExecutor:
    """Worker processes on this machine: the lab's one local process pool.

    :func:`run_tasks` (replications, back-tests) and the experiments
    (:mod:`lab.parallel.executors`) both run on it.

    Parameters
    ----------
    workers : int, optional
        Processes (default :func:`default_workers`); 1 runs every task in this process.
    threads : int
        Threads of each worker's daily loop and numeric libraries (default 1, so that
        processes and threads do not oversubscribe the cores).  ``workers == 1`` runs
        in this process with its own threads.

    Notes
    -----
    The workers start on the first :meth:`stream` and stay up for the next ones until
    :meth:`close`; use the executor as a context manager so they are closed for sure::

        with LocalExecutor(2) as pool:
            lab.replicate(scenario, seeds, executor=pool)

    A :meth:`stream` that ends early (an error, an interrupt, a consumer that stops
    reading) stops the workers still busy with its runs; the next call starts new ones.
    """

    def __init__(self, workers: int | None = None, threads: int = 1) -> None:
        self.workers = default_workers() if workers is None else int(workers)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.threads = int(threads)
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
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
            with _threads_for_children(self.threads):  # processes start on submit, inherit it
                yield from self._loop(fn, todo, pool, pending, limit)
        except BrokenProcessPool as exc:
            self.close()
            raise WorkerDied(
                "a worker process died in the middle of a run (killed, or out of memory?); "
                f"finished runs are kept. {_GUARD_HELP}"
            ) from exc
        finally:
            # an interrupted call (an error, a KeyboardInterrupt, a consumer that
            # stopped early): queued runs are cancelled; runs already in progress
            # cannot be, so the pool is stopped rather than left busy with them
            running = [fut for fut in pending if not fut.cancel() and not fut.done()]
            if running:
                self._abandon_pool()

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
                max_workers=self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(
                    os.getpid(),
                    threading.current_thread() is threading.main_thread(),
                    self.threads,
                ),
            )
        return self._pool

    def _abandon_pool(self) -> None:
        """Stop the workers now, ending their runs in progress (nobody waits for them).

        The next :meth:`stream` starts a fresh pool.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor (Python < 3.14) has no public way to end running tasks
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.join(timeout=10)

    def close(self) -> None:
        """Stop the worker processes (waiting for runs in progress); calling it again,
        or on a pool never started, does nothing.  A later :meth:`stream` starts new ones."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
