"""Classroom explorer (课堂探索器): move the levers, watch GMV, margin, fatigue and blocks.

Two layers:

* :func:`explore` is a pure function: lever settings (:class:`ExplorerParams`) in,
  an :class:`Exploration` out (headline numbers, their change against the default
  settings, daily series and a matplotlib figure).  It runs a small classroom pool
  (the baseline scaled to about 4 000 customers, one year) with several seeds (5 by
  default, through :func:`lab.experiments.replicate`): every number is the median
  over the seeds with its 10–90% band, so students see how much luck moves it.  The
  default settings run with the same seeds (common random numbers), and recent
  runs stay in a cache so moving a slider back is instant.
* :class:`Explorer` is a thin ipywidgets view over it: full-width sliders for
  discount depth and cadence, group messages per week, membership fee and
  referral reward; each change calls :func:`explore` and redraws.  Labels in
  English (default) or Chinese (``lang="zh"``); Chinese text is drawn with the
  lab's own Noto Sans CJK subset, embedded in the widget as a web font, so it
  shows on machines without a CJK font.

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
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lab.i18n import check_lang, label
from lab.scenario import Scenario, load_scenario
from lab.stats import band
from lab.teaching import add_strategy, scale_pool, scenario_path, weekly_plan

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lab.experiments.replicate import Replications
    from lab.parallel import LocalExecutor

__all__ = [
    "EXPLORER_LABELS",
    "METRICS",
    "ClassroomPool",
    "Exploration",
    "Explorer",
    "ExplorerParams",
    "cjk_font_css",
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
        "{n:,} customers at the end, {days} days, {seeds}",
        "期末 {n:,} 位用户, {days} 天, {seeds}",
    ),
    "seeds": ("median of {n} seeds, band 10–90%", "{n} 个随机种子的中位数, 阴影为 10–90% 区间"),
    "one_seed": ("seed {seed}", "随机种子 {seed}"),
    "band": ("10–90% of seeds", "10–90% 种子区间"),
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
        First seed; the runs use ``seed, seed + 1, ... seed + n_seeds - 1``, and the
        default settings run with the same seeds as yours (paired).
    n_seeds : int
        Number of seeds (replications) per setting.
    """

    scenario: str = "baseline"
    scale: float = 0.2
    days: int = 365
    seed: int = 7
    n_seeds: int = 5

    def __post_init__(self) -> None:
        if int(self.n_seeds) != self.n_seeds or not 1 <= self.n_seeds <= 50:
            raise ValueError(f"n_seeds must be a whole number in [1, 50], got {self.n_seeds}")
        if int(self.days) != self.days or self.days < 1:
            raise ValueError(f"days must be a whole number >= 1, got {self.days}")

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of every run, in order."""
        return tuple(range(self.seed, self.seed + self.n_seeds))


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
#: daily series the explorer keeps per run (``cum_<kpi>``: running total)
DAILY_SERIES: tuple[str, ...] = ("cum_gmv", "cum_net_margin", "mean_fatigue", "blocked_total")


def explorer_metrics(res) -> dict[str, float]:
    """Headline numbers of one run (:data:`METRICS`), for :func:`lab.experiments.replicate`.

    Parameters
    ----------
    res : lab.results.RunResult

    Returns
    -------
    dict
        Metric -> value; ``mean_fatigue`` is the mean over days, ``block_rate`` the
        blocked share of the customers at the end, ``members`` the members at the end
        (0 without a membership).
    """
    d = res.daily
    last = d.iloc[-1]
    customers = float(last["customers"])
    return {
        "gmv": float(d["gmv"].sum()),
        "net_margin": float(d["net_margin"].sum()),
        "discount_cost": float(d["discount_cost"].sum()),
        "orders": float(d["orders"].sum()),
        "customers": customers,
        "mean_fatigue": float(d["mean_fatigue"].mean()),
        "blocked_total": float(last["blocked_total"]),
        "block_rate": float(last["blocked_total"]) / customers if customers else np.nan,
        "members": float(last["members"]) if "members" in d else 0.0,
        "referred": float(d["referred"].sum()),
    }


#: settings whose runs are kept (moving a slider back is instant)
RUNS_KEPT = 64
#: (setting, pool) -> its runs, least recently used first
_RUNS: OrderedDict[tuple[ExplorerParams, ClassroomPool], Replications] = OrderedDict()


def _replicated(
    settings: Sequence[ExplorerParams],
    pool: ClassroomPool,
    executor: LocalExecutor | None = None,
) -> list[Replications]:
    """The runs of each setting over the pool's seeds (kept: :data:`RUNS_KEPT`).

    Settings not run yet run in one call, their seeds in batches (:mod:`lab.batch`): in
    this process (no start-up cost) or on ``executor``'s warm workers.  A setting's runs
    do not depend on which other settings ran with it, nor on the executor.
    """
    from lab.experiments.replicate import simulate_many

    todo = [p for p in dict.fromkeys(settings) if (p, pool) not in _RUNS]
    if todo:
        names = [f"setting{i}" for i in range(len(todo))]
        reps = simulate_many(
            {n: classroom_scenario(p, pool) for n, p in zip(names, todo, strict=True)},
            pool.seeds,
            days=pool.days,
            workers=1 if executor is None else None,
            progress=False,
            daily_metrics=DAILY_SERIES,
            metrics=explorer_metrics,
            executor=executor,
        )
        for n, p in zip(names, todo, strict=True):
            _RUNS[(p, pool)] = _one_setting(reps, n)
    out = []
    for p in settings:
        _RUNS.move_to_end((p, pool))
        out.append(_RUNS[(p, pool)])
    while len(_RUNS) > RUNS_KEPT:
        _RUNS.popitem(last=False)
    return out


def _one_setting(reps: Replications, name: str) -> Replications:
    """The runs of scenario ``name`` of ``reps``, labelled ``classroom`` (as run alone)."""

    def part(table: pd.DataFrame) -> pd.DataFrame:
        t = table[table["scenario"] == name].reset_index(drop=True)
        t["scenario"] = pd.Categorical(["classroom"] * len(t), categories=["classroom"])
        return t

    meta = dict(reps.meta)
    meta["scenarios"] = {"classroom": reps.meta["scenarios"][name]}
    meta["days"] = {"classroom": reps.meta["days"][name]}
    sc = {"classroom": reps.scenarios[name]}
    return type(reps)(part(reps.daily), part(reps.totals), sc, list(reps.seeds), meta)


def _daily_bands(reps) -> pd.DataFrame:
    """``day`` and, per daily series, its median (named as the series), ``_p10`` and ``_p90``."""
    b = reps.bands()
    out = b.pivot_table(index="day", columns="metric", values=["median", "p10", "p90"])
    table = pd.DataFrame({"day": out.index.to_numpy()})
    for m in DAILY_SERIES:
        table[m] = out[("median", m)].to_numpy()
        table[f"{m}_p10"] = out[("p10", m)].to_numpy()
        table[f"{m}_p90"] = out[("p90", m)].to_numpy()
    return table


def _per_seed(reps) -> pd.DataFrame:
    """End-of-run metrics, one row per seed (index: seed), columns :data:`METRICS`."""
    return reps.wide().set_index("seed")[list(METRICS)]


@dataclass
class Exploration:
    """What one setting of the levers gives, over several seeds.

    Attributes
    ----------
    params, reference : ExplorerParams
        Your settings and the defaults they are compared with (same seeds: paired).
    pool : ClassroomPool
        The simulated pool (size, length, seeds).
    metrics, reference_metrics : dict
        Headline numbers (:data:`METRICS`), each the median over the seeds: GMV, net
        margin, discount cost, orders, customers, mean promo fatigue (mean over
        days), blocks (total and share of customers), members, referred customers.
    bands : dict
        Metric -> (10%, 90%) of your settings over the seeds.
    change : dict
        Relative change of each median against the reference (NaN where it is 0).
    change_bands : dict
        Metric -> (10%, 90%) of the paired per-seed relative changes (NaN where
        the reference is 0): how sure the change is.
    per_seed, reference_per_seed : pandas.DataFrame
        The end-of-run metrics of every seed (index: seed).
    daily, reference_daily : pandas.DataFrame
        ``day`` and per series of :data:`DAILY_SERIES` its median over the seeds
        (``cum_gmv, cum_net_margin, mean_fatigue, blocked_total``) with its 10–90%
        band (``<series>_p10``, ``<series>_p90``).
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
    bands: dict[str, tuple[float, float]]
    change: dict[str, float]
    change_bands: dict[str, tuple[float, float]]
    per_seed: pd.DataFrame
    reference_per_seed: pd.DataFrame
    daily: pd.DataFrame
    reference_daily: pd.DataFrame
    lang: str = "en"
    figure: Figure | None = None
    seconds: float = field(default=0.0)

    def table(self) -> pd.DataFrame:
        """The numbers side by side: metric key, name, yours (median, band), default, change."""
        rows = [
            (
                m,
                xlabel(m, self.lang),
                self.metrics[m],
                self.bands[m][0],
                self.bands[m][1],
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
                "p10",
                "p90",
                xlabel("reference", self.lang),
                xlabel("change", self.lang),
            ],
        )

    def to_html(self) -> str:
        """The table as a small HTML snippet (used by the widget)."""
        import html

        band = html.escape(xlabel("band", self.lang))
        head = (
            f"<tr><th style='text-align:left'>{html.escape(xlabel('metric', self.lang))}</th>"
            f"<th>{html.escape(xlabel('current', self.lang))}</th>"
            f"<th style='color:#6b6b6b'>{band}</th>"
            f"<th>{html.escape(xlabel('reference', self.lang))}</th><th>Δ</th></tr>"
        )
        body = []
        for m in METRICS:
            v, r, c = self.metrics[m], self.reference_metrics[m], self.change[m]
            lo, hi = self.bands[m]
            fmt = _fmt(m)
            colour = _colour(m, c * 100)
            ctext = f"{c:+.1%}" if np.isfinite(c) else "–"
            body.append(
                f"<tr><td>{html.escape(xlabel(m, self.lang))}</td>"
                f"<td style='text-align:right'>{fmt.format(v)}</td>"
                f"<td style='text-align:right;color:#6b6b6b'>"
                f"{fmt.format(lo)} – {fmt.format(hi)}</td>"
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
    executor: LocalExecutor | None = None,
) -> Exploration:
    """Simulate the classroom pool under ``params`` and compare with the default settings.

    Pure: the same inputs give the same numbers (fixed seeds; runs are cached).

    Parameters
    ----------
    params : ExplorerParams, mapping or None
        Lever settings; a mapping may name only some levers.
    reference : ExplorerParams, mapping or None
        What to compare with (default: :class:`ExplorerParams` defaults).
    pool : ClassroomPool, optional
        Pool size, length and seeds (default: about 4 000 customers, 365 days, 5 seeds).
    lang : {"en", "zh"}
        Language of the figure and table labels.
    figure : bool
        Draw the figure (False: numbers only, faster).
    executor : lab.parallel.LocalExecutor, optional
        Warm worker processes (a classroom session's) for settings not run yet: both
        settings' seeds run in batches on its workers.  Default: in this process.  The
        numbers do not depend on it.

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
    mine, theirs = _replicated((p, ref), pool, executor)
    seeds_p, seeds_r = _per_seed(mine), _per_seed(theirs)
    metrics = {m: float(np.quantile(seeds_p[m], 0.5)) for m in METRICS}
    ref_metrics = {m: float(np.quantile(seeds_r[m], 0.5)) for m in METRICS}
    bands, change_bands = {}, {}
    for m in METRICS:
        lo, _, hi = band(seeds_p[m])
        bands[m] = (lo, hi)
        paired = [_relative(a, b) for a, b in zip(seeds_p[m], seeds_r[m], strict=True)]
        lo, _, hi = band(paired)
        change_bands[m] = (lo, hi)
    change = {m: _relative(metrics[m], ref_metrics[m]) for m in METRICS}
    ex = Exploration(
        p,
        ref,
        pool,
        metrics,
        ref_metrics,
        bands,
        change,
        change_bands,
        seeds_p,
        seeds_r,
        _daily_bands(mine),
        _daily_bands(theirs),
        lang,
    )
    if figure:
        ex.figure = draw(ex)
    ex.seconds = time.perf_counter() - t0
    return ex


# --------------------------------------------------------------------------- figure
def draw(ex: Exploration, fig: Figure | None = None) -> Figure:
    """Draw an :class:`Exploration` on a (new) matplotlib Figure, 2 × 2 panels.

    Panels: cumulative GMV and net margin; mean promo fatigue per day; customers
    who blocked the brand; the change of each headline number against the default
    settings.  Solid lines are the medians of your settings over the seeds, shaded
    their 10–90% band, dashed grey the defaults (median).

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
        _band(a1, d, "cum_gmv", PALETTE[0])
        _band(a1, d, "cum_net_margin", PALETTE[2])
        a1.plot(r["day"], r["cum_gmv"], **grey, label=ref)
        a1.plot(r["day"], r["cum_net_margin"], **grey)
        a1.set_title(f"{xlabel('cum_gmv', lang)} · {xlabel('cum_net_margin', lang)}")
        a1.set_ylabel(xlabel("thousand_cny", lang))
        a1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}"))
        a1.legend(loc="upper left")
        a2.plot(d["day"], d["mean_fatigue"], color=PALETTE[3], lw=1.6, label=cur)
        _band(a2, d, "mean_fatigue", PALETTE[3], xlabel("band", lang))
        a2.plot(r["day"], r["mean_fatigue"], **grey, label=ref)
        top = max(d["mean_fatigue_p90"].max(), r["mean_fatigue"].max())
        a2.set_ylim(0, max(0.05, float(top) * 1.15))
        a2.set_title(xlabel("mean_fatigue", lang))
        a2.legend(loc="upper left")
        a3.plot(d["day"], d["blocked_total"], color=PALETTE[1], lw=1.6, label=cur)
        _band(a3, d, "blocked_total", PALETTE[1], xlabel("band", lang))
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
        lo_hi = np.array([ex.change_bands[m] for m in shown], dtype=float) * 100
        ok = np.isfinite(lo_hi).all(axis=1) & (lo_hi[:, 1] > lo_hi[:, 0])
        if ok.any():
            err = np.abs(lo_hi[ok] - vals[ok, None]).T
            a4.errorbar(vals[ok], y[ok], xerr=err, fmt="none", ecolor="#333333", lw=1, capsize=3)
        a4.axvline(0, color="black", lw=0.8)
        a4.set_yticks(y, [xlabel(m, lang) for m in shown])
        reach = np.nanmax(np.abs(np.concatenate([vals, lo_hi[ok].ravel()])))
        lim = max(5.0, float(reach) * 1.35)
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
                seeds=_seeds_text(ex.pool, lang),
            ),
            x=0.01,
            ha="left",
            fontsize=11,
        )
    finish(fig, lang)
    return fig


