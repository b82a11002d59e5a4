"""The day is one executable list: the code runs the steps in the order it prints.

* ``PoolModel.step`` calls the methods of ``STEP_ORDER`` in order (each method is
  wrapped to record its call);
* the customer loop calls the kernel's mechanisms in the order of ``MECHANISMS``
  (read from the loop's source: numba-compiled calls cannot be wrapped);
* ``lab explain`` points each step at the line that defines the code running it;
* docs/model.md's list of the day names the same steps in the same order.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import lab
from lab.agents import behaviour
from lab.explain import step_order_lines
from lab.model import STEP_ORDER, PoolModel, day_steps

ROOT = Path(__file__).resolve().parents[1]


def test_model_step_calls_the_listed_methods_in_order():
    sc = lab.Scenario(days=3, strategies=[{"type": "discount_cadence"}])
    model = PoolModel(sc)
    calls: list[str] = []

    def recording(name, method):
        def wrapped(day):
            calls.append(name)
            return method(day)

        return wrapped

    for step in STEP_ORDER:
        method_name = step.run.__name__
        setattr(model, method_name, recording(step.name, getattr(model, method_name)))
    model.run_model()
    names = [s.name for s in STEP_ORDER]
    assert calls == names * 3
    assert model.datacollector.get_model_vars_dataframe()["orders"].sum() >= 0


def _calls_in_order(fn) -> list[str]:
    """Names of the functions called in ``fn``'s body, in source order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn.py_func)))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return [c.func.id for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]


def test_customer_loop_runs_the_mechanisms_in_the_listed_order():
    called = _calls_in_order(behaviour.step_customers)
    listed = [m.run.py_func.__name__ for m in behaviour.MECHANISMS]
    positions = [called.index(name) for name in listed]  # each listed one is called
    assert positions == sorted(positions), (listed, called)


def test_explain_points_each_step_at_the_code_that_runs_it():
    lines = step_order_lines()
    located = [re.search(r"\[(\S+):(\d+)\]", ln) for ln in lines]
    assert all(located), lines
    numbered_at = [m for m, ln in zip(located, lines, strict=True) if ln[:3].strip()]
    for step, m in zip(day_steps(), numbered_at, strict=True):
        source = (ROOT / m.group(1)).read_text(encoding="utf-8").splitlines()
        fn = getattr(step.run, "py_func", step.run)
        assert source[int(m.group(2)) - 1].lstrip().startswith(f"def {fn.__name__}("), step
    numbered = [ln.split(". ", 1)[1].split(":")[0] for ln in lines if ln[:3].strip()]
    assert numbered == [s.name for s in day_steps()]


def test_docs_list_the_day_as_the_code_runs_it():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = text.split("## The day, step by step", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. \*\*([^*]+)\*\*", section, re.M)
    assert items == [s.name for s in STEP_ORDER]
