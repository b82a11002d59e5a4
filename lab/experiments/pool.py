"""The local process pool, now :mod:`lab.parallel.pool` (re-exported here for old imports)."""

from __future__ import annotations

from lab.parallel.pool import LocalExecutor, WorkerDied, default_workers, run_tasks

__all__ = ["LocalExecutor", "WorkerDied", "default_workers", "run_tasks"]
