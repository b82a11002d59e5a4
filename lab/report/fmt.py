"""Numbers as a planner reads them: money, counts, shares and indices, with bands.

One money unit per language: English shows CNY, Chinese 万元 (ten thousand yuan),
in tables, sentences and chart axes alike; amounts per customer (LTV, CAC) are in
CNY / 元 per customer.  Every table head names its unit (:func:`money_unit`).
Sentences round money to thousands or millions (English) or to 万 / 亿 (Chinese).
"""

from __future__ import annotations

import math

__all__ = [
    "KIND",
    "fmt_band",
    "fmt_diff",
    "fmt_interval",
    "fmt_interval_g",
    "fmt_money_words",
    "fmt_value",
    "is_finite",
    "kind_of",
    "money_scale",
    "money_unit",
    "resolution",
    "spread_note",
]

#: metric -> how it is shown: money (CNY), count, share (percent), index (plain)
KIND: dict[str, str] = {
    "gmv": "money",
    "gross_margin": "money",
    "net_margin": "money",
    "discount_cost": "money",
    "ltv_margin": "money",
    "ltv_net": "money",
    "payback_days": "count",
    "cac_paid": "money",
    "cac_blended": "money",
    "cost_per_referred": "money",
    "orders": "count",
    "customers": "count",
    "active_end": "count",
    "alive_end": "count",
    "conversion_rate": "share",
    "repurchase_rate": "share",
    "reach_3rd_order": "share",
    "k_factor": "share",
    "share_on_discount": "share",
    "block_rate": "share",
    "promo_response_lost": "share",
    "buyers": "count",
    "prospect": "count",
    "prospects_end": "count",
    "mean_fatigue": "index",
    "fatigue_index": "index",
}

#: money metrics that are amounts per customer (shown in CNY / 元, not 万元)
PER_CUSTOMER: frozenset[str] = frozenset(
    {"ltv_margin", "ltv_net", "cac_paid", "cac_blended", "cost_per_referred"}
)

#: Chinese money unit of totals: 万 (ten thousand)
WAN = 1e4


def money_scale(metric: str, lang: str = "en") -> float:
    """What a money value is divided by for display: 10 000 for totals in Chinese, else 1."""
    return WAN if lang == "zh" and metric not in PER_CUSTOMER else 1.0


def money_unit(metric: str, lang: str = "en", currency: str = "CNY") -> str:
    """The unit of a money metric in ``lang``: ``CNY``, ``CNY/customer``, ``万元``, ``元/用户``."""
    per = metric in PER_CUSTOMER
    if lang == "zh":
        cur = "元" if currency == "CNY" else f" {currency}"
        return f"{cur}/用户".strip() if per else f"万{cur}"
    return f"{currency}/customer" if per else currency


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
    if kind == "wan":  # money in 万: 1,234 / 12.3 / 0.35
        return 0 if a >= 1000 else 1 if a >= 1 or a == 0 else 2
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


def _shown(metric: str, x: float, lang: str) -> tuple[float, str]:
    """The value as displayed (money in the language's unit) and its kind of decimals."""
    kind = kind_of(metric)
    if kind == "money":
        scale = money_scale(metric, lang)
        return x / scale, "wan" if scale != 1 else "money"
    return x, kind


def fmt_value(metric: str, x, signed: bool = False, lang: str = "en") -> str:
    """One value of ``metric`` for a table cell (money in :func:`money_unit` of ``lang``)."""
    if not is_finite(x):
        return DASH
    x, kind = _shown(metric, float(x), lang)
    if kind == "share":
        return _num(x * 100, 1, signed) + "%"
    return _num(x, _decimals(x, kind), signed)


def resolution(metric: str) -> float:
    """Half the last shown digit of a metric: smaller differences show as 0."""
    return {"share": 0.0005, "count": 0.5, "money": 0.5}.get(kind_of(metric), 0.0005)


def fmt_diff(metric: str, x, lang: str = "en", decimals: int | None = None) -> str:
    """A difference B − A: signed; shares in percentage points.

    ``decimals`` overrides the kind's usual number of decimals (of the percentage
    points for shares), as :func:`fmt_interval` needs to show two ends apart.
    """
    if not is_finite(x):
        return DASH
    x = float(x)
    if kind_of(metric) == "share":
        pp = "pp" if lang == "en" else "个百分点"
        return f"{_num(x * 100, 1 if decimals is None else decimals, True)} {pp}"
    if decimals is None:
        return fmt_value(metric, x, signed=True, lang=lang)
    return _num(_shown(metric, x, lang)[0], decimals, True)


