"""Words of the forecast report in English and Chinese (中文).

Metric names come from :mod:`lab.i18n` (the project glossary); this table adds
what only a report says: section titles, column heads, sources of assumptions,
notes.  ``text(key, lang, **fmt)`` looks here first, then in :mod:`lab.i18n`.
"""

from __future__ import annotations

from lab.i18n import check_lang, label, pick

__all__ = ["REPORT_LABELS", "UNITS_ZH", "source_label", "text", "unit_label"]

#: key -> (English, 中文)
REPORT_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Forecast report", "预测报告"),
    "title_one": ("Forecast report: {a}", "预测报告：{a}"),
    "title_many": ("Forecast report: {names}", "预测报告：{names}"),
    "subtitle": (
        "{n} scenario(s) · {seeds} simulated runs each (seeds {seed_text}) · generated {date}",
        "{n} 个情景 · 每个情景模拟 {seeds} 次 (种子 {seed_text}) · 生成于 {date}",
    ),
    "sec_summary": ("Executive summary", "执行摘要"),
    "sec_scenarios": ("Scenarios", "情景"),
    "sec_key_figures": ("Key figures over the forecast", "预测期关键指标"),
    "sec_charts": ("Forecast over time", "预测走势"),
    "sec_monthly": ("Monthly forecast", "月度预测"),
    "sec_channels": ("By acquisition channel", "按获客渠道"),
    "channels_note": (
        "Medians over the runs. CAC: acquisition cost booked for the channel per customer "
        "it brought. LTV and payback count gross margin over the LTV horizon; LTV (all "
        "money) also counts the fees, stored-value bonus and breakage, rewards, gifts and "
        "contacts credited to the customer. Payback: first day after joining on which the "
        "mean cumulative margin reaches the CAC (– if not within the run).",
        "各次模拟的中位数。获客成本 (CAC)：该渠道的获客支出 / 其带来的用户数。LTV 与回本周期按"
        "LTV 期限内的毛利计算；LTV (全部收支) 另计入归属该用户的会员费、储值赠送与沉淀、奖励、"
        "礼品和触达成本。回本周期：加入后平均累计毛利首次达到 CAC 的天数 (– 表示模拟期内未回本)。",
    ),
    "sec_comparison": ("Scenario comparison", "情景比较"),
    "sec_diff": ("What differs between the scenarios", "情景之间的差异"),
    "diff_note": (
        "Every parameter whose value differs from the reference, after defaults and "
        "extends: are applied (names and labels left out). Paths as in lab sweep --set.",
        "与基准情景取值不同的全部参数 (已补全默认值并应用 extends:，不含名称和标签)。"
        "路径写法与 lab sweep --set 相同。",
    ),
    "diff_none": (
        "Nothing but the names differs.",
        "除名称外没有任何差异。",
    ),
    "diff_flag": ("outside strategies", "策略以外"),
    "diff_confounded": (
        "Differences outside the strategies section: they change the pool, the customers "
        "or the economics, so the comparison below includes their effect, not only the "
        "strategy's",
        "存在策略以外的差异：它们改变了流量池、客户或经济参数，因此下面的比较结果"
        "包含这些差异的影响，而不只是策略的影响",
    ),
    "sec_assumptions": ("Assumptions", "假设"),
    "sec_method": ("How to read this report", "阅读说明"),
    "sec_provenance": ("Provenance", "溯源信息"),
    "reference": ("reference", "基准"),
    "scenario_file": ("file", "文件"),
    "description": ("description", "说明"),
    "period": ("forecast period", "预测期"),
    "hash": ("scenario hash", "情景哈希"),
    "month": ("month", "月份"),
    "days_in_month": ("days", "天数"),
    "partial_month": (
        "* partial month: only the simulated days of the month are counted",
        "* 不完整月份：只计入该月已模拟的天数",
    ),
    "metric": ("metric", "指标"),
    "median_band": ("median [10–90%]", "中位数 [10–90%]"),
    "diff_interval": ("{b} − {a}: mean [{level} interval]", "{b} − {a}：均值 [{level} 置信区间]"),
    "verdict": ("verdict", "结论"),
    "verdict_up": ("higher, clear", "更高 (明确)"),
    "verdict_down": ("lower, clear", "更低 (明确)"),
    "verdict_unclear": ("no clear difference", "差异不明确"),
    "verdict_na": ("needs 2+ seeds", "需要至少 2 个种子"),
    "parameter": ("parameter", "参数"),
    "value": ("value", "数值"),
    "unit": ("unit", "单位"),
    "source": ("source", "来源"),
    "valid": ("valid range", "取值范围"),
    "meaning": ("meaning", "含义"),
    "basis": ("source of the default, or the fit", "默认值依据或拟合来源"),
    "differs": ("differs between scenarios", "各情景不同"),
    "assumptions_set": (
        "Set in a scenario file, on the command line, or different between scenarios",
        "在情景文件或命令行中设定、或各情景取值不同的参数",
    ),
    "assumptions_default": (
        "All other parameters: the lab's documented defaults ({n})",
        "其余参数：实验室的默认值 ({n} 个)",
    ),
    "src_default": ("default", "默认值"),
    "src_file": ("scenario file", "情景文件"),
    "src_option": ("command line", "命令行参数"),
    "src_calibration": ("calibration", "标定"),
    "cohort_ltv": (
        "LTV of the month's new customers (margin, {h} days)",
        "当月新增用户 LTV (毛利, {h} 天)",
    ),
    "customers_end": (
        "customers in pool, month end (incl. never ordered)",
        "私域用户数 (月末，含从未下单)",
    ),
    "customers": ("customers in pool (incl. never ordered)", "私域用户数 (含从未下单)"),
    "prospect": ("of them never ordered (month end)", "其中从未下单 (月末)"),
    "prospects_end": ("of them never ordered", "其中从未下单"),
    "promo_response_lost": (
        "promotion response lost to fatigue",
        "疲劳导致的促销响应损失",
    ),
    "cost_promo_response_lost": ("promotion response lost to fatigue", "疲劳导致的促销响应损失"),
    "cost_block_rate": ("customers who blocked the brand", "拉黑/删除品牌的用户占比"),
    "cost_discount_cost": ("discount spend", "折扣支出"),
    "fatigue_month": ("mean promo fatigue", "平均促销疲劳"),
    "money_unit": ("{metric} ({cur})", "{metric} ({cur})"),
    "chart_cum_gmv": ("Cumulative GMV", "累计成交总额 (GMV)"),
    "chart_cum_net_margin": ("Cumulative net margin", "累计净利"),
    "no_costs_modelled": (
        "no costs modelled (calibrated from orders only)",
        "未建模成本 (仅由订单标定)",
    ),
    "known_new": ("new customers (joining with their first order)", "新客 (加入当天下首单)"),
    "no_acquisition_spend": (
        "no acquisition spend (the customers come from the order log)",
        "无获客支出 (用户来自订单日志)",
    ),
    "fatigue_off": (
        "promo fatigue and reference price are off: the index would only measure customers "
        "who left and still count in the pool",
        "促销疲劳与参考价格均已关闭：该指数只会反映已流失却仍计入用户池的用户",
    ),
    "chart_customers": ("Customers in the pool", "私域用户数"),
    "chart_mean_fatigue": ("Mean promo fatigue", "平均促销疲劳"),
    "chart_promo_response_lost": (
        "Promotion response lost to fatigue",
        "疲劳导致的促销响应损失",
    ),
    "sec_appendix": ("Appendix: all assumptions", "附录：全部假设"),
    "verdict_good": ("better", "更好"),
    "verdict_bad": ("worse", "更差"),
    "objective_note": (
        "“Better” means {direction} {metric} (--objective).",
        "“更好”指{metric}{direction} (--objective)。",
    ),
    "chart_forest": ("Paired differences {b} − {a}", "配对差异 {b} − {a}"),
    "band_note": (
        "Lines are medians over the seeds; shaded areas the 10–90% band.",
        "线为各种子的中位数，阴影为 10–90% 区间。",
    ),
    "method_bands": (
        "Every scenario was simulated {n} times with seeds {seeds}. Each number is the median "
        "over these runs, with the 10–90% band in brackets: 8 in 10 runs fell inside it.",
        "每个情景用种子 {seeds} 模拟了 {n} 次。每个数字是这些模拟结果的中位数，括号中为 10–90% "
        "区间：十次模拟中有八次落在其中。",
    ),
    "method_paired": (
        "Scenarios are compared with the reference {a} run by run: runs with the same seed share "
        "every random draw where the scenarios agree (common random numbers), so the difference "
        "B − A is taken per seed first, then its {level} confidence interval (Student t). "
        "A difference is called clear when its interval excludes 0.",
        "各情景与基准情景 {a} 逐次比较：种子相同的两次模拟在情景一致之处共享全部随机数 (共同随机数)，"
        "因此先按种子计算差异 B − A，再计算其 {level} 置信区间 (t 分布)。区间不含 0 时，差异视为明确。",
    ),
    "method_ltv": (
        "LTV is the discounted gross margin per acquired customer over {h} days from joining "
        "(customers who never order count as 0). In the monthly table it is shown for a month's "
        "new customers once all of them have been observed for {h} days.",
        "LTV 为每位获客用户自加入起 {h} 天内贴现后的毛利 (从未下单的用户计为 0)。月度表中，"
        "当月新增用户全部被观察满 {h} 天后才显示其 LTV。",
    ),
    "method_fatigue": (
        "Promotion response lost to fatigue: promotions and contacts tire customers, and a "
        "tired customer reacts less to a discount or a message. The model damps that lift "
        "by fatigue damping × fatigue (0 = fresh, 1 = worn out), so the share shown is the "
        "part of the promotion and contact lift the pool has lost, averaged over customers "
        "and days: 0% = as responsive as a fresh pool. Definitions: docs/report.md.",
        "疲劳导致的促销响应损失：促销和触达会使用户疲劳，疲劳的用户对折扣和消息的反应变弱。"
        "模型按 疲劳衰减系数 × 疲劳程度 (0 = 不疲劳，1 = 完全疲劳) 削弱这部分提升，因此这里的"
        "占比是流量池失去的促销与触达提升 (按用户和天数平均)：0% 表示与未疲劳的流量池一样敏感。"
        "定义见 docs/report.md。",
    ),
    "method_customers": (
        "Customers in pool count everyone added to the brand's private traffic, including "
        "those who never ordered (prospects); their number is shown beside it.",
        "私域用户数包括所有加入品牌私域的用户，其中也有从未下单的用户 (加了未下单)，其人数单独列出。",
    ),
    "method_money": (
        "Money is in {total}; amounts per customer (LTV, CAC) in {per}.",
        "金额单位为{total}；人均金额 (LTV、获客成本) 单位为{per}。",
    ),
    "method_margin": (
        "Gross margin = paid amount − cost of goods; net margin also subtracts acquisition, "
        "referral rewards, contacts, trial products and strategy costs.",
        "毛利 = 实付金额 − 商品成本；净利再减去获客、裂变奖励、触达、体验品及策略成本。",
    ),
    "footer": (
        "Generated by private-traffic-lab {version} (commit {commit}) on {date}.",
        "由 private-traffic-lab {version} (提交 {commit}) 于 {date} 生成。",
    ),
    "no_comparison": (
        "One scenario: add a second scenario file to compare (the first is the reference).",
        "只有一个情景：再加入一个情景文件即可比较 (第一个为基准)。",
    ),
    "pp": ("pp", "个百分点"),
    "stamp_key": ("key", "项目"),
    "sheet_summary": ("summary", "摘要"),
    "generated": ("generated", "生成时间"),
    "lab_version": ("lab version", "实验室版本"),
    "git_commit": ("git commit", "代码提交"),
    "seeds": ("seeds", "种子"),
    "days": ("days", "天数"),
    "scenario": ("scenario", "情景"),
    "median": ("median", "中位数"),
    "p10": ("10%", "10%"),
    "p90": ("90%", "90%"),
    "mean": ("mean", "均值"),
    "diff_mean": ("difference B − A, mean", "差异 B − A 均值"),
    "diff_low": ("difference, interval low", "差异 区间下限"),
    "diff_high": ("difference, interval high", "差异 区间上限"),
    "excludes_zero": ("interval excludes 0", "区间不含 0"),
    "n": ("runs", "模拟次数"),
    "n_pairs": ("pairs", "配对数"),
}

