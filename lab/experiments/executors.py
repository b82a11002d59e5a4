"""Executors (local cores or dask), now :mod:`lab.parallel.executors` (re-exported here)."""

from __future__ import annotations

from lab.parallel.executors import (
    CONNECT_TIMEOUT,
    ENV_SCHEDULER,
    ENV_TIMEOUT,
    DaskExecutor,
    LocalExecutor,
    open_executor,
)

__all__ = [
    "CONNECT_TIMEOUT",
    "ENV_SCHEDULER",
    "ENV_TIMEOUT",
    "DaskExecutor",
    "LocalExecutor",
    "open_executor",
]
