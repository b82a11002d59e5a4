"""Classroom explorer (课堂探索器): move the levers, watch GMV, margin, fatigue and blocks.

Two layers:

* :func:`explore` is a pure function: lever settings (:class:`ExplorerParams`) in,
  an :class:`Exploration` out (headline numbers, their change against the default
  settings, daily series and a matplotlib figure).  It runs a small classroom pool
  (the baseline scaled to about 4 000 customers, one year) so that one update takes
  well under a second or two, and keeps recent runs in a cache so moving a slider
  back is instant.
* :class:`Explorer` is a thin ipywidgets view over it: sliders for discount depth
  and cadence, group messages per week, membership fee and referral reward; each
  change calls :func:`explore` and redraws.  Labels in English or Chinese
  (``lang="zh"``).

The levers map onto the baseline scenario as follows: discount depth and days
between promotions set the recurring promotion of its ``discount_cadence`` (the
618 and Double 11 big sales stay as they are; depth 0 means no recurring
promotion); messages per week replace its group ``contact_plan`` with that many
messages (promotion, interaction, promotion, value, ... in turn); the membership
switch adds a ``membership`` strategy with the fee; the referral reward sets the
standing ``acquisition.referral.reward_cny``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lab.api import run
from lab.i18n import check_lang, label
from lab.scenario import Scenario, load_scenario
from lab.teaching import add_strategy, scale_pool, scenario_path, weekly_plan

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "EXPLORER_LABELS",
    "METRICS",
    "ClassroomPool",
    "Exploration",
    "Explorer",
    "ExplorerParams",
    "classroom_scenario",
    "explore",
]

#: content types cycled through by the group plan (4 a week = the baseline's mix)
GROUP_CONTENTS: tuple[str, ...] = ("promotion", "interaction", "promotion", "value")

#: headline numbers shown, in order
METRICS: tuple[str, ...] = (
    "gmv",
    "net_margin",
    "discount_cost",
    "orders",
    "customers",
    "mean_fatigue",
    "blocked_total",
    "block_rate",
    "members",
    "referred",
)

#: +1 where more is better, -1 where less is better (colours of the changes)
GOOD_DIRECTION: dict[str, int] = {
    "gmv": 1,
    "net_margin": 1,
    "discount_cost": -1,
    "orders": 1,
    "customers": 1,
    "mean_fatigue": -1,
    "blocked_total": -1,
    "block_rate": -1,
    "members": 1,
    "referred": 1,
}

#: key -> (English, 中文): levers and the numbers the explorer adds to lab.i18n
EXPLORER_LABELS: dict[str, tuple[str, str]] = {
    "discount_depth": ("discount depth", "折扣力度"),
    "discount_every_days": ("days between promotions", "促销间隔 (天)"),
    "messages_per_week": ("group messages / week", "每周社群消息"),
    "membership": ("paid membership", "付费会员"),
    "membership_fee_cny": ("membership fee (CNY)", "会员费 (元)"),
    "referral_reward_cny": ("referral reward (CNY)", "裂变奖励 (元)"),
    "members": ("members at end", "期末会员数"),
    "blocked_total": ("blocked / deleted (total)", "累计拉黑/删除"),
    "cum_gmv": ("cumulative GMV", "累计成交总额"),
    "cum_net_margin": ("cumulative net margin", "累计净利"),
    "current": ("your settings", "当前设置"),
    "reference": ("default settings", "默认设置"),
    "change": ("change vs default settings", "相对默认设置的变化"),
    "title": ("Classroom explorer", "课堂探索器"),
    "reset": ("reset", "重置"),
    "updated": ("updated in {s:.2f} s", "更新用时 {s:.2f} 秒"),
    "pool": (
        "{n:,} customers at the end, {days} days, seed {seed}",
        "期末 {n:,} 位用户, {days} 天, 随机种子 {seed}",
    ),
    "thousand_cny": ("thousand CNY", "千元"),
    "on": ("on", "开"),
    "off": ("off", "关"),
    "value": ("value", "数值"),
    "metric": ("metric", "指标"),
    "name": ("name", "名称"),
}


def xlabel(key: str, lang: str = "en", **fmt) -> str:
    """Label of ``key`` from :data:`EXPLORER_LABELS`, else from :mod:`lab.i18n`."""
    i = ("en", "zh").index(check_lang(lang))
    if key in EXPLORER_LABELS:
        text = EXPLORER_LABELS[key][i]
        return text.format(**fmt) if fmt else text
    return label(key, lang, **fmt)


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ExplorerParams:
    """The levers a teacher moves.

    Attributes
    ----------
    discount_depth : float
        Depth of the recurring promotion, share of list price (0–0.6); 0 = none.
    discount_every_days : int
        Days between promotion starts (7–90).
    messages_per_week : int
        Group messages per week (0–35; the platform caps a group at 5 a day).
    membership : bool
        Offer a paid membership card.
    membership_fee_cny : float
        Its annual fee (CNY).
    referral_reward_cny : float
        Red envelope per friend who joins (CNY).
    """

    discount_depth: float = 0.2
    discount_every_days: int = 30
    messages_per_week: int = 4
    membership: bool = False
    membership_fee_cny: float = 99.0
    referral_reward_cny: float = 20.0

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.discount_depth <= 0.9:
            problems.append(f"discount_depth must be in [0, 0.9], got {self.discount_depth}")
        if (
            int(self.discount_every_days) != self.discount_every_days
            or self.discount_every_days < 1
        ):
            problems.append(
                f"discount_every_days must be a whole number >= 1, got {self.discount_every_days}"
            )
        if int(self.messages_per_week) != self.messages_per_week or not (
            0 <= self.messages_per_week <= 35
        ):
            problems.append(
                f"messages_per_week must be a whole number in [0, 35], got {self.messages_per_week}"
            )
        if self.membership_fee_cny < 0:
            problems.append(f"membership_fee_cny must be >= 0, got {self.membership_fee_cny}")
        if self.referral_reward_cny < 0:
            problems.append(f"referral_reward_cny must be >= 0, got {self.referral_reward_cny}")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def of(cls, params: ExplorerParams | Mapping[str, Any] | None = None) -> ExplorerParams:
        """Params from an instance, a mapping of some of the fields, or None (defaults)."""
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise KeyError(f"unknown lever(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return cls(**dict(params))


@dataclass(frozen=True)
class ClassroomPool:
    """The pool the explorer simulates.

    Attributes
    ----------
    scenario : str
        Scenario file the levers are applied to (default the baseline).
    scale : float
        Acquisition volumes are multiplied by this (0.2: about 4 000 customers a year).
    days : int
        Length of each run.
    seed : int
        Seed of every run (the default settings and yours share it: paired).
    """

    scenario: str = "baseline"
    scale: float = 0.2
    days: int = 365
    seed: int = 7


@lru_cache(maxsize=8)
def _base(pool: ClassroomPool) -> Scenario:
    return scale_pool(load_scenario(scenario_path(pool.scenario)), pool.scale)


def classroom_scenario(
    params: ExplorerParams | Mapping[str, Any] | None = None, pool: ClassroomPool | None = None
) -> Scenario:
    """The scenario the explorer runs for ``params`` (validated).

    Parameters
    ----------
    params : ExplorerParams, mapping or None
        Lever settings (missing ones take their defaults).
    pool : ClassroomPool, optional

    Returns
    -------
    Scenario
    """
    p = ExplorerParams.of(params)
    pool = pool or ClassroomPool()
    base = _base(pool)
    cadence = _strategy_position(base, "discount_cadence")
    group = _strategy_position(base, "contact_plan", touchpoint="group")
    if cadence is None or group is None:
        raise ValueError(
            f"scenario {pool.scenario!r} needs a discount_cadence and a group contact_plan"
        )
    every_days = int(p.discount_every_days) if p.discount_depth > 0 else None
    sc = base.with_changes(
        {
            "name": "classroom",
            "days": pool.days,
            "acquisition.referral.reward_cny": float(p.referral_reward_cny),
            f"strategies[{cadence}].depth": float(p.discount_depth),
            f"strategies[{cadence}].every_days": every_days,
            f"strategies[{group}].weekly": weekly_plan(int(p.messages_per_week), GROUP_CONTENTS),
        }
    )
    if p.membership:
        sc = add_strategy(sc, {"type": "membership", "fee_cny": float(p.membership_fee_cny)})
    return sc


def _strategy_position(scenario: Scenario, kind: str, **fields: Any) -> int | None:
    """Position of the first strategy of type ``kind`` whose ``fields`` match, or None."""
    for i, s in enumerate(scenario.strategies):
        if s.type == kind and all(getattr(s, k, None) == v for k, v in fields.items()):
            return i
    return None


# ------------------------------------------------------------------------- results
def _series_and_metrics(res) -> tuple[pd.DataFrame, dict[str, float]]:
    d = res.daily
    members = d["members"] if "members" in d else pd.Series(0.0, index=d.index)
    series = pd.DataFrame(
        {
            "day": d["day"].to_numpy(),
            "cum_gmv": d["gmv"].cumsum().to_numpy(),
            "cum_net_margin": d["net_margin"].cumsum().to_numpy(),
            "mean_fatigue": d["mean_fatigue"].to_numpy(),
            "blocked_total": d["blocked_total"].to_numpy(),
            "members": members.to_numpy(dtype=float),
        }
    )
    last = d.iloc[-1]
    customers = float(last["customers"])
    metrics = {
        "gmv": float(d["gmv"].sum()),
        "net_margin": float(d["net_margin"].sum()),
        "discount_cost": float(d["discount_cost"].sum()),
        "orders": float(d["orders"].sum()),
        "customers": customers,
        "mean_fatigue": float(d["mean_fatigue"].mean()),
        "blocked_total": float(last["blocked_total"]),
        "block_rate": float(last["blocked_total"]) / customers if customers else np.nan,
        "members": float(members.iloc[-1]),
        "referred": float(d["referred"].sum()),
    }
    return series, metrics


@lru_cache(maxsize=64)
def _simulate(params: ExplorerParams, pool: ClassroomPool) -> tuple[pd.DataFrame, dict]:
    res = run(classroom_scenario(params, pool), seed=pool.seed, days=pool.days)
    return _series_and_metrics(res)


@dataclass
class Exploration:
    """What one setting of the levers gives.

    Attributes
    ----------
    params, reference : ExplorerParams
        Your settings and the defaults they are compared with (same seed: paired).
    pool : ClassroomPool
        The simulated pool (size, length, seed).
    metrics, reference_metrics : dict
        Headline numbers (:data:`METRICS`): GMV, net margin, discount cost, orders,
        customers, mean promo fatigue (mean over days), blocks (total and share of
        customers), members, referred customers.
    change : dict
        Relative change of each metric against the reference (NaN where it is 0).
    daily, reference_daily : pandas.DataFrame
        ``day, cum_gmv, cum_net_margin, mean_fatigue, blocked_total, members``.
    lang : str
        Language of the labels ("en" or "zh").
    figure : matplotlib.figure.Figure or None
    seconds : float
        Wall time of this call (simulation and figure).
    """

    params: ExplorerParams
    reference: ExplorerParams
    pool: ClassroomPool
    metrics: dict[str, float]
    reference_metrics: dict[str, float]
    change: dict[str, float]
    daily: pd.DataFrame
    reference_daily: pd.DataFrame
    lang: str = "en"
    figure: Figure | None = None
    seconds: float = field(default=0.0)

    def table(self) -> pd.DataFrame:
        """The numbers side by side: metric key, its name, your settings, default, change."""
        rows = [
            (
                m,
                xlabel(m, self.lang),
                self.metrics[m],
                self.reference_metrics[m],
                self.change[m],
            )
            for m in METRICS
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "metric",
                xlabel("name", self.lang),
                xlabel("current", self.lang),
                xlabel("reference", self.lang),
                xlabel("change", self.lang),
            ],
        )

    def to_html(self) -> str:
        """The table as a small HTML snippet (used by the widget)."""
        import html

        head = (
            f"<tr><th style='text-align:left'>{html.escape(xlabel('metric', self.lang))}</th>"
            f"<th>{html.escape(xlabel('current', self.lang))}</th>"
            f"<th>{html.escape(xlabel('reference', self.lang))}</th><th>Δ</th></tr>"
        )
        body = []
        for m in METRICS:
            v, r, c = self.metrics[m], self.reference_metrics[m], self.change[m]
            fmt = _fmt(m)
            colour = _colour(m, c * 100)
            ctext = f"{c:+.1%}" if np.isfinite(c) else "–"
            body.append(
                f"<tr><td>{html.escape(xlabel(m, self.lang))}</td>"
                f"<td style='text-align:right'>{fmt.format(v)}</td>"
                f"<td style='text-align:right;color:#6b6b6b'>{fmt.format(r)}</td>"
                f"<td style='text-align:right;color:{colour}'>{ctext}</td></tr>"
            )
        return f"<table style='font-size:90%'>{head}{''.join(body)}</table>"


def _colour(metric: str, pct: float) -> str:
    from lab.plots._style import NEGATIVE, NEUTRAL, POSITIVE

    if not np.isfinite(pct) or abs(pct) < 0.5:
        return NEUTRAL
    return POSITIVE if pct * GOOD_DIRECTION[metric] > 0 else NEGATIVE


def _fmt(metric: str) -> str:
    if metric in ("mean_fatigue",):
        return "{:.3f}"
    if metric in ("block_rate",):
        return "{:.1%}"
    return "{:,.0f}"


def _relative(a: float, b: float) -> float:
    return (a - b) / abs(b) if b else (0.0 if a == b else np.nan)


def explore(
    params: ExplorerParams | Mapping[str, Any] | None = None,
    *,
    reference: ExplorerParams | Mapping[str, Any] | None = None,
    pool: ClassroomPool | None = None,
    lang: str = "en",
    figure: bool = True,
) -> Exploration:
    """Simulate the classroom pool under ``params`` and compare with the default settings.

    Pure: the same inputs give the same numbers (one fixed seed; runs are cached).

    Parameters
    ----------
    params : ExplorerParams, mapping or None
        Lever settings; a mapping may name only some levers.
    reference : ExplorerParams, mapping or None
        What to compare with (default: :class:`ExplorerParams` defaults).
    pool : ClassroomPool, optional
        Pool size, length and seed (default: about 4 000 customers, 365 days).
    lang : {"en", "zh"}
        Language of the figure and table labels.
    figure : bool
        Draw the figure (False: numbers only, faster).

    Returns
    -------
    Exploration

    Examples
    --------
    >>> ex = explore({"messages_per_week": 14}, figure=False)  # doctest: +SKIP
    >>> ex.change["blocked_total"] > 0                          # doctest: +SKIP
    True
    """
    t0 = time.perf_counter()
    check_lang(lang)
    p = ExplorerParams.of(params)
    ref = ExplorerParams.of(reference)
    pool = pool or ClassroomPool()
    daily, metrics = _simulate(p, pool)
    ref_daily, ref_metrics = _simulate(ref, pool)
    change = {m: _relative(metrics[m], ref_metrics[m]) for m in METRICS}
    ex = Exploration(p, ref, pool, dict(metrics), dict(ref_metrics), change, daily, ref_daily, lang)
    if figure:
        ex.figure = draw(ex)
    ex.seconds = time.perf_counter() - t0
    return ex


# --------------------------------------------------------------------------- figure
def draw(ex: Exploration, fig: Figure | None = None) -> Figure:
    """Draw an :class:`Exploration` on a (new) matplotlib Figure, 2 × 2 panels.

    Panels: cumulative GMV and net margin; mean promo fatigue per day; customers
    who blocked the brand; the change of each headline number against the default
    settings.  Solid lines are your settings, dashed grey the defaults.

    Parameters
    ----------
    ex : Exploration
    fig : matplotlib.figure.Figure, optional
        Cleared and reused (the widget keeps one figure).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from lab.plots import PALETTE
    from lab.plots._style import NEUTRAL, finish, styled

    lang = ex.lang
    with styled(lang):
        if fig is None:
            fig = Figure(figsize=(10.0, 6.2), layout="constrained")
        else:
            fig.clear()
        (a1, a2), (a3, a4) = fig.subplots(2, 2)
        d, r = ex.daily, ex.reference_daily
        cur, ref = xlabel("current", lang), xlabel("reference", lang)
        grey = dict(color=NEUTRAL, lw=1.2, ls="--")
        a1.plot(d["day"], d["cum_gmv"], color=PALETTE[0], lw=1.8, label=xlabel("gmv", lang))
        a1.plot(
            d["day"],
            d["cum_net_margin"],
            color=PALETTE[2],
            lw=1.8,
            label=xlabel("net_margin", lang),
        )
        a1.plot(r["day"], r["cum_gmv"], **grey, label=ref)
        a1.plot(r["day"], r["cum_net_margin"], **grey)
        a1.set_title(f"{xlabel('cum_gmv', lang)} · {xlabel('cum_net_margin', lang)}")
        a1.set_ylabel(xlabel("thousand_cny", lang))
        a1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}"))
        a1.legend(loc="upper left")
        a2.plot(d["day"], d["mean_fatigue"], color=PALETTE[3], lw=1.6, label=cur)
        a2.plot(r["day"], r["mean_fatigue"], **grey, label=ref)
        a2.set_ylim(
            0, max(0.05, float(max(d["mean_fatigue"].max(), r["mean_fatigue"].max())) * 1.15)
        )
        a2.set_title(xlabel("mean_fatigue", lang))
        a2.legend(loc="upper left")
        a3.plot(d["day"], d["blocked_total"], color=PALETTE[1], lw=1.6, label=cur)
        a3.plot(r["day"], r["blocked_total"], **grey, label=ref)
        a3.set_title(xlabel("blocked_total", lang))
        a3.legend(loc="upper left")
        for a in (a1, a2, a3):
            a.set_xlabel(label("day", lang))
        shown = ["gmv", "net_margin", "discount_cost", "mean_fatigue", "blocked_total", "referred"]
        vals = np.array([ex.change[m] for m in shown], dtype=float) * 100
        vals = np.where(np.isfinite(vals), vals, 0.0)
        y = np.arange(len(shown))[::-1]
        colours = [_colour(m, v) for m, v in zip(shown, vals, strict=True)]
        a4.barh(y, vals, color=colours, alpha=0.8)
        a4.axvline(0, color="black", lw=0.8)
        a4.set_yticks(y, [xlabel(m, lang) for m in shown])
        lim = max(5.0, float(np.abs(vals).max()) * 1.35)
        a4.set_xlim(-lim, lim)
        for yi, v in zip(y, vals, strict=True):
            a4.text(
                v, yi, f" {v:+.1f}% ", va="center", ha="left" if v >= 0 else "right", fontsize=8
            )
        a4.set_xlabel("%")
        a4.grid(axis="y", visible=False)
        a4.set_title(xlabel("change", lang))
        fig.suptitle(
            f"{xlabel('title', lang)} · "
            + xlabel(
                "pool",
                lang,
                n=int(ex.metrics["customers"]),
                days=ex.pool.days,
                seed=ex.pool.seed,
            ),
            x=0.01,
            ha="left",
            fontsize=11,
        )
    finish(fig, lang)
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure rendered as PNG bytes (what the widget shows)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


