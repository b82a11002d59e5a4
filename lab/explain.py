"""Explain a scenario: the daily step order and every parameter in effect.

Also generates the scenario-format reference (``docs/scenario-reference.md``) from
the schema itself, so the documentation is never out of date.
"""

from __future__ import annotations

from lab.model import STEP_ORDER
from lab.params import iter_parameters
from lab.scenario import Scenario
from lab.strategies import CONFIG_BY_TYPE, RUNTIME_BY_TYPE, Strategy

__all__ = ["parameter_rows", "scenario_reference", "step_order_lines", "strategies_reference"]


def step_order_lines(scenario: Scenario | None = None) -> list[str]:
    """The documented order of one simulated day, with the strategies in effect."""
    lines = []
    for i, (name, what) in enumerate(STEP_ORDER, 1):
        lines.append(f"{i:2d}. {name}: {what}")
        if name == "groups" and scenario is not None:
            for cfg in scenario.strategies:
                runtime = RUNTIME_BY_TYPE[cfg.type]
                if cfg.enabled and runtime.prepare is not Strategy.prepare:
                    what_first = (
                        (runtime.prepare.__doc__ or runtime.summary).strip().splitlines()[0]
                    )
                    lines.append(f"      - {cfg.label or cfg.type} [{cfg.type}]: {what_first}")
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
        "A scenario file may start with `extends: other.yaml` (a path relative to it): the",
        "file is merged onto that one, mappings key by key, lists and values replaced.",
        "",
        "Refused when loading, each with one message naming file, field or line and value:",
        "an empty file (write `{}` for the scenario with every default), a key stated twice",
        "in one mapping, YAML whose aliases (`*name`) expand to more than 100,000 values, a",
        "file that is not a scenario (none of its top-level keys is one), `.inf`/`.nan`,",
        "floats beyond 1e12 and integers beyond 2,147,483,647 (unless the field sets its own",
        "bound), and acquisition rates that bring more customers in `days` than",
        "`max_customers` (stock import, paid volume and staff invites x days, capped by a",
        "finite market); `lab run` also refuses a pool the free memory cannot hold.",
        "",
        "Strategies (the `strategies:` list) are documented in [strategies.md](strategies.md).",
    ]
    return "\n".join(out) + "\n"


def strategies_reference() -> str:
    """Markdown reference of every strategy type, generated from the code."""
    out = [
        "# Strategy library",
        "",
        "Generated from the code by `lab reference --what strategies` — do not edit by hand.",
        "A scenario switches a strategy on by listing it under `strategies:` with its `type:`.",
        "Strategies compose: offers take the deepest discount, contacts add up within the",
        "platform caps, purchase and dropout multipliers multiply. Every strategy can be",
        "aimed with `target:` (stages, channels, segments, members, rfm_classes,",
        "reachable_only) and switched off with `enabled: false`. What each one costs or",
        "earns is booked in the daily table (`cost_<kind>`, `revenue_<kind>`), so margin,",
        "not only GMV, comes out of every run.",
    ]
    for type_name, cfg_cls in CONFIG_BY_TYPE.items():
        runtime = RUNTIME_BY_TYPE[type_name]
        doc = (runtime.__module__ and __import__(runtime.__module__, fromlist=["x"]).__doc__) or ""
        runtime_notes = []
        for attr, label in (
            ("cost_kinds", "costs booked"),
            ("revenue_kinds", "revenue booked"),
            ("kpis", "daily KPIs"),
        ):
            names = getattr(runtime, attr)
            if names:
                runtime_notes.append(f"{label}: " + ", ".join(f"`{n}`" for n in names))
        out += ["", f"## `{type_name}`", "", doc.strip(), ""]
        if runtime_notes:
            out += ["; ".join(runtime_notes) + ".", ""]
        out += ["| parameter | default | unit | valid | meaning |", "|---|---|---|---|---|"]
        for rec in iter_parameters(cfg_cls()):
            if rec["path"] == "type":
                continue
            out.append(
                f"| `{rec['path']}` | {_fmt(rec['value'])} | {rec['unit']} | {rec['range']} | {rec['doc']} |"
            )
    return "\n".join(out) + "\n"
