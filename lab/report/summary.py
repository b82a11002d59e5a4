"""The executive summary: plain sentences generated from the numbers.

Every number in a sentence is read from :class:`lab.report.data.ReportData`
(medians with their 10–90% band over seeds; paired differences with their
interval), so the words cannot drift from the tables.
"""

from __future__ import annotations

from lab.i18n import label
from lab.report.data import ReportData, ScenarioInfo
from lab.report.fmt import (
    fmt_diff,
    fmt_interval,
    fmt_money_words,
    fmt_value,
    is_finite,
    kind_of,
    resolution,
    spread_note,
)

__all__ = ["period_text", "summary_sentences"]


def _q(name: str, lang: str) -> str:
    return f"「{name}」" if lang == "zh" else f"“{name}”"


def period_text(info: ScenarioInfo, lang: str) -> str:
    """``the next 365 days (about 12 months: 2026-01-01 to 2026-12-31)``."""
    months = round(info.days / 30.44)
    if lang == "zh":
        about = f"约 {months} 个月：" if months >= 2 else ""
        return f"未来 {info.days} 天 ({about}{info.start} 至 {info.end})"
    about = f"about {months} months: " if months >= 2 else ""
    return f"the next {info.days} days ({about}{info.start} to {info.end})"


def _money(data: ReportData, info: ScenarioInfo, metric: str, lang: str) -> str:
    med = data.headline_value(info.name, metric)
    lo = data.headline_value(info.name, metric, "p10")
    hi = data.headline_value(info.name, metric, "p90")
    cur = info.currency
    head = fmt_money_words(med, lang, cur)
    if not (is_finite(lo) and is_finite(hi)) or lo == hi:
        return head
    if lang == "zh":
        return (
            f"{head} (10–90%：{fmt_money_words(lo, lang, cur)} 至 {fmt_money_words(hi, lang, cur)})"
        )
    return f"{head} (10–90%: {fmt_money_words(lo, lang, cur)} to {fmt_money_words(hi, lang, cur)})"


def _count(data: ReportData, info: ScenarioInfo, metric: str, lang: str) -> str:
    med = data.headline_value(info.name, metric)
    lo = data.headline_value(info.name, metric, "p10")
    hi = data.headline_value(info.name, metric, "p90")
    head = fmt_value(metric, med)
    if not (is_finite(lo) and is_finite(hi)) or lo == hi:
        return head
    sep = "：" if lang == "zh" else ": "
    return f"{head} (10–90%{sep}{fmt_value(metric, lo)}–{fmt_value(metric, hi)})"


def _outlook(data: ReportData, info: ScenarioInfo, lang: str) -> list[str]:
    period = period_text(info, lang)
    name = _q(info.name, lang)
    customers = _count(data, info, "customers", lang)
    orders = fmt_value("orders", data.headline_value(info.name, "orders"))
    gmv = _money(data, info, "gmv", lang)
    net = _money(data, info, "net_margin", lang)
    fatigue = fmt_value("mean_fatigue", data.headline_value(info.name, "mean_fatigue"))
    blocks = fmt_value("block_rate", data.headline_value(info.name, "block_rate"))
    rep = fmt_value("repurchase_rate", data.headline_value(info.name, "repurchase_rate"))
    ltv = fmt_money_words(data.headline_value(info.name, "ltv_margin"), lang, info.currency)
    h = info.ltv_horizon_days
    if lang == "zh":
        return [
            f"{period}，情景{name}的私域流量池预计达到 {customers} 名用户，"
            f"订单约 {orders} 笔，成交总额 (GMV) {gmv}，净利 {net}。",
            f"每位获客用户 {h} 天的用户生命周期价值 (LTV, 毛利) 约为 {ltv}；{rep} 的购买用户产生复购，"
            f"平均促销疲劳为 {fatigue}，{blocks} 的用户拉黑/删除了品牌账号。",
        ]
    return [
        f"Over {period}, the pool of {name} is expected to reach {customers} customers, "
        f"with about {orders} orders, GMV of {gmv} and net margin of {net}.",
        f"Each acquired customer brings a {h}-day lifetime value (LTV, margin) of about {ltv}; "
        f"{rep} of buyers buy again, mean promo fatigue is {fatigue}, and {blocks} of customers "
        "block or delete the brand's account.",
    ]


