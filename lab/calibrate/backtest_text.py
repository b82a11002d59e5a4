"""The back-test's words in English and Chinese: ``summary.md`` and the console.

``lab backtest --lang zh`` writes its ``summary.md`` and prints its tables in Chinese,
with the terms the forecast page uses (老客 / 新客, 标定期, 复购笔数, 仿真, 解析解);
method and column identifiers that scripts read (``errors.csv``'s ``method``, ``start``)
stay as they are in both languages.
"""

from __future__ import annotations

from lab.configs.calendar import EVENT_NAMES
from lab.i18n import LANGS, check_lang, pick

__all__ = ["BACKTEST_LABELS", "METHOD_LABELS", "START_LABELS", "bt_text", "event_name"]

#: key -> (English, 中文)
BACKTEST_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Back-test: {source}", "回测：{source}"),
    "warn_forced": (
        "**WARNING: run with --force on an UNRELIABLE fit; do not trust these numbers:**",
        "**警告：以 --force 在不可靠的拟合上运行；请勿采信这些数字：**",
    ),
    "note_unreliable_rows": (
        "**Note: rows from an unreliable fit** (column `reliable` False in errors.csv); "
        "the other methods' rows stand:",
        "**注意：以下行来自不可靠的拟合** (errors.csv 中 `reliable` 列为 False)；其他方法的行仍然有效：",
    ),
    "intro": (
        "Calibration {start} to {end} ({customers} customers), holdout to {holdout_end}, "
        "{seeds} seeds x {runs} runs ({draws}; the forecast is the mean of every run).",
        "标定期 {start} 至 {end} ({customers} 位用户)，验证期至 {holdout_end}，"
        "{seeds} 个种子 x {runs} 次运行 ({draws}；预测为所有运行的均值)。",
    ),
    "with_draws": ("each with its own parameter draw", "每次运行各自抽取参数"),
    "without_draws": (
        "every run at the point estimate, no parameter draws",
        "每次运行都采用点估计，不抽取参数",
    ),
    "sec_errors": (
        "Holdout repeat transactions: forecast vs actual",
        "验证期复购笔数：预测与实际",
    ),
    "sec_bgnbd": ("BG/NBD fit", "BG/NBD 拟合"),
    "sec_regularity": (
        "Regular timing (BG/CNBD-k, maximum likelihood profiled over k)",
        "规律的购买间隔 (BG/CNBD-k，对 k 做剖面极大似然)",
    ),
    "regularity": (
        "k = {k} (95% profile-likelihood set: {k_set}); k = 1 is Poisson timing (BG/NBD).",
        "k = {k} (95% 剖面似然集合：{k_set})；k = 1 即泊松购买间隔 (BG/NBD)。",
    ),
    "operational": (
        " Fitted in the calendar's operational time (each customer's t_x and T count every "
        "day by its calendar multiplier), as the forecast's.",
        "在日历的运营时间中拟合 (每位用户的 t_x 与 T 按每天的日历系数计)，与预测一致。",
    ),
    "sec_calendar": (
        "Calendar (ridge Poisson regression; penalty {penalty} chosen by cross-validation "
        "inside the calibration period)",
        "拟合的日历 (岭泊松回归；惩罚 {penalty} 由标定期内的交叉验证选出)",
    ),
    "rules": ("Chosen by {rules}; month prior {prior}.", "选择方式：{rules}；月份先验 {prior}。"),
    "sec_segments": ("Existing and new customers (the lab)", "老客与新客 (实验室模型)"),
    "segments_note": (
        "existing: the calibration customers' repeat transactions (as the closed forms "
        "count); new: every order of the {n} customers whose first purchase is in the "
        "holdout, against the lab's fitted first-time buyer arrivals{closed}.",
        "老客：标定期用户的复购笔数 (与解析解的口径相同)；新客：{n} 位在验证期内首次购买的用户的"
        "全部订单，与实验室模型拟合的新客到达相比{closed}。",
    ),
    "closed_cohort": (" (a closed cohort: none forecast)", " (封闭同期群：不预测新客)"),
    "sec_burst": (
        "Early-life burst (BG/NBD with rate x(1 + beta exp(-age / tau)))",
        "新客早期购买高峰 (BG/NBD，购买率 x(1 + beta exp(-age / tau)))",
    ),
    "found": ("found", "存在"),
    "not_found": ("not found", "不存在"),
    "burst_given_calendar": (
        "; given the calendar fitted against BG/NBD (in both models' clocks): LR = {lr}, "
        "burst {verdict}",
        "；在按 BG/NBD 拟合的日历下 (两个模型各自的时钟)：LR = {lr}，高峰{verdict}",
    ),
    "burst": (
        "Likelihood-ratio test against plain BG/NBD: LR = {lr} (critical {critical}, "
        "chi2(2) at 5%): burst {verdict}{given}. Rows bgnbd_age and bgnbd_age_seasonal "
        "forecast with it (tau in the fit's time unit). The lab's calendar is fitted "
        "against the expected daily repeats of {offset} (policy {policy}, "
        "benchmarks/RESULTS_agebump.md).",
        "与普通 BG/NBD 的似然比检验：LR = {lr} (临界值 {critical}，5% 水平的 chi2(2))："
        "高峰{verdict}{given}。bgnbd_age 与 bgnbd_age_seasonal 两行使用它预测 (tau 以拟合的"
        "时间单位计)。实验室模型的日历按 {offset} 的每日期望复购拟合 (策略 {policy}，"
        "benchmarks/RESULTS_agebump.md)。",
    ),
    "events_x1": (
        "Note: the holdout holds big sales the calibration period does not contain, so the "
        "calendar has no lift for them and the lab forecasts them at x1: {spans}; the "
        "holdout errors include that. In a forecast, place them as campaigns with "
        "--campaigns FILE (name, start, end, lift).",
        "注意：验证期内有标定期未包含的大促，日历没有它们的提升系数，实验室模型按 x1 预测："
        "{spans}；验证期误差包含这一点。做预测时，请用 --campaigns FILE (name, start, end, "
        "lift) 将其作为活动安排。",
    ),
    "span": ("{name} ({start} to {end})", "{name} ({start} 至 {end})"),
    "list_sep": (", ", "、"),
    # the console
    "table_title": (
        "holdout after {end} to {holdout_end} · repeat transactions · simulation vs "
        "closed form · {seeds} seeds x {runs} runs",
        "验证期 {end} 之后至 {holdout_end} · 复购笔数 · 仿真与解析解 · {seeds} 个种子 x "
        "{runs} 次运行",
    ),
    "table_caption": (
        "cond. = each calibration customer from its own history at the calibration end; "
        "uncond. = the customers from their first purchase (whole-period tracking); MC SE = "
        "Monte Carlo standard error of the simulated mean; all in errors.csv",
        "条件 = 每位标定期用户从标定期末的自身历史出发；无条件 = 用户从首次购买出发 (全期跟踪)；"
        "MC SE = 仿真均值的蒙特卡洛标准误；全部数字见 errors.csv",
    ),
    "table_caption_unreliable": (
        "; * = from an unreliable fit (see the note; reliable = False in errors.csv)",
        "；* = 来自不可靠的拟合 (见注意；errors.csv 中 reliable = False)",
    ),
    "col_start": ("start", "起点"),
    "col_method": ("method", "方法"),
    "col_actual": ("actual", "实际"),
    "col_forecast": ("forecast", "预测"),
    "col_error": ("error", "误差"),
    "col_error_pct": ("error_pct", "误差 %"),
    "col_mc_se": ("MC\nSE", "MC\nSE"),
    "col_weekly_mae": ("weekly\nMAE", "周\nMAE"),
    "col_cum_error": ("cum.\nerror", "累计\n误差"),
    "segments_title": (
        "the lab by customer segment · existing: repeat transactions of the calibration "
        "customers · new: all orders of the {n} customers first buying in the holdout",
        "实验室模型按用户分层 · 老客：标定期用户的复购笔数 · 新客：{n} 位在验证期内首次购买的"
        "用户的全部订单",
    ),
    "col_segment": ("segment", "分层"),
    "col_new_customers": ("new customers", "新客人数"),
    "col_forecast_new": ("forecast new", "预测新客人数"),
    "seg_existing": ("existing", "老客"),
    "seg_new": ("new", "新客"),
    "seg_total": ("total", "合计"),
    "unreliable_method": (
        "method {method} ({label}) rests on an unreliable fit, its rows are marked (*; "
        "reliable = False in errors.csv): {problems}",
        "方法 {method} ({label}) 基于不可靠的拟合，其行已标记 (*；errors.csv 中 reliable = "
        "False)：{problems}",
    ),
    "note": ("note:", "注意："),
    "wrote": (
        "wrote {path}/ (tracking, holdout, errors, segments, parameters, summary.json, "
        "summary.md, backtest.png) · lab {version} · commit {commit}",
        "已写入 {path}/ (tracking, holdout, errors, segments, parameters, summary.json, "
        "summary.md, backtest.png) · lab {version} · 提交 {commit}",
    ),
}

