"""The first screen: the answer in plain sentences, generated from the numbers.

With two or more scenarios the summary opens with the verdict on the chosen
objective (:attr:`ReportData.objective`, net margin by default): which scenario is
better, by how much, how sure (the paired runs, their interval and, when it was
run, the share of plausible worlds of the robustness analysis), at what cost in
promotion fatigue, blocks and discount spend, and what differs between the
scenarios.  Then the forecast of each scenario and what the numbers rest on.

Every number is read from :class:`lab.report.data.ReportData` (medians with their
10–90% band over seeds; paired differences with their interval), so the words
cannot drift from the tables.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from lab.analysis.headline import known_buyers_only
from lab.plots._style import GOOD_DIRECTION
from lab.report.data import ReportData, ScenarioInfo
from lab.report.fmt import (
    PER_CUSTOMER,
    fmt_diff,
    fmt_money_words,
    fmt_value,
    is_finite,
    kind_of,
    resolution,
)
from lab.report.labels import text
from lab.scenario_diff import show_value

__all__ = [
    "dash_reason",
    "no_acquisition_spend",
    "no_costs_modelled",
    "period_text",
    "summary_sentences",
    "verdict_sentences",
]

#: costs reported beside the verdict: fatigue, blocks, discount spend
COST_METRICS: tuple[str, ...] = ("promo_response_lost", "block_rate", "discount_cost")

#: settings named in the "what differs" sentence before "and N more"
DIFF_SHOWN = 3


def _q(name: str, lang: str) -> str:
    return f"「{name}」" if lang == "zh" else f"“{name}”"


def period_text(info: ScenarioInfo, lang: str) -> str:
    """``the next 365 days (about 12 months: 2026-01-01 to 2026-12-31)``; a calibrated
    scenario's period by its dates (:func:`_known_period`)."""
    if known_buyers_only(info.scenario):
        return _known_period(info, lang)
    months = round(info.days / 30.44)
    if lang == "zh":
        about = f"约 {months} 个月：" if months >= 2 else ""
        return f"未来 {info.days} 天 ({about}{info.start} 至 {info.end})"
    about = f"about {months} months: " if months >= 2 else ""
    return f"the next {info.days} days ({about}{info.start} to {info.end})"


# ----------------------------------------------------------------- numbers as words
def _money(data: ReportData, info: ScenarioInfo, metric: str, lang: str) -> str:
    med = data.headline_value(info.name, metric)
    lo = data.headline_value(info.name, metric, "p10")
    hi = data.headline_value(info.name, metric, "p90")
    cur = info.currency
    head = fmt_money_words(med, lang, cur)
    if not (is_finite(lo) and is_finite(hi)) or lo == hi:
        return head
    lo_w, hi_w = fmt_money_words(lo, lang, cur), fmt_money_words(hi, lang, cur)
    if lang == "zh":
        return f"{head} (10–90%：{lo_w} 至 {hi_w})"
    return f"{head} (10–90%: {lo_w} to {hi_w})"


def _count(data: ReportData, info: ScenarioInfo, metric: str, lang: str) -> str:
    med = data.headline_value(info.name, metric)
    lo = data.headline_value(info.name, metric, "p10")
    hi = data.headline_value(info.name, metric, "p90")
    head = fmt_value(metric, med)
    if not (is_finite(lo) and is_finite(hi)) or lo == hi:
        return head
    sep = "：" if lang == "zh" else ": "
    return f"{head} (10–90%{sep}{fmt_value(metric, lo)}–{fmt_value(metric, hi)})"


def _value(metric: str, x: float, lang: str, currency: str, like=None) -> str:
    """A level of ``metric`` for a sentence."""
    if kind_of(metric) == "money":
        per = metric in PER_CUSTOMER
        return fmt_money_words(x, lang, currency, per_customer=per, like=like)
    return fmt_value(metric, x, lang=lang)


def _change(metric: str, x: float, lang: str, currency: str, signed: bool = True, like=None) -> str:
    """A difference of ``metric`` for a sentence (money in words, shares in pp)."""
    if kind_of(metric) == "money":
        per = metric in PER_CUSTOMER
        return fmt_money_words(x if signed else abs(x), lang, currency, signed, per, like)
    out = fmt_diff(metric, x if signed else abs(x), lang)
    return out if signed else out.lstrip("+")


