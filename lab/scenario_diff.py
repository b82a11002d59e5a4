"""What differs between two scenarios: every resolved parameter whose value differs.

A comparison of A and B answers "what does the change named in B do?" only when
B differs from A in that change alone.  :func:`scenario_diff` compares the two
*resolved* scenarios (every default filled in, ``extends:`` applied) and lists
each path whose value differs, in the syntax of ``lab sweep --set`` and
:meth:`lab.Scenario.with_changes` (``acquisition.referral.reward_cny``,
``strategies.discount_cadence.every_days``, ``strategies.group plan.reach``).

Strategies are matched across the two scenarios by their ``type`` when each
scenario has exactly one of that type, otherwise by ``label`` when that is unique
in both, otherwise by position within the type.  A strategy present on one side
only is one row (``(absent)`` on the other side, its settings that are not the
defaults on this side).  Every difference outside the ``strategies`` section is
*flagged*: it changes the pool, the customers or the economics rather than what the
team does, so a comparison that reads it as the strategy's effect is confounded.

The names of the scenario (``name``, ``description``) and of its strategies
(``label``) do not change a run and are left out unless ``labels=True``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from lab.scenario import Scenario, dump_scenario, load_scenario, scenario_from_dict

__all__ = ["ABSENT", "Difference", "ScenarioDiff", "scenario_diff"]

#: shown for a strategy (or entry) that one scenario does not have
ABSENT = "(absent)"

_LABEL_KEYS = {"name", "description"}


@dataclass(frozen=True)
class Difference:
    """One parameter whose value differs between A and B.

    Attributes
    ----------
    path : str
        The parameter's path, as ``lab sweep --set`` takes it.
    a, b : Any
        The resolved values (:data:`ABSENT` where one side does not have it).
    flagged : bool
        The path lies outside the ``strategies`` section.
    """

    path: str
    a: Any
    b: Any
    flagged: bool


@dataclass(frozen=True)
class ScenarioDiff:
    """Every difference between scenarios ``a_name`` and ``b_name``."""

    a_name: str
    b_name: str
    differences: tuple[Difference, ...]

    def __len__(self) -> int:
        return len(self.differences)

    def __iter__(self) -> Iterator[Difference]:
        return iter(self.differences)

    @property
    def paths(self) -> list[str]:
        """The paths that differ, in scenario order."""
        return [d.path for d in self.differences]

    @property
    def flagged(self) -> list[Difference]:
        """Differences outside the ``strategies`` section (possible confounders)."""
        return [d for d in self.differences if d.flagged]

    @property
    def confounded(self) -> bool:
        """True when anything outside the ``strategies`` section differs."""
        return bool(self.flagged)

    def frame(self) -> pd.DataFrame:
        """``path, a, b, outside_strategies`` with values as text (one row per difference)."""
        return pd.DataFrame(
            {
                "path": [d.path for d in self.differences],
                "a": [show_value(d.a) for d in self.differences],
                "b": [show_value(d.b) for d in self.differences],
                "outside_strategies": [d.flagged for d in self.differences],
            },
            columns=["path", "a", "b", "outside_strategies"],
        )


def show_value(value: Any) -> str:
    """A resolved value as short text: ``none``, numbers as written, lists/mappings inline."""
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _as_scenario(item: Any) -> Scenario:
    if isinstance(item, Scenario):
        return item
    if isinstance(item, str | Path):
        return load_scenario(item)
    if isinstance(item, Mapping):
        return scenario_from_dict(dict(item))
    raise TypeError(f"a scenario is a Scenario, a dict or a YAML path, got {type(item).__name__}")


def scenario_diff(a: Any, b: Any, labels: bool = False) -> ScenarioDiff:
    """Every resolved parameter path whose value differs between scenarios ``a`` and ``b``.

    Parameters
    ----------
    a, b : Scenario, dict or path
        The two scenarios (a YAML path is loaded with ``extends:`` resolved).
    labels : bool
        Also list differences of ``name``, ``description`` and strategy ``label``
        (they do not change a run).

    Returns
    -------
    ScenarioDiff
        ``.differences`` (path, A, B, flagged), ``.confounded``, ``.frame()``.

    Raises
    ------
    lab.ScenarioError
        A path that is not a valid scenario file.

    Examples
    --------
    >>> d = lab.scenario_diff("scenarios/baseline.yaml", "scenarios/q1_weekly_20off.yaml")  # doctest: +SKIP
    >>> d.paths  # doctest: +SKIP
    ['strategies.discount_cadence.every_days', 'strategies.discount_cadence.duration_days']
    """
    sa, sb = _as_scenario(a), _as_scenario(b)
    da, db = dump_scenario(sa), dump_scenario(sb)
    out: list[Difference] = []
    for key in dict.fromkeys([*da, *db]):
        if key == "strategies" or (key in _LABEL_KEYS and not labels):
            continue
        _walk(key, da.get(key, ABSENT), db.get(key, ABSENT), True, out)
    _strategies(da.get("strategies", []), db.get("strategies", []), labels, out)
    return ScenarioDiff(sa.name, sb.name, tuple(out))


def _walk(path: str, a: Any, b: Any, flagged: bool, out: list[Difference]) -> None:
    """Append every leaf under ``path`` where ``a`` and ``b`` differ."""
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            _walk(f"{path}.{key}", a.get(key, ABSENT), b.get(key, ABSENT), flagged, out)
        return
    if (
        isinstance(a, list)
        and isinstance(b, list)
        and len(a) == len(b)
        and any(isinstance(x, dict) for x in a)
    ):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(f"{path}[{i}]", x, y, flagged, out)
        return
    out.append(Difference(path, a, b, flagged))


def _keys(items: list[dict], other: list[dict]) -> list[str]:
    """How each strategy of ``items`` is named: by type, label or position within its type."""
    keys = []
    for i, s in enumerate(items):
        t, label = s.get("type"), s.get("label")
        same_type = [x for x in items if x.get("type") == t]
        other_type = [x for x in other if x.get("type") == t]
        if len(same_type) == 1 and len(other_type) <= 1:
            keys.append(str(t))
        elif (
            label
            and [x.get("label") for x in items].count(label) == 1
            and [x.get("label") for x in other].count(label) <= 1
        ):
            keys.append(str(label))
        else:
            keys.append(f"[{i}]")
    return keys


def _strategies(a: list[dict], b: list[dict], labels: bool, out: list[Difference]) -> None:
    ka, kb = _keys(a, b), _keys(b, a)
    by_b = dict(zip(kb, b, strict=True))
    for key in dict.fromkeys([*ka, *kb]):
        x = a[ka.index(key)] if key in ka else None
        y = by_b.get(key)
        path = "strategies" + (key if key.startswith("[") else f".{key}")
        if x is None or y is None or x.get("type") != y.get("type"):
            out.append(Difference(path, _present(x), _present(y), False))
            continue
        for field in dict.fromkeys([*x, *y]):
            if field == "label" and not labels:
                continue
            _walk(f"{path}.{field}", x.get(field, ABSENT), y.get(field, ABSENT), False, out)


def _present(config: dict | None) -> str:
    """A strategy on one side only: its type and the settings that are not its defaults."""
    if config is None:
        return ABSENT
    from lab.strategies import CONFIG_BY_TYPE

    cls = CONFIG_BY_TYPE.get(config.get("type"))
    try:
        defaults = cls().model_dump(mode="json") if cls else {}
    except ValidationError:  # a type without a default for every field
        defaults = {}
    changed = {
        k: v for k, v in config.items() if k not in ("type", "label") and defaults.get(k) != v
    }
    text = f"{config.get('type')}" + (f" ({config['label']})" if config.get("label") else "")
    if changed:
        text += ": " + ", ".join(f"{k}={show_value(v)}" for k, v in changed.items())
    else:
        text += ": its defaults"
    return text