#: how the back-test's methods read (the console table is 80 columns wide)
METHOD_LABELS: dict[str, tuple[str, str]] = {
    "lab": ("lab (calendar + regular timing)", "实验室模型 (日历 + 规律间隔)"),
    "simulation": ("lab, plain BG/NBD", "实验室模型，普通 BG/NBD"),
    "closed_form": ("BG/NBD closed form", "BG/NBD 解析解"),
    "closed_form_seasonal": ("BG/NBD x calendar", "BG/NBD x 日历"),
    "paretonbd": ("Pareto/NBD closed form", "Pareto/NBD 解析解"),
    "bgnbd_age": ("BG/NBD + early burst", "BG/NBD + 早期高峰"),
    "bgnbd_age_seasonal": ("BG/NBD + burst x calendar", "BG/NBD + 高峰 x 日历"),
}

#: the back-test's starts, in the table's order, as the console table abbreviates them
START_LABELS: dict[str, tuple[str, str]] = {
    "conditional": ("cond.", "条件"),
    "unconditional": ("uncond.", "无条件"),
}


def bt_text(key: str, lang: str = "en", **fmt) -> str:
    """One of the back-test's sentences or labels in ``lang``, formatted with ``fmt``.

    Parameters
    ----------
    key : str
        A key of :data:`BACKTEST_LABELS`, or of :data:`METHOD_LABELS` /
        :data:`START_LABELS` prefixed ``method:`` / ``start:`` (an unknown method or
        start reads as itself).
    lang : {"en", "zh"}
    **fmt
        Values for the sentence's ``{placeholders}``.

    Returns
    -------
    str
    """
    i = LANGS.index(check_lang(lang))
    for prefix, table in (("method:", METHOD_LABELS), ("start:", START_LABELS)):
        if key.startswith(prefix):
            name = key.removeprefix(prefix)
            return table[name][i] if name in table else name
    return pick(BACKTEST_LABELS, key, lang, **fmt)


def event_name(name: str, lang: str = "en") -> str:
    """A named event as a reader calls it (``double11`` -> Double 11 / 双11)."""
    return EVENT_NAMES.get(name, (name, name))[LANGS.index(check_lang(lang))]
