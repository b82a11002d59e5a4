"""The worker pool's lifetime: closed by its ``with`` block, never left busy with the
runs of a call that ended early (an error, an interrupt, a consumer that stopped)."""

from __future__ import annotations

import os
import time

import pytest

from lab.parallel.pool import LocalExecutor


def nap(seconds: float) -> int:
    """Sleep ``seconds`` (a stand-in for a long run) and say which process did."""
    time.sleep(seconds)
    return os.getpid()


def fail_or_nap(seconds: float) -> int:
    """Fail at once when ``seconds`` is negative; otherwise :func:`nap`."""
    if seconds < 0:
        raise ValueError("this run failed")
    return nap(seconds)


def _workers(pool: LocalExecutor) -> list:
    return list(pool._pool._processes.values())


def test_the_with_block_closes_the_workers_and_close_twice_is_harmless():
    with LocalExecutor(2) as pool:
        pids = {r for _, r in pool.stream(nap, enumerate([0.0] * 4))}
        workers = _workers(pool)
    assert pool._pool is None
    assert pids <= {w.pid for w in workers} and os.getpid() not in pids
    assert not any(w.is_alive() for w in workers)
    pool.close()  # again: nothing to do
    LocalExecutor(2).close()  # never started: nothing to do


def test_a_stream_stopped_early_leaves_no_worker_busy_and_the_next_call_runs():
    pool = LocalExecutor(2)
    try:
        runs = pool.stream(nap, enumerate([0.0, 120.0, 120.0]))
        assert next(runs)[0] == 0  # the short run; the two long ones are in progress
        orphans = _workers(pool)
        runs.close()  # the consumer stops reading (what an interrupt does to the loop)
        assert pool._pool is None
        # their runs ended with them: within seconds, not the naps' 120 s (the pool's
        # manager thread may reap a worker at the same time as the close's join, and
        # then one of the two sees it alive a moment longer: CI saw that once)
        deadline = time.monotonic() + 10.0
        while any(w.is_alive() for w in orphans) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(w.is_alive() for w in orphans)
        again = dict(pool.stream(nap, enumerate([0.0] * 3)))  # a fresh pool, at once
        assert sorted(again) == [0, 1, 2]
        assert not set(again.values()) & {w.pid for w in orphans}
    finally:
        pool.close()


def test_a_failed_run_stops_the_runs_in_progress_and_the_error_comes_back():
    with LocalExecutor(2) as pool:
        with pytest.raises(ValueError, match="this run failed"):
            for _ in pool.stream(fail_or_nap, enumerate([120.0, -1.0, 120.0])):
                pass
        assert pool._pool is None
        assert dict(pool.stream(fail_or_nap, enumerate([0.0, 0.0]))).keys() == {0, 1}
