"""Where runs execute: local worker processes (default) or a dask.distributed cluster.

Both executors have one method, :meth:`stream`: give it a module-level function and
``(key, task)`` pairs, get ``(key, result)`` pairs back *as they finish*.  At most
``max_pending`` tasks are in flight at a time, so a sweep of a million runs holds
a bounded number of futures and results in memory; the caller writes each result
to disk as it arrives.

* :class:`LocalExecutor` is the process pool of :mod:`lab.experiments.pool` (the one
  :func:`~lab.experiments.pool.run_tasks` uses too: ``spawn``, one numeric thread per
  process; ``workers=1`` runs in this process).
* :class:`DaskExecutor` submits to a ``distributed.Client``, with ``retries`` so a
  task whose worker died (or that raised) is run again elsewhere.

Results never depend on the executor: each task is deterministic given its inputs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from lab.experiments.pool import LocalExecutor

__all__ = ["ENV_SCHEDULER", "DaskExecutor", "LocalExecutor", "open_executor"]

#: environment variable read when no ``cluster`` is given
ENV_SCHEDULER = "LAB_DASK_SCHEDULER"
#: how long to try reaching a scheduler before giving up
CONNECT_TIMEOUT = "10s"


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
