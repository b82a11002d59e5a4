"""Scenario paths: one way to name a value in a scenario, shared by every way of changing it.

A value is named by its path in the scenario, as ``lab explain`` prints it
(``acquisition.paid.daily_budget_cny``, ``contacts.daily_cap.group``).  A strategy
in the ``strategies`` list is reached by its index (``strategies[0].depth``), by its
``type`` when the scenario has only one of that type
(``strategies.discount_cadence.every_days``, or a prefix naming one strategy:
``strategies.discount.every_days``) or by its ``label``
(``strategies.group plan.reach``).  Paths are checked against the validated
scenario: an unknown key is reported with the valid keys at that level.

One *derived* value stands for a section: ``<contact plan>.messages_per_week``
(``strategies.group plan.messages_per_week``) is the number of messages a weekly plan
sends; setting it rewrites the plan's ``weekly`` calendar with that many messages
spread evenly over the week, Monday first, their content types taken in turn from
the plan as it was (:func:`spread_weekly`).  So ``lab sweep --set
"strategies.group plan.messages_per_week=1,3,7"`` varies a contact plan's frequency.

``lab sweep --set``, ``lab sensitivity``, ``lab optimize`` (through
:mod:`lab.experiments.design`) and :meth:`lab.Scenario.with_changes` all resolve
paths here, so a path that works in one works in the others.

This module sits below :mod:`lab.scenario`: it walks any pydantic model and plain
dicts and knows nothing of the scenario schema itself.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from lab.suggest import did_you_mean

__all__ = [
    "Param",
    "ScenarioPathError",
    "deep_merge",
    "resolve_param",
    "set_at",
    "spread_weekly",
]


class ScenarioPathError(ValueError):
    """A path or value that cannot be used; the message names the argument, path and value."""


@dataclass(frozen=True)
class Param:
    """One value in a scenario, found by its path.

    Attributes
    ----------
    path : str
        The path as the user wrote it (the column name in result tables).
    loc : tuple
        Keys into the dumped scenario (list positions as int).
    kind : str
        ``int``, ``float``, ``bool`` or ``str`` for a single value; ``section`` for a
        mapping or list (only when :func:`resolve_param` is asked to allow them).
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
        return loc_text(self.loc)

    def coerce(self, value: Any, arg: str = "value") -> Any:
        """``value`` (a string from the command line or a Python value) as this field's type."""
        if self.kind == "section":
            return value
        if isinstance(value, str):
            return self._from_text(value, arg)
        if value is None:
            if not self.nullable:
                raise ScenarioPathError(f"{arg}: {self.path} must not be none")
            return None
        try:
            if self.kind == "int":
                if isinstance(value, bool) or not float(value).is_integer():
                    raise ScenarioPathError(f"{arg}: {self.path} = {value!r} is not an integer")
                return int(value)
            if self.kind == "float":
                return float(value)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ScenarioPathError):
                raise
            raise ScenarioPathError(
                f"{arg}: {self.path} = {value!r} is not a valid {self.kind}"
            ) from None
        if self.kind == "bool":
            return bool(value)
        return value

    def _from_text(self, value: str, arg: str) -> Any:
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
            raise ScenarioPathError(
                f"{arg}: {self.path} = {value!r} is not a valid {self.kind}"
            ) from None
        return text


def loc_text(loc: Sequence) -> str:
    """Keys as a path: ``("strategies", 0, "depth")`` -> ``strategies[0].depth``."""
    out = ""
    for k in loc:
        out += f"[{k}]" if isinstance(k, int) else ("." if out else "") + str(k)
    return out


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    if not isinstance(path, str):
        raise ScenarioPathError(f"{path!r}: a path is text, e.g. strategies[0].depth")
    for piece in path.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", piece)
        if not m or (not m.group(1) and not m.group(2)):
            raise ScenarioPathError(
                f"{path!r}: not a parameter path (use a.b.c or strategies[0].depth)"
            )
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
    if not by_type and not by_label:
        known = [getattr(s, "type", "") for s in items] + [getattr(s, "label", "") for s in items]
        why += did_you_mean(key, [k for k in known if k])
    raise ScenarioPathError(
        f"{arg}: {where}.{key}: {why}; name it by position, type or label: "
        + ("; ".join(names) or "the scenario has none")
    )