def _diff_clause(data: ReportData, b: str, metric: str, lang: str) -> str:
    cmp = data.comparison
    row = cmp.table[(cmp.table["scenario"] == b) & (cmp.table["metric"] == metric)].iloc[0]
    cur = data.info(b).currency
    m, lo, hi = row["diff_mean"], row["diff_low"], row["diff_high"]
    money = kind_of(metric) == "money"

    def amount(x, signed=False):
        if money:
            return fmt_money_words(abs(x) if not signed else x, lang, cur, signed=signed)
        return fmt_diff(metric, x, lang) if signed else fmt_diff(metric, abs(x), lang).lstrip("+")

    level = f"{data.level:.0%}"
    what = label(metric, lang)
    tiny = resolution(metric)
    if all(is_finite(v) and abs(v) < tiny for v in (m, lo, hi)):
        if lang == "zh":
            return f"{what}几乎不变 (差异及其 {level} 置信区间都小于显示精度)"
        return f"leaves {what} practically unchanged (the difference and its {level} interval are below the shown precision)"
    if not (is_finite(lo) and is_finite(hi)):
        if lang == "zh":
            return f"{what}变化 {amount(m, True)} (种子太少，无法给出区间)"
        return f"changes {what} by {amount(m, True)} (too few seeds for an interval)"
    lo_text, hi_text = amount(lo, True), amount(hi, True)
    if lo_text == hi_text and lo != hi:  # rounded alike: enough digits to show them apart
        lo_text, hi_text = fmt_interval(metric, lo, hi, lang)
        if money:
            lo_text, hi_text = f"{lo_text} {cur}", f"{hi_text} {cur}"
    if lo == hi:
        note = spread_note(lo, hi, int(row["n"]), lang)
        if lang == "zh":
            return f"{what}变化 {amount(m, True)} ({note})"
        return f"changes {what} by {amount(m, True)} ({note})"
    rng = f"{lo_text} 至 {hi_text}" if lang == "zh" else f"{lo_text} to {hi_text}"
    if lo > 0 or hi < 0:
        up = lo > 0
        if lang == "zh":
            return f"{what}{'增加' if up else '减少'} {amount(m)} ({level} 置信区间：{rng})"
        return f"{'raises' if up else 'lowers'} {what} by {amount(m)} ({level} interval: {rng})"
    if lang == "zh":
        return f"{what}变化 {amount(m, True)}，但 {level} 置信区间 ({rng}) 包含 0，差异不明确"
    return f"changes {what} by {amount(m, True)}, but its {level} interval ({rng}) includes 0: no clear difference"


def _comparison(data: ReportData, lang: str) -> list[str]:
    if data.comparison is None:
        return []
    a = _q(data.reference, lang)
    out = []
    n = len(data.seeds)
    for info in data.scenarios[1:]:
        b = _q(info.name, lang)
        net = _diff_clause(data, info.name, "net_margin", lang)
        gmv = _diff_clause(data, info.name, "gmv", lang)
        fat = _diff_clause(data, info.name, "mean_fatigue", lang)
        blk = _diff_clause(data, info.name, "block_rate", lang)
        if lang == "zh":
            out.append(f"与{a}相比，{b}使{net}；{gmv}。")
            out.append(f"{b}的{fat}；{blk} (基于 {n} 对配对模拟)。")
        else:
            out.append(f"Compared with {a}, {b} {net}; it {gmv}.")
            out.append(f"{b} also {fat}, and {blk} (from {n} paired runs).")
    return out


def summary_sentences(data: ReportData, lang: str = "en") -> list[str]:
    """The executive summary as a list of plain sentences in ``lang``.

    Parameters
    ----------
    data : ReportData
    lang : {"en", "zh"}

    Returns
    -------
    list of str
        Outlook of each scenario (customers, orders, GMV, net margin with their
        10–90% bands; LTV, repurchase, fatigue, blocks), then each scenario
        against the reference (paired differences with their interval), then how
        many runs the numbers rest on.
    """
    out = []
    for info in data.scenarios:
        out += _outlook(data, info, lang)
    out += _comparison(data, lang)
    n = len(data.seeds)
    if lang == "zh":
        if n < 2:
            out.append("每个情景只模拟了 1 次：没有区间可言，请用 --seeds 10 或更多。")
        else:
            out.append(
                f"以上数字来自每个情景 {n} 次模拟：括号中为 10–90% 区间，差异附 {data.level:.0%} 置信区间。"
            )
    elif n < 2:
        out.append("Each scenario ran once: there is no band or interval; use --seeds 10 or more.")
    else:
        out.append(
            f"These numbers come from {n} simulated runs per scenario: brackets give the 10–90% "
            f"band, differences their {data.level:.0%} confidence interval."
        )
    return out