def no_costs_modelled(data: ReportData, info: ScenarioInfo) -> bool:
    """Whether ``info`` is a pool of known buyers only with no cost booked.

    A scenario calibrated from an order log (:func:`lab.analysis.headline.known_buyers_only`)
    with nothing layered on top books no cost at all, so its net margin equals its
    gross margin by construction: a number the report must not present as a result.
    With a strategy layered on (``extends:``) the costs are modelled, whatever they come
    to: then the net margin is a result.
    """
    if not known_buyers_only(info.scenario) or info.scenario.strategies:
        return False
    return all(
        data.headline_value(info.name, "net_margin", s)
        == data.headline_value(info.name, "gross_margin", s)
        for s in ("median", "p10", "p90")
    )


def no_acquisition_spend(data: ReportData, info: ScenarioInfo) -> bool:
    """Whether ``info``'s customers all come from an order log and nothing was spent on them.

    Its CAC would read 0 (and its payback 0 days) by construction: the customers were
    not acquired in the run.
    """
    if not known_buyers_only(info.scenario):
        return False
    return all(
        data.headline_value(info.name, "cac_blended", s) == 0 for s in ("median", "p10", "p90")
    )


def dash_reason(data: ReportData, info: ScenarioInfo, metric: str) -> str:
    """Why ``metric`` of ``info`` is shown as "–" instead of its number: a label key, or "".

    * ``net_margin`` with no cost modelled (:func:`no_costs_modelled`);
    * a CAC with no acquisition spend (:func:`no_acquisition_spend`);
    * ``fatigue_index`` with promo fatigue and the reference price both off: nothing in
      the run makes customers answer promotions less, and the index (whose base counts
      customers who left silently) would only measure the pool's dropout.
    """
    if metric == "net_margin" and no_costs_modelled(data, info):
        return "no_costs_modelled"
    if metric in ("cac_paid", "cac_blended") and no_acquisition_spend(data, info):
        return "no_acquisition_spend"
    sc = info.scenario
    if metric == "fatigue_index" and not (sc.fatigue.enabled or sc.reference_price.enabled):
        return "fatigue_off"
    return ""


def _outlook(data: ReportData, info: ScenarioInfo, lang: str) -> list[str]:
    if known_buyers_only(info.scenario):
        return _outlook_known(data, info, lang)
    name = _q(info.name, lang)
    period = period_text(info, lang)
    customers = _count(data, info, "customers", lang)
    never = fmt_value("customers", data.headline_value(info.name, "prospects_end"))
    orders = fmt_value("orders", data.headline_value(info.name, "orders"))
    gmv = _money(data, info, "gmv", lang)
    net = _money(data, info, "net_margin", lang)
    lost = fmt_value("promo_response_lost", data.headline_value(info.name, "promo_response_lost"))
    blocks = fmt_value("block_rate", data.headline_value(info.name, "block_rate"))
    rep = fmt_value("repurchase_rate", data.headline_value(info.name, "repurchase_rate"))
    ltv = fmt_money_words(
        data.headline_value(info.name, "ltv_margin"), lang, info.currency, per_customer=True
    )
    h = info.ltv_horizon_days
    if lang == "zh":
        return [
            f"{period}，情景{name}的私域流量池预计达到 {customers} 名用户 (其中 {never} 名"
            f"加了但从未下单)，订单约 {orders} 笔，成交总额 (GMV) {gmv}，净利 {net}。",
            f"每位获客用户 {h} 天的用户生命周期价值 (LTV, 毛利) 约为 {ltv}；{rep} 的购买用户产生复购；"
            f"促销疲劳平均使促销响应减少 {lost}；{blocks} 的用户拉黑/删除了品牌账号。",
        ]
    return [
        f"Over {period}, the pool of {name} is expected to reach {customers} customers "
        f"({never} of them added but never ordered), with about {orders} orders, GMV of "
        f"{gmv} and net margin of {net}.",
        f"Each acquired customer brings a {h}-day lifetime value (LTV, margin) of about {ltv}; "
        f"{rep} of buyers buy again; promotion fatigue takes away {lost} of the promotion "
        f"response on average, and {blocks} of customers block or delete the brand's account.",
    ]


