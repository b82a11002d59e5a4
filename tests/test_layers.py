"""Layers are contracts: no import cycles, and one door from strategies to customers.

The import directions themselves are import-linter contracts in ``pyproject.toml``
(``make lint`` runs ``lint-imports``); these tests add what a contract cannot say:

* no cycle among the lab's *modules* (import-linter's acyclic contract works on
  sibling packages, squashed; this looks at every module, TYPE_CHECKING imports too);
* strategies write customer arrays only for the states they declare as their own
  (everything else goes through the day plan);
* the model provides every member of the services protocols strategies are typed against.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import grimp
import networkx as nx
import numpy as np
import pytest

import lab
from lab.model import PoolModel
from lab.plan import DayPlan
from lab.population import STATE_SPEC, Population
from lab.services import ModelServices, PoolServices
from lab.strategies import RUNTIME_BY_TYPE

LAB = Path(lab.__file__).resolve().parent


def import_graph() -> nx.DiGraph:
    """The lab's own imports, module to module (lazy and TYPE_CHECKING ones included)."""
    g = grimp.build_graph("lab", cache_dir=None)
    graph = nx.DiGraph()
    for module in g.modules:
        graph.add_node(module)
        graph.add_edges_from((module, t) for t in g.find_modules_directly_imported_by(module))
    return graph


def test_no_import_cycles_among_lab_modules():
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def test_the_package_root_is_imported_by_no_submodule():
    graph = import_graph()
    assert sorted(graph.predecessors("lab")) == []


def test_every_package_directory_is_a_regular_package():
    # a directory without __init__.py is a namespace package that import tools skip
    missing = [
        str(d.relative_to(LAB))
        for d in LAB.rglob("*")
        if d.is_dir() and any(d.glob("*.py")) and not (d / "__init__.py").exists()
    ]
    assert missing == []


def _written_states(source: str) -> set[str]:
    """Customer states assigned in ``source``: ``pop.<state>[...] = / += ...``."""
    written = set()
    for node in ast.walk(ast.parse(source)):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AugAssign)
            else []
        )
        for t in targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute):
                owner = t.value.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if name == "pop" and t.value.attr in STATE_SPEC:
                    written.add(t.value.attr)
    return written


def test_the_source_scan_finds_a_state_write():
    # the check below can fail: a direct write of a shared state is seen
    assert _written_states("pop.trust[s] += 1\nself.model.pop.fatigue[:n] = 0") == {
        "trust",
        "fatigue",
    }


@pytest.mark.parametrize("kind", sorted(RUNTIME_BY_TYPE))
def test_strategies_write_only_the_customer_states_they_own(kind):
    runtime = RUNTIME_BY_TYPE[kind]
    source = inspect.getsource(inspect.getmodule(runtime))
    owned = {s for cls in RUNTIME_BY_TYPE.values() if cls.__module__ == runtime.__module__
             for s in (*cls.owned_states, *cls.states)}  # fmt: skip
    assert _written_states(source) <= owned, (kind, _written_states(source) - owned)
    assert set(runtime.owned_states) <= set(STATE_SPEC)


def _members(protocol) -> set[str]:
    names = set(getattr(protocol, "__annotations__", {}))
    for base in protocol.__mro__:
        if base.__module__ == "lab.services":
            names |= set(getattr(base, "__annotations__", {}))
            names |= {n for n, v in vars(base).items() if inspect.isfunction(v)}
    return names


def test_the_model_provides_every_service_strategies_and_acquisition_use():
    model = PoolModel(lab.Scenario(days=2))
    missing = sorted(n for n in _members(PoolServices) if not hasattr(model, n))
    assert missing == []
    assert _members(ModelServices) < _members(PoolServices)


def test_the_plan_moves_trust_toward_one_by_the_share_asked():
    pop = Population(capacity=16)
    pop.n = 4
    pop.trust[:4] = np.float32([0.2, 0.5, 1.0, 0.0])
    plan = DayPlan(lab.Scenario().contacts)
    plan.reset(pop)
    plan.raise_trust(np.array([0, 1, 3]), 0.5)
    np.testing.assert_allclose(pop.trust[:4], [0.6, 0.75, 1.0, 0.5], rtol=1e-6)
    plan.scale_trust(np.array([1]), 0.5)
    assert pop.trust[1] == np.float32(0.375)


def test_a_strategy_declares_its_own_customer_state_and_the_run_keeps_it(monkeypatch):
    from lab.strategies.newcomer import Newcomer

    own = {"tasks_seen": ("int16", -1, "newcomer tasks seen (test state)")}
    monkeypatch.setattr(Newcomer, "states", own)
    sc = lab.Scenario(days=30, strategies=[{"type": "newcomer"}])
    model = PoolModel(sc)
    assert model.pop.tasks_seen.dtype == np.int16
    model.run_model()
    # it grew with the pool (slots of customers who joined later hold the initial value)
    assert model.pop.tasks_seen.size == model.pop.capacity
    assert model.pop.n > 16
    assert (model.pop.view("tasks_seen") == -1).all()
    customers = lab.RunResult(model).customers
    columns = list(customers.columns)
    assert (
        columns.index("tasks_seen") == columns.index("rfm_class") + 1
    )  # after the standard states
    assert len(customers) == model.pop.n


def test_a_strategy_state_may_not_take_a_standard_name():
    with pytest.raises(ValueError, match="trust"):
        Population(extra_states={"trust": ("float32", 1.0, "again")})


def test_without_own_states_the_customers_table_is_unchanged():
    res = lab.run(lab.Scenario(days=5), seed=1)
    assert "tasks_seen" not in res.customers.columns


def test_import_lab_loads_no_engine_until_a_name_is_used():
    import subprocess
    import sys

    code = (
        "import sys, lab\n"
        "before = sorted(m for m in ('lab.model', 'lab.scenario', 'numba') if m in sys.modules)\n"
        "lab.scenario_diff  # the function, loaded on use\n"
        "import lab.scenario_diff\n"
        "print(before, callable(lab.scenario_diff), callable(lab.facts))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True", "True"]
