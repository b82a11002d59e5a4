"""Explain a scenario: the daily step order and every parameter in effect.

Also generates the scenario-format reference (``docs/scenario-reference.md``) from
the schema itself, so the documentation is never out of date.
"""

from __future__ import annotations

from lab.model import STEP_ORDER, code_location
from lab.params import iter_parameters, references_markdown
from lab.scenario import Scenario
from lab.strategies import CONFIG_BY_TYPE, RUNTIME_BY_TYPE, Strategy

__all__ = ["parameter_rows", "scenario_reference", "step_order_lines", "strategies_reference"]


def step_order_lines(scenario: Scenario | None = None) -> list[str]:
    """The day as ``lab explain`` prints it: each step with the ``file:line`` that runs it.

    The steps are :data:`lab.model.STEP_ORDER`; the customers' step is shown as its
    mechanisms (:data:`lab.agents.behaviour.MECHANISMS`), numbered on.  With a
    scenario, the strategies in effect are listed under the steps they act in.
    """
    lines = []
    i = 0
    for step in STEP_ORDER:
        if step.mechanisms:
            lines.append(f"    {step.name} ({step.what}) [{step.where()}]:")
            for m in step.mechanisms:
                i += 1
                lines.append(f"{i:2d}. {m.name}: {m.what} [{code_location(m.run)}]")
            continue
        i += 1
        lines.append(f"{i:2d}. {step.name}: {step.what} [{step.where()}]")
        if scenario is not None:
            lines += _strategy_lines(step.name, scenario)
    return lines


def _strategy_lines(step_name: str, scenario: Scenario) -> list[str]:
    """The scenario's strategies that act in a step (groups prepare, all strategies act)."""
    lines = []
    for cfg in scenario.strategies:
        runtime = RUNTIME_BY_TYPE[cfg.type]
        label = cfg.label or cfg.type
        if step_name == "groups" and cfg.enabled and runtime.prepare is not Strategy.prepare:
            what_first = (runtime.prepare.__doc__ or runtime.summary).strip().splitlines()[0]
            lines.append(f"      - {label} [{cfg.type}]: {what_first}")
        if step_name == "strategies act":
            state = "" if cfg.enabled else " (disabled)"
            lines.append(f"      - {label} [{cfg.type}]{state}: {runtime.summary}")
    return lines


def parameter_rows(scenario: Scenario) -> list[dict]:
    """Every leaf parameter: path, value, unit, valid range, set in (file/default), doc, basis.

    ``basis`` is the source of the default (see :func:`lab.params.source_text`), or, for
    a value still as ``lab calibrate`` fitted it (``source`` ``"calibration"``), the fit:
    the data, the fit and its SE (:func:`lab.params.fitted_text`).
    """
    return list(iter_parameters(scenario))


def _fmt(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "[]"
    return str(value)


def _row(rec: dict) -> str:
    cells = (rec["unit"], rec["range"], rec["basis"], rec["doc"])
    return f"| `{rec['path']}` | {_fmt(rec['value'])} | " + " | ".join(cells) + " |"


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
        "Every parameter names the **source** of its default: a published finding (see",
        "References below), a seed article (the five articles on private-traffic operations",
        "the lab was built from, numbered 000-004), a platform rule, a calibration, a",
        "*setting* (a unit, switch, name or decision, not behaviour) or an *assumption*: a",
        "judgement default nobody measured, which then carries the range a marketing",
        "scientist would accept as plausible. `lab.parameter_table()` lists the same with",
        "machine-readable ranges, on the paths `Scenario.with_changes` and `lab sweep --set`",
        "take (mappings entry by entry, e.g. `contacts.daily_cap.group`).",
        "",
        "| parameter | default | unit | valid | source | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for rec in iter_parameters(Scenario()):
        if rec["path"] == "strategies":
            continue
        out.append(_row(rec))
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
    out += references_markdown("\n".join(out))
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
        out += [
            "| parameter | default | unit | valid | source | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for rec in iter_parameters(cfg_cls()):
            if rec["path"] == "type":
                continue
            out.append(_row(rec))
    out += references_markdown("\n".join(out))
    return "\n".join(out) + "\n"
