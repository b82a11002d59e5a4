"""The vectorised engine agrees in distribution with an idiomatic per-agent Mesa model.

``benchmarks/mesa_reference.py`` writes the same customer mechanics as one
``mesa.Agent`` per customer, in plain Python, with its own random numbers (the Mesa
model's seeded generators instead of the lab's counter-based streams).  The two can
therefore only agree statistically: over a few seeds each, the mean of every
checked total must differ by less than a few standard errors of the difference.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd

import lab

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "mesa_reference.py"
_spec = importlib.util.spec_from_file_location("mesa_reference", _PATH)
mesa_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mesa_reference)

#: seeds per engine; fixed, so the test is deterministic (it passes or fails every time)
SEEDS_LAB = range(8)
SEEDS_REFERENCE = range(100, 108)
#: allowed |difference of means| in standard errors of that difference
Z_MAX = 4.0

# ~2000 customers on day 0, growing to ~3000 over 150 days; trials, a big sale, a
# contact plan with stage-dependent reach and referred customers (their bond to the
# referrer and fading boost, at the defaults) exercise every branch of the daily step.
SCENARIO = lab.Scenario(
    name="mesa-oracle",
    days=150,
    acquisition={
        "stock_import": {"total_customers": 2000, "customers_per_day": 2000},
        "paid": {"daily_budget_cny": 300.0},
        "staff_invite": {"staff": 2, "invites_per_staff_per_day": 1.0},
    },
    first_order={"trial": {"enabled": True}},
    strategies=[
        {
            "type": "discount_cadence",
            "every_days": 30,
            "first_day": 7,
            "duration_days": 3,
            "depth": 0.2,
            "big_sales": [{"name": "member day", "day": 60, "duration_days": 2, "depth": 0.35}],
        },
        {
            "type": "contact_plan",
            "touchpoint": "group",
            "reach": 0.6,
            "stage_frequency": {"silent": 0.8, "sleeping": 0.5, "churned": 0.2},
        },
    ],
)


def _totals(daily: pd.DataFrame) -> dict[str, float]:
    """Run totals of the daily KPIs, plus the end-of-run stock figures."""
    sums = daily[
        [
            "orders",
            "gmv",
            "new_blocks",
            "dropouts",
            "referred",
            "trial_orders",
            "first_orders",
            "contacts",
        ]
    ].sum()
    last = daily.iloc[-1]
    return {
        **sums.to_dict(),
        "active_at_end": last["active"],
        "customers_at_end": last["customers"],
    }


def test_engine_matches_mesa_reference_in_distribution() -> None:
    engine = pd.DataFrame([_totals(lab.run(SCENARIO, seed=s).daily) for s in SEEDS_LAB])
    reference = pd.DataFrame(
        [_totals(mesa_reference.run_reference(SCENARIO, seed=s)) for s in SEEDS_REFERENCE]
    )
    assert engine["trial_orders"].sum() > 0 and engine["new_blocks"].sum() > 0  # branches used

    # Tolerance: the standard error of the difference of two independent sample means,
    # se = sqrt(s_lab^2 / n_lab + s_ref^2 / n_ref), from the observed seed-to-seed spread.
    # With 8 seeds a side the studentised difference has ~14 degrees of freedom, for
    # which P(|t| > 4) ~ 0.13 %, so 4 standard errors keeps false alarms over the ten
    # totals near 1 % while still catching a mechanism that is off by a few percent
    # (e.g. order counts: seed spread ~4 %, so se ~2 % of the mean, tolerance ~8 %).
    # The seeds are fixed, so the verdict does not change from one run to the next.
    rows = []
    for name in engine.columns:
        a, b = engine[name].to_numpy(), reference[name].to_numpy()
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        diff = a.mean() - b.mean()
        z = diff / se if se > 0 else (0.0 if diff == 0 else math.inf)
        rows.append((name, a.mean(), b.mean(), se, z))
    table = pd.DataFrame(rows, columns=["kpi", "engine", "reference", "se", "z"])
    bad = table[np.abs(table["z"]) > Z_MAX]
    assert bad.empty, f"engine and Mesa reference disagree:\n{table.to_string()}"