# --------------------------------------------------------------------------- widgets
_SLIDERS: dict[str, dict[str, Any]] = {
    "discount_depth": {"kind": "float", "min": 0.0, "max": 0.6, "step": 0.05, "fmt": ".0%"},
    "discount_every_days": {"kind": "int", "min": 7, "max": 90, "step": 1},
    "messages_per_week": {"kind": "int", "min": 0, "max": 35, "step": 1},
    "membership_fee_cny": {"kind": "float", "min": 0.0, "max": 399.0, "step": 10.0, "fmt": ".0f"},
    "referral_reward_cny": {"kind": "float", "min": 0.0, "max": 100.0, "step": 5.0, "fmt": ".0f"},
}


class Explorer:
    """The ipywidgets view: sliders on the left, numbers on the right, figure below.

    Every change of a control calls :func:`explore` once (sliders update on
    release) and shows the new numbers and figure.  The logic is in
    :func:`explore`; this class only wires controls to it, so it can be driven
    without a browser: set ``explorer.controls["messages_per_week"].value = 14``
    and read ``explorer.result``.

    Parameters
    ----------
    lang : {"en", "zh"}
        Language of labels and figure.
    params : ExplorerParams or mapping, optional
        Starting settings (default: the defaults).
    pool : ClassroomPool, optional
        The simulated pool.

    Attributes
    ----------
    controls : dict
        Lever name -> ipywidgets control.
    result : Exploration
        The latest update.
    image : ipywidgets.Image
        The rendered figure (PNG).
    numbers : ipywidgets.HTML
        The table of headline numbers.
    status : ipywidgets.HTML
        Time of the last update.
    widget : ipywidgets.Widget
        The whole view (what a notebook displays).
    updates : int
        Number of updates so far.
    """

    def __init__(
        self,
        lang: str = "en",
        params: ExplorerParams | Mapping[str, Any] | None = None,
        pool: ClassroomPool | None = None,
    ) -> None:
        import ipywidgets as W

        self.lang = check_lang(lang)
        self.pool = pool or ClassroomPool()
        start = ExplorerParams.of(params)
        style = {"description_width": "13em"}
        layout = W.Layout(width="27em")
        self.controls: dict[str, Any] = {}
        for name, spec in _SLIDERS.items():
            common = dict(
                value=getattr(start, name),
                min=spec["min"],
                max=spec["max"],
                step=spec["step"],
                description=xlabel(name, lang),
                continuous_update=False,
                style=style,
                layout=layout,
            )
            if spec["kind"] == "int":
                ctl = W.IntSlider(**common)
            else:
                ctl = W.FloatSlider(readout_format=spec["fmt"], **common)
            self.controls[name] = ctl
        self.controls["membership"] = W.Checkbox(
            value=start.membership,
            description=xlabel("membership", lang),
            indent=False,
            layout=W.Layout(width="27em"),
        )
        order = [
            "discount_depth",
            "discount_every_days",
            "messages_per_week",
            "membership",
            "membership_fee_cny",
            "referral_reward_cny",
        ]
        self.controls = {k: self.controls[k] for k in order}
        self.reset_button = W.Button(description=xlabel("reset", lang), icon="undo")
        self.reset_button.on_click(lambda _: self.reset())
        self.numbers = W.HTML()
        self.status = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="980px"))
        self.updates = 0
        self.result: Exploration | None = None
        self._figure = None
        self._hold = False
        for ctl in self.controls.values():
            ctl.observe(self._changed, names="value")
        left = W.VBox([*self.controls.values(), W.HBox([self.reset_button, self.status])])
        self.widget = W.VBox(
            [
                W.HTML(f"<h3>{xlabel('title', lang)}</h3>"),
                W.HBox([left, self.numbers]),
                self.image,
            ]
        )
        self.update()

    # -- state
    @property
    def params(self) -> ExplorerParams:
        """The settings the controls show now."""
        values = {k: c.value for k, c in self.controls.items()}
        values["discount_every_days"] = int(values["discount_every_days"])
        values["messages_per_week"] = int(values["messages_per_week"])
        return ExplorerParams(**values)

    def set(self, **levers: Any) -> Exploration:
        """Set several levers at once (one update) and return the result."""
        ExplorerParams.of({**asdict(self.params), **levers})  # validate before touching controls
        self._hold = True
        try:
            for k, v in levers.items():
                self.controls[k].value = v
        finally:
            self._hold = False
        return self.update()

    def reset(self) -> Exploration:
        """Back to the default settings."""
        return self.set(**asdict(ExplorerParams()))

    # -- updates
    def _changed(self, change) -> None:
        if not self._hold:
            self.update()

    def update(self) -> Exploration:
        """Run :func:`explore` for the current controls and redraw."""
        t0 = time.perf_counter()
        p = self.params
        self.controls["membership_fee_cny"].disabled = not p.membership
        ex = explore(p, pool=self.pool, lang=self.lang, figure=False)
        self._figure = draw(ex, self._figure)
        ex.figure = self._figure
        self.image.value = figure_png(self._figure)
        self.numbers.value = ex.to_html()
        ex.seconds = time.perf_counter() - t0
        self.status.value = (
            f"<span style='color:#6b6b6b'>{xlabel('updated', self.lang, s=ex.seconds)}</span>"
        )
        self.result = ex
        self.updates += 1
        return ex

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
