"""Where runs execute: local worker processes (default) or a dask.distributed cluster.

Both executors have one method, :meth:`stream`: give it a module-level function and
``(key, task)`` pairs, get ``(key, result)`` pairs back *as they finish*.  At most
``max_pending`` tasks are in flight at a time, so a sweep of a million runs holds
a bounded number of futures and results in memory; the caller writes each result
to disk as it arrives.

* :class:`LocalExecutor` is the process pool of :mod:`lab.parallel.pool` (the one
  :func:`~lab.parallel.pool.run_tasks` uses too: ``spawn``, one numeric thread per
  process; ``workers=1`` runs in this process).
* :class:`DaskExecutor` submits to a ``distributed.Client``, with ``retries`` so a
  task whose worker died (or that raised) is run again elsewhere.

Results never depend on the executor: each task is deterministic given its inputs.

Security: a dask scheduler reached over ``tcp://`` accepts anyone who can reach its
port, and whoever connects can run any code on the workers.  Keep such a scheduler
on a trusted network, or use TLS: dask's own security configuration (the config keys
``distributed.comm.tls.*``, or a ``distributed.security.Security`` on a client you
pass in) applies to ``tls://HOST:PORT`` addresses.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from lab.parallel.pool import LocalExecutor

__all__ = ["ENV_SCHEDULER", "ENV_TIMEOUT", "DaskExecutor", "LocalExecutor", "open_executor"]

#: environment variable read when no ``cluster`` is given
ENV_SCHEDULER = "LAB_DASK_SCHEDULER"
#: environment variable: seconds to try reaching a scheduler before giving up
ENV_TIMEOUT = "LAB_DASK_TIMEOUT"
#: default seconds to try reaching a scheduler before giving up
CONNECT_TIMEOUT = 5.0


def connect_timeout(timeout: float | None = None) -> float:
    """Seconds to wait for a scheduler: ``timeout``, else env ``LAB_DASK_TIMEOUT``, else 5.

    Raises
    ------
    ValueError
        When the value is not a positive number of seconds.
    """
    given = timeout if timeout is not None else os.environ.get(ENV_TIMEOUT) or CONNECT_TIMEOUT
    try:
        seconds = float(given)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(
            f"{ENV_TIMEOUT}={given!r}: the scheduler connect timeout must be a positive "
            "number of seconds"
        )
    return seconds


class DaskExecutor:
    """A dask.distributed cluster: a scheduler address, a ``Client`` or a ``LocalCluster``.

    Parameters
    ----------
    cluster : str, distributed.Client or cluster object
        ``tcp://host:8786``, a connected client, or a cluster (e.g. ``LocalCluster``).
    retries : int
        Times a failed task is resubmitted (a worker that dies mid-run also makes the
        scheduler reschedule the task on another worker).
    timeout : float, optional
        Seconds to try reaching the scheduler (default :func:`connect_timeout`).

    Raises
    ------
    ConnectionError
        The scheduler cannot be reached in time (or refuses the connection, e.g. a
        TLS handshake without the right certificates); the message names the address.
    """

    def __init__(self, cluster: Any, retries: int = 3, timeout: float | None = None) -> None:
        from distributed import Client

        self.retries = int(retries)
        self._own = not isinstance(cluster, Client)
        if isinstance(cluster, Client):
            self.client = cluster
        else:
            self.client = _connect(cluster, timeout)
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


def _connect(cluster: Any, timeout: float | None):
    """A ``distributed.Client`` of ``cluster``; ConnectionError with a message on failure.

    An address is first probed (connect, handshake, ``identity``) within the timeout,
    so an unreachable host, a closed port, a service that is not a dask scheduler or
    a failed TLS handshake ends in one message instead of dask's retries.
    """
    from distributed import Client

    try:
        seconds = connect_timeout(timeout)
    except ValueError as exc:
        raise ConnectionError(str(exc)) from None
    if isinstance(cluster, str):
        _probe(cluster, seconds)
    try:
        return Client(cluster, timeout=seconds, set_as_default=False)
    except Exception as exc:  # whatever dask raises: the cluster cannot be used
        raise ConnectionError(_unreachable(cluster, seconds, exc)) from None


def _probe(address: str, seconds: float) -> None:
    """Check that ``address`` answers as a dask scheduler (raise ConnectionError if not)."""
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    if not address.strip():
        raise ConnectionError(
            "--cluster: empty scheduler address; give tcp://HOST:8786 (or tls://HOST:PORT), "
            "or leave it out to run on local processes"
        )
    args = Security().get_connection_args("client")
    if address.startswith("tls://") and args.get("ssl_context") is None:
        raise ConnectionError(
            f"--cluster {address}: a tls:// address needs dask's TLS configuration "
            "(distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
            "distributed.comm.tls.client.key in a dask config file, or the environment "
            "variables DASK_DISTRIBUTED__COMM__TLS__CA_FILE, ...__CLIENT__CERT, "
            "...__CLIENT__KEY); see docs/experiments.md, 'On a dask cluster'"
        )

    async def identity() -> dict:
        comm = await connect(address, timeout=seconds, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        info = asyncio.run(asyncio.wait_for(identity(), seconds))
    except Exception as exc:  # refused, timed out, TLS failure, garbage from another service
        raise ConnectionError(_unreachable(address, seconds, exc)) from None
    if not (isinstance(info, dict) and info.get("type") == "Scheduler"):
        raise ConnectionError(
            f"--cluster {address}: the service there is not a dask scheduler "
            f"(it answered as {info.get('type') if isinstance(info, dict) else 'something else'})"
        )


def _unreachable(cluster: Any, seconds: float, exc: BaseException) -> str:
    why = " ".join(str(exc).split())[:300] or type(exc).__name__
    if isinstance(exc, MemoryError):
        why = "it answered with something that is not the dask protocol"
    elif isinstance(exc, TimeoutError) and not str(exc).strip():
        why = f"no answer within {seconds:g} s"
    return (
        f"--cluster {cluster}: cannot reach a dask scheduler there ({why}). Check the "
        "address (tcp://HOST:8786, or tls://HOST:PORT with dask's TLS configuration); "
        "start a scheduler with 'dask scheduler' and workers with 'dask worker ADDRESS'; "
        f"a slow network may need a longer {ENV_TIMEOUT} (seconds, now {seconds:g})"
    )


@contextmanager
def open_executor(workers: int | None = None, cluster: Any = None) -> Iterator[Any]:
    """The executor for ``cluster`` (or env ``LAB_DASK_SCHEDULER``), else local processes."""
    cluster = cluster if cluster is not None else os.environ.get(ENV_SCHEDULER) or None
    ex = LocalExecutor(workers) if cluster is None else DaskExecutor(cluster)
    try:
        yield ex
    finally:
        ex.close()
