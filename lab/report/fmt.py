"""Numbers as a planner reads them: money, counts, shares and indices, with bands.

Tables show full numbers with thousands separators; sentences round money to
thousands or millions (English) or to 万 / 亿 (Chinese).
"""

from __future__ import annotations

import math

__all__ = [
    "KIND",
    "fmt_band",
    "fmt_diff",
    "fmt_money_words",
    "fmt_value",
    "is_finite",
    "kind_of",
    "resolution",
]

#: metric -> how it is shown: money (CNY), count, share (percent), index (plain)
KIND: dict[str, str] = {
    "gmv": "money",
    "gross_margin": "money",
    "net_margin": "money",
    "discount_cost": "money",
    "ltv_margin": "money",
    "cac_paid": "money",
    "cac_blended": "money",
    "cost_per_referred": "money",
    "orders": "count",
    "customers": "count",
    "active_end": "count",
    "conversion_rate": "share",
    "repurchase_rate": "share",
    "reach_3rd_order": "share",
    "k_factor": "share",
    "share_on_discount": "share",
    "block_rate": "share",
    "mean_fatigue": "index",
    "fatigue_index": "index",
}

DASH = "–"


def is_finite(x) -> bool:
    """True for a finite number (False for None and NaN)."""
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def kind_of(metric: str) -> str:
    return KIND.get(metric, "index")


def _decimals(x: float, kind: str) -> int:
    a = abs(x)
    if kind == "money":
        return 0 if a >= 100 else 1 if a >= 1 or a == 0 else 2
    if kind == "index":
        # 3 decimals, more for small non-zero values (two significant digits)
        return 3 if a >= 0.01 or a == 0 else min(6, 1 - math.floor(math.log10(a)))
    return 0


def _num(x: float, decimals: int, signed: bool) -> str:
    x = round(x, decimals) + 0.0  # no "-0"
    text = f"{x:,.{decimals}f}"
    return f"+{text}" if signed and x > 0 else text


def fmt_value(metric: str, x, signed: bool = False) -> str:
    """One value of ``metric`` for a table cell."""
    if not is_finite(x):
        return DASH
    x = float(x)
    kind = kind_of(metric)
    if kind == "share":
        return _num(x * 100, 1, signed) + "%"
    return _num(x, _decimals(x, kind), signed)


def resolution(metric: str) -> float:
    """Half the last shown digit of a metric: smaller differences show as 0."""
    return {"share": 0.0005, "count": 0.5, "money": 0.5}.get(kind_of(metric), 0.0005)


def fmt_diff(metric: str, x, lang: str = "en") -> str:
    """A difference B − A: signed; shares in percentage points."""
    if not is_finite(x):
        return DASH
    if kind_of(metric) == "share":
        pp = "pp" if lang == "en" else "个百分点"
        return f"{_num(float(x) * 100, 1, True)} {pp}"
    return fmt_value(metric, x, signed=True)


def fmt_band(metric: str, median, p10, p90) -> str:
    """``median [p10 – p90]`` for a table cell."""
    head = fmt_value(metric, median)
    if not (is_finite(p10) and is_finite(p90)) or float(p10) == float(p90):
        return head
    return f"{head} [{fmt_value(metric, p10)} – {fmt_value(metric, p90)}]"


def fmt_money_words(x, lang: str = "en", currency: str = "CNY", signed: bool = False) -> str:
    """Money for a sentence: ``CNY 1.23 million`` / ``123.4 万元``."""
    if not is_finite(x):
        return DASH
    x = float(x)
    sign = ("+" if x > 0 else "−" if x < 0 else "") if signed else ("−" if x < 0 else "")
    a = abs(x)
    if lang == "zh":
        unit = "元" if currency == "CNY" else f" {currency}"
        if a >= 1e8:
            return f"{sign}{a / 1e8:.2f} 亿{unit}"
        if a >= 1e4:
            return f"{sign}{a / 1e4:,.1f} 万{unit}"
        return f"{sign}{a:,.0f} {unit}".replace("  ", " ")
    if a >= 1e6:
        return f"{sign}{currency} {a / 1e6:.2f} million"
    if a >= 1e4:
        return f"{sign}{currency} {a / 1e3:,.0f} thousand"
    return f"{sign}{currency} {a:,.0f}"