def _outlook_known(data: ReportData, info: ScenarioInfo, lang: str) -> list[str]:
    """The outlook of a pool of known buyers (a calibrated scenario): no conversion,
    no never-ordered customers, and no net margin unless costs were layered on.  Its
    period is named by its dates, not as "the next N days" (:func:`_known_period`)."""
    name = _q(info.name, lang)
    period = _known_period(info, lang)
    customers = _count(data, info, "customers", lang)
    orders = fmt_value("orders", data.headline_value(info.name, "orders"))
    gmv = _money(data, info, "gmv", lang)
    rep = fmt_value("repurchase_rate", data.headline_value(info.name, "repurchase_rate"))
    no_costs = no_costs_modelled(data, info)
    margin = _money(data, info, "gross_margin" if no_costs else "net_margin", lang)
    kc = info.scenario.acquisition.known_customers
    history = not kc.book_first_order
    new = history and kc.table is not None and np.any(kc.table.book_first_order(False))
    if lang == "zh":
        money = (
            f"毛利 {margin}；未建模任何成本 (仅由订单标定)，因此不报告净利"
            if no_costs
            else f"净利 {margin}"
        )
        who = (
            "订单日志中的用户 (各带历史订单) 及日志之后拟合预期的新客 (加入当天下首单)"
            if new
            else "订单日志中的用户，各带历史订单；本次模拟中没有新客加入"
            if history
            else "订单日志中的用户及拟合预期的新客"
        )
        return [
            f"{period}，情景{name}的用户池为已知买家 ({who})，共 {customers} 名"
            f"(每位用户均带着订单加入，因此转化率无定义)，订单约 {orders} 笔，"
            f"成交总额 (GMV) {gmv}，{money}。",
            f"{rep} 的购买用户产生复购。",
            known_mechanisms(info.scenario, lang),
        ]
    money = (
        f"gross margin of {margin}; no costs are modelled (calibrated from orders only), "
        "so there is no net margin to report"
        if no_costs
        else f"net margin of {margin}"
    )
    who = (
        "the order log's customers, each with their order history, and the new customers "
        "the fit expects after the log, each joining with a first order"
        if new
        else "the order log's customers, each with their order history; no new customers "
        "join in this run"
        if history
        else "the order log's customers and the new customers the fit expects"
    )
    return [
        f"Over {period}, the pool of {name} holds known buyers ({who}), {customers} in all "
        f"(each joins with an order, so a conversion rate is undefined), with about {orders} "
        f"orders, GMV of {gmv} and {money}.",
        f"{rep} of buyers buy again.",
        known_mechanisms(info.scenario, lang),
    ]


#: mechanisms a calibrated scenario switches off because an order log cannot identify
#: them (lab.calibrate.scenario_out.NEUTRAL): scenario path -> (English, Chinese)
_UNIDENTIFIED = {
    "acquisition.paid": ("paid acquisition", "付费获客"),
    "acquisition.staff_invite": ("staff invites", "导购邀请"),
    "acquisition.referral": ("referral", "裂变推荐"),
    "first_order": ("first-order barriers", "首单门槛"),
    "habit": ("habit", "购买习惯"),
    "reference_price": ("reference price", "参考价格"),
    "fatigue": ("promotion fatigue", "促销疲劳"),
    "annoyance": ("annoyance and blocks", "打扰与拉黑"),
}


def known_mechanisms(sc, lang: str) -> str:
    """Which mechanisms a calibrated scenario runs and which are off because an order
    log cannot identify them (layered back on with ``extends:``, they count as on)."""
    on_en = ["purchase and dropout fitted to the log", "spend"]
    on_zh = ["由订单日志拟合的购买与流失", "客单价"]
    if sc.calendar.enabled:
        on_en.append("the fitted calendar")
        on_zh.append("拟合的日历季节性")
    if sc.purchase.timing == "erlang":
        on_en.append(f"regular timing (Erlang k = {sc.purchase.timing_k})")
        on_zh.append(f"规律购买间隔 (Erlang k = {sc.purchase.timing_k})")
    labels = [s.label or s.type for s in sc.strategies]
    if labels:
        on_en.append("strategies: " + ", ".join(labels))
        on_zh.append("策略：" + "、".join(labels))
    off = []
    for path, names in _UNIDENTIFIED.items():
        section = sc
        for part in path.split("."):
            section = getattr(section, part)
        if section.enabled:
            on_en.append(names[0])
            on_zh.append(names[1])
        else:
            off.append(names)
    if not labels:
        off.append(("strategies", "运营策略"))
    if lang == "zh":
        text = "开启的机制：" + "、".join(on_zh) + "。"
        if off:
            text += (
                "因订单日志无法识别而关闭："
                + "、".join(z for _, z in off)
                + " (可在 extends: 此文件的情景中加上)。"
            )
        return text
    text = "Mechanisms on: " + ", ".join(on_en) + "."
    if off:
        text += (
            " Off because an order log cannot identify them: "
            + ", ".join(e for e, _ in off)
            + " (layer them on in a scenario that extends: this one)."
        )
    return text