#: Chinese for the units used in the scenario schema (others are shown as they are)
UNITS_ZH: dict[str, str] = {
    "days": "天",
    "day": "天 (序号)",
    "CNY": "元",
    "CNY/day": "元/天",
    "CNY/customer": "元/用户",
    "CNY/contact": "元/次触达",
    "customers": "用户",
    "customers/day": "用户/天",
    "customers/staff/day": "用户/员工/天",
    "orders": "订单",
    "people": "人",
    "friends": "好友",
    "share": "占比",
    "share/day": "占比/天",
    "flag": "开关",
    "text": "文本",
    "name": "名称",
    "label": "标签",
    "date": "日期",
    "contacts": "次触达",
    "contacts/customer/day": "次触达/用户/天",
    "1/year": "1/年",
    "1/contact": "1/次触达",
    "x": "倍",
    "touchpoint": "触点",
    "stage names": "生命周期阶段",
    "channel names": "渠道",
    "segment names": "用户分层",
    "RFM class names": "RFM 分层",
    "content types per weekday": "每周各天内容类型",
    "trait unit": "特征单位",
}


def text(key: str, lang: str = "en", **fmt) -> str:
    """The report's words for ``key`` in ``lang``, else the lab's label (:mod:`lab.i18n`)."""
    if key in REPORT_LABELS:
        return pick(REPORT_LABELS, key, lang, **fmt)
    return label(key, lang, **fmt)


def unit_label(unit: str, lang: str) -> str:
    """A schema unit in the report's language."""
    return UNITS_ZH.get(unit, unit) if check_lang(lang) == "zh" else unit


def source_label(source: str, lang: str) -> str:
    """Where an assumption came from: default, scenario file, command line, calibration."""
    key = f"src_{source}"
    return text(key, lang) if key in REPORT_LABELS else source
