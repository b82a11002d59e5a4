"""The classroom explorer: the pure function moves the right way, the widget drives it."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from lab.explorer import (
    METRICS,
    ClassroomPool,
    Exploration,
    Explorer,
    ExplorerParams,
    classroom_scenario,
    explore,
    figure_png,
)
from lab.teaching import messages_per_week

#: a short year keeps every run well under a second; one fixed seed for the directions
POOL = ClassroomPool(days=150, seed=11, n_seeds=1)
#: several seeds (the explorer's default is 5): medians and bands
SEEDS = ClassroomPool(days=120, seed=11, n_seeds=3)


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


@pytest.fixture(scope="module")
def several() -> Exploration:
    return explore({"messages_per_week": 14}, pool=SEEDS, figure=False)


def test_several_seeds_give_a_median_inside_its_band(several):
    ex = several
    assert list(ex.per_seed.index) == [11, 12, 13] == list(SEEDS.seeds)
    for m in METRICS:
        lo, hi = ex.bands[m]
        assert lo <= ex.metrics[m] <= hi, m
        assert ex.metrics[m] == pytest.approx(ex.per_seed[m].median()), m
    # the seeds differ (luck), so the band of a count is not a single point
    assert ex.bands["orders"][1] > ex.bands["orders"][0]
    d = ex.daily
    assert (d["cum_gmv_p10"] <= d["cum_gmv"]).all() and (d["cum_gmv"] <= d["cum_gmv_p90"]).all()
    # the end of the daily median is the median of the end-of-run totals
    assert d["blocked_total"].iloc[-1] == ex.metrics["blocked_total"]


def test_paired_change_band_is_per_seed(several):
    ex = several
    mine, theirs = ex.per_seed["blocked_total"], ex.reference_per_seed["blocked_total"]
    paired = (mine - theirs) / theirs
    lo, hi = ex.change_bands["blocked_total"]
    assert lo == pytest.approx(paired.quantile(0.1)) and hi == pytest.approx(paired.quantile(0.9))
    # flooding the group blocks more customers with every seed, not only in the median
    assert lo > 0


def test_one_seed_is_the_single_run_of_that_seed():
    from lab.api import run

    one = explore({"messages_per_week": 9}, pool=POOL, figure=False)
    res = run(classroom_scenario({"messages_per_week": 9}, POOL), seed=11, days=POOL.days)
    assert one.metrics["orders"] == float(res.daily["orders"].sum())
    assert one.bands["orders"] == (one.metrics["orders"], one.metrics["orders"])


def test_bad_pool_is_named():
    with pytest.raises(ValueError, match="n_seeds"):
        ClassroomPool(n_seeds=0)


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


def test_figure_shades_the_band_of_several_seeds(several):
    from lab.explorer import draw

    fig = draw(several)
    assert len(fig.axes[0].collections) == 2  # GMV and net margin bands
    assert "3" in fig.texts[0].get_text()  # the title names the seeds


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
    w = Explorer(pool=POOL)  # English by default
    assert w.controls["discount_depth"].description == "discount depth"
    assert "net margin" in w.numbers.value
    assert w.font.value == ""  # no CJK text, no font


def test_sliders_are_full_width(widget):
    assert all(c.layout.width == "100%" for c in widget.controls.values())
    assert "lab-explorer" in widget.widget._dom_classes


def test_chinese_widget_embeds_a_font_with_every_label_glyph(widget):
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from lab.explorer import label_text

    css = widget.font.value
    assert "@font-face" in css
    urls = re.findall(r"url\(([^)]*)\)", css)
    assert urls and all(u.startswith("data:font/") for u in urls)  # embedded: no network
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", css).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(data)))
    cmap = font.getBestCmap()
    shown = label_text("zh") + widget.numbers.value + widget.status.value
    cjk = {c for c in shown if ord(c) >= 0x2E80}
    assert cjk and all(ord(c) in cmap for c in cjk), sorted(c for c in cjk if ord(c) not in cmap)


def test_a_warm_pool_gives_the_same_numbers_as_this_process():
    from lab.experiments import replicate
    from lab.explorer import _RUNS, DAILY_SERIES, METRICS, explorer_metrics
    from lab.parallel import LocalExecutor

    pool = ClassroomPool(days=60, seed=5, n_seeds=3)
    levers = {"messages_per_week": 12}
    here = explore(levers, pool=pool, figure=False)
    for key in [k for k in _RUNS if k[1] == pool]:
        del _RUNS[key]  # forget them: run again, on the workers
    workers = LocalExecutor(2)
    try:
        warm = explore(levers, pool=pool, figure=False, executor=workers)
        assert workers._pool is not None  # the settings ran on the workers
    finally:
        workers.close()
    assert warm.metrics == here.metrics and warm.reference_metrics == here.reference_metrics
    pd.testing.assert_frame_equal(warm.per_seed, here.per_seed, check_exact=True)
    pd.testing.assert_frame_equal(warm.daily, here.daily, check_exact=True)
    alone = replicate(  # the setting run by itself, as the explorer ran it before
        classroom_scenario(levers, pool), pool.seeds, days=pool.days, name="classroom",
        workers=1, progress=False, daily_metrics=DAILY_SERIES, metrics=explorer_metrics,
    )  # fmt: skip
    by_seed = alone.wide().set_index("seed")[list(METRICS)]
    pd.testing.assert_frame_equal(here.per_seed, by_seed, check_exact=True)


def test_close_stops_a_pool_only_when_the_explorer_owns_it():
    from lab.parallel import LocalExecutor

    lent, owned = LocalExecutor(2), LocalExecutor(2)
    try:
        for workers in (lent, owned):
            assert dict(workers.stream(abs, enumerate([1, -2]))) == {0: 1, 1: 2}  # started
        kept = Explorer(pool=POOL, executor=lent)
        given = Explorer(pool=POOL, executor=owned, own_executor=True)
        kept.close()
        given.close()
        assert lent._pool is not None  # its owner closes it
        assert owned._pool is None
        assert kept.executor is None and given.executor is None
        assert kept.set(messages_per_week=12).metrics  # later updates run here
    finally:
        lent.close()
        owned.close()
