"""Every parameter says where its default comes from; assumptions carry plausible ranges.

The table of :func:`lab.parameter_table` is what a robustness analysis draws from, so
its ranges must contain the defaults, validate at both ends and name paths that
:meth:`lab.Scenario.with_changes` takes as they are.
"""

from __future__ import annotations

import math
import re
import typing

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.params import (
    REFERENCES,
    SOURCE_KINDS,
    P,
    StrictModel,
    assumed,
    cited,
    parameter_table,
    published,
    setting,
)
from lab.scenario import Scenario, TraitDist, TraitOverride
from lab.strategies import CONFIG_BY_TYPE
from lab.strategies.discount_cadence import BigSale, DiscountCadenceConfig

#: fields whose meaning (and so source) depends on where the model is used: the field
#: using the model declares their sources with ``by_key`` (checked on the table)
CONTEXT_SOURCED = {TraitDist: {"mean", "shape", "concentration"}, TraitOverride: None}


def _full_scenario() -> Scenario:
    """The default scenario with every strategy type, and a big sale in the cadence."""
    configs = [cls() for cls in CONFIG_BY_TYPE.values()]
    configs = [
        DiscountCadenceConfig(big_sales=[BigSale(name="618", day=20)])
        if isinstance(c, DiscountCadenceConfig)
        else c
        for c in configs
    ]
    return Scenario(strategies=configs)


@pytest.fixture(scope="module")
def full():
    sc = _full_scenario()
    return sc, parameter_table(sc)


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _all_models() -> list[type[BaseModel]]:
    seen, todo = [], [Scenario, *CONFIG_BY_TYPE.values()]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for field in cls.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return seen


def test_every_schema_field_declares_its_source():
    missing = []
    for cls in _all_models():
        context = CONTEXT_SOURCED.get(cls, set())
        for name, field in cls.model_fields.items():
            if name == "type" or context is None or name in context:
                continue
            inner = _models_in(field.annotation)
            if inner and not any(m in CONTEXT_SOURCED for m in inner):
                continue  # a section: its own fields are checked
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if "source" not in extra:
                missing.append(f"{cls.__name__}.{name}")
    assert not missing, "fields without a source (declare source= in P): " + ", ".join(missing)


def test_every_parameter_in_the_table_has_a_known_source(full):
    _, table = full
    unsourced = table.loc[~table["source_kind"].isin(list(SOURCE_KINDS)), "path"].tolist()
    assert not unsourced, f"parameters without a source: {unsourced}"
    # the walk reaches strategies, mapping entries and list items
    paths = set(table["path"])
    assert {"contacts.daily_cap.group", "strategies[0].big_sales[0].depth"} <= paths
    assert "traits.by_channel.paid.propensity_per_day.mean" in paths


def test_an_unsourced_parameter_is_caught():
    class NewKnob(StrictModel):
        known: float = P(1.0, "x", "declared", source=setting())
        sneaky: float = P(0.5, "x", "added without a source", ge=0)

    table = parameter_table(NewKnob())
    assert table.set_index("path").loc["sneaky", "source_kind"] == ""
    assert table.set_index("path").loc["known", "source_kind"] == "setting"


def test_assumptions_have_a_plausible_range_around_their_default(full):
    _, table = full
    bad = []
    for row in table[table["source_kind"] == "assumption"].itertuples():
        lo, hi = row.plausible_low, row.plausible_high
        if math.isnan(lo) or math.isnan(hi) or not lo < hi or not lo <= row.value <= hi:
            bad.append((row.path, row.value, lo, hi))
    assert not bad, f"assumptions whose range is missing or misses the default: {bad}"
    # sourced values with a band carry it the same way
    ranged = table[table["plausible_low"].notna()]
    assert set(ranged["source_kind"]) >= {"assumption", "calibration", "seed"}
    outside = ranged[
        (ranged["value"] < ranged["plausible_low"]) | (ranged["value"] > ranged["plausible_high"])
    ]
    assert outside.empty, outside[["path", "value", "plausible_low", "plausible_high"]]
    assert len(ranged) >= 100  # the behaviour a robustness analysis can vary


