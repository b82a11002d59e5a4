"""The house style and the CJK font every plot of the lab uses.

The CJK font is Noto Sans CJK (SIL Open Font License 1.1), shipped by the PyPI
package ``noto-cjk-sans-otc`` (a project dependency).  Importing :mod:`lab.plots`
registers its file with matplotlib's ``font_manager``; Chinese labels then render
with the Simplified Chinese face ("Noto Sans CJK SC").  Nothing is installed on the
system and the global ``rcParams`` are left alone: each plot sets the style for
the artists it creates (:func:`house_rc`).  Call :func:`use_cjk_font` to make the
font a fallback for your own matplotlib figures too.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.category import StrCategoryFormatter
from matplotlib.ticker import FixedFormatter, Formatter, FuncFormatter

from lab.i18n import check_lang

__all__ = [
    "CJK_FAMILY",
    "GOOD_DIRECTION",
    "PALETTE",
    "ReadableNumbers",
    "cjk_font_path",
    "date_axis",
    "good_bad_colour",
    "house_rc",
    "literal",
    "register_cjk_font",
    "use_cjk_font",
]

#: colour-blind-friendly palette (scenario A, B, C, ...)
PALETTE: tuple[str, ...] = (
    "#1f5a96",
    "#d9822b",
    "#3a923a",
    "#c23b3b",
    "#7b5ea7",
    "#8c6d31",
    "#2a9d9d",
    "#6b6b6b",
)
POSITIVE = "#3a923a"
NEGATIVE = "#c23b3b"
NEUTRAL = "#6b6b6b"

#: +1 where more is better for the brand, -1 where less is better (a cost, fatigue,
#: blocks).  The one mapping behind every good/bad colour of the lab's plots and
#: reports; the explorer's and the robustness analysis's agree with it (a test checks).
GOOD_DIRECTION: dict[str, int] = {
    "gmv": 1,
    "cum_gmv": 1,
    "gross_margin": 1,
    "net_margin": 1,
    "cum_net_margin": 1,
    "orders": 1,
    "customers": 1,
    "buyers": 1,
    "active_end": 1,
    "alive_end": 1,
    "members": 1,
    "referred": 1,
    "conversion_rate": 1,
    "repurchase_rate": 1,
    "reach_3rd_order": 1,
    "ltv_margin": 1,
    "k_factor": 1,
    "discount_cost": -1,
    "cac_paid": -1,
    "cac_blended": -1,
    "cost_per_referred": -1,
    "share_on_discount": -1,
    "mean_fatigue": -1,
    "fatigue_index": -1,
    "promo_response_lost": -1,
    "block_rate": -1,
    "blocked_total": -1,
}


def good_bad_colour(metric: str, low: float, high: float) -> str:
    """Colour of a change B − A with interval [low, high]: good, bad or unclear.

    Green when the interval lies on the good side of 0 for ``metric`` (higher GMV,
    lower cost), red on the bad side, grey when it includes 0 or the metric has
    no good direction.
    """
    sign = GOOD_DIRECTION.get(metric, 0)
    if sign == 0 or not (low > 0 or high < 0):
        return NEUTRAL
    return POSITIVE if (low > 0) == (sign > 0) else NEGATIVE


#: preferred face of the collection for Chinese labels (then fallbacks)
_FACES = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK KR")
CJK_FAMILY: str | None = None
_PATH: str | None = None


def cjk_font_path() -> str | None:
    """Path of the CJK font file the lab registered (None if the package is missing)."""
    return _PATH


def register_cjk_font() -> str | None:
    """Register the packaged CJK font with matplotlib (once) and return its family name.

    Returns None, with a warning, when ``noto-cjk-sans-otc`` is not installed;
    Chinese labels then fall back to whatever fonts matplotlib finds.
    """
    global CJK_FAMILY, _PATH
    if CJK_FAMILY is not None:
        return CJK_FAMILY
    try:
        import noto_cjk_sans_otc
    except ImportError:
        warnings.warn(
            "noto-cjk-sans-otc is not installed: Chinese plot labels may show as boxes "
            "(pip install noto-cjk-sans-otc)",
            stacklevel=2,
        )
        return None
    path = str(noto_cjk_sans_otc.FONT_PATH)
    font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist if str(f.fname) == path}
    # matplotlib >= 3.11 registers every face of the collection; older versions only
    # the first (Japanese glyph forms, same coverage of the Chinese characters)
    CJK_FAMILY = next((n for n in _FACES if n in names), next(iter(sorted(names)), None))
    _PATH = path
    return CJK_FAMILY


def _families(lang: str) -> list[str]:
    base = ["DejaVu Sans"]
    if CJK_FAMILY is None:
        return base
    # Chinese: the CJK face first so Latin and Chinese share one design; English:
    # DejaVu first, CJK as the fallback for any Chinese in scenario names
    return [CJK_FAMILY, *base] if lang == "zh" else [*base, CJK_FAMILY]


def house_rc(lang: str = "en") -> dict:
    """rcParams of the house style for ``lang`` (used inside ``matplotlib.rc_context``)."""
    check_lang(lang)
    return {
        "font.family": _families(lang),
        "font.size": 9.5,
        "axes.titlesize": 12,
        "axes.titleweight": "normal",  # the packaged CJK face has one weight
        "axes.titlelocation": "left",
        "axes.labelsize": 9.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.6,
        "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
        "legend.frameon": False,
        "legend.fontsize": 8.5,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.unicode_minus": False,
    }


@contextmanager
def styled(lang: str = "en") -> Iterator[None]:
    """Context in which a plot function creates its artists."""
    with mpl.rc_context(house_rc(lang)):
        yield


def new_axes(ax=None, figsize: tuple[float, float] = (7.0, 4.0)):
    """``ax`` itself, or a new figure's axes (pyplot-managed so notebooks display it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def literal(text: object) -> str:
    """``text`` escaped so matplotlib draws it as written (no mathtext).

    Scenario names, labels and segment names are user text: ``$\\foo$`` or a lone
    ``$`` would otherwise be parsed as mathtext and fail at draw time.  Escaping
    ``$`` is enough: outside mathtext a backslash is drawn as itself.
    """
    return str(text).replace("$", r"\$")