#: at most this many decimals more than usual to tell the two ends of an interval apart
EXTRA_DECIMALS = 8


def _usual_decimals(metric: str, low: float, high: float, lang: str = "en") -> int:
    if kind_of(metric) == "share":
        return 1
    (lo, kind), (hi, _) = _shown(metric, low, lang), _shown(metric, high, lang)
    return min(_decimals(lo, kind), _decimals(hi, kind))


def fmt_interval(metric: str, low, high, lang: str = "en") -> tuple[str, str]:
    """The two ends of an interval of B − A, never shown equal unless they are equal.

    With the metric's usual decimals a narrow interval can print as
    ``+0.141 to +0.141``; here decimals are added (up to :data:`EXTRA_DECIMALS`)
    until the two ends differ on the page.
    """
    if not (is_finite(low) and is_finite(high)):
        return fmt_diff(metric, low, lang), fmt_diff(metric, high, lang)
    low, high = float(low), float(high)
    start = _usual_decimals(metric, low, high, lang)
    for d in range(start, start + EXTRA_DECIMALS + 1):
        lo, hi = fmt_diff(metric, low, lang, d), fmt_diff(metric, high, lang, d)
        if lo != hi or low == high:
            break
    return lo, hi


def fmt_interval_g(low: float, high: float, digits: int = 3) -> tuple[str, str]:
    """``low`` and ``high`` to ``digits`` significant digits of the larger, more if they print equal.

    Both ends get the same decimals, so they line up (``0.1410``, ``0.1414``).
    """
    top = max(abs(low), abs(high))
    start = max(0, digits - 1 - math.floor(math.log10(top))) if top > 0 else 0
    for d in range(start, start + EXTRA_DECIMALS + 1):
        lo, hi = _num(low, d, False), _num(high, d, False)
        if lo != hi or low == high:
            break
    return lo, hi


def spread_note(low, high, n: int, lang: str = "en") -> str:
    """Why an interval has no meaningful spread ("" when it has one).

    ``n`` is the number of seeds with a value for both scenarios.
    """
    en = lang == "en"
    if n == 0:
        return "not defined in these runs" if en else "这些模拟中无定义"
    if n < 2:
        return "needs 2+ seeds" if en else "需要至少 2 个种子"
    if is_finite(low) and is_finite(high) and float(low) == float(high):
        if float(low) == 0:
            return "identical in every seed" if en else "每个种子下完全相同"
        return "the same difference in every seed" if en else "每个种子下差异相同"
    return ""


def fmt_band(metric: str, median, p10, p90, lang: str = "en") -> str:
    """``median [p10 – p90]`` for a table cell."""
    head = fmt_value(metric, median, lang=lang)
    if not (is_finite(p10) and is_finite(p90)) or float(p10) == float(p90):
        return head
    return f"{head} [{fmt_value(metric, p10, lang=lang)} – {fmt_value(metric, p90, lang=lang)}]"


def fmt_money_words(
    x,
    lang: str = "en",
    currency: str = "CNY",
    signed: bool = False,
    per_customer: bool = False,
    like: float | None = None,
) -> str:
    """Money for a sentence: ``CNY 1.23 million`` / ``123.4 万元`` (``35 元`` per customer).

    ``like``: another amount said in the same breath (the other end of an interval);
    the unit (thousand, million, 亿) is chosen for the larger of the two, so both
    read alike (``−CNY 27 thousand to −CNY 10 thousand``).
    """
    if not is_finite(x):
        return DASH
    x = float(x)
    sign = ("+" if x > 0 else "−" if x < 0 else "") if signed else ("−" if x < 0 else "")
    a = abs(x)
    top = max(a, abs(float(like))) if is_finite(like) else a
    if lang == "zh":
        unit = "元" if currency == "CNY" else f" {currency}"
        if per_customer:
            return f"{sign}{a:,.{0 if a >= 100 else 1}f} {unit}".replace("  ", " ")
        if top >= 1e8:
            return f"{sign}{a / 1e8:.2f} 亿{unit}"
        wan = a / WAN
        return f"{sign}{wan:,.{_decimals(top / WAN, 'wan')}f} 万{unit}"
    if per_customer:
        return f"{sign}{currency} {a:,.{0 if a >= 100 else 1}f}"
    if top >= 1e6:
        return f"{sign}{currency} {a / 1e6:.2f} million"
    if top >= 1e4:
        return f"{sign}{currency} {a / 1e3:,.0f} thousand"
    return f"{sign}{currency} {a:,.0f}"