def _known_period(info: ScenarioInfo, lang: str) -> str:
    """The period of a calibrated scenario by its dates: the forecast from the day after
    the calibration end (``lab calibrate --period forecast``: its customers join at the
    end of day 0 with their order history, so day 0 carries no order), or the log's
    period replayed and then the forecast (``--period log``)."""
    kc = info.scenario.acquisition.known_customers
    if not kc.book_first_order and info.days > 1:
        first = info.start + dt.timedelta(days=1)
        if lang == "zh":
            return (
                f"{first} 至 {info.end} 的 {info.days - 1} 天预测期 (标定截至 {info.start}，"
                "订单日志中的用户带着历史订单从这一天之后开始)"
            )
        return (
            f"the {info.days - 1} forecast days from {first} to {info.end} (after the "
            f"calibration end on {info.start}, from which the log's customers start with "
            "their order history)"
        )
    m = re.search(r"up to (\d{4}-\d{2}-\d{2})", info.scenario.description or "")
    end = dt.date.fromisoformat(m.group(1)) if m else None
    if end is None or not info.start <= end < info.end:
        if lang == "zh":
            return f"{info.start} 至 {info.end} 的 {info.days} 天"
        return f"the {info.days} days from {info.start} to {info.end}"
    first = end + dt.timedelta(days=1)
    if lang == "zh":
        return (
            f"{info.start} 至 {info.end} 的 {info.days} 天 (重演订单日志的 {info.start} 至 {end}，"
            f"预测期为 {first} 至 {info.end})"
        )
    return (
        f"the {info.days} days from {info.start} to {info.end} (the log's period "
        f"{info.start} to {end} replayed, the forecast from {first} to {info.end})"
    )


# ----------------------------------------------------------------- the verdict
def _row(data: ReportData, b: str, metric: str):
    t = data.comparison.table
    part = t[(t["scenario"] == b) & (t["metric"] == metric)]
    return part.iloc[0] if len(part) else None


def _wins(data: ReportData, b: str, metric: str) -> tuple[int, int, int]:
    """Paired runs in which B is better, worse than A on ``metric``; runs with a value."""
    d = data.comparison.differences
    diff = d[(d["scenario"] == b) & (d["metric"] == metric)]["diff"].to_numpy(dtype=float)
    signed = diff[np.isfinite(diff)] * GOOD_DIRECTION.get(metric, 1)
    return int((signed > 0).sum()), int((signed < 0).sum()), len(signed)


def _headline(data: ReportData, info: ScenarioInfo, lang: str) -> str:
    obj = data.objective
    a, b = _q(data.reference, lang), _q(info.name, lang)
    what = text(obj, lang)
    period = period_text(info, lang)
    row = _row(data, info.name, obj)
    if row is None or not is_finite(row["diff_mean"]):
        if lang == "zh":
            return f"在{what}上，这些模拟无法比较{b}与{a}。"
        return f"On {what}, these runs cannot compare {b} with {a}."
    m, lo, hi = float(row["diff_mean"]), float(row["diff_low"]), float(row["diff_high"])
    cur = info.currency
    tiny = resolution(obj)
    if all(is_finite(v) and abs(v) < tiny for v in (m, lo, hi)):
        if lang == "zh":
            return f"在{what}上，{b}与{a}在{period}内结果相同 (差异小于显示精度)。"
        return f"On {what}, {b} and {a} give the same result over {period}."
    pct = ""
    if is_finite(row["a_mean"]) and row["a_mean"] != 0 and kind_of(obj) != "share":
        pct = f"{m / abs(float(row['a_mean'])) * 100:+.1f}%".replace("-", "−")
    amount = _change(obj, m, lang, cur, signed=False)
    clear = is_finite(lo) and is_finite(hi) and (lo > 0 or hi < 0)
    better = m * GOOD_DIRECTION.get(obj, 1) > 0
    if clear:
        if lang == "zh":
            word = "优于" if better else "不如"
            rel = f" (相对 A {pct})" if pct else ""
            return f"结论：在{what}上，{b}{word}{a}：{period}内相差 {amount}{rel}。"
        word = "better" if better else "worse"
        rel = f" ({pct} of A's)" if pct else ""
        return f"The answer: on {what}, {b} is {word} than {a} by {amount}{rel} over {period}."
    rel = (f"，相对 A {pct}" if lang == "zh" else f", {pct} of A's") if pct else ""
    if lang == "zh":
        return (
            f"结论：在{what}上，{b}与{a}尚无法区分：{period}内差异 B − A 为 "
            f"{_change(obj, m, lang, cur)}{rel}，但其 {data.level:.0%} 置信区间包含 0。"
        )
    return (
        f"The answer: on {what}, {b} and {a} cannot be told apart yet: B − A is "
        f"{_change(obj, m, lang, cur)}{rel} over {period}, but its {data.level:.0%} "
        "interval includes 0."
    )


