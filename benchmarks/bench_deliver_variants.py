"""Variants of a contact plan's delivery tried for issue 16 item 2, timed against the lab's.

The lab draws who a message reaches in one pass (``contact_plan._reach``, into a bool
mask) and delivers in another (``plan._deliver``).  Two variants, kept here (not in
the lab) so that ``benchmarks/RESULTS_plans.md`` can be checked:

* ``fused``: the reach draws inside the delivery pass, a block of 1,024 customers'
  draws first, then the block's deliveries;
* ``branch_free``: the lab's ``_deliver`` without branches on who is contacted (every
  customer written; a zero contact adds +0.0).

Each must give the same bits as the lab's (checked every run).  One message at
``--customers`` (default 1M), reach 0.5 x stage frequency, 5% blocked, wear-out on;
CPU ms per message, medians of ``--rounds`` interleaved rounds of 30 days::

    NUMBA_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/bench_deliver_variants.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from numba import njit

from lab.plan import _deliver
from lab.rng import u01_scalar
from lab.strategies.contact_plan import _reach

_BLOCK = 1024


@njit(cache=True)
def deliver_fused(
    n,
    mask,
    reach_on,
    r_stage,
    r_chance,
    r_key,
    r_day,
    r_rkey,
    blocked,
    cap,
    count,
    gated,
    deliver,
    gate_lift,
    gate_load,
    weight,
    lift_of,
    load_of,
    fatigue_of,
    wear_on,
    day,
    decay,
    strength,
    value,
    when,
    sent,
    n_contacts,
    lift,
    load,
    fatigue,
    k,
):
    """:meth:`DayPlan.contact` in one pass over customers ``0 .. n-1``; returns contacts delivered.

    Per customer: the contacts ``k`` that the mask, blocks, the gate, the cap and (with
    ``reach_on``) the reach draw let through (the draws of a block of customers are taken
    first, in a loop without branches that the compiler vectorises; every test is
    independent of the others, so the order changes nothing), then the same float32 arithmetic as the array form (``w = weight x k``;
    lift ``lift_of x w x wear factor (x gate lift)``, load ``load_of x w (x gate
    load)``, fatigue ``fatigue_of x w``), and the wear memory updated as
    :func:`lab.contact_wear._wear` does.
    """
    last = decay.size - 1
    delivered = 0
    hit = np.empty(_BLOCK, np.bool_)  # who of one block the reach draws reach
    for b in range(0, n, _BLOCK):
        e = min(b + _BLOCK, n)
        if reach_on:  # a tight pass of draws first (it vectorises), then the block's deliveries
            for i in range(b, e):
                chance = r_chance[r_stage[i]] if mask[i] else 0.0
                hit[i - b] = chance > 0.0 and u01_scalar(r_key, r_day, r_rkey[i]) < chance
        for i in range(b, e):
            k[i] = 0
            sends = hit[i - b] if reach_on else mask[i]
            if not sends or blocked[i] or (gated and not deliver[i]):
                continue
            ki = min(cap - np.int64(sent[i]), count)
            if ki <= 0:
                continue
            k[i] = ki
            sent[i] += np.uint8(ki)
            n_contacts[i] += np.uint8(ki)
            delivered += ki
            w = weight * np.float32(ki)
            add = lift_of * w
            if wear_on and w > 0.0:  # as WearMemory.factor: decayed memory, then remember
                age = day - when[i]
                before = value[i] * decay[age] if age < last else np.float32(0.0)
                add = add * np.float32(1.0 / (1.0 + strength * before))
                value[i] = before + w
                when[i] = day
            if gated:
                lift[i] += add * gate_lift[i]
                load[i] += load_of * w * gate_load[i]
            else:
                lift[i] += add
                load[i] += load_of * w
            fatigue[i] += fatigue_of * w
    return delivered


@njit(cache=True)
def deliver_branch_free(
    n,
    mask,
    blocked,
    cap,
    count,
    gated,
    deliver,
    gate_lift,
    gate_load,
    weight,
    lift_of,
    load_of,
    fatigue_of,
    wear_on,
    day,
    decay,
    strength,
    value,
    when,
    sent,
    n_contacts,
    lift,
    load,
    fatigue,
    k,
):
    last = decay.size - 1
    delivered = 0
    for i in range(n):
        ok = mask[i] and not blocked[i] and not (gated and not deliver[i])
        ki = min(cap - np.int64(sent[i]), count)
        if not ok or ki < 0:
            ki = 0
        k[i] = ki
        sent[i] += np.uint8(ki)
        n_contacts[i] += np.uint8(ki)
        delivered += ki
        w = weight * np.float32(ki)
        add = lift_of * w
        if wear_on:
            age = day - when[i]
            before = value[i] * decay[min(age, last)] if age < last else np.float32(0.0)
            fac = np.float32(1.0 / (1.0 + strength * before))
            on = w > 0.0
            add = add * fac if on else add
            value[i] = before + w if on else value[i]
            when[i] = day if on else when[i]
        if gated:
            lift[i] += add * gate_lift[i]
            load[i] += load_of * w * gate_load[i]
        else:
            lift[i] += add
            load[i] += load_of * w
        fatigue[i] += fatigue_of * w
    return delivered


def _inputs(n: int) -> dict:
    rng = np.random.default_rng(1)
    return {
        "stage": rng.integers(0, 5, n).astype(np.int8),
        "blocked": rng.random(n) < 0.05,
        "rkey": rng.integers(0, 2**63, n).astype(np.uint64),
        "chance": np.array([1.0, 1.0, 0.8, 0.5, 0.2]) * 0.5,
        "target": np.ones(n, dtype=np.bool_),
    }


def run(kind: str, n: int, x: dict, days: int = 30) -> tuple[float, bytes]:
    """CPU ms per message of ``kind`` and the bytes of everything it wrote."""
    sent, nc, k = (np.zeros(n, np.uint8) for _ in range(3))
    lift, load, fat, value = (np.zeros(n, np.float32) for _ in range(4))
    when = np.zeros(n, np.int32)
    decay = np.float32(0.97) ** np.arange(900, dtype=np.float32)
    no_b, no_f = np.zeros(0, np.bool_), np.zeros(0, np.float32)
    keys = np.array([12345], np.uint64)
    reached = np.empty((1, n), np.bool_)
    cpu = 0.0
    for day in range(days):
        sent[:] = 0
        rest = (x["blocked"], 3, 1, False, no_b, no_f, no_f, np.float32(1), np.float32(0.1))
        rest += (np.float32(1), np.float32(0.1), True, np.int32(day), decay, np.float32(0.4))
        rest += (value, when, sent, nc, lift, load, fat, k)
        t = time.process_time()
        if kind == "fused":
            reach = (True, x["stage"], x["chance"], keys[0], np.uint64(day), x["rkey"])
            deliver_fused(n, x["target"], *reach, *rest)
        else:
            _reach(
                n, x["target"], x["stage"], x["chance"], keys, np.uint64(day), x["rkey"], reached
            )
            (_deliver if kind == "lab" else deliver_branch_free)(n, reached[0], *rest)
        cpu += time.process_time() - t
    state = b"".join(a.tobytes() for a in (sent, nc, lift, load, fat, value, when))
    return cpu / days * 1e3, state


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    x = _inputs(args.customers)
    kinds = ("lab", "fused", "branch_free")
    want = run("lab", args.customers, x)[1]
    for kind in kinds[1:]:  # compile, and the same bits
        assert run(kind, args.customers, x)[1] == want, kind
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            times[kind].append(run(kind, args.customers, x)[0])
    for kind in kinds:
        ms = ", ".join(f"{v:.2f}" for v in times[kind])
        print(f"{kind}: {statistics.median(times[kind]):.2f} ms per message ({ms})")


if __name__ == "__main__":
    main()
