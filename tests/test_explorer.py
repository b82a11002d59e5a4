"""The classroom explorer: the pure function moves the right way, the widget drives it."""

from __future__ import annotations

import warnings

import pytest

from lab.explorer import (
    METRICS,
    ClassroomPool,
    Explorer,
    ExplorerParams,
    classroom_scenario,
    explore,
    figure_png,
)
from lab.teaching import messages_per_week

#: a short year keeps every run well under a second; one fixed seed
POOL = ClassroomPool(days=150, seed=11)


def metrics(**levers) -> dict[str, float]:
    return explore(levers, pool=POOL, figure=False).metrics


def test_levers_map_onto_the_scenario():
    sc = classroom_scenario(
        {
            "discount_depth": 0.3,
            "discount_every_days": 14,
            "messages_per_week": 9,
            "membership": True,
            "membership_fee_cny": 149,
            "referral_reward_cny": 35,
        },
        POOL,
    )
    by_type = {s.type: s for s in sc.strategies}
    assert by_type["discount_cadence"].depth == 0.3
    assert by_type["discount_cadence"].every_days == 14
    group = next(s for s in sc.strategies if s.type == "contact_plan" and s.touchpoint == "group")
    assert messages_per_week(group.weekly) == 9
    assert by_type["membership"].fee_cny == 149
    assert sc.acquisition.referral.reward_cny == 35
    assert sc.days == POOL.days
    # depth 0: no recurring promotion, the big sales stay
    none = classroom_scenario({"discount_depth": 0.0}, POOL)
    cadence = next(s for s in none.strategies if s.type == "discount_cadence")
    assert cadence.every_days is None and cadence.big_sales
    assert "membership" not in {s.type for s in classroom_scenario(None, POOL).strategies}


def test_explore_is_deterministic_and_compares_with_the_defaults():
    a = explore({"messages_per_week": 10}, pool=POOL, figure=False)
    b = explore(ExplorerParams(messages_per_week=10), pool=POOL, figure=False)
    assert a.metrics == b.metrics
    assert set(a.metrics) == set(METRICS) == set(a.change)
    same = explore(pool=POOL, figure=False)
    assert same.metrics == same.reference_metrics
    assert all(v == 0 for k, v in same.change.items() if k != "members")
    assert len(a.daily) == POOL.days
    assert list(a.table()["metric"]) == list(METRICS)


def test_more_messages_more_blocks_and_fatigue():
    few, base, many = (metrics(messages_per_week=n) for n in (0, 4, 14))
    assert few["blocked_total"] < base["blocked_total"] < many["blocked_total"]
    assert few["mean_fatigue"] < base["mean_fatigue"] < many["mean_fatigue"]


def test_flooding_the_group_costs_net_margin():
    assert metrics(messages_per_week=28)["net_margin"] < metrics(messages_per_week=4)["net_margin"]


def test_more_frequent_promotions_more_fatigue():
    weekly, monthly, rare = (metrics(discount_every_days=d) for d in (7, 30, 60))
    assert weekly["mean_fatigue"] > monthly["mean_fatigue"] > rare["mean_fatigue"]
    assert weekly["discount_cost"] > monthly["discount_cost"]


def test_deeper_discount_costs_more_and_earns_less():
    shallow, deep = metrics(discount_depth=0.1), metrics(discount_depth=0.45)
    assert deep["discount_cost"] > shallow["discount_cost"]
    assert deep["net_margin"] < shallow["net_margin"]


def test_referral_reward_brings_friends():
    none, rich = metrics(referral_reward_cny=0), metrics(referral_reward_cny=80)
    assert rich["referred"] > none["referred"]


def test_membership_fee_deters_joiners():
    assert metrics()["members"] == 0
    cheap = metrics(membership=True, membership_fee_cny=29)
    dear = metrics(membership=True, membership_fee_cny=299)
    assert cheap["members"] > dear["members"] > 0


def test_bad_levers_are_named():
    with pytest.raises(ValueError, match="discount_depth"):
        ExplorerParams(discount_depth=1.5)
    with pytest.raises(ValueError, match="messages_per_week"):
        ExplorerParams(messages_per_week=40)
    with pytest.raises(KeyError, match="discount_dept"):
        explore({"discount_dept": 0.3}, pool=POOL)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figure_has_four_panels_and_renders_every_glyph(lang):
    ex = explore({"messages_per_week": 7}, pool=POOL, lang=lang)
    assert len(ex.figure.axes) == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a warning
        png = figure_png(ex.figure)
    assert png.startswith(b"\x89PNG")
    titles = " ".join(ax.get_title(loc="left") for ax in ex.figure.axes)
    assert ("拉黑" in titles) == (lang == "zh")


# ----------------------------------------------------------------------------- widget
@pytest.fixture(scope="module")
def widget() -> Explorer:
    return Explorer(lang="zh", pool=POOL)


def test_widget_starts_at_the_defaults(widget):
    assert widget.params == ExplorerParams()
    assert widget.result.metrics == widget.result.reference_metrics
    assert bytes(widget.image.value).startswith(b"\x89PNG")
    assert "成交总额" in widget.numbers.value
    assert widget.controls["messages_per_week"].description == "每周社群消息"
    assert widget.controls["membership_fee_cny"].disabled


def test_moving_a_slider_updates_numbers_and_figure(widget):
    before = widget.result
    n, image, html = widget.updates, widget.image.value, widget.numbers.value
    widget.controls["messages_per_week"].value = 14
    after = widget.result
    assert widget.updates == n + 1
    assert after.params.messages_per_week == 14
    assert after.metrics["blocked_total"] > before.metrics["blocked_total"]
    assert after.change["blocked_total"] > 0
    assert widget.image.value != image and widget.numbers.value != html
    line = after.figure.axes[2].get_lines()[0]  # blocks panel: your settings
    assert line.get_ydata()[-1] == after.metrics["blocked_total"]


def test_cadence_slider_moves_fatigue(widget):
    widget.reset()
    base = widget.result.metrics["mean_fatigue"]
    widget.controls["discount_every_days"].value = 7
    assert widget.result.metrics["mean_fatigue"] > base


def test_membership_checkbox_and_fee(widget):
    widget.reset()
    widget.controls["membership"].value = True
    assert not widget.controls["membership_fee_cny"].disabled
    joined_99 = widget.result.metrics["members"]
    assert joined_99 > 0
    widget.controls["membership_fee_cny"].value = 299.0
    assert widget.result.metrics["members"] < joined_99


def test_set_is_one_update_and_reset_restores(widget):
    n = widget.updates
    widget.set(discount_depth=0.4, referral_reward_cny=60.0)
    assert widget.updates == n + 1
    assert widget.params.discount_depth == pytest.approx(0.4)
    with pytest.raises(ValueError):
        widget.set(discount_depth=2.0)
    widget.reset()
    assert widget.params == ExplorerParams()
    assert widget.result.metrics == widget.result.reference_metrics


def test_english_widget_labels():
    w = Explorer(lang="en", pool=POOL)
    assert w.controls["discount_depth"].description == "discount depth"
    assert "net margin" in w.numbers.value