def _how_sure(data: ReportData, info: ScenarioInfo, lang: str) -> str:
    obj = data.objective
    b = _q(info.name, lang)
    row = _row(data, info.name, obj)
    k, lost, n = _wins(data, info.name, obj)
    cur = info.currency
    level = f"{data.level:.0%}"
    if row is not None and is_finite(row["diff_low"]) and is_finite(row["diff_high"]):
        lo, hi = float(row["diff_low"]), float(row["diff_high"])
        lo, hi = _change(obj, lo, lang, cur, like=hi), _change(obj, hi, lang, cur, like=lo)
        interval = (
            f"差异的 {level} 置信区间为 {lo} 至 {hi}"
            if lang == "zh"
            else f"the {level} interval of the difference is {lo} to {hi}"
        )
    else:
        interval = "种子太少，无法给出区间" if lang == "zh" else "too few seeds for an interval"
    worse = lost if lost > k else 0  # say the larger side: "worse in 3 of 3"
    if lang == "zh":
        side = f"有 {worse} 次更差" if worse else f"有 {k} 次更好"
        first = f"把握程度：在 {n} 对配对模拟 (相同种子) 中，{b}{side}；{interval}。"
    else:
        side = f"worse in {worse}" if worse else f"better in {k}"
        first = f"How sure: {b} came out {side} of {n} paired runs (same seeds); {interval}."
    return first + " " + _worlds(data, info, lang)


def _worlds(data: ReportData, info: ScenarioInfo, lang: str) -> str:
    """The robustness analysis in one sentence (or that it was not run)."""
    rob = data.robustness
    obj = data.objective
    if rob is None or len(data.scenarios) != 2:
        if lang == "zh":
            return "尚未检验未经测量的行为假设取其他合理值时结论是否成立 (加 --robustness 20 即可检验)。"
        return (
            "Whether this holds for other plausible values of the unmeasured behavioural "
            "assumptions was not checked (add --robustness 20)."
        )
    s = rob.summary[rob.summary["metric"] == obj]
    if s.empty or not is_finite(s["share_b_better"].iloc[0]):
        if lang == "zh":
            return f"稳健性分析未涵盖{text(obj, lang)}。"
        return f"The robustness analysis does not cover {text(obj, lang)}."
    r = s.iloc[0]
    share, worlds = float(r["share_b_better"]), int(r["worlds"])
    hinge = str(r.get("hinge_1") or "")
    b = _q(info.name, lang)
    if lang == "zh":
        out = f"在 {worlds} 个合理假设世界 (未测量的行为假设在其合理范围内抽样) 中，{b}在 {share:.0%} 中更好"
        return out + (f"；结论最依赖 {hinge}。" if hinge else "。")
    out = (
        f"Across {worlds} plausible worlds (the unmeasured behavioural assumptions drawn "
        f"within their plausible ranges), {b} is better in {share:.0%} of them"
    )
    return out + (f"; the verdict hinges most on {hinge}." if hinge else ".")


def _cost_item(data: ReportData, info: ScenarioInfo, metric: str, lang: str) -> str | None:
    row = _row(data, info.name, metric)
    if row is None:
        return None
    cur = info.currency
    am, bm = float(row["a_mean"]), float(row["b_mean"])
    a, b = _value(metric, am, lang, cur, like=bm), _value(metric, bm, lang, cur, like=am)
    lo, hi = row["diff_low"], row["diff_high"]
    if is_finite(lo) and is_finite(hi) and (lo > 0 or hi < 0):
        good = (lo > 0) == (GOOD_DIRECTION.get(metric, 1) > 0)
        verdict = ("更好" if good else "更差") if lang == "zh" else ("better" if good else "worse")
    else:
        verdict = "差异不明确" if lang == "zh" else "no clear change"
    d = _change(metric, row["diff_mean"], lang, cur)
    name = text(f"cost_{metric}", lang)
    return (
        f"{name} {a} → {b} ({d}，{verdict})"
        if lang == "zh"
        else f"{name} {a} → {b} ({d}, {verdict})"
    )


