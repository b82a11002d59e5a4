"""Experiment designs: which scenario parameters vary, and the runs that follow.

A parameter is named by its path in the scenario, as ``lab explain`` prints it
(``acquisition.paid.daily_budget_cny``, ``contacts.daily_cap.group``).  A strategy
in the ``strategies`` list is reached by its index (``strategies[0].depth``), by its
``type`` when the scenario has only one of that type
(``strategies.discount_cadence.every_days``, or a prefix naming one strategy:
``strategies.discount.every_days``) or by its ``label`` (``strategies.group plan.reach``).  Paths are checked against the validated base
scenario up front: an unknown key is reported with the valid keys at that level.
Values are coerced to the field's type (an integer field stays an integer, also
when sampled from a range).

A *run spec* is one (design point, seed): the base scenario with the point's
overrides, the seed and the number of days.  Its ``run_id`` hashes the base
scenario, the overrides (by canonical path), the seed, the days and the metric
function, so the same run always has the same id whatever design it belongs to.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from lab.scenario import Scenario, ScenarioError, deep_merge, dump_scenario, scenario_from_dict

__all__ = [
    "MAX_RUNS",
    "DesignError",
    "Param",
    "RunSpec",
    "apply_overrides",
    "check_pool_size",
    "check_run_count",
    "grid_points",
    "lhs_points",
    "parse_assignment",
    "parse_range",
    "resolve_param",
    "run_id",
    "run_specs",
]


class DesignError(ValueError):
    """A parameter path, value or range that cannot be used; the message names the argument."""


#: runs one experiment may hold unless ``max_runs`` (``--max-runs``) raises the limit
MAX_RUNS = 10_000


def check_run_count(n_runs: int, max_runs: int | None = None, what: str = "the design") -> None:
    """Refuse, before any point is built, a design of more than ``max_runs`` runs.

    Parameters
    ----------
    n_runs : int
        Runs the design would hold (points x seeds).
    max_runs : int, optional
        The limit (default :data:`MAX_RUNS`).
    what : str
        How the design was asked for, named in the message.

    Raises
    ------
    DesignError
        With the count and how to raise the limit.
    """
    limit = MAX_RUNS if max_runs is None else int(max_runs)
    if limit < 1:
        raise DesignError(f"--max-runs {max_runs}: must be at least 1")
    if n_runs > limit:
        raise DesignError(
            f"{what}: {_runs_text(n_runs)} runs, more than --max-runs {limit:,}; make the "
            "design smaller or raise the limit with --max-runs (max_runs= in Python)"
        )


def check_pool_size(scenario: Scenario, days: int | None) -> None:
    """Refuse, before any run, a ``--days`` under which the base pool outgrows ``max_customers``.

    Loading checked the scenario's own ``days``; an experiment may run it longer.
    """
    if days is None:
        return
    from lab.agents.acquisition import pool_projection_problem

    problem = pool_projection_problem(scenario, int(days))
    if problem:
        raise DesignError(f"--days {days}: {problem}")


def _runs_text(n: int) -> str:
    return f"{n:,}" if n < 10**12 else f"about {float(n):.3g}"


@dataclass(frozen=True)
class Param:
    """One scenario parameter that an experiment varies.

    Attributes
    ----------
    path : str
        The path as the user wrote it (the column name in result tables).
    loc : tuple
        Keys into the dumped scenario (list positions as int).
    kind : str
        ``int``, ``float``, ``bool`` or ``str``.
    nullable : bool
        The field accepts ``none``.
    """

    path: str
    loc: tuple
    kind: str
    nullable: bool = False

    @property
    def canonical(self) -> str:
        """The path with list positions as ``[i]`` (the same for every way of naming it)."""
        out = ""
        for k in self.loc:
            out += f"[{k}]" if isinstance(k, int) else ("." if out else "") + str(k)
        return out

    def coerce(self, value: Any, arg: str = "value") -> Any:
        """``value`` (a string from the command line or a Python value) as this field's type."""
        if isinstance(value, str):
            text = value.strip()
            if self.nullable and text.lower() in ("none", "null", "~"):
                return None
            try:
                if self.kind == "int":
                    f = float(text)
                    if not f.is_integer():
                        raise ValueError
                    return int(f)
                if self.kind == "float":
                    return float(text)
                if self.kind == "bool":
                    return {"true": True, "yes": True, "1": True, "false": False, "no": False}[
                        text.lower()
                    ]
            except (ValueError, KeyError):
                raise DesignError(
                    f"{arg}: {self.path} = {value!r} is not a valid {self.kind}"
                ) from None
            return text
        if value is None:
            if not self.nullable:
                raise DesignError(f"{arg}: {self.path} must not be none")
            return None
        if self.kind == "int":
            if isinstance(value, bool) or not float(value).is_integer():
                raise DesignError(f"{arg}: {self.path} = {value!r} is not an integer")
            return int(value)
        if self.kind == "float":
            return float(value)
        if self.kind == "bool":
            return bool(value)
        return value


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", piece)
        if not m or (not m.group(1) and not m.group(2)):
            raise DesignError(f"{path!r}: not a parameter path (use a.b.c or strategies[0].depth)")
        if m.group(1):
            parts.append(m.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return parts


def _kind(annotation) -> tuple[str, bool]:
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    nullable = False
    if origin in (typing.Union, types.UnionType):
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else str
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "str", nullable
    if annotation is bool:
        return "bool", nullable
    if annotation is int:
        return "int", nullable
    if annotation is float:
        return "float", nullable
    return "str", nullable


def _strategy_index(items: list, key: str, where: str, arg: str) -> int:
    by_type = [i for i, s in enumerate(items) if getattr(s, "type", None) == key]
    if len(by_type) == 1:
        return by_type[0]
    by_label = [i for i, s in enumerate(items) if getattr(s, "label", None) == key]
    if len(by_label) == 1:
        return by_label[0]
    by_prefix = [i for i, s in enumerate(items) if str(getattr(s, "type", "")).startswith(key)]
    if not by_type and not by_label and len(by_prefix) == 1:  # "discount" -> discount_cadence
        return by_prefix[0]
    by_type = by_type or by_prefix
    names = [f"[{i}] {s.type}" + (f" ({s.label})" if s.label else "") for i, s in enumerate(items)]
    why = "more than one strategy matches" if by_type or by_label else "no strategy matches"
    raise DesignError(
        f"{arg}: {where}.{key}: {why}; name it by position, type or label: "
        + ("; ".join(names) or "the scenario has none")
    )


def resolve_param(scenario: Scenario, path: str, arg: str = "parameter") -> Param:
    """Find ``path`` in ``scenario`` and return the :class:`Param` to vary.

    Parameters
    ----------
    scenario : Scenario
        The validated base scenario.
    path : str
        e.g. ``strategies.discount_cadence.depth``.
    arg : str
        How the command line or API names the argument, for messages (``--set``).

    Raises
    ------
    DesignError
        Unknown key (listing the valid keys there), or a path that ends on a section
        or list rather than a single value.
    """
    node: Any = scenario
    loc: list = []
    annotation: Any = None
    where = ""
    for part in _split(path):
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                valid = ", ".join(fields)
                raise DesignError(
                    f"{arg}: unknown key {part!r} in {where or 'the scenario'}; valid keys: {valid}"
                )
            annotation = fields[part].annotation
            node = getattr(node, part)
            loc.append(part)
        elif isinstance(node, list):
            if isinstance(part, str):
                part = _strategy_index(node, part, where, arg)
            if not 0 <= part < len(node):
                raise DesignError(f"{arg}: {where}[{part}]: the list has {len(node)} item(s)")
            annotation = next(iter(typing.get_args(annotation)), None)
            node = node[part]
            loc.append(part)
        elif isinstance(node, dict):
            if part not in node:
                raise DesignError(
                    f"{arg}: unknown key {part!r} in {where}; valid keys: {', '.join(map(str, node))}"
                )
            args = typing.get_args(annotation)
            annotation = args[1] if len(args) == 2 else None
            node = node[part]
            loc.append(part)
        else:
            raise DesignError(f"{arg}: {where} is a single value; {path!r} goes past it")
        where = Param(path, tuple(loc), "str").canonical
    if isinstance(node, BaseModel | list | dict):
        inner = (
            ", ".join(type(node).model_fields)
            if isinstance(node, BaseModel)
            else ", ".join(map(str, node))
            if isinstance(node, dict)
            else f"{len(node)} item(s)"
        )
        raise DesignError(
            f"{arg}: {path!r} is a section, not a single value; inside: {inner or 'nothing'}"
        )
    kind, nullable = _kind(annotation)
    return Param(path, tuple(loc), kind, nullable)


def _patch(node: Any, loc: Sequence, value: Any) -> Any:
    """A patch for :func:`deep_merge` that sets ``loc`` to ``value`` (lists are restated)."""
    if not loc:
        return value
    head, rest = loc[0], loc[1:]
    if isinstance(head, int):
        items = list(node)
        child = items[head]
        sub = _patch(child, rest, value)
        items[head] = deep_merge(child, sub) if isinstance(sub, dict) and rest else sub
        return items
    return {head: _patch(node.get(head) if isinstance(node, Mapping) else None, rest, value)}


def apply_overrides(base: dict, overrides: Mapping[Param, Any]) -> dict:
    """The dumped scenario ``base`` with each parameter set (via :func:`lab.scenario.deep_merge`)."""
    out = base
    for p, v in overrides.items():
        out = deep_merge(out, _patch(out, p.loc, v))
    return out


def check_point(base: dict, overrides: Mapping[Param, Any], arg: str) -> None:
    """Validate the scenario of one design point; raise DesignError naming the argument."""
    try:
        scenario_from_dict(apply_overrides(base, overrides))
    except ScenarioError as exc:
        shown = ", ".join(f"{p.path}={v}" for p, v in overrides.items())
        raise DesignError(
            f"{arg}: the scenario with {shown} is not valid: " + "; ".join(exc.problems)
        ) from None


def parse_assignment(text: str, arg: str = "--set") -> tuple[str, list[str]]:
    """``"path=v1,v2"`` -> ``("path", ["v1", "v2"])``."""
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise DesignError(f"{arg} {text!r}: write PATH=VALUE[,VALUE...]")
    return path.strip(), [v.strip() for v in values.split(",")]


def parse_range(text: str, arg: str = "--range") -> tuple[str, str, str]:
    """``"path=lo:hi"`` -> ``("path", "lo", "hi")``."""
    path, sep, bounds = text.partition("=")
    lo, colon, hi = bounds.partition(":")
    if not sep or not colon or not path.strip() or not lo.strip() or not hi.strip():
        raise DesignError(f"{arg} {text!r}: write PATH=LOW:HIGH")
    return path.strip(), lo.strip(), hi.strip()


def numeric_range(p: Param, lo: Any, hi: Any, arg: str) -> tuple[float, float]:
    """Coerce and check ``lo < hi`` for a numeric parameter."""
    if p.kind not in ("int", "float"):
        raise DesignError(f"{arg}: {p.path} is a {p.kind}; a range needs a number field")
    lo, hi = p.coerce(lo, arg), p.coerce(hi, arg)
    if lo is None or hi is None or not lo < hi:
        raise DesignError(f"{arg}: {p.path} needs LOW < HIGH, got {lo}:{hi}")
    return lo, hi


def grid_points(grid: Mapping[Param, Sequence[Any]]) -> list[dict[Param, Any]]:
    """Every combination of the listed values, the last parameter varying fastest."""
    params = list(grid)
    return [dict(zip(params, combo, strict=True)) for combo in itertools.product(*grid.values())]


def lhs_points(
    ranges: Mapping[Param, tuple[float, float]], samples: int, seed: int
) -> list[dict[Param, Any]]:
    """``samples`` Latin hypercube points over ``ranges`` (scipy.stats.qmc, seeded).

    Integer parameters are rounded to the nearest integer in their range.
    """
    from scipy.stats import qmc

    params = list(ranges)
    if not params:
        return [{}]
    gen = np.random.default_rng(seed)
    try:
        sampler = qmc.LatinHypercube(d=len(params), rng=gen)
    except TypeError:  # scipy < 1.15 calls it seed
        sampler = qmc.LatinHypercube(d=len(params), seed=gen)
    unit = sampler.random(samples)
    return [_scale(params, ranges, row) for row in unit]


def _scale(params, ranges, row) -> dict[Param, Any]:
    point = {}
    for p, u in zip(params, row, strict=True):
        lo, hi = ranges[p]
        x = lo + float(u) * (hi - lo)
        point[p] = int(np.clip(np.rint(x), lo, hi)) if p.kind == "int" else float(x)
    return point


def levels(lo: float, hi: float, p: Param, n: int) -> list:
    """``n`` evenly spaced values from ``lo`` to ``hi`` (distinct integers for an int field)."""
    xs = np.linspace(lo, hi, n)
    if p.kind == "int":
        return list(dict.fromkeys(int(np.rint(x)) for x in xs))
    return [float(x) for x in xs]


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment: a design point and a seed."""

    run_id: str
    point: int
    overrides: tuple  # ((Param, value), ...)
    seed: int
    days: int | None


def run_id(base_hash: str, overrides: Mapping[Param, Any], seed: int, days, metrics: str) -> str:
    """Stable id of one run: hash of base scenario, overrides, seed, days and metric function."""
    key = json.dumps(
        [base_hash, sorted((p.canonical, v) for p, v in overrides.items()), seed, days, metrics],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def run_specs(
    base_hash: str,
    points: Sequence[Mapping[Param, Any]],
    seeds: Sequence[int],
    days: int | None,
    metrics: str,
) -> list[RunSpec]:
    """Every (point, seed), point-major, each with its :func:`run_id`."""
    return [
        RunSpec(run_id(base_hash, pt, s, days, metrics), i, tuple(pt.items()), int(s), days)
        for i, pt in enumerate(points)
        for s in seeds
    ]


def base_dump(scenario: Scenario) -> dict:
    """The complete base scenario as plain data (what overrides are merged into)."""
    return dump_scenario(scenario)
