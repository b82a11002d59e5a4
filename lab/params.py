"""Building blocks for scenario schemas: strict models and documented parameters.

Every parameter in a scenario is declared with :func:`P`, which records its unit,
valid range and a one-line description.  ``lab explain`` and the scenario reference
in ``docs/scenario-reference.md`` are generated from these declarations, so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["P", "ProblemsError", "StrictModel", "check_names", "iter_parameters", "shown_names"]


class ProblemsError(ValueError):
    """Every problem found in one input, reported at once, each naming its field and value.

    Subclasses set ``subject`` (what was read: "the scenario", "the order data").
    """

    subject = "the input"

    def __init__(self, problems: list[str], source: str = "<dict>") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: {len(problems)} problem(s) in {self.subject}"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in problems))


_PLAIN_NAME = re.compile(r"^[\w.\- ()/%#]{1,40}$")


def shown_names(names: Iterable[Any], limit: int = 12) -> str:
    """Column or key names read from a file, for a message: plain names only, at most ``limit``.

    A file given by mistake (a password file, a log) has whole lines where names
    should be; those are described by their length, never printed.
    """
    names = list(names)
    shown = [
        str(n) if _PLAIN_NAME.match(str(n)) else f"<{len(str(n))} characters>"
        for n in names[:limit]
    ]
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return (", ".join(shown) or "none") + more


class StrictModel(BaseModel):
    """A schema node that rejects unknown keys, non-finite numbers and validates on assignment.

    ``.inf`` and ``.nan`` are refused in every float field (they pass range checks
    such as ``ge=0`` and crash or poison a run later).
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )


def P(default: Any, unit: str, doc: str, **constraints: Any) -> Any:
    """Declare a scenario parameter.

    Parameters
    ----------
    default : Any
        Value used when the scenario file does not set it.
    unit : str
        Unit written in every report of the parameter ("days", "CNY", "1/day", "share", ...).
    doc : str
        One-line description.
    **constraints
        Pydantic range constraints such as ``ge=0``, ``le=1``, ``gt=0``.
    """
    return Field(default, description=doc, json_schema_extra={"unit": unit}, **constraints)


def check_names(names, valid, what: str):
    """Validator helper: every name must be one of ``valid``; returns ``names`` unchanged.

    Raises
    ------
    ValueError
        Naming the first unknown entry and listing the valid ones.
    """
    if names is None:
        return names
    bad = [k for k in names if k not in valid]
    if bad:
        raise ValueError(f"unknown {what} {bad[0]!r}; valid: {', '.join(valid)}")
    return names


def _range_text(field) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sym} {value}")
    return ", ".join(parts)


def iter_parameters(model: BaseModel, prefix: str = ""):
    """Yield one record per leaf parameter of a validated scenario node.

    Yields
    ------
    dict
        ``path``, ``value``, ``unit``, ``range``, ``doc`` and ``source``
        (``"file"`` when the scenario set it, ``"default"`` otherwise).
    """
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        source = "file" if name in model.model_fields_set else "default"
        if isinstance(value, BaseModel):
            for rec in iter_parameters(value, path + "."):
                if source == "default":
                    rec["source"] = "default"
                yield rec
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                yield from iter_parameters(item, f"{path}[{i}].")
        elif (
            isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel)
        ):
            for key, item in value.items():
                for rec in iter_parameters(item, f"{path}.{key}."):
                    if source == "default":
                        rec["source"] = "default"
                    yield rec
        else:
            extra = field.json_schema_extra or {}
            yield {
                "path": path,
                "value": value,
                "unit": extra.get("unit", "") if isinstance(extra, dict) else "",
                "range": _range_text(field),
                "doc": field.description or "",
                "source": source,
            }
