"""The threaded daily loop gives the same bits for any number of threads and any chunking.

The customer loop runs over fixed chunks on numba's threads (``prange``); counts are
summed per chunk, float sums in customer order, buyers gathered in chunk order.  Two
fresh interpreters, one with ``NUMBA_NUM_THREADS=1`` and one with 2, run the same
small pool cut into many chunks; their tables must hash alike, and alike the run in
this process as one single chunk (the plain serial loop).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import lab
from lab.model import PoolModel

TESTS = Path(__file__).resolve().parent
SCENARIO = (
    TESTS.parent / "scenarios" / "q4_referral_reward_50.yaml"
)  # referrals: bonds across chunks
DAYS = 40
SEED = 3
SMALL_CHUNK = 97  # many uneven chunks, so threads interleave and the tail chunk is short

SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import numba
import lab
from lab.model import PoolModel
from test_golden import table_hash

PoolModel.kernel_chunk = {chunk}
res = lab.run({scenario!r}, seed={seed}, days={days})
hashes = [table_hash(res.daily), table_hash(res.transactions), table_hash(res.customers)]
print(numba.get_num_threads(), int(res.daily["customers"].iloc[-1]), *hashes)
"""


def _start(threads: int) -> subprocess.Popen:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    code = SCRIPT.format(
        tests=str(TESTS), chunk=SMALL_CHUNK, scenario=str(SCENARIO), seed=SEED, days=DAYS
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture(scope="module")
def by_threads() -> dict[int, list[str]]:
    procs = {t: _start(t) for t in (1, 2)}  # both at once: two cores, two interpreters
    out = {}
    for t, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr.decode()[-2000:]
        out[t] = stdout.decode().split()
    return out


def test_one_and_two_threads_give_identical_tables(by_threads):
    one, two = by_threads[1], by_threads[2]
    assert (one[0], two[0]) == ("1", "2")  # the runs really had 1 and 2 threads
    assert int(one[1]) > 20 * SMALL_CHUNK  # many chunks, so the split is exercised
    assert one[2:] == two[2:]


def test_chunking_does_not_change_results(by_threads, monkeypatch):
    from test_golden import table_hash

    monkeypatch.setattr(PoolModel, "kernel_chunk", 10**9)  # one chunk: the plain serial loop
    res = lab.run(SCENARIO, seed=SEED, days=DAYS)
    here = [table_hash(res.daily), table_hash(res.transactions), table_hash(res.customers)]
    assert here == by_threads[1][2:]


def test_a_run_with_contact_delivery_on_threads_is_bit_identical(monkeypatch):
    """A whole run whose strategies' contacts are delivered on threads: the same bits.

    The pool above is too small for :func:`lab.plan._deliver` to deal its blocks to the
    threads (its block and threshold are compiled in), so here the baseline's stock
    import brings 20,000 customers (10 blocks) on day 0; the run on two threads must
    have taken the threaded delivery, and hash alike the run on one.
    """
    import numba
    from test_golden import table_hash

    import lab.plan as plan
    from lab.scenario import dump_scenario

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    data = dump_scenario(lab.load_scenario(TESTS.parent / "scenarios" / "baseline.yaml"))
    data["acquisition"]["stock_import"].update(
        enabled=True, total_customers=20_000, customers_per_day=20_000.0
    )
    sc = lab.scenario_from_dict(data)
    real = plan._deliver
    calls = []  # (customers, count, threads) of each delivery

    def spy(*args):
        calls.append((args[0], args[10], args[-1]))
        return real(*args)

    monkeypatch.setattr(plan, "_deliver", spy)
    hashes = {}
    threaded = {}
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            calls.clear()
            res = lab.run(sc, seed=SEED, days=12)
            hashes[threads] = [
                table_hash(getattr(res, t)) for t in ("daily", "transactions", "customers")
            ]
            threaded[threads] = sum(
                t >= 2 and count > 0 and n > plan.PARALLEL_MIN_BLOCKS * plan._BLOCK
                for n, count, t in calls
            )
    finally:
        numba.set_num_threads(before)
    assert threaded[1] == 0 and threaded[2] > 0  # the threaded delivery ran, on two only
    assert hashes[1] == hashes[2]
