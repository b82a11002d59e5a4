"""Labels in English and Chinese (中文) for plots, tables and reports.

The pairs follow the project glossary (``shared/GLOSSARY.md``).  ``label(key, lang)``
returns one label; unknown keys fall back to the key with underscores as spaces (so
KPI columns added later still get a readable label), and ``cost_<kind>`` /
``new_<channel>`` / ``revenue_<kind>`` columns are composed from their parts.
"""

from __future__ import annotations

from lab.kpis import KPI_TABLE

__all__ = ["LABELS", "LANGS", "check_lang", "label", "pick"]

LANGS: tuple[str, ...] = ("en", "zh")

#: key -> (English, 中文)
LABELS: dict[str, tuple[str, str]] = {
    # daily KPIs: from the KPI table (lab.kpis); headline metrics
    **{k.name: (k.en, k.zh) for k in KPI_TABLE if "{" not in k.name},
    "active_end": ("active at end", "期末活跃用户"),
    "alive_end": ("not dropped out at end (latent)", "期末未永久流失用户 (潜在)"),
    "blocked": ("blocked", "拉黑/删除"),
    "conversion_rate": ("conversion rate", "转化率"),
    "repurchase_rate": ("repurchase rate", "复购率"),
    "reach_3rd_order": ("share reaching a 3rd order", "三次购买占比"),
    "ltv_margin": ("LTV (margin)", "用户生命周期价值 (LTV, 毛利)"),
    "ltv_net": ("LTV (all money)", "用户生命周期价值 (LTV, 全部收支)"),
    "ltv": ("lifetime value (LTV)", "用户生命周期价值 (LTV)"),
    "cac": ("customer acquisition cost (CAC)", "获客成本 (CAC)"),
    "cac_paid": ("CAC, paid acquisition", "公域拉新获客成本"),
    "cac_blended": ("CAC, blended", "综合获客成本"),
    "k_factor": ("K-factor", "裂变系数 (K 因子)"),
    "cost_per_referred": ("cost per referred customer", "每位被邀请人成本"),
    "share_on_discount": ("share of orders on discount", "折扣订单占比"),
    "full_price_share": ("full-price share", "原价订单占比"),
    "fatigue_index": ("promo fatigue index", "促销疲劳指数"),
    "promo_response_lost": ("promotion response lost to fatigue", "疲劳导致的促销响应损失"),
    "block_rate": ("block rate", "拉黑率"),
    "payback_days": ("payback period (days)", "回本周期 (天)"),
    "response_rate": ("response rate", "响应率"),
    # cost lines
    "cost_paid_acquisition": ("cost: public acquisition", "成本: 公域拉新"),
    "cost_staff_bonus": ("cost: staff invite bonus", "成本: 员工邀请奖励"),
    "cost_referral_rewards": ("cost: referral rewards", "成本: 裂变奖励"),
    "cost_contacts": ("cost: contacts", "成本: 触达"),
    "cost_trial_products": ("cost: trial products", "成本: 体验品"),
    # channels
    "stock_import": ("stock import", "存量导入"),
    "paid": ("public acquisition (paid)", "公域拉新"),
    "staff_invite": ("staff invites", "员工邀请"),
    "referral": ("fission / referral", "裂变"),
    "organic": ("organic (found the brand on their own)", "自然流量"),
    "seed": ("seed customers (KOC)", "种子用户 (KOC)"),
    "known_new": ("new customers (joining with their first order)", "新客 (加入当天下首单)"),
    # finite market and social graph
    "bass_curve": ("Bass model", "Bass 扩散模型"),
    "simulated": ("simulated", "模拟"),
    "reached_by_referral": ("of which by referral", "其中来自裂变"),
    "referral_depth": ("referral depth", "裂变层级"),
    "koc": ("KOC (seed customer)", "关键意见消费者 (KOC)"),
    "cascade_trees": ("referral trees, largest first", "裂变树 (按规模排序)"),
    "title_cascade": ("Referral cascade", "裂变传播树"),
    "title_market_reach": ("Share of the market reached", "市场渗透率"),
    "all": ("all", "全部"),
    # funnel
    "traffic_in": ("traffic in", "引流"),
    "operated": ("operated", "运营"),
    "converted": ("converted", "转化"),
    "fission": ("fission", "裂变"),
    "repurchase": ("repurchase", "回购"),
    # RFM classes
    "important_value": ("important-value", "重要价值"),
    "important_development": ("important-development", "重要发展"),
    "important_keep": ("important-keep", "重要保持"),
    "important_retention": ("important-retention", "重要挽留"),
    "general_value": ("general-value", "一般价值"),
    "general_development": ("general-development", "一般发展"),
    "general_keep": ("general-keep", "一般保持"),
    "general_retention": ("general-retention", "一般挽留"),
    "important": ("important", "重要"),
    "general": ("general", "一般"),
    "value": ("value", "价值"),
    "development": ("development", "发展"),
    "keep": ("keep", "保持"),
    "retention": ("retention", "挽留"),
    # axes, titles, legends
    "day": ("day", "天"),
    "days": ("days", "天数"),
    "days_since_start": ("days since first order", "首单后天数"),
    "days_since_join": ("days since joining", "加入后天数"),
    "cohort": ("cohort", "同期群"),
    "period": ("period", "周期"),
    "share": ("share", "占比"),
    "count": ("customers", "用户数"),
    "median": ("median", "中位数"),
    "band": ("10–90% band", "10–90% 区间"),
    "mean": ("mean", "均值"),
    "scenario": ("scenario", "情景"),
    "strategy": ("strategy", "策略"),
    "forecast": ("forecast", "预测"),
    "cost": ("cost", "成本"),
    "revenue": ("revenue", "收入"),
    "margin": ("margin", "毛利"),
    "new": ("new", "新增"),
    "title_kpi": ("{metric} over time", "{metric}走势"),
    "title_retention": ("Cohort retention", "同期群留存"),
    "title_survival": ("Survival curves", "留存曲线"),
    "title_ltv": ("LTV distribution", "用户生命周期价值分布"),
    "title_fatigue": ("Promo fatigue over time", "促销疲劳走势"),
    "title_funnel": ("Funnel", "漏斗"),
    "title_rfm": ("RFM classes", "RFM 用户分层"),
    "title_forest": ("Paired differences {b} − {a}", "配对差异 {b} − {a}"),
    "difference": ("difference", "差异"),
    "difference_pct": ("difference, % of {a}", "差异 (占 {a} 的 %)"),
    "ci": ("confidence interval", "置信区间"),
    "survival": ("share not yet lapsed", "留存比例"),
    "event_lapse": ("lapse (no order for {n} days)", "流失 ({n} 天未下单)"),
    "event_block": ("block / delete", "拉黑/删除"),
    "event_dropout": ("dropout (gone for good)", "永久流失"),
    "customers_label": ("customers", "用户数"),
    "retention_rate": ("share ordering in the period", "当期下单比例"),
    "ltv_per_customer": ("LTV per customer ({value}, {h} days)", "每位用户 LTV ({value}, {h} 天)"),
    "block_rate_per_1000": ("blocks per 1000 reachable", "每千名可触达用户拉黑数"),
    "ltv_zero": ("LTV = 0 for {share}", "{share} 的用户 LTV = 0"),
    "ltv_buyers": ("customers with LTV > 0", "LTV > 0 的用户"),
    "channel": ("channel", "渠道"),
    "segment": ("segment", "用户分层"),
    "excludes_zero": ("interval excludes 0", "区间不含 0"),
    "includes_zero": ("interval includes 0", "区间含 0"),
    # community groups (社群)
    "groups_active": ("active groups", "活跃社群数"),
    "groups_quiet": ("quiet (dead) groups", "死群数"),
    "group_members": ("members of active groups", "活跃社群成员数"),
    "group_activity_mean": ("mean group activity", "社群平均活跃度"),
    "group_ad_share_mean": ("mean ad share of groups", "社群平均广告占比"),
    "group_activity": ("group activity", "社群活跃度"),
    "ad_share": ("ad share", "广告占比"),
    "groups_active_share": ("share of groups active", "活跃社群占比"),
    "dead_group": ("group went quiet (dead group)", "死群"),
    "title_groups": ("Community group health", "社群健康度"),
    # experiments: sweeps, sensitivity, search
    "margin_12m": ("net margin, first 12 months", "前 12 个月净利"),
    "sensitivity_effect": ("mean absolute effect μ* (±95%)", "平均绝对效应 μ* (±95%)"),
    "sensitivity_share": ("share of variance (Sobol, ±95%)", "方差贡献 (Sobol, ±95%)"),
    "title_sensitivity": ("What moves {metric}", "影响{metric}的参数"),
    "title_optimization": ("Search for the best {metric}", "{metric}最优方案搜索"),
    "trial": ("trial", "试验"),
    "feasible": ("meets the constraints", "满足约束"),
    "infeasible": ("breaks a constraint", "违反约束"),
    "best_so_far": ("best feasible so far", "当前最优 (满足约束)"),
    # robustness across plausible worlds (稳健性)
    "robust_b_better": ("{b} better", "{b} 更优"),
    "robust_a_better": ("{a} better", "{a} 更优"),
    "robust_tied": ("tied", "持平"),
    "robust_share": ("share of {n} plausible worlds (%)", "{n} 个合理假设世界中的占比 (%)"),
    "title_robust_share": (
        "In how many plausible worlds does {b} beat {a}?",
        "{b} 在多少合理假设世界中优于 {a}?",
    ),
    "robust_rho": ("rank correlation with B − A in {metric}", "与 B − A ({metric}) 的秩相关"),
    "robust_noise": ("within chance (95%)", "随机波动范围 (95%)"),
    "title_robust_hinges": ("What the verdict on {metric} hinges on", "{metric}结论取决于哪些假设"),
    # calibration and back-tests (标定与回测)
    "repeat_purchases": ("repeat purchases in the calibration period", "标定期内复购次数"),
    "actual": ("actual", "实际"),
    "model": ("model", "模型"),
    "title_histogram": ("Repeat purchases: actual vs model", "复购次数分布: 实际 vs 模型"),
    "week": ("week", "周"),
    "weekly_repeat": ("repeat transactions per week", "每周复购笔数"),
    "cumulative_repeat": ("cumulative repeat transactions", "累计复购笔数"),
    "lab_simulation": ("lab simulation", "仿真"),
    "lab_calendar": ("lab (calendar + regular timing)", "仿真 (日历 + 规律的购买间隔)"),
    "lab_plain": ("lab, plain BG/NBD", "仿真 (普通 BG/NBD)"),
    "closed_form": ("closed-form BG/NBD", "BG/NBD 解析解"),
    "band80": ("80% band", "80% 区间"),
    "band95": ("95% band", "95% 区间"),
    "calibration_end": ("calibration end", "标定期结束"),
    "title_backtest_weekly": ("Back-test: weekly repeat transactions", "回测: 每周复购笔数"),
    "title_backtest_cum": ("Back-test: cumulative repeat transactions", "回测: 累计复购笔数"),
    "title_backtest_conditional": (
        "Holdout forecast from each customer's history",
        "基于每位客户历史的留出期预测",
    ),
    # stylized facts (lab facts)
    "facts_title": (
        "Stylized facts: {passed} of {total} pass (shaded: published target; bar: lab, "
        "10-90% over seeds)",
        "典型事实: {total} 项中 {passed} 项通过 (阴影: 文献目标区间; 横条: 仿真 10-90% 区间)",
    ),
    "facts_pass": ("pass", "通过"),
    "facts_fail": ("FAIL", "未通过"),
}

