"""Pure plotting functions: ``plot_x(data, ax=None, lang="en") -> matplotlib Axes``.

One house style (:mod:`lab.plots._style`); labels in English or Chinese
(``lang="zh"``, terms from the project glossary via :mod:`lab.i18n`).  Importing
this module registers the CJK font shipped by the ``noto-cjk-sans-otc`` package
with matplotlib's font manager.  No function opens a window: save the figure
(``ax.figure.savefig(path)``) or let a notebook display it.
"""

from __future__ import annotations

from lab.plots._style import (
    PALETTE,
    cjk_font_path,
    house_rc,
    register_cjk_font,
    use_cjk_font,
)
from lab.plots.compare import plot_forest
from lab.plots.customers import (
    plot_cohort_retention,
    plot_funnel,
    plot_ltv_distribution,
    plot_rfm_grid,
)
from lab.plots.experiments import plot_optimization_history, plot_sensitivity
from lab.plots.groups import plot_group_health
from lab.plots.referral import plot_market_reach, plot_referral_cascade
from lab.plots.robustness import (
    plot_robustness,
    plot_robustness_share,
    plot_robustness_tornado,
)
from lab.plots.series import plot_fatigue, plot_kpi, plot_survival

register_cjk_font()

__all__ = [
    "PALETTE",
    "cjk_font_path",
    "house_rc",
    "plot_cohort_retention",
    "plot_fatigue",
    "plot_forest",
    "plot_funnel",
    "plot_group_health",
    "plot_kpi",
    "plot_ltv_distribution",
    "plot_market_reach",
    "plot_optimization_history",
    "plot_referral_cascade",
    "plot_rfm_grid",
    "plot_robustness",
    "plot_robustness_share",
    "plot_robustness_tornado",
    "plot_sensitivity",
    "plot_survival",
    "register_cjk_font",
    "use_cjk_font",
]
