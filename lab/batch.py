"""Replications in batches: several seeds of one scenario advance together, day by day.

Each seed keeps its own :class:`lab.model.PoolModel`: its own population, calendar,
strategies, budgets and ledger, and every step of the day that is Python (acquisition,
the strategies' decisions, order booking, referral joins, the KPI record) runs for each
model as in a run alone.  What the batch shares is the daily loop over customers: one
call of :func:`lab.agents.batch_step.step_batch` per day advances every model's
customers, each chunk with its own run's stream keys (the draws are counter-based on the
seed's keys), parameters and buffers.  So each seed's results are bit-identical to
``lab.run(scenario, seed=s)`` alone, whatever the batch and however many threads
(``tests/test_batch.py``).

The batch holds every model's state at once; :func:`batch_size` keeps it within the
free memory, and a pool too large for two at a time runs alone (the reason is returned
by :func:`batch_problem`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numba
import numpy as np

from lab.agents.acquisition import Acquirer, Joins, TraitDraw
from lab.agents.batch_step import chunk_table, list_append, list_set, new_list, step_batch
from lab.agents.behaviour import make_params
from lab.model import STEP_ORDER, PoolModel
from lab.population import available_memory, bytes_per_customer
from lab.results import RunResult
from lab.scenario import Scenario

__all__ = ["MAX_BATCH", "BatchRun", "batch_problem", "batch_size", "run_batch"]

#: the step whose loop over customers the batch shares (the others run per model)
SHARED_STEP = "customers respond"
#: most seeds advanced together (the gain per extra seed is small beyond this)
MAX_BATCH = 16
#: share of the free memory a batch may plan to hold
_MEMORY_SHARE = 0.5
#: peak bytes per projected customer slot of a run (state arrays, growth copies, buffers)
_BYTES_FACTOR = 3.0

#: steps that add customers, by their generator method (trait draws shared by the batch)
JOIN_STEPS = {"_acquire": "acquire_joins", "_referral_joins": "referral_joins"}

_SPLIT = next(i for i, s in enumerate(STEP_ORDER) if s.name == SHARED_STEP)
_BEFORE = tuple(s.run.__name__ for s in STEP_ORDER[:_SPLIT])
_AFTER = tuple(s.run.__name__ for s in STEP_ORDER[_SPLIT + 1 :])


def _run_bytes(scenario: Scenario, days: int | None) -> float:
    """Planned peak bytes of one run (from the projected pool size)."""
    from lab.acquisition_terms import projected_customers

    total = projected_customers(scenario, scenario.days if days is None else int(days))["total"]
    return float(total) * bytes_per_customer() * _BYTES_FACTOR


def batch_size(scenario: Scenario, days: int | None = None, limit: int = MAX_BATCH) -> int:
    """Most seeds of ``scenario`` to advance together (1: run each seed alone).

    Bounded by ``limit`` and by the free memory (half of it, for the batch's runs at
    their projected peak).
    """
    free = available_memory()
    if free is None:
        return max(1, min(limit, 4))
    return max(1, min(int(limit), int(free * _MEMORY_SHARE // max(_run_bytes(scenario, days), 1))))


def batch_problem(scenario: Scenario, days: int | None = None) -> str | None:
    """Why seeds of ``scenario`` must run one at a time, or None when they can batch."""
    if batch_size(scenario, days, limit=2) < 2:
        return (
            f"one run needs about {_run_bytes(scenario, days) / 1e9:,.1f} GB at its peak: "
            "too large to hold two at once, so seeds run one at a time"
        )
    return None


class BatchRun:
    """Models of one scenario, one per seed, advanced a day at a time together.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario (every model runs it).
    seeds : sequence of int
        One model per seed.
    days : int, optional
        Override the scenario's length.
    """

    def __init__(self, scenario: Scenario, seeds: Sequence[int], days: int | None = None):
        if not seeds:
            raise ValueError("a batch needs at least one seed")
        self.models = [PoolModel(scenario, seed=int(s), days=days) for s in seeds]
        self._live: list[PoolModel] = []
        self._lists: tuple | None = None
        self._inputs: list[tuple] = []

    @property
    def running(self) -> bool:
        """Some model has days left."""
        return any(m.running and m.day < m.days for m in self.models)

    def step(self) -> None:
        """Advance every model that has days left by one day."""
        live = [m for m in self.models if m.running and m.day < m.days]
        for m in live:
            m.steps += 1  # what mesa's Model.step wrapper does before PoolModel.step
        # step by step, each for every model (the models share no state, so the order
        # changes nothing): one step's code and tables stay in the caches across models
        for name in _BEFORE:
            self._run_step(live, name)
        self._customers_respond(live)
        for name in _AFTER:
            self._run_step(live, name)
        for m in live:
            m.end_day()

    def run(self) -> None:
        """Run every model to its last day."""
        while self.running:
            self.step()

    def results(self) -> Iterator[RunResult]:
        """Each model's :class:`lab.results.RunResult`, in seed order, freeing the model."""
        while self.models:
            yield RunResult(self.models.pop(0))

    def _run_step(self, live: list[PoolModel], name: str) -> None:
        """One step of the day for every live model (joining steps: draws shared)."""
        joins = JOIN_STEPS.get(name)
        if joins is None or not all(_joins_as_usual(m, name) for m in live):
            # not a joining step, or a model runs it (or draws traits) its own way
            for m in live:
                getattr(m, name)(m.day)
            return
        pending = {}
        for i, m in enumerate(live):
            gen = getattr(m, joins)(m.day)
            request = _advance(gen, None)
            if request is not None:
                pending[i] = (gen, request)
        while pending:  # a round: every model's next draw, one call per channel
            traits = _draw_round(live, {i: r for i, (_, r) in pending.items()})
            after = {}
            for i, (gen, _) in pending.items():
                request = _advance(gen, traits[i])
                if request is not None:
                    after[i] = (gen, request)
            pending = after

    # ------------------------------------------------------------------ the shared loop
    def _customers_respond(self, live: list[PoolModel]) -> None:
        """One kernel call for every live model's customers today."""
        if not live:
            return
        day = live[0].day
        inputs = [m.kernel_inputs(day) for m in live]
        chunk = inputs[0][7]
        if any(x[1] != day or x[7] != chunk for x in inputs):
            raise RuntimeError("models of a batch must be on the same day with the same chunk")
        cs, plans, ps, keyss, outs = self._typed_lists(live, inputs)
        sizes = np.array([x[0] for x in inputs], dtype=np.int64)
        bought = np.zeros((len(live), 2), dtype=np.int64)
        step_batch(
            sizes, day, chunk_table(sizes, chunk), cs, plans, ps, keyss, outs,
            numba.get_num_threads(), bought,
        )  # fmt: skip
        for m, (nb, ns) in zip(live, bought, strict=True):
            m._bought = (int(nb), int(ns))

    def _typed_lists(self, live: list[PoolModel], inputs: list[tuple]) -> tuple:
        """numba lists of the models' bundles, updated only where a model's arrays changed.

        Converting a bundle for numba costs microseconds per array, so entries are kept
        from day to day and replaced when a model's arrays were reallocated (growth), its
        parameters changed (referral terms, the calendar) or the live models changed.
        """
        fields = (2, 3, 4, 5, 6)  # customers, plan, params, keys, out
        if self._lists is None or live != self._live:
            self._live = list(live)
            self._lists = tuple(_typed_list([_entry(x, f) for x in inputs]) for f in fields)
            self._inputs = inputs
            return self._lists
        for r, (old, new) in enumerate(zip(self._inputs, inputs, strict=True)):
            for lst, f in zip(self._lists, fields, strict=True):
                if not _same(old[f], new[f], by_value=f == 4):
                    list_set(lst, r, _entry(new, f))
        self._inputs = inputs
        return self._lists


