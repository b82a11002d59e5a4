"""RFM layering (RFM 用户分层): recency, frequency, monetary; eight classes; sizes over time.

On a day ``as_of`` every customer who has ordered by then is scored:

* recency ``R`` = days since their last order (最近一次消费);
* frequency ``F`` = orders in the ``window_days`` ending on ``as_of`` (消费频率);
* monetary ``M`` = amount paid in that window (消费金额).

Each is cut into high/low: R high if ``R <= recency_cut``, F high if
``F >= frequency_cut``, M high if ``M >= monetary_cut`` and ``F > 0``.  A cut is a
number or ``"median"``/``"mean"`` of the scored customers (F and M: of those who
bought in the window).  The defaults (30 days, 2 orders, median spend) are those of
the ``rfm_playbook`` strategy.  The eight classes (the glossary's terms: 保持 =
keep, 挽留 = retention) are:

==========================  =====  ==========
class                       R F M  中文
==========================  =====  ==========
important_value             + + +  重要价值
important_development       + - +  重要发展
important_keep              - + +  重要保持
important_retention         - - +  重要挽留
general_value               + + -  一般价值
general_development         + - -  一般发展
general_keep                - + -  一般保持
general_retention           - - -  一般挽留
==========================  =====  ==========

Pre-pool history (a stock-imported customer's platform orders) is not in the order
log and does not count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.orders import as_order_data
from lab.vocab import RFM_CLASS_TABLE

__all__ = ["RFM_CLASSES", "rfm_class_sizes", "rfm_table"]

#: (key, R high, F high, M high, 中文), in display order (defined in :mod:`lab.vocab`)
RFM_CLASSES: tuple[tuple[str, bool, bool, bool, str], ...] = RFM_CLASS_TABLE
_KEYS = [k for k, *_ in RFM_CLASSES]
_LUT = {(r, f, m): k for k, r, f, m, _ in RFM_CLASSES}

Cut = float | str


def _cut(values: pd.Series, cut: Cut, name: str) -> float:
    if isinstance(cut, str):
        if cut == "median":
            return float(values.median()) if len(values) else np.nan
        if cut == "mean":
            return float(values.mean()) if len(values) else np.nan
        raise ValueError(f"{name} must be a number, 'median' or 'mean', got {cut!r}")
    return float(cut)


def rfm_table(
    data,
    as_of_day: int | None = None,
    window_days: int = 90,
    recency_cut: Cut = 30,
    frequency_cut: Cut = 2,
    monetary_cut: Cut = "median",
    include_trial: bool = False,
) -> pd.DataFrame:
    """Score and classify every customer who has ordered by ``as_of_day``.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    as_of_day : int, optional
        Day of the classification (default: the last observed day).
    window_days : int
        Window for F and M, ending on ``as_of_day`` (inclusive).
    recency_cut, frequency_cut, monetary_cut : float or {"median", "mean"}
        High/low cuts, see the module docstring.
    include_trial : bool
        Count trial-product orders.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, recency_days, frequency, monetary, r_high, f_high, m_high,
        rfm_class`` (categorical in :data:`RFM_CLASSES` order); the cuts used are in
        ``.attrs["cuts"]``.
    """
    d = as_order_data(data)
    day = d.n_days - 1 if as_of_day is None else int(as_of_day)
    if window_days < 1:
        raise ValueError(f"window_days must be >= 1, got {window_days}")
    o = d.orders if include_trial else d.full_orders
    o = o[o["day"] <= day]
    last = o.groupby("customer_id")["day"].max()
    win = o[o["day"] > day - window_days].groupby("customer_id")["amount"].agg(["size", "sum"])
    t = pd.DataFrame({"customer_id": last.index, "recency_days": (day - last).to_numpy()})
    t["frequency"] = t["customer_id"].map(win["size"]).fillna(0).astype(np.int64).to_numpy()
    t["monetary"] = t["customer_id"].map(win["sum"]).fillna(0.0).to_numpy()
    buyers = t[t["frequency"] > 0]
    cuts = {
        "recency_days": _cut(t["recency_days"], recency_cut, "recency_cut"),
        "frequency": _cut(buyers["frequency"], frequency_cut, "frequency_cut"),
        "monetary": _cut(buyers["monetary"], monetary_cut, "monetary_cut"),
    }
    t["r_high"] = t["recency_days"] <= cuts["recency_days"]
    t["f_high"] = t["frequency"] >= cuts["frequency"]
    t["m_high"] = (t["monetary"] >= cuts["monetary"]) & (t["frequency"] > 0)
    keys = [_LUT[(r, f, m)] for r, f, m in zip(t["r_high"], t["f_high"], t["m_high"], strict=True)]
    t["rfm_class"] = pd.Categorical(keys, categories=_KEYS)
    t.attrs.update(cuts=cuts, as_of_day=day, window_days=window_days)
    return t.reset_index(drop=True)


def rfm_class_sizes(
    data,
    every_days: int = 30,
    window_days: int = 90,
    recency_cut: Cut = 30,
    frequency_cut: Cut = 2,
    monetary_cut: Cut = "median",
    include_trial: bool = False,
) -> pd.DataFrame:
    """Size of each RFM class every ``every_days`` days (the last observed day included).

    Returns
    -------
    pandas.DataFrame
        Long: ``day, rfm_class, customers, share`` (share of the customers
        classified that day).
    """
    if every_days < 1:
        raise ValueError(f"every_days must be >= 1, got {every_days}")
    d = as_order_data(data)
    days = list(range(every_days - 1, d.n_days, every_days))
    if not days or days[-1] != d.n_days - 1:
        days.append(d.n_days - 1)
    rows = []
    for day in days:
        t = rfm_table(d, day, window_days, recency_cut, frequency_cut, monetary_cut, include_trial)
        counts = t["rfm_class"].value_counts().reindex(_KEYS, fill_value=0)
        total = max(int(counts.sum()), 1)
        rows += [(day, k, int(n), n / total) for k, n in counts.items()]
    out = pd.DataFrame(rows, columns=["day", "rfm_class", "customers", "share"])
    out["rfm_class"] = pd.Categorical(out["rfm_class"], categories=_KEYS)
    return out
