"""The report's charts as small embedded PNG images (base64 ``data:`` URLs).

Charts come from :mod:`lab.plots` (one house style, labels in English or Chinese
with the packaged CJK font).  Figures are made directly, not through pyplot: no
backend, no window, no global state.  Each PNG is reduced to a 256-colour palette,
which keeps a chart near 30–60 kB without visible loss on flat plot colours.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from lab.report.data import ReportData
from lab.report.labels import text

__all__ = ["KPI_CHARTS", "Chart", "charts", "png_data_url"]

#: daily KPIs drawn as band charts, in order
KPI_CHARTS: tuple[str, ...] = ("cum_gmv", "cum_net_margin", "customers", "promo_response_lost")

_DPI = 110


@dataclass(frozen=True)
class Chart:
    """One embedded chart: its caption and its ``data:image/png;base64,...`` URL."""

    key: str
    caption: str
    src: str
    width: int
    height: int


def png_data_url(fig) -> tuple[str, int, int]:
    """Render a matplotlib Figure to a palette PNG ``data:`` URL and its pixel size."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, facecolor="white")
    buf.seek(0)
    img = Image.open(buf).convert("RGB")
    small = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    b64 = base64.b64encode(out.getvalue()).decode("ascii")
    return f"data:image/png;base64,{b64}", img.width, img.height


def _axes(lang: str, figsize: tuple[float, float]):
    from matplotlib.figure import Figure

    from lab.plots._style import styled

    fig = Figure(figsize=figsize, layout="constrained")
    with styled(lang):  # axes made in the house style, as the plot functions make them
        return fig, fig.add_subplot()


def _units(ax, metric: str, lang: str, currency: str) -> None:
    """Title, y label and ticks in the report's units (万元 / CNY, %)."""
    from matplotlib.ticker import PercentFormatter

    from lab.plots._style import ReadableNumbers
    from lab.report.fmt import kind_of, money_scale, money_unit

    base = metric.removeprefix("cum_")
    kind = kind_of(base)
    name = text(f"chart_{metric}", lang)
    ax.set_title(name, loc="left")
    if kind == "money":
        scale = money_scale(base, lang)
        fixed = (scale, "") if scale != 1 else None
        ax.yaxis.set_major_formatter(ReadableNumbers(lang, fixed))
        ax.set_ylabel(money_unit(base, lang, currency))
    elif kind == "share":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel("%")
    else:
        ax.set_ylabel(text("customers_label", lang) if base == "customers" else name)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))


def charts(data: ReportData, lang: str = "en") -> dict[str, list[Chart]]:
    """The report's charts: ``{"kpi": [...], "forest": [...]}``.

    ``kpi``: cumulative GMV and net margin, customers and the promotion response
    lost to fatigue over calendar time (median and 10–90% band per scenario; money
    in the language's unit, shares in %).  ``forest``: one paired-difference chart
    per scenario compared with the reference, coloured good / bad.
    """
    from lab.plots import plot_forest, plot_kpi

    out: dict[str, list[Chart]] = {"kpi": [], "forest": []}
    start = data.scenarios[0].start
    for metric in KPI_CHARTS:
        fig, ax = _axes(lang, (6.4, 3.5))
        plot_kpi(data.replications, metric, ax=ax, lang=lang, start_date=start)
        _units(ax, metric, lang, data.scenarios[0].currency)
        src, w, h = png_data_url(fig)
        out["kpi"].append(Chart(metric, text(f"chart_{metric}", lang), src, w, h))
    if data.comparison is not None:
        from lab.plots.compare import FOREST_METRICS

        shown = set(data.comparison.table["metric"])
        forest = [  # fatigue as the promotion response it costs, as in the tables
            "promo_response_lost" if m == "mean_fatigue" else m for m in FOREST_METRICS
        ]
        forest = [m for m in forest if m in shown]
        a = data.reference
        for info in data.scenarios[1:]:
            rows = int((data.comparison.table["scenario"] == info.name).sum())
            fig, ax = _axes(lang, (7.6, 0.3 * min(rows, 14) + 1.5))
            plot_forest(data.comparison, ax=ax, lang=lang, scenario=info.name, metrics=forest)
            src, w, h = png_data_url(fig)
            cap = text("chart_forest", lang, a=a, b=info.name)
            out["forest"].append(Chart(f"forest:{info.name}", cap, src, w, h))
    return out