def test_both_ends_of_every_plausible_range_validate_and_round_trip(full):
    sc, table = full
    failures = []
    for row in table[table["plausible_low"].notna()].itertuples():
        for end in (row.plausible_low, row.plausible_high):
            value = int(end) if row.type == "int" else float(end)
            assert value == end, f"{row.path}: an integer parameter needs integer ends"
            try:
                changed = sc.with_changes({row.path: value})
            except lab.ScenarioError as exc:
                failures.append(f"{row.path}={value}: {exc}")
                continue
            after = parameter_table(changed).set_index("path")
            assert after.loc[row.path, "value"] == value, row.path
            assert after.loc[row.path, "set_in"] == "file", row.path
    assert not failures, "\n".join(failures)


def test_the_corners_of_the_plausible_box_validate_together(full):
    # a Latin hypercube draws every ranged parameter at once: joint constraints
    # (e.g. activity_floor < activity_start) must hold at all-low and all-high
    sc, table = full
    ranged = table[table["plausible_low"].notna()]
    for column in ("plausible_low", "plausible_high"):
        values = [
            int(v) if t == "int" else float(v)
            for v, t in zip(ranged[column], ranged["type"], strict=True)
        ]
        corner = sc.with_changes(dict(zip(ranged["path"], values, strict=True)))
        after = parameter_table(corner).set_index("path").loc[ranged["path"], "value"]
        assert after.tolist() == values


def test_table_paths_name_the_values_they_list(full):
    sc, table = full
    scalars = table[table["type"].isin(["int", "float", "bool", "str"])]
    same = sc.with_changes(dict(zip(scalars["path"], scalars["value"], strict=True)))
    assert lab.scenario_hash(same) == lab.scenario_hash(sc)
    # one changed entry changes that row and no other
    changed = parameter_table(sc.with_changes({"contacts.channel_weight.group": 0.25}))
    diff = changed.loc[changed["value"].astype(str) != table["value"].astype(str), "path"]
    assert diff.tolist() == ["contacts.channel_weight.group"]


def test_published_and_calibrated_sources_cite_a_listed_reference(full):
    _, table = full
    rows = table[table["source_kind"].isin(["published", "calibration"])]
    assert not rows.empty
    uncited = [r.path for r in rows.itertuples() if not cited(r.source)]
    assert not uncited, f"cite a key of lab.params.REFERENCES: {uncited}"
    platform = table[table["source_kind"] == "platform"]
    assert set(platform["path"]) >= {
        "contacts.daily_cap.moments",
        "contacts.daily_cap.mass_message",
    }


def test_source_declarations_refuse_what_would_hide_a_guess():
    with pytest.raises(ValueError, match="plausible range"):
        assumed(0.5, 0.5)
    with pytest.raises(ValueError, match="low < high"):
        published("van Heerde & Neslin 2008", band=(-1.5, -6.0))
    assert cited("van Heerde & Neslin 2008 and Hillstrom 2008") == [
        "Hillstrom 2008",
        "van Heerde & Neslin 2008",
    ]
    assert "Fader, Hardie & Lee 2005 (JMR)" in REFERENCES


def test_explain_and_the_reference_show_the_source():
    runner = CliRunner()
    r = runner.invoke(app, ["explain", "scenarios/baseline.yaml"], env={"COLUMNS": "320"})
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if "fatigue.decay_per_day" in ln)
    assert "assumption" in line and "0.005" in line
    from lab.explain import scenario_reference, strategies_reference

    ref = scenario_reference()
    assert "| source |" in ref and "## References" in ref
    assert "WeCom: 1 mass message a day" in ref
    assert "assumption" in strategies_reference()


#: an author-year citation in a source text: "Liu 2007", "Mela, Gupta & Lehmann 1997",
#: "Leenheer et al. 2007", "van Heerde, Leeflang & Wittink 2000"
_NAME = r"(?:[A-Z][A-Za-z\-]+|van|de|den|et al\.)"
_CITATION = re.compile(rf"{_NAME}(?:(?:,|\s&|\s)\s*{_NAME})*\s+(?:19|20)\d\d")


def test_every_author_year_citation_in_a_source_is_a_listed_reference(full):
    # also the "assumed" sources: a study named as the ground of an assumption must be
    # findable in the reference list (lab.params.REFERENCES) like a published one
    _, table = full
    missing = {
        m.group(0): r.path
        for r in table.itertuples()
        for m in _CITATION.finditer(str(r.source))
        if not cited(m.group(0))
    }
    assert not missing, f"add to lab.params.REFERENCES: {missing}"
