"""The page of ``lab forecast``: one self-contained HTML forecast, in English or Chinese.

Made with the report machinery of ``lab report`` (:mod:`lab.report.html`): Jinja2
with autoescaping, the lab's generator stamp and ``lab:*`` provenance meta tags
(so :func:`lab.report.write.lab_wrote_html` recognises the file), charts embedded
as PNG ``data:`` URLs (:func:`lab.report.figures.png_data_url`), the page's CJK
glyphs embedded as a subset font (:mod:`lab.report.fonts`) and a
Content-Security-Policy that forbids any script or network load.

The page shows the forecast dates, the headline numbers over the horizon (orders,
GMV and the distinct buyers of the whole forecast, existing and new customers, mean
with 80% and 95% bands over seeds that each draw their own parameters), the weekly forecast plot, the
fitted calendar, the mechanisms on and off, and the monthly table (the numbers of
``monthly.csv``).  ``model`` and ``fc`` are a fitted
:class:`lab.calibrate.estimator.OrderModel` and its forecast, used by attribute
only (this package does not import the calibration).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lab.configs.calendar import EVENT_NAMES
from lab.i18n import LABELS, check_lang, pick
from lab.report.figures import Chart, png_data_url

if TYPE_CHECKING:  # for the hints only: the page uses the forecast by attribute
    from lab.calibrate.estimator import Forecast

__all__ = [
    "FORECAST_LABELS",
    "SEGMENTS",
    "effect_label",
    "forecast_figures",
    "forecast_notes",
    "forecast_totals",
    "horizon_rows",
    "horizon_sentences",
    "mechanisms_sentence",
    "render_forecast_html",
]

SEGMENTS: tuple[str, ...] = ("existing", "new", "total")
METRICS: tuple[str, ...] = ("orders", "buyers", "gmv")

#: key -> (English, 中文); terms as in the project glossary (预测, 成交总额 (GMV), 用户分层,
#: 裂变 ...): the glossary's own words come from :data:`lab.i18n.LABELS`
FORECAST_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Forecast: {source}", "预测：{source}"),
    "subtitle": (
        "Forecast {first} to {last} ({days} days) · calibrated on {cal_first} to {cal_last}, "
        "{customers} customers · {seeds} seeds, each with its own parameter draw · "
        "generated {date}",
        "预测期 {first} 至 {last} ({days} 天) · 标定期 {cal_first} 至 {cal_last}，"
        "{customers} 位用户 · {seeds} 个种子，每个种子各自抽取参数 · 生成于 {date}",
    ),
    "sec_headline": ("Over the forecast period", "预测期内"),
    "sec_plot": ("Forecast by week", "每周预测"),
    "sec_calendar": ("Fitted calendar", "拟合的日历"),
    "sec_mechanisms": ("What the forecast models", "预测模型包含什么"),
    "sec_monthly": ("Monthly forecast", "月度预测"),
    "sec_provenance": ("Provenance", "溯源信息"),
    "segment": LABELS["segment"],
    "existing": ("existing customers", "老客"),
    "new": ("new customers", "新客"),
    "total": ("total", "合计"),
    "orders": ("orders", "订单"),
    "buyers_horizon": ("buyers over the period (distinct)", "预测期购买人数 (去重)"),
    "buyers_in_month": ("buyers in the month", "当月购买人数"),
    "buyers_in_week": ("buyers in the week", "当周购买人数"),
    "gmv": (f"{LABELS['gmv'][0]} (CNY)", f"{LABELS['gmv'][1]} (元)"),
    "month": ("month", "月份"),
    "week": LABELS["week"],
    "mean_band": ("mean [80% band] (95% band)", "均值 [80% 区间] (95% 区间)"),
    "mean_band80": ("mean [80% band]", "均值 [80% 区间]"),
    "headline_note": (
        "Means over the seeds; in brackets the 80% band (10–90%), in parentheses the 95% band "
        "(2.5–97.5%). {uncertainty} Buyers over the period: the customers who buy at least "
        "once in the forecast, each counted once however many months they buy in; the "
        "monthly table counts the buyers in each month, which do not add up to it. "
        "Existing customers = the log's customers; new customers = first-time buyers "
        "arriving in the forecast.",
        "各种子的均值；方括号内为 80% 区间 (10–90%)，圆括号内为 95% 区间 (2.5–97.5%)。"
        "{uncertainty}预测期购买人数：预测期内至少购买一次的用户数，无论在几个月购买都只计一次 "
        "(去重)；月度表为当月购买人数，各月相加不等于预测期购买人数。老客 = 订单日志中的用户；"
        "新客 = 预测期内首次购买的用户。",
    ),
    "with_draws": (
        "Every seed draws its own parameters from the fit's uncertainty, so the bands hold "
        "both the parameter uncertainty and the randomness of the customers.",
        "每个种子按拟合的不确定性各自抽取参数，因此区间同时包含参数不确定性与用户行为的随机性。",
    ),
    "without_draws": (
        "The parameters are fixed at the fit (no parameter draws): the bands hold only the "
        "randomness of the customers and are too narrow for planning.",
        "参数固定为拟合值 (未抽取参数)：区间只包含用户行为的随机性，用于规划时过窄。",
    ),
    "plot_caption": (
        "Weekly orders of existing and new customers and their total; shaded: the 80% band. "
        "The first and last weeks hold only the forecast's days.",
        "老客、新客及合计的每周订单；阴影为 80% 区间。首尾两周只计入预测期内的天数。",
    ),
    "plot_title": ("Weekly orders (80% band)", "每周订单 (80% 区间)"),
    "week_from": ("week from {start}", "自 {start} 起第几周"),
    "calendar_title": ("Fitted calendar multipliers", "拟合的日历系数"),
    "calendar_caption": (
        "Demand multipliers of the fitted calendar (1 = an ordinary day): weekdays, months, "
        "big sales and the campaigns of the campaign file; months the log does not contain "
        "take the prior shape ({prior}). Bars: what the forecast uses (shrunk towards 1); "
        "dots with whiskers: an event's or campaign's lift from the log alone, with its 95% "
        "interval.",
        "拟合日历的需求系数 (1 = 普通日)：星期、月份、大促及活动日历中的活动；订单日志未覆盖的月份"
        "采用先验形状 ({prior})。柱：预测采用的系数 (向 1 收缩)；点与误差线：仅由订单日志估计的"
        "大促/活动提升及其 95% 区间。",
    ),
    "mech_on": (
        "On: {model} purchase and dropout, gamma-gamma spend, the fitted calendar, regular "
        "timing (k = {k}), {arrivals}.",
        "开启：{model} 购买与永久流失、gamma-gamma 客单价、拟合的日历、规律的购买间隔 (k = {k})、"
        "{arrivals}。",
    ),
    "arrivals_on": ("new-customer arrivals", "新客到达"),
    "arrivals_off": ("no arrivals (a closed cohort)", "无新客到达 (封闭同期群)"),
    "mech_clock": (
        " The purchase model is fitted in the operational time of the calendar: every day a "
        "customer was watched counts by its calendar multiplier, as in the forecast (a 双11 "
        "day at x2 counts as two days).",
        "购买模型在日历的运营时间上拟合：每位客户的观察时间按日历系数计天 (与预测所用日历一致；"
        "双11 系数 x2 的一天计为两天)。",
    ),
    "mech_off": (
        " Off (the log cannot identify them): paid/staff acquisition, referral, first-order "
        "barriers, habit, reference price, fatigue, annoyance, strategies.",
        "关闭 (订单日志无法识别)：公域拉新、员工邀请、裂变、首单门槛、购买习惯、参考价格、促销疲劳、"
        "反感、策略。",
    ),
    "no_costs": (
        "No costs are modelled: GMV, not margin.",
        "未建模成本：只有成交总额 (GMV)，没有毛利。",
    ),
    "partial_month": (
        "* partial month: only the forecast's days of the month are counted",
        "* 不完整月份：只计入该月在预测期内的天数",
    ),
    "footer": (
        "Generated by private-traffic-lab {version} (commit {commit}) on {date}.",
        "由 private-traffic-lab {version} (提交 {commit}) 于 {date} 生成。",
    ),
    # summary.md (the sections' words of the page where they say the same)
    "md_intro": (
        "Calibrated on {cal_first} to {cal_last} ({customers} customers); forecast {start} + "
        "{days} days, {seeds} seeds, each with its own parameter draw.",
        "标定期 {cal_first} 至 {cal_last} ({customers} 位用户)；预测期自 {start} 起 {days} 天，"
        "{seeds} 个种子，每个种子各自抽取参数。",
    ),
    "md_horizon_note": (
        "Mean [80% band] (95% band) over seeds. Buyers over the period: the customers who "
        "buy at least once in the forecast, each counted once however many months they "
        "buy in.",
        "各种子的均值 [80% 区间] (95% 区间)。预测期购买人数：预测期内至少购买一次的用户数，"
        "无论在几个月购买都只计一次 (去重)。",
    ),
    "md_sec_monthly": ("Monthly", "月度预测"),
    "md_monthly_note": (
        "buyers: the buyers in the month (each month counts its own; they do not add up to "
        "the period's buyers above).",
        "当月购买人数：各月分别计数，各月相加不等于上面的预测期购买人数。",
    ),
    "md_sec_calendar": ("Calendar", "拟合的日历"),
    "md_penalty": (
        "Ridge penalty {penalty} by cross-validation inside the calibration period, chosen "
        "by {rules}; month prior {prior}.",
        "岭回归惩罚 {penalty}，由标定期内的交叉验证选出，{rules}；月份先验 {prior}。",
    ),
    "calendar_legend": (
        "multiplier = what the forecast uses (shrunk towards 1); "
        "unshrunk = the log alone (95% interval)",
        "系数 = 预测采用的值 (向 1 收缩)；未收缩 = 仅由订单日志估计的值 (95% 区间)",
    ),
    "cal_effect": ("effect", "日历项"),
    "cal_multiplier": ("multiplier", "系数"),
    "cal_se_log": ("se_log", "标准误 (对数)"),
    "cal_source": ("source", "来源"),
    "cal_unshrunk": ("unshrunk", "未收缩"),
    "cal_unshrunk_ci95_low": ("unshrunk_ci95_low", "未收缩 95% 下限"),
    "cal_unshrunk_ci95_high": ("unshrunk_ci95_high", "未收缩 95% 上限"),
    "src_fit": ("fit", "拟合"),
    "src_prior": ("prior:", "先验:"),
    "md_campaigns": (
        "Campaigns: fitted on the log's promotion days: {fitted}; placed in the forecast: "
        "{placed}.",
        "活动：由订单日志的促销日拟合：{fitted}；预测期内安排：{placed}。",
    ),
    "md_campaign": ("{name} ({start} to {end}) x{lift}", "{name} ({start} 至 {end}) x{lift}"),
    "md_list_sep": (", ", "、"),
    "lift_fitted_mean": (
        " (no lift given: the fitted campaigns' mean)",
        " (未给出提升系数：采用已拟合活动的均值)",
    ),
    "lift_none": (
        " (no lift given, none fitted: no effect)",
        " (未给出提升系数，也无已拟合活动：无效果)",
    ),
    # notes to the planner: summary.md, the page, the console (:func:`forecast_notes`)
    "note": ("Note: {text}", "注意：{text}"),
    "md_span": ("{name} ({start} to {end})", "{name} ({start} 至 {end})"),
    "note_events_x1": (
        "big sales in the forecast period that the calibration log does not contain, so "
        "the calendar has no lift for them and forecasts them at x1: {events}. To give "
        "them a lift, place them as campaigns with --campaigns FILE (name, start, end, "
        "lift).",
        "预测期内有标定期订单日志未包含的大促，日历没有它们的提升系数，按 x1 预测：{events}。"
        "如需提升，请用 --campaigns FILE (name, start, end, lift) 将其作为活动安排。",
    ),
    "note_no_lift": (
        "placed at x1, with no effect on the forecast: {names}. The campaign file gives "
        "them no lift and no campaign was fitted in the log to take one from; give each "
        "its lift in the file's lift column (e.g. 1.5).",
        "以下活动按 x1 安排，对预测没有影响：{names}。活动日历未给出提升系数，订单日志中也没有"
        "已拟合的活动可以借用；请在文件的 lift 列为每个活动填写提升系数 (如 1.5)。",
    ),
    "md_none": ("none", "无"),
    # the console of lab forecast
    "console_title": (
        "forecast {start} + {days} days · k = {k} · {cohort}",
        "预测 {start} 起 {days} 天 · k = {k} · {cohort}",
    ),
    "wrote": ("wrote {path}/", "已写入 {path}/"),
    # the whole period in a sentence (the workbook's summary sheet, the console)
    "horizon_sentence": (
        "Over the forecast period, {segment}: {orders}, {buyers}, {gmv}.",
        "预测期内，{segment}：{orders}；{buyers}；{gmv}。",
    ),
    # the workbook (forecast.xlsx): summary sentences, column heads, provenance
    "xlsx_calibrated": (
        "Calibrated on {source}: {first} to {last}, {customers} customers.",
        "标定数据 {source}：{first} 至 {last}，{customers} 位用户。",
    ),
    "xlsx_forecast": (
        "Forecast {first} to {last} ({days} days), {seeds} seeds, each with its own "
        "parameter draw (bands: 80% = 10–90%, 95% = 2.5–97.5% over seeds).",
        "预测期 {first} 至 {last} ({days} 天)，{seeds} 个种子，每个种子各自抽取参数 "
        "(各种子间的区间：80% = 10–90%，95% = 2.5–97.5%)。",
    ),
    "xlsx_segments": (
        "Segments: {existing} = the log's customers from the forecast start; {new} = "
        "first-time buyers arriving in the forecast; {total} = both.",
        "用户分层：{existing} = 预测期开始时订单日志中的用户；{new} = 预测期内首次购买的用户；"
        "{total} = 两者之和。",
    ),
    "xlsx_buyers": (
        "Buyers over the period: the customers who buy at least once in the forecast, each "
        "counted once; the monthly and weekly sheets count the buyers in each month or "
        "week, which do not add up to it.",
        "预测期购买人数：预测期内至少购买一次的用户，每人只计一次 (去重)；monthly (月度) 和 "
        "weekly (每周) 工作表为当月或当周购买人数，相加不等于预测期购买人数。",
    ),
    "first_day": ("first day", "开始日期"),
    "last_day": ("last day", "结束日期"),
    "forecast_days": ("forecast days", "预测天数"),
    "field": ("field", "字段"),
    "value": ("value", "值"),
    # provenance fields: the English words are the stamp keys (as on the page)
    "source": ("source", "订单数据文件"),
    "calibration_start": ("calibration_start", "标定期开始"),
    "calibration_end": ("calibration_end", "标定期结束"),
    "forecast_start": ("forecast_start", "预测期开始"),
    "horizon": ("horizon", "预测时长"),
    "seeds": ("seeds", "种子"),
    "parameter_uncertainty": ("parameter_uncertainty", "参数不确定性 (抽取参数)"),
    "lab_version": ("lab_version", "lab 版本"),
    "git_commit": ("git_commit", "git 提交"),
    "language": ("language", "语言"),
    "kind": ("kind", "类型"),
    "created_utc": ("created_utc", "生成时间 (UTC)"),
    "yes": ("True", "是"),
    "no": ("False", "否"),
}

_WEEKDAYS_ZH = {"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五"}
_WEEKDAYS_ZH |= {"sat": "周六", "sun": "周日"}


def _t(key: str, lang: str, **fmt) -> str:
    return pick(FORECAST_LABELS, key, lang, **fmt)


def effect_label(effect: str, lang: str) -> str:
    """A calendar effect as a reader names it: ``weekday_mon`` -> Mon / 周一,
    ``month_jan`` -> Jan / 1月, ``event_cny`` -> CNY / 春节, ``campaign_X`` -> X, ``base``
    -> Base (every day) / 每日基准."""
    kind, _, name = effect.partition("_")
    zh = check_lang(lang) == "zh"
    if effect == "base":  # SeasonalityFit.base: every day's multiplier
        return "每日基准" if zh else "Base (every day)"
    if kind == "weekday":
        return _WEEKDAYS_ZH.get(name, name) if zh else name.capitalize()
    if kind == "month":
        n = pd.Timestamp(f"2001-{name}-01").month
        return f"{n}月" if zh else name.capitalize()
    if kind == "event":
        en, cn = EVENT_NAMES.get(name, (name, name))
        return cn if zh else en
    return name if kind == "campaign" else effect


def mechanisms_sentence(
    k: int, closed_cohort: bool, lang: str = "en", clock: str = "calendar"
) -> str:
    """Which mechanisms the forecast runs, and which are off because the log cannot
    identify them (the sentence of summary.md and of the page): the purchase model is
    the one fitted, BG/NBD at k = 1, BG/CNBD-k (k = 2, ...) above; ``clock``
    ``"operational"`` (the fit's ``purchase_clock``) adds that it was fitted in the
    calendar's operational time (:mod:`lab.calibrate.operational`)."""
    arrivals = _t("arrivals_off" if closed_cohort else "arrivals_on", lang)
    model = "BG/NBD" if k == 1 else f"BG/CNBD-k (k = {k})"
    on = _t("mech_on", lang, model=model, k=k, arrivals=arrivals)
    return on + (_t("mech_clock", lang) if clock == "operational" else "") + _t("mech_off", lang)


def forecast_notes(fc: Forecast, lang: str = "en") -> list[str]:
    """What the planner should know before using the forecast, each a sentence in
    ``lang`` (summary.md, the page and the console say them alike).

    Parameters
    ----------
    fc : lab.calibrate.estimator.Forecast
        A forecast (its ``meta``: the placed campaigns and how each got its lift).
    lang : {"en", "zh"}

    Returns
    -------
    list of str
        Empty when there is nothing to say; else the big sales in the forecast period
        that the calibration log does not contain (forecast at x1, no lift: place them
        with ``--campaigns``), the future campaigns placed at x1 because the campaign
        file gives them no lift and no campaign was fitted.
    """
    sep = _t("md_list_sep", lang)
    out = []
    events = fc.meta.get("events_at_x1", [])
    if events:
        spans = sep.join(
            _t("md_span", lang, name=effect_label("event_" + e["name"], lang), start=e["start"],
               end=e["end"])
            for e in events
        )  # fmt: skip
        out.append(_t("note", lang, text=_t("note_events_x1", lang, events=spans)))
    x1 = [c for c in fc.meta.get("future_campaigns", []) if c.get("lift_from") == "none"]
    if x1:
        names = sep.join(
            _t("md_campaign", lang, name=c["name"], start=c["start"], end=c["end"], lift="1")
            for c in x1
        )
        out.append(_t("note", lang, text=_t("note_no_lift", lang, names=names)))
    return out


def forecast_totals(fc: Forecast) -> pd.DataFrame:
    """Headline numbers over the horizon, per segment, over seeds (``fc.horizon``).

    ``orders`` and ``gmv``: the sum over the forecast's days of each seed, then
    mean and bands over seeds (the mean equals the sum of ``monthly.csv``'s means);
    ``buyers``: each seed's distinct buyers over the whole forecast, from its simulated
    transactions (not a sum or mean of the monthly buyers: a customer buying in
    several months counts once).

    Returns
    -------
    pandas.DataFrame
        ``segment, metric, mean, p10, p90, p2_5, p97_5``.
    """
    return fc.horizon


def horizon_rows(fc: Forecast, lang: str = "en", wide: bool = True) -> list[dict]:
    """The whole forecast period per segment as every output shows it: the page's
    headline, summary.md's section and the console's sentences.

    Parameters
    ----------
    fc : lab.calibrate.estimator.Forecast
        A forecast (its :attr:`~lab.calibrate.estimator.Forecast.horizon`).
    lang : {"en", "zh"}
        Language of the segment names.
    wide : bool
        Also the 95% band after the 80% band.

    Returns
    -------
    list of dict
        One per segment present (existing customers, new customers, total):
        ``segment`` (its name in ``lang``), ``key`` (``existing``, ``new``, ``total``)
        and ``cells``: for orders, distinct buyers and GMV, ``mean`` and ``band``
        (``"[p10–p90]"``, then ``" (p2.5–p97.5)"`` when ``wide``), formatted numbers.
    """
    t = forecast_totals(fc).set_index(["segment", "metric"])
    return [
        {
            "segment": _t(seg, lang),
            "key": seg,
            "cells": [_cell(t.loc[(seg, m)], wide) for m in METRICS],
        }
        for seg in SEGMENTS
        if (seg, "orders") in t.index
    ]


def horizon_sentences(fc: Forecast, lang: str = "en") -> list[str]:
    """The whole forecast period in sentences (the workbook's summary sheet, the
    console).

    Parameters
    ----------
    fc : lab.calibrate.estimator.Forecast
        A forecast.
    lang : {"en", "zh"}
        Language of the sentences; the numbers are formatted alike in both.

    Returns
    -------
    list of str
        One sentence per segment present: orders, distinct buyers and GMV, each mean
        [80% band] over seeds (:func:`horizon_rows`).
    """
    names = [_t(k, lang) for k in ("orders", "buyers_horizon", "gmv")]
    out = []
    for row in horizon_rows(fc, lang, wide=False):
        parts = [f"{n} {c['mean']} {c['band']}" for n, c in zip(names, row["cells"], strict=True)]
        out.append(
            _t(
                "horizon_sentence",
                lang,
                segment=row["segment"],
                **dict(zip(METRICS, parts, strict=True)),
            )
        )
    return out


def _num(x: float) -> str:
    return f"{x:,.0f}"


def _cell(r, wide: bool = True) -> dict:
    band = f"[{_num(r['p10'])}–{_num(r['p90'])}]"
    if wide:
        band += f" ({_num(r['p2_5'])}–{_num(r['p97_5'])})"
    return {"mean": _num(r["mean"]), "band": band}


def _monthly(fc, lang: str) -> list[dict]:
    from lab.report.html import month_text

    m = fc.monthly.set_index(["period", "segment", "metric"])
    first, last = fc.start, fc.start + pd.Timedelta(days=fc.days - 1)
    rows = []
    for period in sorted(fc.monthly["period"].unique()):
        p = pd.Period(period, "M")
        partial = p.start_time < first or p.end_time.normalize() > last
        for seg in SEGMENTS:
            if (period, seg, "orders") not in m.index:
                continue
            rows.append(
                {
                    "month": month_text(period, lang) + ("*" if partial else ""),
                    "period": period,
                    "segment": _t(seg, lang),
                    "total": seg == "total",
                    "cells": [_cell(m.loc[(period, seg, k)], wide=False) for k in METRICS],
                }
            )
    return rows


def _figure(figsize: tuple[float, float], lang: str):
    from lab.report.figures import _axes

    return _axes(lang, figsize)


def forecast_figures(model, fc, lang: str = "en") -> list[Chart]:
    """The page's two charts: weekly orders by segment with the 80% band (dates on
    the x axis), and the fitted calendar's multipliers."""
    from lab.plots._style import PALETTE, date_axis, finish

    out = []
    fig, ax = _figure((9.0, 3.6), lang)
    w = fc.weekly[fc.weekly["metric"] == "orders"]
    closed = not (w["segment"] == "new").any()  # a closed cohort: the total is the existing
    for seg, colour in zip(SEGMENTS, PALETTE, strict=False):
        d = w[w["segment"] == seg]
        if d.empty or (closed and seg == "total"):
            continue
        x = pd.to_datetime(d["period"].str.split("/").str[0])
        ax.plot(x, d["mean"], color=colour, label=_t(seg, lang))
        ax.fill_between(x, d["p10"], d["p90"], color=colour, alpha=0.2, lw=0)
    date_axis(ax, lang)
    ax.set_title(_t("plot_title", lang), loc="left")
    ax.set_ylabel(_t("orders", lang))
    ax.set_ylim(bottom=0)
    ax.legend()
    finish(ax, lang)
    src, width, height = png_data_url(fig)
    out.append(Chart("forecast", _t("plot_caption", lang), src, width, height))

    t = model.seasonality.table()
    fig, ax = _figure((9.0, 3.4), lang)
    x = np.arange(len(t))
    prior = t["source"].str.startswith("prior").to_numpy()
    colours = [PALETTE[7] if p else PALETTE[0] for p in prior]
    ax.bar(x, t["multiplier"] - 1.0, bottom=1.0, color=colours)
    _unshrunk_whiskers(ax, x, t)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(x, [effect_label(e, lang) for e in t["effect"]], rotation=90)
    ax.set_title(_t("calendar_title", lang), loc="left")
    finish(ax, lang)
    src, width, height = png_data_url(fig)
    cap = _t("calendar_caption", lang, prior=getattr(model.seasonality, "month_prior", "flat"))
    out.append(Chart("calendar", cap, src, width, height))
    return out


def _unshrunk_whiskers(ax, x: np.ndarray, t: pd.DataFrame) -> None:
    """Events' and campaigns' unshrunk lifts (the log alone) as dots with their 95%
    interval, beside the bars the forecast uses (shrunk towards 1)."""
    if "unshrunk" not in t.columns:
        return
    u = t["unshrunk"].to_numpy(dtype=float)
    lo = t["unshrunk_ci95_low"].to_numpy(dtype=float)
    hi = t["unshrunk_ci95_high"].to_numpy(dtype=float)
    ok = np.isfinite(u) & np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        err = np.vstack([u[ok] - lo[ok], hi[ok] - u[ok]])
        ax.errorbar(x[ok], u[ok], yerr=err, fmt="o", color="k", ms=3, lw=1, capsize=2)


def _stamp(model, fc, lang: str, created: str) -> dict[str, str]:
    from lab._version import __version__
    from lab.results import git_commit

    return {
        "kind": "forecast",
        "source": str(model.orders.report.source),
        "calibration_end": str(fc.meta["calibration_end"]),
        "start": str(fc.start.date()),
        "days": str(fc.days),
        "horizon": str(fc.meta.get("horizon", "")),
        "seeds": ", ".join(str(s) for s in fc.meta["seeds"]),
        "parameter_uncertainty": str(bool(fc.meta.get("parameter_uncertainty"))),
        "lab_version": __version__,
        "git_commit": git_commit(),
        "created_utc": created,
        "language": lang,
    }


#: stamp key -> its key in :data:`FORECAST_LABELS` where the two differ
_STAMP_LABELS = {"start": "forecast_start", "days": "forecast_days"}


def _stamp_name(key: str, lang: str) -> str:
    """A stamp key as the provenance list names it: the key itself in English, its
    Chinese name in Chinese (the key, which scripts read, stays beside it)."""
    name = _STAMP_LABELS.get(key, key)
    return _t(name, lang) if lang == "zh" and name in FORECAST_LABELS else key


def forecast_context(model, fc, lang: str = "en", created: str | None = None) -> dict:
    """Everything the page shows, as text in ``lang`` (escaped by the template)."""
    import datetime as dt

    check_lang(lang)
    created = created or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = _stamp(model, fc, lang, created)
    last = (fc.start + pd.Timedelta(days=fc.days - 1)).date()
    source = Path(stamp["source"]).name
    arr = fc.meta.get("arrivals", {})
    words = {k: _t(k, lang) for k in FORECAST_LABELS if "{" not in FORECAST_LABELS[k][0]}
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": words,
        "title": _t("title", lang, source=source),
        "subtitle": _t(
            "subtitle",
            lang,
            first=fc.start.date(),
            last=last,
            days=fc.days,
            cal_first=model.calibration.start_date.date(),
            cal_last=fc.meta["calibration_end"],
            customers=f"{fc.meta['customers']:,}",
            seeds=len(fc.meta["seeds"]),
            date=created[:10],
        ),
        "first": str(fc.start.date()),
        "last": str(last),
        "headline": horizon_rows(fc, lang),
        "headline_note": _t(
            "headline_note",
            lang,
            uncertainty=_t(
                "with_draws" if fc.meta.get("parameter_uncertainty") else "without_draws", lang
            ),
        ),
        "heads": [_t(k, lang) for k in ("orders", "buyers_horizon", "gmv")],
        "monthly_heads": [_t(k, lang) for k in ("orders", "buyers_in_month", "gmv")],
        "monthly": _monthly(fc, lang),
        "has_partial": any(r["month"].endswith("*") for r in _monthly(fc, lang)),
        "charts": forecast_figures(model, fc, lang),
        "mechanisms": mechanisms_sentence(
            int(fc.meta["regularity_k"]),
            bool(arr.get("closed_cohort")),
            lang,
            str(fc.meta.get("purchase_clock", "calendar")),
        ),
        "no_costs": _t("no_costs", lang),
        "notes": forecast_notes(fc, lang),
        "footer": _t(
            "footer",
            lang,
            version=stamp["lab_version"],
            commit=stamp["git_commit"],
            date=created,
        ),
        "stamp_items": list(stamp.items()),
        "stamp_rows": [(k, _stamp_name(k, lang), v) for k, v in stamp.items()],
        "stamp_meta": stamp,
    }


def render_forecast_html(
    model, fc, lang: str = "en", embed_font: bool = True, created: str | None = None
) -> str:
    """The forecast as one self-contained HTML page (a string).

    Parameters
    ----------
    model : lab.calibrate.estimator.OrderModel
    fc : lab.calibrate.estimator.Forecast
    lang : {"en", "zh"}
    embed_font : bool
        Embed the subset of the packaged CJK font covering the page's characters.
    created : str, optional
        The UTC time stamp written on the page (default: now).

    Returns
    -------
    str
    """
    from lab.report.html import render_page

    return render_page(
        "forecast.html.j2", forecast_context(model, fc, lang, created), lang, embed_font
    )
