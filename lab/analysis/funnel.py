"""The funnel in the seeds' terms: traffic in → operated → converted → fission → repurchase.

=================  ========  ===========================================================
stage              中文      customers counted
=================  ========  ===========================================================
traffic_in         引流      added to the pool (every row of the customers table)
operated           运营      reached by operations: a ``contacts_received > 0`` column
                             when the customers table has one, else still reachable
                             (never blocked the brand); unknown (NaN) for a bare order log
converted          转化      placed a first order in the pool (trial orders count)
fission            裂变      brought at least one friend into the pool
repurchase         回购      placed a second full order in the pool
=================  ========  ===========================================================

``rate`` is each stage's count over the stage named in ``of``: operated over traffic
in, converted over operated (over traffic in when operated is unknown), and fission
and repurchase both over converted, because they are the two things a buyer goes on
to do (a customer can invite friends without repurchasing, so the stages after
conversion are not nested).  ``share_of_traffic`` is over traffic in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.orders import as_order_data

__all__ = ["FUNNEL_STAGES", "funnel"]

FUNNEL_STAGES: tuple[str, ...] = ("traffic_in", "operated", "converted", "fission", "repurchase")
#: stage -> the stage its rate is measured over
_BASE = {
    "traffic_in": None,
    "operated": "traffic_in",
    "converted": "operated",
    "fission": "converted",
    "repurchase": "converted",
}


def funnel(data, by: str | None = None) -> pd.DataFrame:
    """Counts and rates of each funnel stage, overall or per group.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    by : str, optional
        ``"channel"``, ``"segment"`` or ``"cohort"``.

    Returns
    -------
    pandas.DataFrame
        Long: (``group``,) ``stage``, ``customers``, ``of`` (the base stage of
        ``rate``), ``rate``, ``share_of_traffic``.
    """
    d = as_order_data(data)
    c = d.customers
    n_any = d.orders.groupby("customer_id").size()
    n_full = d.full_orders.groupby("customer_id").size()
    ids = c["customer_id"]
    flags = pd.DataFrame({"traffic_in": np.ones(len(c), dtype=bool)}, index=c.index)
    if "contacts_received" in c.columns:
        flags["operated"] = c["contacts_received"].to_numpy() > 0
    elif d.has_blocks:
        flags["operated"] = ~np.isfinite(c["block_day"].to_numpy())
    else:
        flags["operated"] = np.nan
    flags["converted"] = ids.map(n_any).fillna(0).to_numpy() >= 1
    if "referrer" in c.columns:
        inviters = set(c.loc[c["referrer"] >= 0, "referrer"].astype(np.int64))
        flags["fission"] = ids.isin(inviters).to_numpy()
    else:
        flags["fission"] = np.nan
    flags["repurchase"] = ids.map(n_full).fillna(0).to_numpy() >= 2
    key = c[by].astype(str) if by else pd.Series("all", index=c.index)
    rows = []
    for g, part in flags.groupby(key, sort=True):
        n = {s: float(part[s].sum()) if part[s].notna().all() else np.nan for s in FUNNEL_STAGES}
        of = dict(_BASE)
        if not np.isfinite(n["operated"]):
            of["converted"] = "traffic_in"
        for stage in FUNNEL_STAGES:
            base = n[of[stage]] if of[stage] else n["traffic_in"]
            rate = n[stage] / base if base else np.nan
            share = n[stage] / n["traffic_in"] if n["traffic_in"] else np.nan
            rows.append((g, stage, n[stage], of[stage] or "", rate, share))
    cols = ["group", "stage", "customers", "of", "rate", "share_of_traffic"]
    out = pd.DataFrame(rows, columns=cols)
    return out if by else out.drop(columns="group")
