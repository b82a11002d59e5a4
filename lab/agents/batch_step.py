"""The daily loop over many runs at once: one kernel call for a batch of replications.

A batch is several runs of one scenario with different seeds (:mod:`lab.batch`).  Each
run keeps its own population, plan, parameters, stream keys and output buffers; this
module hands all of them to numba in one call (numba typed lists, one entry per run)
and runs :func:`lab.agents.behaviour.step_customers` over every run's fixed chunks of
customers together, on numba's threads.

Every chunk belongs to one run and is advanced with that run's bundles, keys and
parameters, exactly as :func:`lab.agents.behaviour.step_population` would advance it;
each run's KPI rows are summed in chunk order, its buyers and sharers gathered in chunk
order and its float sums added in customer order.  So each run's day is bit-identical
to the same run stepped alone, for any number of threads and any batch it is part of.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.typed import List

from lab.agents.behaviour import _end_of_loop, kpi_rows_for_chunks, step_customers

__all__ = ["chunk_table", "list_append", "list_set", "new_list", "step_batch"]


# numba lists made and changed by cached compiled functions: the list methods called from
# Python compile for each item type in every new process (seconds), these load from the cache
@njit(cache=True)
def new_list(item):
    """A numba typed list holding ``item`` (a bundle of one run)."""
    out = List()
    out.append(item)
    return out


@njit(cache=True)
def list_append(items, item):
    """Append ``item`` to the numba list ``items``."""
    items.append(item)


@njit(cache=True)
def list_set(items, i, item):
    """Replace entry ``i`` of the numba list ``items``."""
    items[i] = item


def chunk_table(sizes: np.ndarray, chunk: int) -> np.ndarray:
    """The chunks of a batch: rows ``(run, lo, hi)``, each run's chunks in order.

    Parameters
    ----------
    sizes : numpy.ndarray of int
        Customers of each run (its ``pop.n``).
    chunk : int
        Customers per chunk (the runs' ``kernel_chunk``).

    Returns
    -------
    numpy.ndarray of int64, shape (chunks, 3)
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    per_run = -(-sizes // chunk)  # chunks of each run (none for an empty one)
    run = np.repeat(np.arange(sizes.size, dtype=np.int64), per_run)
    first = np.cumsum(per_run) - per_run  # each run's first row
    lo = (np.arange(run.size, dtype=np.int64) - first[run]) * chunk
    return np.stack([run, lo, np.minimum(lo + chunk, sizes[run])], axis=1)


@njit(cache=True)
def _run_chunk(t, day, table, cs, plans, ps, keyss, outs, kpis, n_buy, n_share):
    r = table[t, 0]
    n_buy[t], n_share[t] = step_customers(
        table[t, 1], table[t, 2], day, cs[r], plans[r], ps[r], keyss[r], outs[r], kpis[t]
    )


@njit(cache=True, parallel=True)
def _chunks_on_threads(day, table, cs, plans, ps, keyss, outs, kpis, n_buy, n_share):
    """Every chunk of the batch on numba's threads (the only parallel region: array
    expressions in a ``parallel=True`` function become parallel loops of their own,
    see :func:`lab.agents.behaviour._chunks_on_threads`)."""
    for t in prange(table.shape[0]):
        _run_chunk(t, day, table, cs, plans, ps, keyss, outs, kpis, n_buy, n_share)


@njit(cache=True)
def _end_of_runs(sizes, table, cs, outs, kpis, n_buy, n_share, bought):
    """Each run's KPI row, float sums, buyers and sharers from its own chunks, as
    :func:`lab.agents.behaviour._end_of_loop` makes them for a run stepped alone."""
    n_chunks = table.shape[0]
    no_sums = np.zeros(2)  # unused: the float sums are added after the loop
    first = 0
    for r in range(sizes.size):
        last = first
        while last < n_chunks and table[last, 0] == r:
            last += 1
        bought[r, 0], bought[r, 1] = _end_of_loop(
            sizes[r], cs[r], outs[r], kpis[first:last], table[first:last, 1].copy(),
            n_buy[first:last].copy(), n_share[first:last].copy(), no_sums, False,
        )  # fmt: skip
        first = last


@njit(cache=True)
def step_batch(sizes, day, table, cs, plans, ps, keyss, outs, threads, bought):
    """Advance every run of a batch by one day (one call for all of them).

    Parameters
    ----------
    sizes : int64 array
        Customers of each run.
    day : int
        Today (the same for every run of the batch).
    table : int64 array (chunks, 3)
        :func:`chunk_table` of ``sizes``.
    cs, plans, ps, keyss, outs : numba typed lists
        Per run: customers bundle, plan bundle, kernel parameters, stream keys and
        day-out buffers (as :func:`lab.agents.behaviour.step_population` takes them).
    threads : int
        ``numba.get_num_threads()`` (1: every chunk on this thread).
    bought : int64 array (runs, 2)
        Filled with each run's numbers of buyers and sharers.
    """
    n_chunks = table.shape[0]
    kpis = kpi_rows_for_chunks(n_chunks, outs[0].kpi.size)
    n_buy = np.zeros(n_chunks, dtype=np.int64)
    n_share = np.zeros(n_chunks, dtype=np.int64)
    if threads < 2:
        for t in range(n_chunks):
            _run_chunk(t, day, table, cs, plans, ps, keyss, outs, kpis, n_buy, n_share)
    else:
        _chunks_on_threads(day, table, cs, plans, ps, keyss, outs, kpis, n_buy, n_share)
    _end_of_runs(sizes, table, cs, outs, kpis, n_buy, n_share, bought)
