"""Where runs execute: the local process pool and the executors (local cores or dask).

Below both the experiments and the calibration (a back-test replays its folds on the
same pool), so neither has to import the other.  :mod:`lab.experiments` re-exports
these names where they were first published.
"""

from __future__ import annotations

from lab.parallel.pool import LocalExecutor, WorkerDied, default_workers, run_tasks

__all__ = ["LocalExecutor", "WorkerDied", "default_workers", "run_tasks"]