def spread_weekly(weekly: Mapping[str, Sequence[str]], n: int) -> dict[str, list[str]]:
    """A weekly calendar with ``n`` messages spread evenly over its days.

    Message ``k`` (0-based) goes out on day ``floor(k * days / n)`` (the days in the
    calendar's order, Monday first): 1 a week on Monday, 3 on Monday, Wednesday and
    Friday, 7 daily, 14 twice a day.  Content types are taken in turn from
    ``weekly``'s own messages, in order.

    Raises
    ------
    ScenarioPathError
        ``n`` negative, or ``n > 0`` for a plan without any message to take contents from.
    """
    days = list(weekly)
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ScenarioPathError(f"messages_per_week = {n!r}: must be a whole number >= 0")
    n = int(n)
    contents = [c for d in days for c in weekly[d]]
    if n and not contents:
        raise ScenarioPathError(
            "messages_per_week: the plan sends nothing, so there is no content type to "
            "repeat; write its weekly calendar with at least one message first"
        )
    out: dict[str, list[str]] = {d: [] for d in days}
    for k in range(n):
        out[days[k * len(days) // n]].append(contents[k % len(contents)])
    return out


#: derived single values: name -> (the section it rewrites, how); see the module doc
DERIVED: dict[str, tuple[str, Any]] = {"messages_per_week": ("weekly", spread_weekly)}


def _step(node: Any, part: str | int, annotation: Any, where: str, path: str, arg: str):
    """One step down ``path``: the child node, its annotation and its key."""
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        source = DERIVED.get(part, ("", None))[0] if isinstance(part, str) else ""
        if part not in fields and source in fields:
            value = getattr(node, source)
            return sum(len(v) for v in value.values()), int, part
        if part not in fields:
            raise ScenarioPathError(
                f"{arg} {path!r}: unknown key {part!r}{did_you_mean(part, fields)} in "
                f"{where or 'the scenario'}; valid keys: {', '.join(fields)}"
            )
        return getattr(node, part), fields[part].annotation, part
    if isinstance(node, list):
        if isinstance(part, str):
            part = _strategy_index(node, part, where, arg)
        if not 0 <= part < len(node):
            raise ScenarioPathError(f"{arg}: {where}[{part}]: the list has {len(node)} item(s)")
        return node[part], next(iter(typing.get_args(annotation)), None), part
    if isinstance(node, dict):
        if part not in node:
            raise ScenarioPathError(
                f"{arg} {path!r}: unknown key {part!r}{did_you_mean(part, node)} in {where}; "
                f"valid keys: {', '.join(map(str, node))}"
            )
        args = typing.get_args(annotation)
        return node[part], (args[1] if len(args) == 2 else None), part
    raise ScenarioPathError(f"{arg}: {where} is a single value; {path!r} goes past it")


def resolve_param(
    scenario: BaseModel, path: str, arg: str = "parameter", sections: bool = False
) -> Param:
    """Find ``path`` in ``scenario`` and return the :class:`Param` it names.

    Parameters
    ----------
    scenario : pydantic.BaseModel
        The validated scenario (a :class:`lab.Scenario`).
    path : str
        e.g. ``strategies.discount_cadence.depth``.
    arg : str
        How the command line or API names the argument, for messages (``--set``).
    sections : bool
        Allow a path that ends on a section or list (kind ``section``); experiments
        vary single values only.

    Raises
    ------
    ScenarioPathError
        Unknown key (listing the valid keys there), or (unless ``sections``) a path
        that ends on a section or list rather than a single value.
    """
    node: Any = scenario
    loc: list = []
    annotation: Any = None
    for part in _split(path):
        node, annotation, key = _step(node, part, annotation, loc_text(loc), path, arg)
        loc.append(key)
    if isinstance(node, BaseModel | list | dict):
        if sections:
            return Param(path, tuple(loc), "section")
        inner = (
            ", ".join(type(node).model_fields)
            if isinstance(node, BaseModel)
            else ", ".join(map(str, node))
            if isinstance(node, dict)
            else f"{len(node)} item(s)"
        )
        raise ScenarioPathError(
            f"{arg}: {path!r} is a section, not a single value; inside: {inner or 'nothing'}"
        )
    kind, nullable = _kind(annotation)
    return Param(path, tuple(loc), kind, nullable)


def deep_merge(base: Mapping, patch: Mapping) -> dict:
    """A copy of ``base`` with ``patch`` merged in: mappings key by key, lists and values replaced.

    This is how ``extends:`` combines scenario files and how a mapping given for a
    section in :meth:`lab.Scenario.with_changes` is applied.
    """
    out = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def set_at(data: Any, loc: Sequence, value: Any) -> Any:
    """A copy of the dumped scenario ``data`` with ``value`` at ``loc`` (a resolved path).

    A mapping given where ``data`` holds a mapping is merged into it key by key
    (as ``extends:`` does); lists and single values replace.
    """
    if not loc:
        return _merged(data, value)
    out = copy.deepcopy(data)
    node = out
    for key in loc[:-1]:
        node = node[key]
    last = loc[-1]
    if isinstance(node, dict) and last not in node and last in DERIVED:
        source, rewrite = DERIVED[last]
        if source in node:
            node[source] = rewrite(node[source], value)
            return out
    old = node[last] if isinstance(node, list) else node.get(last)
    node[last] = _merged(old, value)
    return out


def _merged(old: Any, value: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(old, dict):
        return deep_merge(old, value)
    return copy.deepcopy(value)
