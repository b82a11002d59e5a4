"""Fuzzing scenario loading: any text ends in a Scenario or a ScenarioError, nothing else.

Two sources of input: random YAML-ish text (built from YAML's own punctuation,
anchors, aliases, tags and numbers, so the parser's odd corners are reached), and
random mutations of the bundled scenarios (a value replaced by a hostile one, a
line dropped, duplicated or cut).  ``max_examples`` keeps the whole file to a few
seconds.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lab
from lab.scenario import Scenario, ScenarioError, dump_scenario

SCENARIOS = sorted(Path(__file__).resolve().parents[1].glob("scenarios/*.yaml"))
FUZZ = settings(
    max_examples=150,
    deadline=None,
    # the same 150 examples on every run: CI must not fail by the draw of the day (random
    # runs on 2026-12-03 found two missing messages, fixed and tested in test_scenario.py);
    # to explore, run it locally with derandomize=False and more examples
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

TOKENS = [
    "days", "name", "seed", "acquisition", "paid", "daily_budget_cny", "strategies",
    "type", "discount_cadence", "extends", ":", ": ", "- ", "{", "}", "[", "]", ",", "&a ",
    "*a", "&b ", "*b", "<<: ", "!!float ", "!!str ", "!!python/object:os.system ", "? ",
    "|", ">", "'", '"', "#", "\n", "\n  ", "\t", "---\n", "...\n", "~", "null", ".inf",
    "-.inf", ".nan", "1e308", "1.0e+308", "-1", "0", "3", "0.5", "2026-01-01", "yes",
    "\\u0000", "\x00", "\ufeff", "$\\foo$", "../../x", "é",
]  # fmt: skip
HOSTILE_VALUES = [
    ".inf", "-.inf", ".nan", "1.0e+308", "-1.0e+308", "1e308", "99999999999999999999999",
    "-1", "0", "~", "''", "[]", "{}", "[1, [2, [3]]]", "*nope", "&x 1", "!!binary AAAA",
    "!!python/name:os.system", "'$\\foo$'", "2026-13-45", "true", "x" * 300,
]  # fmt: skip


def _outcome(path: Path) -> str:
    """Load ``path``; the only acceptable ends are a Scenario or a ScenarioError."""
    try:
        sc = lab.load_scenario(path)
    except ScenarioError as exc:
        assert exc.problems and all(isinstance(p, str) and len(p) < 2000 for p in exc.problems)
        return "refused"
    assert isinstance(sc, Scenario)
    return "loaded"


@FUZZ
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=40))
@example(["!!float "])  # PyYAML's float constructor raised IndexError on an empty value
@example(["days: ", "!!int ", "abc"])
@example(["&a ", "[", "*a", "]"])
def test_random_yaml_text_ends_in_a_scenario_or_a_clear_error(tmp_path_factory, parts):
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_text("".join(parts), encoding="utf-8", errors="surrogatepass")
    _outcome(path)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@FUZZ
@given(
    st.sampled_from(SCENARIOS),
    st.lists(
        st.tuples(
            st.sampled_from(["value", "drop", "duplicate", "cut", "indent"]),
            st.integers(min_value=0, max_value=10_000),
            st.sampled_from(HOSTILE_VALUES),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_bundled_scenarios_end_in_a_scenario_or_a_clear_error(
    tmp_path_factory, source, mutations
):
    lines = _lines(source)
    for kind, pos, value in mutations:
        if not lines:
            break
        i = pos % len(lines)
        line = lines[i]
        if kind == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = f"{key}: {value}\n"
        elif kind == "drop":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, line)
        elif kind == "cut":
            lines[i] = line[: pos % (len(line) + 1)]
        else:
            lines[i] = " " + line
    folder = tmp_path_factory.mktemp("mut")
    path = folder / source.name
    path.write_text("".join(lines), encoding="utf-8")
    _outcome(path)


def test_every_bundled_scenario_loads_and_survives_its_own_dump(tmp_path):
    """The fuzz starts from valid files: each loads, and its dump loads to the same."""
    for source in SCENARIOS:
        sc = lab.load_scenario(source)
        path = tmp_path / source.name
        data = dump_scenario(sc)
        data["acquisition"]["known_customers"].pop("sha256", None)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        assert lab.load_scenario(path) == sc