_PREFIXES = {"cost_": "cost", "new_": "new", "revenue_": "revenue"}


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise ValueError naming the valid ones."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def pick(table: dict[str, tuple[str, str]], key: str, lang: str = "en", **fmt) -> str:
    """The ``lang`` half of ``table[key]``, an (English, 中文) pair, formatted with ``fmt``.

    The one lookup behind every bilingual word table of the lab (labels, the report's,
    the forecast's and the back-test's words, the classroom's figures).

    Parameters
    ----------
    table : dict of str to (str, str)
        Key -> (English, 中文).
    key : str
        A key of ``table`` (KeyError if absent).
    lang : {"en", "zh"}
    **fmt
        Values for the text's ``{placeholders}``.

    Returns
    -------
    str

    Examples
    --------
    >>> pick({"hi": ("hello {name}", "你好 {name}")}, "hi", "zh", name="Li")
    '你好 Li'
    """
    text = table[key][LANGS.index(check_lang(lang))]
    return text.format(**fmt) if fmt else text


def label(key: str, lang: str = "en", **fmt) -> str:
    """The label of ``key`` in ``lang`` ("en" or "zh"), formatted with ``fmt``.

    Examples
    --------
    >>> label("gmv", "zh")
    '成交总额 (GMV)'
    >>> label("new_referral", "zh")
    '新增: 裂变'
    """
    i = LANGS.index(check_lang(lang))
    if key in LABELS:
        text = LABELS[key][i]
    else:
        text = key.replace("_", " ")
        for prefix, head in _PREFIXES.items():
            if key.startswith(prefix):
                rest = key[len(prefix) :]
                part = LABELS[rest][i] if rest in LABELS else rest.replace("_", " ")
                text = f"{LABELS[head][i]}: {part}"
                break
    return text.format(**fmt) if fmt else text