def _costs(data: ReportData, info: ScenarioInfo, lang: str) -> str:
    items = [x for m in COST_METRICS if (x := _cost_item(data, info, m, lang))]
    if lang == "zh":
        return "代价 (A → B 的均值)：" + "；".join(items) + "。"
    return "At what cost (mean A → B): " + "; ".join(items) + "."


def _differs(data: ReportData, info: ScenarioInfo, lang: str) -> str:
    d = data.comparison.scenario_diffs.get(info.name)
    a, b = _q(data.reference, lang), _q(info.name, lang)
    if d is None or len(d) == 0:
        if lang == "zh":
            return f"{b}与{a}除名称外没有差异：两者的差别只是随机波动。"
        return f"{b} differs from {a} in nothing but its name: any difference is chance."
    shown = [f"{x.path} {show_value(x.a)} → {show_value(x.b)}" for x in list(d)[:DIFF_SHOWN]]
    more = len(d) - len(shown)
    flagged = len(d.flagged)
    if lang == "zh":
        out = f"差异所在：{b}与{a}有 {len(d)} 项设置不同：" + "；".join(shown)
        out += f"；另有 {more} 项 (见下表)。" if more else "。"
        if flagged:
            out += (
                f" ⚠ 其中 {flagged} 项在策略以外 (流量池、客户或经济参数)，因此差异不仅来自策略。"
            )
        return out
    out = f"What differs: {b} changes {len(d)} setting(s) of {a}: " + "; ".join(shown)
    out += f"; and {more} more (table below)." if more else "."
    if flagged:
        out += (
            f" ⚠ {flagged} of them lie outside the strategies (pool, customers or economics), "
            "so the difference is not the strategy's alone."
        )
    return out


def _ranking(data: ReportData, lang: str) -> str:
    """With 3+ scenarios: all of them ranked on the objective (medians)."""
    obj = data.objective
    sign = GOOD_DIRECTION.get(obj, 1)
    vals = [(info, data.headline_value(info.name, obj)) for info in data.scenarios]
    vals = [(i, v) for i, v in vals if is_finite(v)]
    vals.sort(key=lambda iv: -sign * iv[1])
    parts = [f"{_q(i.name, lang)} {_value(obj, v, lang, i.currency)}" for i, v in vals]
    if lang == "zh":
        return f"按{text(obj, lang)} (中位数) 从好到差排序：" + "、".join(parts) + "。"
    return f"Ranked on {text(obj, lang)} (medians), best first: " + ", ".join(parts) + "."


def verdict_sentences(data: ReportData, lang: str = "en") -> list[str]:
    """The verdict of each scenario against the reference (empty with one scenario).

    Per further scenario B: the answer on the objective, how sure, at what cost,
    and what differs from the reference.
    """
    if data.comparison is None:
        return []
    out = [_ranking(data, lang)] if len(data.scenarios) > 2 else []
    for info in data.scenarios[1:]:
        out += [
            _headline(data, info, lang),
            _how_sure(data, info, lang),
            _costs(data, info, lang),
            _differs(data, info, lang),
        ]
    return out


def _basis(data: ReportData, lang: str) -> str:
    n = len(data.seeds)
    if lang == "zh":
        if n < 2:
            return "每个情景只模拟了 1 次：没有区间可言，请用 --seeds 10 或更多。"
        return f"以上数字来自每个情景 {n} 次模拟：括号中为 10–90% 区间，差异附 {data.level:.0%} 置信区间。"
    if n < 2:
        return "Each scenario ran once: there is no band or interval; use --seeds 10 or more."
    return (
        f"These numbers come from {n} simulated runs per scenario: brackets give the 10–90% "
        f"band, differences their {data.level:.0%} confidence interval."
    )


def summary_sentences(data: ReportData, lang: str = "en") -> list[str]:
    """The executive summary as a list of plain sentences in ``lang``.

    Parameters
    ----------
    data : ReportData
    lang : {"en", "zh"}

    Returns
    -------
    list of str
        With 2+ scenarios first :func:`verdict_sentences`; then the forecast of
        each scenario (customers, of them never ordered, orders, GMV, net margin
        with their 10–90% bands; LTV, repurchase, promotion response lost to
        fatigue, blocks); then how many runs the numbers rest on.
    """
    out = verdict_sentences(data, lang)
    for info in data.scenarios:
        out += _outlook(data, info, lang)
    out.append(_basis(data, lang))
    return out