def _advance(gen: Joins, traits: dict | None) -> TraitDraw | None:
    """The joining generator's next trait draw (sent ``traits``), or None at its end."""
    try:
        return next(gen) if traits is None else gen.send(traits)
    except StopIteration:
        return None


def _joins_as_usual(model: PoolModel, step: str) -> bool:
    """``model`` runs the joining ``step`` as :class:`PoolModel` and :class:`Acquirer` do,
    so its trait draws can be drawn with other runs' (no subclass overrides either)."""
    return (
        getattr(type(model), step) is getattr(PoolModel, step)
        and getattr(type(model), JOIN_STEPS[step]) is getattr(PoolModel, JOIN_STEPS[step])
        and type(model.acquirer) is Acquirer
    )


def _draw_round(live: list[PoolModel], requests: dict[int, TraitDraw]) -> dict[int, dict]:
    """The traits of each model's request (model index -> traits), drawn together per
    channel (and copula): :meth:`lab.agents.traits.TraitDrawer.draw_many`, the same
    traits per customer as each model drawing its own.

    Runs are drawn together only when they share their scenario object (so the same
    trait tables and segment codes): runs of other scenarios in one batch would each
    be drawn with their own drawer, never with another run's."""
    groups: dict[tuple, list[int]] = {}
    for i, r in requests.items():
        key = (r.channel, r.parent_u is None, r.rho, id(live[i].scenario))
        groups.setdefault(key, []).append(i)
    out = {}
    for (channel, alone, rho, _), idx in groups.items():
        if len(idx) == 1:
            out[idx[0]] = live[idx[0]].acquirer.draw(requests[idx[0]])
            continue
        drawer = live[idx[0]].acquirer.drawer(channel)  # one scenario: the same tables
        parts = drawer.draw_many(
            [live[i].streams for i in idx],
            [requests[i].keys for i in idx],
            None if alone else [requests[i].parent_u for i in idx],
            rho,
        )
        out.update(zip(idx, parts, strict=True))
    return out


def _entry(inputs: tuple, field: int):
    """One bundle of a model's kernel inputs; parameters as exact bools and floats, so
    every entry of the numba list has one type (the same values the run alone uses)."""
    item = inputs[field]
    return make_params(item._asdict()) if field == 4 else item


def _typed_list(items: list):
    """A numba typed list of ``items`` (built by cached compiled code)."""
    out = new_list(items[0])
    for item in items[1:]:
        list_append(out, item)
    return out


def _same(old: tuple, new: tuple, by_value: bool) -> bool:
    """Same bundle: the same arrays (by identity), or equal parameters."""
    if old is new:  # a model hands the same bundle objects while its arrays stay
        return True
    if by_value:
        return old == new
    return all(a is b for a, b in zip(old, new, strict=True))


def run_batch(scenario: Scenario, seeds: Sequence[int], days: int | None = None) -> list[RunResult]:
    """Run ``scenario`` once per seed, the seeds advancing together; results in seed order.

    Each result equals ``lab.run(scenario, seed=s, days=days)``.
    """
    batch = BatchRun(scenario, seeds, days)
    batch.run()
    return list(batch.results())