def finish(ax, lang: str, *extra) -> None:
    """Give every text of ``ax`` (and ``extra`` axes) the house fonts and literal rendering.

    Axes made before the plot function ran (``ax=`` from the caller) carry title,
    label and tick texts created with the caller's fonts; this sets the family on
    all of them, and ticks made later at draw time copy it from the first tick.

    No plot of the lab uses mathtext, and many carry user text (scenario names,
    labels, segments), so titles, axis labels, legends, annotations and the
    figure's texts are drawn literally, and tick labels given as text (set by
    the plot or from categories) are escaped with :func:`literal`.
    """
    from matplotlib.text import Text

    fam = _families(lang)
    for a in (ax, *extra):
        for t in a.findobj(Text):
            t.set_fontfamily(fam)
        _literal_texts(a)


def _literal_texts(ax) -> None:
    """Draw the user-visible texts of ``ax`` (not its tick labels) without mathtext.

    ``ax`` may also be a whole figure (the explorer's): then each of its axes.
    """
    if not hasattr(ax, "xaxis"):
        for a in ax.axes:
            _literal_texts(a)
        return
    texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    texts += list(ax.texts)
    legend = ax.get_legend()
    if legend is not None:
        texts += [*legend.get_texts(), legend.get_title()]
    fig = ax.figure
    if fig is not None:
        texts += [t for t in (*fig.texts, getattr(fig, "_suptitle", None)) if t is not None]
    for t in texts:
        t.set_parse_math(False)
    for axis in (ax.xaxis, ax.yaxis):
        major, minor = axis.get_major_formatter(), axis.get_minor_formatter()
        if isinstance(major, _TEXT_FORMATTERS):
            axis.set_major_formatter(_LiteralFormatter(major))
        if isinstance(minor, _TEXT_FORMATTERS):
            axis.set_minor_formatter(_LiteralFormatter(minor))


class _LiteralFormatter(Formatter):
    """A tick formatter whose labels are those of ``inner`` made :func:`literal`."""

    _lab_literal = True

    def __init__(self, inner: Formatter) -> None:
        self.inner = inner

    def __call__(self, x, pos=None) -> str:
        return literal(self.inner(x, pos))

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.inner.set_locs(locs)

    def get_offset(self) -> str:
        return literal(self.inner.get_offset())


#: formatters whose labels are given text (tick labels set by a plot, categories)
_TEXT_FORMATTERS = (FixedFormatter, FuncFormatter, StrCategoryFormatter)


