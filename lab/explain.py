"""Explain a scenario: the daily step order and every parameter in effect.

Also generates the scenario-format reference (``docs/scenario-reference.md``) from
the schema itself, so the documentation is never out of date.
"""

from __future__ import annotations

from lab.model import STEP_ORDER
from lab.params import iter_parameters
from lab.scenario import Scenario
from lab.strategies import CONFIG_BY_TYPE, RUNTIME_BY_TYPE

__all__ = ["parameter_rows", "scenario_reference", "step_order_lines"]


def step_order_lines(scenario: Scenario | None = None) -> list[str]:
    """The documented order of one simulated day, with the strategies in effect."""
    lines = []
    for i, (name, what) in enumerate(STEP_ORDER, 1):
        lines.append(f"{i:2d}. {name}: {what}")
        if name == "strategies act" and scenario is not None:
            for j, cfg in enumerate(scenario.strategies):
                state = "" if cfg.enabled else " (disabled)"
                label = cfg.label or cfg.type
                lines.append(
                    f"      - {label} [{cfg.type}]{state}: {RUNTIME_BY_TYPE[cfg.type].summary}"
                )
                del j
    return lines


def parameter_rows(scenario: Scenario) -> list[dict]:
    """Every leaf parameter: path, value, unit, valid range, source (file/default), doc."""
    return list(iter_parameters(scenario))


def _fmt(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "[]"
    return str(value)


def scenario_reference() -> str:
    """Markdown reference of the scenario format, generated from the schema."""
    out = [
        "# Scenario file reference",
        "",
        "Generated from the schema by `lab reference` — do not edit by hand.",
        "Every key is optional; a missing key takes the default shown. Unknown keys are",
        "rejected with the list of valid ones. Units: `1/day` is a daily rate, `share` a",
        "fraction in [0, 1], `x` a multiplier, money is CNY.",
        "",
        "## Top level and mechanisms",
        "",
        "| parameter | default | unit | valid | meaning |",
        "|---|---|---|---|---|",
    ]
    for rec in iter_parameters(Scenario()):
        if rec["path"] == "strategies":
            continue
        out.append(
            f"| `{rec['path']}` | {_fmt(rec['value'])} | {rec['unit']} | {rec['range']} | {rec['doc']} |"
        )
    out += [
        "",
        "Trait distributions (`traits.default.*`, `traits.by_channel.<channel>.*`) take",
        "`dist: gamma` with `mean` and `shape`, `dist: beta` with `mean` and `concentration`,",
        "or `dist: fixed` with `mean`. A channel override replaces whole traits; the rest",
        "is inherited from `traits.default`.",
        "",
        "## Strategies (`strategies:` list, switched on by `type:`)",
    ]
    for type_name, cfg_cls in CONFIG_BY_TYPE.items():
        runtime = RUNTIME_BY_TYPE[type_name]
        doc = (runtime.__module__ and __import__(runtime.__module__, fromlist=["x"]).__doc__) or ""
        out += ["", f"### `{type_name}`", "", doc.strip(), ""]
        out += ["| parameter | default | unit | valid | meaning |", "|---|---|---|---|---|"]
        for rec in iter_parameters(cfg_cls()):
            if rec["path"] == "type":
                continue
            out.append(
                f"| `{rec['path']}` | {_fmt(rec['value'])} | {rec['unit']} | {rec['range']} | {rec['doc']} |"
            )
    return "\n".join(out) + "\n"
