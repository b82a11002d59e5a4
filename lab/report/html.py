"""Render a forecast report as one self-contained HTML page.

Jinja2 with autoescaping on: every scenario name, description, label and value
reaches the page as text (a scenario named ``<script>alert(1)</script>`` shows
as those characters).  Charts are embedded PNG ``data:`` URLs, the CSS is inline,
the glyphs of the page are embedded as a subset font (:mod:`lab.report.fonts`), and
a Content-Security-Policy forbids any script or network load: the file opens
the same on a machine without network or CJK fonts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from lab.analysis.headline import HEADLINE_METRICS
from lab.calibrated_text import description_in
from lab.i18n import check_lang
from lab.plots._style import GOOD_DIRECTION
from lab.report.data import MONTHLY_METRICS, ReportData
from lab.report.figures import Chart, charts
from lab.report.fmt import (
    fmt_band,
    fmt_diff,
    fmt_interval,
    fmt_value,
    is_finite,
    kind_of,
    money_unit,
    spread_note,
)
from lab.report.fonts import FONT_FAMILY, page_characters, subset_font
from lab.report.labels import REPORT_LABELS, source_label, text, unit_label
from lab.report.summary import (
    dash_reason,
    no_acquisition_spend,
    period_text,
    summary_sentences,
    verdict_sentences,
)
from lab.scenario_diff import show_value

__all__ = ["REPORT_METRICS", "context", "metric_head", "render_html"]

#: end-of-run metrics in the key-figure and comparison tables, in order (the
#: latent ``mean_fatigue`` is shown as the promotion response it costs)
REPORT_METRICS: tuple[str, ...] = tuple(
    m
    for k in HEADLINE_METRICS
    for m in (
        ("customers", "prospects_end")
        if k == "customers"
        else ("promo_response_lost",)
        if k == "mean_fatigue"
        else (k,)
    )
)

_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = Environment(
            loader=PackageLoader("lab.report", "templates"),
            autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=False,
            lstrip_blocks=False,
        )
    return _ENV


class _Words(Mapping):
    """``t.key`` in templates: the report's words in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        return text(key, self.lang)

    def __getattr__(self, key: str) -> str:
        return text(key, self.lang)

    def __iter__(self):
        return iter(REPORT_LABELS)

    def __len__(self) -> int:
        return len(REPORT_LABELS)


def metric_head(metric: str, lang: str, currency: str = "CNY", horizon: int | None = None) -> str:
    """Column head of a metric, with its unit (万元 / CNY, 元/用户, %)."""
    if metric == "ltv_margin" and horizon is not None:
        name = text("cohort_ltv", lang, h=horizon)
    elif metric == "customers" and horizon is not None:
        name = text("customers_end", lang)
    else:
        name = text(metric, lang)
    if kind_of(metric) == "money":
        return text("money_unit", lang, metric=name, cur=money_unit(metric, lang, currency))
    if kind_of(metric) == "share":
        return f"{name} (%)"
    return name


def _cell(metric: str, median, p10, p90, lang: str = "en") -> dict:
    band = fmt_band(metric, median, p10, p90, lang)
    head = fmt_value(metric, median, lang=lang)
    return {"median": head, "band": band[len(head) :].strip() if band != head else ""}


def _key_figures(data: ReportData, lang: str) -> list[dict]:
    h = data.headline
    cur = data.scenarios[0].currency
    rows = []
    for metric in [m for m in REPORT_METRICS if m in set(h["metric"])]:
        cells = []
        for info in data.scenarios:
            r = h[(h["scenario"] == info.name) & (h["metric"] == metric)]
            if r.empty:
                cells.append({"median": "–", "band": ""})
            elif why := dash_reason(data, info, metric):
                cells.append({"median": "–", "band": text(why, lang)})
            else:
                r = r.iloc[0]
                cells.append(_cell(metric, r["median"], r["p10"], r["p90"], lang))
        rows.append({"label": metric_head(metric, lang, cur), "cells": cells})
    return rows


