"""Intervals never print with zero width unless they are exactly zero-width; then they say why."""

from __future__ import annotations

import pytest

from lab.cli import _fmt_interval
from lab.report.fmt import fmt_diff, fmt_interval, fmt_interval_g, spread_note


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("pp", "").replace("%", "").strip())


@pytest.mark.parametrize(
    ("metric", "low", "high", "scale"),
    [
        ("mean_fatigue", 0.14101, 0.14139, 1),  # printed "+0.141 to +0.141" before
        ("fatigue_index", -0.00201, -0.00203, 1),
        ("block_rate", 0.01001, 0.01004, 100),  # shares in percentage points
        ("net_margin", 1234.2, 1234.4, 1),
        ("gmv", 150.2, 150.4, 1),
    ],
)
def test_a_narrow_interval_shows_two_different_ends(metric, low, high, scale):
    assert fmt_diff(metric, low) == fmt_diff(metric, high)  # the usual digits hide it
    lo, hi = fmt_interval(metric, low, high)
    assert lo != hi
    # each end is its value rounded to the digits shown
    for text, value in ((lo, low), (hi, high)):
        decimals = len(text.split(".")[1].split()[0]) if "." in text else 0
        assert abs(_number(text) - value * scale) <= 0.5 * 10**-decimals + 1e-12


def test_a_wide_interval_keeps_the_usual_digits():
    assert fmt_interval("mean_fatigue", 0.1, 0.3) == ("+0.100", "+0.300")
    assert fmt_interval("block_rate", 0.01, 0.02, "zh") == ("+1.0 个百分点", "+2.0 个百分点")


def test_equal_ends_stay_equal():
    assert fmt_interval("mean_fatigue", 0.2, 0.2) == ("+0.200", "+0.200")
    assert fmt_interval_g(0.5, 0.5) == ("0.500", "0.500")


def test_significant_digits_grow_until_the_ends_differ():
    assert fmt_interval_g(0.14101, 0.14139) == ("0.1410", "0.1414")
    assert fmt_interval_g(12345.0, 12346.0) == ("12,345", "12,346")


def test_no_spread_says_why():
    assert spread_note(0.0, 0.0, 10) == "identical in every seed"
    assert spread_note(0.5, 0.5, 10) == "the same difference in every seed"
    assert spread_note(float("nan"), float("nan"), 1) == "needs 2+ seeds"
    assert spread_note(float("nan"), float("nan"), 0) == "not defined in these runs"
    assert spread_note(0.1, 0.2, 10) == ""
    assert spread_note(0.0, 0.0, 10, "zh") == "每个种子下完全相同"


def test_compare_prints_a_narrow_interval_apart_and_no_spread_with_its_reason():
    assert _fmt_interval(0.14101, 0.14139, 20) == "[0.1410, 0.1414]"
    assert _fmt_interval(0.0, 0.0, 20) == "(identical in every seed)"
    assert _fmt_interval(0.1, 0.3, 20) == "[0.1, 0.3]"  # the usual digits
