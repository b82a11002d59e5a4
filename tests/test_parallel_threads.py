"""Worker processes do not nest threads: one numba thread each unless told otherwise."""

from __future__ import annotations

import os

import pytest

from lab.parallel.pool import LocalExecutor


def threads_in_worker(_task: int) -> tuple[int, str, int]:
    """What a worker sees: numba's threads, the inherited variable, its process id."""
    import numba

    return numba.get_num_threads(), os.environ["NUMBA_NUM_THREADS"], os.getpid()


@pytest.mark.parametrize(("asked", "expected"), [(None, 1), (2, 2)])
def test_workers_use_one_numba_thread_unless_told(asked, expected):
    pool = LocalExecutor(2) if asked is None else LocalExecutor(2, threads=asked)
    try:
        seen = [r for _, r in pool.stream(threads_in_worker, enumerate(range(6)))]
    finally:
        pool.close()
    assert {(t, v) for t, v, _ in seen} == {(expected, str(expected))}
    assert all(pid != os.getpid() for *_, pid in seen)  # the tasks ran in the workers


def test_thread_count_must_be_positive():
    with pytest.raises(ValueError, match="threads must be >= 1"):
        LocalExecutor(2, threads=0)