def _monthly(data: ReportData, lang: str) -> list[dict]:
    out = []
    for info in data.scenarios:
        m = data.monthly[data.monthly["scenario"] == info.name]
        cols = [metric_head(k, lang, info.currency, info.ltv_horizon_days) for k in MONTHLY_METRICS]
        rows = []
        for month, g in m.groupby("month", sort=True):
            g = g.set_index("metric")
            days = int(g["days"].iloc[0])
            full = pd.Period(month, "M").days_in_month
            cells = []
            for k in MONTHLY_METRICS:
                if k in g.index:
                    r = g.loc[k]
                    cells.append(_cell(k, r["median"], r["p10"], r["p90"], lang))
                else:
                    cells.append({"median": "–", "band": ""})
            rows.append({"month": month_text(month, lang), "partial": days < full, "cells": cells})
        out.append(
            {
                "name": info.name,
                "columns": cols,
                "rows": rows,
                "has_partial": any(r["partial"] for r in rows),
            }
        )
    return out


def month_text(month: str, lang: str) -> str:
    """``"2026-03"`` as a reader writes it: ``Mar 2026`` / ``2026年3月``."""
    p = pd.Period(month, "M")
    return f"{p.year}年{p.month}月" if lang == "zh" else p.strftime("%b %Y")


def _verdict(metric: str, lo, hi, lang: str) -> tuple[str, str]:
    """Words and CSS class of a difference: ``good`` / ``bad`` by the metric's direction.

    Up or down says where the number went; the class (and colour) says whether that
    is good for the brand (:data:`lab.plots._style.GOOD_DIRECTION`): discount spend
    going up is bad.
    """
    if not (is_finite(lo) and is_finite(hi)):
        return text("verdict_na", lang), "unclear"
    if not (lo > 0 or hi < 0):
        return text("verdict_unclear", lang), "unclear"
    up = lo > 0
    words = ("▲ " + text("verdict_up", lang)) if up else ("▼ " + text("verdict_down", lang))
    sign = GOOD_DIRECTION.get(metric, 0)
    if sign == 0:
        return words, "up" if up else "down"
    good = up == (sign > 0)
    sep = "，" if lang == "zh" else ", "
    return f"{words}{sep}{text('verdict_good' if good else 'verdict_bad', lang)}", (
        "good" if good else "bad"
    )


def _comparison(data: ReportData, lang: str, forest: list[Chart]) -> list[dict]:
    if data.comparison is None:
        return []
    table = data.comparison.table
    level = f"{data.level:.0%}"
    cur = data.scenarios[0].currency
    out = []
    for i, info in enumerate(data.scenarios[1:]):
        part = table[table["scenario"] == info.name].set_index("metric", drop=False)
        part = part.loc[[m for m in REPORT_METRICS if m in part.index]]
        rows = []
        for r in part.itertuples(index=False):
            verdict, cls = _verdict(r.metric, r.diff_low, r.diff_high, lang)
            note = spread_note(r.diff_low, r.diff_high, int(r.n), lang)
            if note:  # no meaningful spread: say why instead of a zero-width interval
                verdict, cls = note, "unclear"
            interval = ""
            if is_finite(r.diff_low) and is_finite(r.diff_high) and r.diff_low != r.diff_high:
                lo, hi = fmt_interval(r.metric, r.diff_low, r.diff_high, lang)
                interval = f"[{lo}, {hi}]"
            a, b = (
                _cell(r.metric, r.a_median, r.a_p10, r.a_p90, lang),
                _cell(r.metric, r.b_median, r.b_p10, r.b_p90, lang),
            )
            rows.append(
                {
                    "label": metric_head(r.metric, lang, cur),
                    "a": a["median"],
                    "a_band": a["band"],
                    "b": b["median"],
                    "b_band": b["band"],
                    "diff": fmt_diff(r.metric, r.diff_mean, lang),
                    "interval": interval,
                    "verdict": verdict,
                    "cls": cls,
                }
            )
        out.append(
            {
                "a": data.reference,
                "b": info.name,
                "chart": forest[i] if i < len(forest) else None,
                "diff_head": text("diff_interval", lang, a="A", b="B", level=level),
                "rows": rows,
            }
        )
    return out


