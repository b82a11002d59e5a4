"""Calibration plots: fit diagnostics and back-test tracking (标定与回测)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lab.i18n import label
from lab.plots._style import PALETTE, finish, new_axes, styled

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_backtest", "plot_purchase_histogram"]


def plot_purchase_histogram(hist: pd.DataFrame, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Calibration-period repeat purchases per customer: actual vs model bars.

    Parameters
    ----------
    hist : pandas.DataFrame
        ``count`` (labels 0, 1, ..., "7+"), ``actual``, ``model`` (customers), as
        :meth:`lab.calibrate.scenario_out.Calibration.histogram` returns.
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
    """
    with styled(lang):
        ax = new_axes(ax)
        x = np.arange(len(hist))
        w = 0.4
        ax.bar(x - w / 2, hist["actual"], w, color=PALETTE[0], label=label("actual", lang))
        ax.bar(x + w / 2, hist["model"], w, color=PALETTE[1], label=label("model", lang))
        ax.set_xticks(x, [str(c) for c in hist["count"]])
        ax.set_xlabel(label("repeat_purchases", lang))
        ax.set_ylabel(label("customers_label", lang))
        ax.set_title(label("title_histogram", lang))
        ax.legend()
        finish(ax, lang)
    return ax


def plot_backtest(
    tracking: pd.DataFrame,
    kind: str = "weekly",
    ax: Axes | None = None,
    lang: str = "en",
    calibration_week: float | None = None,
    title: str | None = None,
) -> Axes:
    """Simulated vs actual repeat transactions per week (or cumulative), with bands.

    The simulated line is the mean over runs, as the back-test's table reports it.  With
    the lab's columns (``lab_mean``, ``lab_p10``, ...: the back-test's holdout with the
    calendar and regular timing) the line and bands are the lab's, the row ``lab
    (calendar + regular timing)`` of the table, and the plain BG/NBD simulation is a
    dotted line beside it; without them (the whole-period tracking) the plain
    simulation's, labelled as such.

    Parameters
    ----------
    tracking : pandas.DataFrame
        One row per week: ``week``, ``actual``, ``closed_form`` and the simulation's
        ``sim_mean, sim_p10, sim_p90, sim_p2_5, sim_p97_5`` (weekly) or the same with
        ``cum_`` in front of each (cumulative), as :mod:`lab.calibrate.backtest` makes,
        optionally the same with ``lab_`` for ``sim_``.
    kind : {"weekly", "cumulative"}
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    calibration_week : float, optional
        Draw a vertical line at the end of the calibration period.
    title : str, optional
        Title instead of the default (an i18n key or plain text).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if kind not in ("weekly", "cumulative"):
        raise ValueError(f"kind must be weekly or cumulative, got {kind!r}")
    pre = "" if kind == "weekly" else "cum_"
    lab = pre + "lab_mean" in tracking.columns  # the lab with calendar + regular timing
    main = "lab_" if lab else "sim_"
    with styled(lang):
        ax = new_axes(ax)
        w = tracking["week"]
        c = PALETTE[0]
        ax.fill_between(
            w, tracking[pre + main + "p2_5"], tracking[pre + main + "p97_5"], color=c,
            alpha=0.12, lw=0, label=label("band95", lang),
        )  # fmt: skip
        ax.fill_between(
            w, tracking[pre + main + "p10"], tracking[pre + main + "p90"], color=c, alpha=0.25,
            lw=0, label=label("band80", lang),
        )  # fmt: skip
        ax.plot(
            w, tracking[pre + main + "mean"], color=c, lw=1.6,
            label=label("lab_calendar" if lab else "lab_plain", lang),
        )  # fmt: skip
        if lab:
            ax.plot(
                w, tracking[pre + "sim_mean"], color=PALETTE[2], lw=1.2, ls=":",
                label=label("lab_plain", lang),
            )  # fmt: skip
        ax.plot(
            w, tracking[pre + "closed_form"], color=PALETTE[1], lw=1.4, ls="--",
            label=label("closed_form", lang),
        )  # fmt: skip
        ax.plot(w, tracking[pre + "actual"], color="black", lw=1.2, label=label("actual", lang))
        if calibration_week is not None:
            ax.axvline(calibration_week, color="#6b6b6b", lw=0.8, ls=":")
            ax.annotate(
                label("calibration_end", lang), (calibration_week, 1), xycoords=("data", "axes fraction"),
                ha="right", va="top", fontsize=8, color="#6b6b6b",
            )  # fmt: skip
        ax.set_xlabel(label("week", lang))
        key = "weekly_repeat" if kind == "weekly" else "cumulative_repeat"
        ax.set_ylabel(label(key, lang))
        default = "title_backtest_weekly" if kind == "weekly" else "title_backtest_cum"
        ax.set_title(label(title or default, lang))
        ax.legend()
        finish(ax, lang)
    return ax
