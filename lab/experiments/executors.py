"""Where runs execute: local worker processes (default) or a dask.distributed cluster.

Both executors have one method, :meth:`stream`: give it a module-level function and
``(key, task)`` pairs, get ``(key, result)`` pairs back *as they finish*.  At most
``max_pending`` tasks are in flight at a time, so a sweep of a million runs holds
a bounded number of futures and results in memory; the caller writes each result
to disk as it arrives.

* :class:`LocalExecutor` is the process pool of :mod:`lab.experiments.pool`
  (``spawn``, one numeric thread per process; ``workers=1`` runs in this process).
* :class:`DaskExecutor` submits to a ``distributed.Client``, with ``retries`` so a
  task whose worker died (or that raised) is run again elsewhere.

Results never depend on the executor: each task is deterministic given its inputs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from lab.experiments.pool import _GUARD_HELP, _single_threaded_children, default_workers

__all__ = ["ENV_SCHEDULER", "DaskExecutor", "LocalExecutor", "open_executor"]

#: environment variable read when no ``cluster`` is given
ENV_SCHEDULER = "LAB_DASK_SCHEDULER"
#: how long to try reaching a scheduler before giving up
CONNECT_TIMEOUT = "10s"


class LocalExecutor:
    """Worker processes on this machine."""

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


class DaskExecutor:
    """A dask.distributed cluster: a scheduler address, a ``Client`` or a ``LocalCluster``.

    Parameters
    ----------
    cluster : str, distributed.Client or cluster object
        ``tcp://host:8786``, a connected client, or a cluster (e.g. ``LocalCluster``).
    retries : int
        Times a failed task is resubmitted (a worker that dies mid-run also makes the
        scheduler reschedule the task on another worker).
    """

    def __init__(self, cluster: Any, retries: int = 3) -> None:
        from distributed import Client

        self.retries = int(retries)
        self._own = not isinstance(cluster, Client)
        if isinstance(cluster, Client):
            self.client = cluster
        else:
            try:
                self.client = Client(cluster, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except OSError as exc:
                raise ConnectionError(
                    f"cannot reach the dask scheduler at {cluster}: {exc}. Start one with "
                    "'dask scheduler' and workers with 'dask worker tcp://HOST:8786'"
                ) from None
        try:
            info = self.client.scheduler_info(n_workers=-1)  # all workers (distributed >= 2025.1)
        except TypeError:
            info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        self.where = f"dask cluster {info.get('address', cluster)} ({self.workers} thread(s))"

    def stream(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[tuple[Any, Any]],
        max_pending: int | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Yield ``(key, fn(task))`` as tasks finish on the cluster (retried on failure)."""
        from distributed import as_completed

        limit = max_pending or max(8, 4 * self.workers)
        todo = iter(tasks)
        keys: dict = {}
        ac = as_completed(loop=self.client.loop)

        def submit_more() -> None:
            for key, task in todo:
                fut = self.client.submit(
                    fn,
                    task,
                    key=f"lab-run-{key}-{uuid.uuid4().hex[:8]}",
                    retries=self.retries,
                    pure=False,
                )
                keys[fut.key] = key
                ac.add(fut)
                if ac.count() >= limit:
                    break

        submit_more()
        try:
            for fut in ac:
                result = fut.result()
                key = keys.pop(fut.key)
                fut.release()
                yield key, result
                submit_more()
        finally:
            for f in list(ac.futures):
                f.cancel()

    def close(self) -> None:
        if self._own:
            self.client.close()


@contextmanager
def open_executor(workers: int | None = None, cluster: Any = None) -> Iterator[Any]:
    """The executor for ``cluster`` (or env ``LAB_DASK_SCHEDULER``), else local processes."""
    cluster = cluster if cluster is not None else os.environ.get(ENV_SCHEDULER) or None
    ex = LocalExecutor(workers) if cluster is None else DaskExecutor(cluster)
    try:
        yield ex
    finally:
        ex.close()