def _channels(data: ReportData, lang: str) -> dict:
    """The unit-economics-by-channel table: heads and rows (medians over seeds)."""
    ch = data.channels
    if ch.empty:
        return {}
    cur = data.scenarios[0].currency
    cols = {  # table column -> the metric whose format it takes
        "customers": "customers",
        "cac": "cac_paid",
        "payback_days": "payback_days",
        "ltv": "ltv_margin",
        "ltv_net": "ltv_net",
        "ltv_to_cac": "ltv_to_cac",
    }
    cac_unit = money_unit("cac_paid", lang, cur)
    heads = [text("customers", lang), text("money_unit", lang, metric="CAC", cur=cac_unit)]
    heads += [text("payback_days", lang)]
    heads += [metric_head(m, lang, cur) for m in ("ltv_margin", "ltv_net")]
    heads += ["LTV/CAC"]
    no_spend = {i.name for i in data.scenarios if no_acquisition_spend(data, i)}
    no_cost_cols = {"cac", "payback_days", "ltv_to_cac"}  # no CAC: nothing to pay back

    def cell(r, c: str, m: str) -> str:
        if c in no_cost_cols and str(r["scenario"]) in no_spend:
            return "–"
        return fmt_value(m, r[c]) if m != "ltv_to_cac" else _ratio(r[c])

    rows = [
        {
            "scenario": str(r["scenario"]),
            "channel": text(str(r["channel"]), lang),
            "cells": [cell(r, c, m) for c, m in cols.items()],
        }
        for _, r in ch.iterrows()
    ]
    return {"heads": heads, "rows": rows, "horizon": data.ltv_horizon_days}


def _ratio(x) -> str:
    return f"{float(x):.2f}" if is_finite(x) else "–"


def _scenario_diff(data: ReportData) -> list[dict]:
    """What differs between the reference and each further scenario (flagged outside strategies)."""
    if data.comparison is None:
        return []
    out = []
    for name, d in data.comparison.scenario_diffs.items():
        rows = [
            {"path": x.path, "a": show_value(x.a), "b": show_value(x.b), "flagged": x.flagged}
            for x in d
        ]
        out.append({"a": data.reference, "b": name, "rows": rows, "flagged": len(d.flagged)})
    return out


def _source_text(source: str, file: str, lang: str, fitted_to: str = "") -> str:
    words = source_label(source, lang)
    if source == "calibration" and fitted_to:  # fitted to the user's log, not a default
        return f"{words} ({fitted_to})"
    if source == "file" and file:
        return f"{words} ({Path(file).name})"
    return words


def _assumptions(data: ReportData, lang: str) -> dict:
    a = data.assumptions
    names = data.names
    paths = list(dict.fromkeys(a["parameter"]))
    by = {(r.scenario, r.parameter): r for r in a.itertuples(index=False)}
    set_rows, default_rows = [], []
    for p in paths:
        recs = [by.get((n, p)) for n in names]
        known = next(r for r in recs if r is not None)
        cells = [
            {
                "value": r.value if r is not None else "–",
                "source": r.source if r is not None else "default",
                "source_label": _source_text(r.source, r.source_file, lang, r.fitted_to)
                if r is not None
                else "–",
            }
            for r in recs
        ]
        values = {c["value"] for c in cells}
        differs = len(values) > 1
        row = {
            "parameter": p,
            "unit": unit_label(known.unit, lang),
            "valid": known.valid,
            "meaning": known.meaning,
            "basis": known.basis,
            "cells": cells,
            "differs": differs,
        }
        is_default = all(r is not None and r.source == "default" for r in recs)
        (default_rows if is_default and not differs else set_rows).append(row)
    return {
        "set": set_rows,
        "default": default_rows,
        "default_title": text("assumptions_default", lang, n=len(default_rows)),
    }


def _direction_word(metric: str, lang: str) -> str:
    up = GOOD_DIRECTION.get(metric, 1) > 0
    if lang == "zh":
        return "更高" if up else "更低"
    return "higher" if up else "lower"


def _font_stack(lang: str, embedded: bool) -> Markup:
    """CSS font-family list (a constant of this module, so marked safe for the style block)."""
    return Markup(_stack(lang, embedded))


def _stack(lang: str, embedded: bool) -> str:
    latin = '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans"'
    cjk = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"'
    first = f"{FONT_FAMILY}, " if embedded else ""
    # English: the embedded face carries a unicode-range of the page's CJK characters
    # only, so Latin text keeps the system fonts; Chinese: one design for everything
    if lang == "zh":
        return f"{first}{cjk}, {latin}, sans-serif"
    return f"{first}{latin}, {cjk}, sans-serif"


