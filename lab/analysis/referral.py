"""Referral trees (裂变树), K-factor over time, KOC reach and market reached.

Every customer belongs to one referral tree: a customer nobody invited is the root
of their own tree (depth 0); an invitee sits one level below their inviter.  From
the customers table (``customer_id``, ``referrer``; ``channel`` and ``start_day``
when known) these functions give:

* :func:`referral_tree` - root and depth of every customer;
* :func:`referral_trees` - one row per tree: root, its channel, size, depth;
* :func:`k_factor_by_period` - K-factor over time, two ways (see there);
* :func:`koc_reach` - how much of the fission flows through seed customers (KOC);
* :func:`market_reach` - share of a finite market reached, day by day;
* :func:`bass_cumulative` - the Bass (1969) curve to compare it with.

A run's customers table already carries ``root`` and ``referral_depth``; a real
log with a ``referrer`` column gets them computed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lab.analysis.orders import as_order_data

if TYPE_CHECKING:  # pragma: no cover
    from lab.analysis.orders import OrderData
    from lab.results import RunResult

__all__ = [
    "bass_cumulative",
    "k_factor_by_period",
    "koc_reach",
    "market_reach",
    "referral_tree",
    "referral_trees",
]

#: channel of seed customers (KOC) in a run
SEED_CHANNEL = "seed"


def referral_tree(data: RunResult | OrderData | pd.DataFrame | str | Path) -> pd.DataFrame:
    """Every customer with the root and depth of their referral tree.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
        Customers need ``referrer`` (the inviter's ``customer_id``, -1 or NaN if none).

    Returns
    -------
    pandas.DataFrame
        ``customer_id, referrer, root, depth, channel, start_day`` (the last two when
        known), in the customers' order.
    """
    from lab.results import referral_roots

    d = as_order_data(data)
    c = d.customers
    if "referrer" not in c.columns:
        raise ValueError(
            f"{d.source}: referral trees need a customers table with a 'referrer' column"
        )
    ids = c["customer_id"].to_numpy()
    ref = pd.to_numeric(c["referrer"], errors="coerce").fillna(-1).to_numpy()
    pos = pd.Series(np.arange(ids.size), index=ids)
    known = np.isin(ref, ids)
    parent = np.full(ids.size, -1, dtype=np.int64)
    parent[known] = pos.loc[ref[known]].to_numpy()
    root_pos, depth = referral_roots(parent)
    out = pd.DataFrame(
        {
            "customer_id": ids,
            "referrer": np.where(known, ref, -1).astype(np.int64),
            "root": ids[root_pos],
            "depth": depth,
        }
    )
    for col in ("channel", "start_day"):
        if col in c.columns:
            out[col] = c[col].to_numpy()
    return out


def _tree(data) -> pd.DataFrame:
    """``data`` if it already is a :func:`referral_tree` frame, else its tree."""
    if isinstance(data, pd.DataFrame) and {"root", "depth", "referrer"} <= set(data.columns):
        return data
    return referral_tree(data)


def referral_trees(
    data: RunResult | OrderData | pd.DataFrame | str | Path, min_size: int = 2
) -> pd.DataFrame:
    """One row per referral tree: who started it, how big and deep it grew.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData, or a :func:`referral_tree` frame
    min_size : int
        Smallest tree kept (2 = roots who brought at least one friend).

    Returns
    -------
    pandas.DataFrame
        ``root, root_channel, size`` (customers in the tree, root included),
        ``invited`` (size - 1), ``depth`` (deepest level), ``direct`` (friends the
        root brought), sorted by size, largest first.
    """
    t = _tree(data)
    size = t.groupby("root").size()
    deepest = t.groupby("root")["depth"].max()
    direct = t.loc[t["referrer"] >= 0].groupby("referrer").size()
    out = pd.DataFrame({"root": size.index, "size": size.to_numpy()})
    out["invited"] = out["size"] - 1
    out["depth"] = out["root"].map(deepest).to_numpy()
    out["direct"] = out["root"].map(direct).fillna(0).astype(np.int64).to_numpy()
    if "channel" in t.columns:
        ch = t.set_index("customer_id")["channel"].astype(str)
        out.insert(1, "root_channel", out["root"].map(ch).to_numpy())
    out = out[out["size"] >= min_size]
    return out.sort_values(["size", "root"], ascending=[False, True]).reset_index(drop=True)


def k_factor_by_period(
    data: RunResult | OrderData | pd.DataFrame | str | Path, period_days: int = 7
) -> pd.DataFrame:
    """K-factor (裂变系数) over time, per period of ``period_days``.

    Two readings, both from actual joins (not invitations):

    * ``k_period`` = friends who joined in the period / customers in the pool at
      its start: the pool's referral yield per customer over that period;
    * ``k_cohort`` = friends eventually brought by the customers who joined in the
      period, per customer: the generation K-factor of that cohort (recent cohorts
      have had less time to invite, so it is censored towards the end).

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
        Customers need ``referrer`` and ``start_day``.
    period_days : int

    Returns
    -------
    pandas.DataFrame
        ``period, first_day, customers_at_start, new_customers, referred, k_period,
        cohort_customers, k_cohort`` and, for a run, ``invitations`` (sent in the
        period, with a market).
    """
    if period_days < 1:
        raise ValueError(f"period_days must be >= 1, got {period_days}")
    d = as_order_data(data)
    t = referral_tree(d)
    start = t["start_day"].to_numpy().astype(np.int64)
    n_periods = int(max(d.n_days, start.max() + 1 if start.size else 1) - 1) // period_days + 1
    period = start // period_days
    new = np.bincount(period, minlength=n_periods)
    referred = np.bincount(period[t["referrer"].to_numpy() >= 0], minlength=n_periods)
    at_start = np.concatenate([[0], np.cumsum(new)[:-1]])
    brought = t.loc[t["referrer"] >= 0].groupby("referrer").size()
    kids = t["customer_id"].map(brought).fillna(0).to_numpy()
    cohort_kids = np.bincount(period, weights=kids, minlength=n_periods)
    out = pd.DataFrame(
        {
            "period": np.arange(n_periods),
            "first_day": np.arange(n_periods) * period_days,
            "customers_at_start": at_start,
            "new_customers": new,
            "referred": referred,
            "k_period": np.divide(
                referred, at_start, out=np.full(n_periods, np.nan), where=at_start > 0
            ),
            "cohort_customers": new,
            "k_cohort": np.divide(cohort_kids, new, out=np.full(n_periods, np.nan), where=new > 0),
        }
    )
    if d.daily is not None and "invitations" in d.daily.columns:
        inv = d.daily["invitations"].to_numpy()
        out["invitations"] = np.bincount(
            np.arange(inv.size) // period_days, weights=inv, minlength=n_periods
        )[:n_periods]
    out.attrs["period_days"] = period_days
    return out


def koc_reach(
    data: RunResult | OrderData | pd.DataFrame | str | Path, seeds: ArrayLike | None = None
) -> dict[str, float]:
    """How much of the fission flows through seed customers (种子用户 / KOC).

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    seeds : array-like, optional
        ``customer_id`` of the seeds; default: customers of the ``seed`` channel.

    Returns
    -------
    dict
        ``seeds``, ``customers``, ``referred`` (all referral joins),
        ``referred_in_seed_trees`` (joins whose tree root is a seed),
        ``referred_by_seeds`` (invited directly by a seed), ``share_of_customers``
        (seeds / customers), ``share_of_referred`` (in seed trees / referred),
        ``share_direct`` and ``referred_per_seed`` vs ``referred_per_other_root``
        (referral joins per tree root, seeds vs every other customer).
    """
    t = referral_tree(data)
    if seeds is None:
        if "channel" not in t.columns:
            raise ValueError("pass seeds=<customer ids>: no channel column to find them")
        seeds = t.loc[t["channel"].astype(str) == SEED_CHANNEL, "customer_id"]
    seed_ids = np.asarray(seeds)
    is_ref = t["referrer"].to_numpy() >= 0
    in_seed_tree = np.isin(t["root"].to_numpy(), seed_ids) & is_ref
    direct = np.isin(t["referrer"].to_numpy(), seed_ids) & is_ref
    n, n_ref, n_seed = len(t), int(is_ref.sum()), int(seed_ids.size)
    other_roots = int((~is_ref).sum()) - n_seed

    def ratio(a, b):
        return a / b if b else np.nan

    return {
        "seeds": float(n_seed),
        "customers": float(n),
        "referred": float(n_ref),
        "referred_in_seed_trees": float(in_seed_tree.sum()),
        "referred_by_seeds": float(direct.sum()),
        "share_of_customers": ratio(n_seed, n),
        "share_of_referred": ratio(float(in_seed_tree.sum()), n_ref),
        "share_direct": ratio(float(direct.sum()), n_ref),
        "referred_per_seed": ratio(float(in_seed_tree.sum()), n_seed),
        "referred_per_other_root": ratio(float(n_ref - in_seed_tree.sum()), other_roots),
    }


def market_reach(result: RunResult) -> pd.DataFrame:
    """Share of a finite market reached, day by day.

    Parameters
    ----------
    result : RunResult
        A run with ``market.size`` set.

    Returns
    -------
    pandas.DataFrame
        ``day, customers, market_remaining, share_reached, new_referral,
        new_organic`` (``attrs["market_size"]`` holds the size).
    """
    size = result.scenario.market.size
    if size is None:
        raise ValueError(
            f"scenario {result.scenario.name!r} declares no finite market (market.size)"
        )
    d = result.daily
    out = d[["day", "customers", "market_remaining", "new_referral", "new_organic"]].copy()
    out.insert(3, "share_reached", d["market_reached_share"].to_numpy())
    out.attrs["market_size"] = size
    return out.reset_index(drop=True)


def bass_cumulative(t: ArrayLike, p: float, q: float) -> np.ndarray:
    """Bass (1969) share of the market adopted by time ``t``.

    ``F(t) = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t))`` with ``p`` the
    external (innovation) rate and ``q`` the imitation rate, both per day.  In the
    lab, ``p = market.external_adoption_per_day`` and ``q = word_of_mouth_per_day x
    acceptance`` on a well-mixed market.
    """
    if p <= 0:
        raise ValueError(f"p must be > 0, got {p}")
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1 - e) / (1 + q / p * e)