def _band(ax, d: pd.DataFrame, series: str, colour: str, name: str | None = None) -> None:
    """Shade the 10–90% band of ``series`` over the seeds (nothing with one seed)."""
    lo, hi = d[f"{series}_p10"], d[f"{series}_p90"]
    if (hi - lo).abs().max() > 0:
        ax.fill_between(d["day"], lo, hi, color=colour, alpha=0.18, lw=0, label=name)


def _seeds_text(pool: ClassroomPool, lang: str) -> str:
    if pool.n_seeds == 1:
        return xlabel("one_seed", lang, seed=pool.seed)
    return xlabel("seeds", lang, n=pool.n_seeds)


def figure_png(fig: Figure) -> bytes:
    """The figure rendered as PNG bytes (what the widget shows)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


# --------------------------------------------------------------------------- widgets
#: CSS class of the explorer's outer box (the embedded font applies inside it)
CSS_CLASS = "lab-explorer"


def cjk_font_css(text: str, selector: str = f".{CSS_CLASS}", important: bool = False) -> str:
    """CSS that draws the CJK characters of ``text`` with the lab's embedded font.

    The packaged Noto Sans CJK SC face is subset to exactly the CJK characters of
    ``text`` (:func:`lab.report.fonts.subset_font`) and embedded as a ``data:`` URL
    with a ``unicode-range``, so the browser uses it for those characters only and
    loads nothing from the network; Latin text keeps the page's own fonts.

    Parameters
    ----------
    text : str
        Every text the view shows (labels, numbers, titles).
    selector : str
        CSS selector of the elements to style (their descendants too).
    important : bool
        Mark the family ``!important`` (to win over a UI framework's own fonts).

    Returns
    -------
    str
        A ``@font-face`` rule and the rule for ``selector``; "" if ``text`` has no
        CJK character.
    """
    from lab.report.fonts import page_characters, subset_font

    chars = page_characters(text, cjk_only=True)
    if not chars:
        return ""
    font = subset_font(chars, with_range=True)
    face = (
        f"@font-face{{font-family:'{font.family}';src:url({font.src}) format('{font.format}');"
        f"unicode-range:{font.unicode_range};font-display:block}}"
    )
    fallback = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
    flag = " !important" if important else ""
    return f"{face}\n{selector},{selector} *{{font-family:'{font.family}',{fallback}{flag}}}"


def label_text(lang: str) -> str:
    """Every label the explorer can show in ``lang`` (for the embedded font subset)."""
    i = ("en", "zh").index(check_lang(lang))
    templates = [pair[i] for pair in EXPLORER_LABELS.values()]  # {…} fields hold no CJK
    return " ".join([*templates, *(xlabel(m, lang) for m in METRICS), label("day", lang)])


#: range and step of each slider (the explorer widget and the classroom app share them)
SLIDERS: dict[str, dict[str, Any]] = {
    "discount_depth": {"kind": "float", "min": 0.0, "max": 0.6, "step": 0.05, "fmt": ".0%"},
    "discount_every_days": {"kind": "int", "min": 7, "max": 90, "step": 1},
    "messages_per_week": {"kind": "int", "min": 0, "max": 35, "step": 1},
    "membership_fee_cny": {"kind": "float", "min": 0.0, "max": 399.0, "step": 1.0, "fmt": ".0f"},
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
    executor : lab.parallel.LocalExecutor, optional
        Warm worker processes every update runs on (see :func:`explore`).  The caller
        keeps and closes them (best: ``with LocalExecutor(2) as pool:``), unless
        ``own_executor`` hands them to the explorer.
    own_executor : bool
        The explorer owns ``executor``: :meth:`close` stops its workers.  Default
        False: :meth:`close` leaves a pool it was given running, for its owner.

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
        executor: LocalExecutor | None = None,
        own_executor: bool = False,
    ) -> None:
        import ipywidgets as W

        self.executor = executor
        self.own_executor = bool(own_executor)
        self.lang = check_lang(lang)
        self.pool = pool or ClassroomPool()
        start = ExplorerParams.of(params)
        style = {"description_width": "12em"}
        layout = W.Layout(width="100%")  # full-width track: fine steps are easy to hit
        self.controls: dict[str, Any] = {}
        for name, spec in SLIDERS.items():
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
            layout=W.Layout(width="100%"),
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
        left = W.VBox(
            [*self.controls.values(), W.HBox([self.reset_button, self.status])],
            layout=W.Layout(flex="1 1 55%", min_width="22em"),
        )
        self.numbers.layout = W.Layout(flex="1 1 45%")
        css = cjk_font_css(label_text(lang)) if lang == "zh" else ""
        #: the embedded CJK font (a <style> element; empty in English)
        self.font = W.HTML(f"<style>{css}</style>" if css else "")
        self.widget = W.VBox(
            [
                self.font,
                W.HTML(f"<h3>{xlabel('title', lang)}</h3>"),
                W.HBox([left, self.numbers], layout=W.Layout(width="100%", flex_flow="row wrap")),
                self.image,
            ],
            layout=W.Layout(width="100%"),
        )
        self.widget.add_class(CSS_CLASS)
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
        ex = explore(p, pool=self.pool, lang=self.lang, figure=False, executor=self.executor)
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

    def close(self) -> None:
        """Stop the worker processes of the executor if the explorer owns it
        (``own_executor=True``); an executor it was only given is left to its owner.
        Later updates run in this process."""
        if self.executor is not None and self.own_executor:
            self.executor.close()
        self.executor = None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