def context(data: ReportData, lang: str = "en", with_charts: bool = True) -> dict:
    """Everything the template shows, as text in ``lang`` (escaped by the template)."""
    check_lang(lang)
    names = data.names
    created = data.stamp.get("created_utc", "")
    date = created[:10] if created else dt.date.today().isoformat()
    title = (
        text("title_one", lang, a=names[0])
        if len(names) == 1
        else text("title_many", lang, names=" · ".join(names))
    )
    seeds = data.stamp.get("seeds", "")
    drawn = charts(data, lang) if with_charts else {"kpi": [], "forest": []}
    level = f"{data.level:.0%}"
    h = data.ltv_horizon_days
    method = [
        text("method_bands", lang, n=len(data.seeds), seeds=seeds),
        text("method_margin", lang),
        text("method_ltv", lang, h=h),
        text("method_fatigue", lang),
        text("method_customers", lang),
        text(
            "method_money",
            lang,
            total=money_unit("gmv", lang, data.scenarios[0].currency),
            per=money_unit("ltv_margin", lang, data.scenarios[0].currency),
        ),
    ]
    if data.comparison is not None:
        method.insert(1, text("method_paired", lang, a=data.reference, level=level))
    summary = summary_sentences(data, lang)
    lead = verdict_sentences(data, lang)
    stamp_items = [(k, str(v)) for k, v in data.stamp.items()] + [("language", lang)]
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": _Words(lang),
        "title": title,
        "subtitle": text(
            "subtitle", lang, n=len(names), seeds=len(data.seeds), seed_text=seeds, date=date
        ),
        "lead": lead,
        "summary": summary[len(lead) :],
        "objective_note": text(
            "objective_note",
            lang,
            metric=text(data.objective, lang),
            direction=_direction_word(data.objective, lang),
        ),
        "scenarios": [
            {
                "name": info.name,
                "reference": i == 0,
                "description": description_in(info.scenario.description, lang),
                "period": period_text(info, lang),
                "file": info.file or "–",
                "hash": info.hash,
            }
            for i, info in enumerate(data.scenarios)
        ],
        "key_figures": _key_figures(data, lang),
        "charts": drawn,
        "monthly": _monthly(data, lang),
        "channels": _channels(data, lang),
        "comparison": _comparison(data, lang, drawn["forest"]),
        "scenario_diff": _scenario_diff(data),
        "assumptions": _assumptions(data, lang),
        "method": method,
        "footer": text(
            "footer",
            lang,
            version=data.stamp.get("lab_version", ""),
            commit=data.stamp.get("git_commit", ""),
            date=created,
        ),
        "stamp_items": stamp_items,
        "stamp_meta": data.stamp,
    }


def render_html(data: ReportData, lang: str = "en", embed_font: bool = True) -> str:
    """The report as one HTML page (a string).

    Parameters
    ----------
    data : ReportData
    lang : {"en", "zh"}
    embed_font : bool
        Embed the subset of the packaged CJK font covering every character of the
        page (default).  Without it, Chinese needs a CJK font on the viewer's machine.

    Returns
    -------
    str
    """
    return render_page("report.html.j2", context(data, lang), lang, embed_font)


def render_page(template_name: str, ctx: dict, lang: str, embed_font: bool = True) -> str:
    """Render one of the report templates, with the CJK font subset its text needs.

    Parameters
    ----------
    template_name : str
        A template of ``lab/report/templates``.
    ctx : dict
        The template's context (without ``font`` and ``font_stack``).
    lang : {"en", "zh"}
    embed_font : bool
        Embed the subset of the packaged CJK font covering the page's characters (an
        English page only its CJK ones); without it, the page relies on the viewer's fonts.

    Returns
    -------
    str
    """
    template = _env().get_template(template_name)
    draft = template.render(**ctx, font=None, font_stack=_font_stack(lang, False))
    if not embed_font:
        return draft
    english = lang == "en"
    chars = page_characters(draft, cjk_only=english)
    if not chars:
        return draft
    font = subset_font(chars, with_range=english)
    return template.render(**ctx, font=font, font_stack=_font_stack(lang, True))