def use_cjk_font() -> str | None:
    """Make the lab's CJK font the glyph fallback of every matplotlib figure, globally.

    Appends the packaged CJK face to ``rcParams["font.family"]`` (after the families
    already there, so Latin text keeps its font).  matplotlib (>= 3.6) falls back glyph
    by glyph over the families of that list only; a generic family such as
    ``sans-serif`` stands for the first installed font of its list, so adding the face
    to ``font.sans-serif`` would not reach Chinese glyphs.  Figures created afterwards
    draw ``双十一`` without missing-glyph boxes.

    Returns
    -------
    str or None
        The CJK family name, or None (with a warning) when ``noto-cjk-sans-otc`` is
        not installed; then nothing is changed.
    """
    name = register_cjk_font()
    family = mpl.rcParams["font.family"]
    family = [family] if isinstance(family, str) else list(family)
    if name and name not in family:
        mpl.rcParams["font.family"] = [*family, name]
    return name


class ReadableNumbers(Formatter):
    """Tick labels a planner reads: one unit for the whole axis, never ``7.5e+03``.

    English: plain, k, M or B; Chinese: plain, 万 or 亿.  The unit is chosen from
    the largest tick, so ``7,500`` and ``1.5万`` never sit side by side, and every
    tick gets the decimals its step needs.  ``fixed=(10_000, "")`` shows every
    tick in one given unit instead (an axis labelled 万元).
    """

    def __init__(self, lang: str = "en", fixed: tuple[float, str] | None = None) -> None:
        self.lang = check_lang(lang)
        self.fixed = fixed  # (divisor, suffix) for every axis, e.g. (1e4, "") for 万元
        self.div, self.unit, self.decimals = 1.0, "", 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        import math

        vals = sorted(abs(float(x)) for x in locs if math.isfinite(x))
        top = vals[-1] if vals else 0.0
        steps = (
            [b - a for a, b in zip(sorted(locs), sorted(locs)[1:], strict=False) if b > a]
            if len(locs) > 1
            else []
        )
        units = (
            ((1e8, "亿"), (1e4, "万"))
            if self.lang == "zh"
            else ((1e9, "B"), (1e6, "M"), (1e3, "k"))
        )
        if self.fixed is not None:
            self.div, self.unit = self.fixed
        else:
            self.div, self.unit = next(((d, u) for d, u in units if top >= d), (1.0, ""))
        step = min(steps) / self.div if steps else 1.0
        self.decimals = 0
        while self.decimals < 6:  # enough decimals to show the step exactly (0.25万)
            scaled = step * 10**self.decimals
            if abs(scaled - round(scaled)) <= 1e-6 * max(1.0, scaled):
                break
            self.decimals += 1

    def __call__(self, x, pos=None) -> str:
        v = round(x / self.div, self.decimals) + 0.0
        return f"{v:,.{self.decimals}f}{self.unit}"


def _month_label(lang: str):
    def fmt(x, _pos=None) -> str:
        from matplotlib.dates import num2date

        d = num2date(x)
        first = _pos == 0 or d.month == 1
        if lang == "zh":
            return f"{d.year}年{d.month}月" if first else f"{d.month}月"
        return d.strftime("%b %Y") if first else d.strftime("%b")

    return fmt


def date_axis(ax, lang: str = "en") -> None:
    """Calendar months on the x axis of ``ax`` (dates already plotted as datetimes).

    Monthly ticks labelled ``Jan 2026, Feb, ...`` (``2026年1月, 2月, ...``), fewer
    for long runs; daily dates for runs shorter than two months.
    """
    from matplotlib.dates import DateFormatter, DayLocator, MonthLocator, num2date

    lo, hi = ax.get_xlim()
    span = (num2date(hi) - num2date(lo)).days
    if span < 62:
        ax.xaxis.set_major_locator(DayLocator(bymonthday=[1, 8, 15, 22]))
        ax.xaxis.set_major_formatter(DateFormatter("%m-%d" if lang == "en" else "%m月%d日"))
        return
    every = max(1, -(-span // (30 * 8)))  # at most about 8 month ticks
    ax.xaxis.set_major_locator(MonthLocator(interval=every))
    ax.xaxis.set_major_formatter(FuncFormatter(_month_label(lang)))
