"""One simulated year for the classroom app, ready to be played back day by day.

The app does not step a model live: it runs the year once per setting of the
levers (about a second for the classroom pool) and then *plays it back*, showing
day ``d`` of the stored run.  So play, pause, step and the day slider cost only a
redraw, and moving back in time is exact.  Everything here is pure (no Solara):

* :func:`simulate_year` runs one seed of the explorer's scenario
  (:func:`lab.explorer.classroom_scenario`) and keeps what the app shows: the pool
  by lifecycle stage each day, running totals, and who invited whom;
* :func:`snapshot` gives the numbers on one day;
* :func:`cascade_layout` lays the largest referral trees out for drawing, with the
  day each customer joined on the x axis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from lab.explorer import ClassroomPool, ExplorerParams, classroom_scenario
from lab.vocab import STAGES

__all__ = ["SNAPSHOT_KEYS", "Year", "cascade_layout", "simulate_year", "snapshot"]

#: numbers shown for the day on screen, in order
SNAPSHOT_KEYS: tuple[str, ...] = (
    "customers",
    "active",
    "cum_gmv",
    "cum_net_margin",
    "blocked_total",
    "cum_referred",
)


@dataclass(frozen=True)
class Year:
    """A stored run to play back.

    Attributes
    ----------
    params : ExplorerParams
        The lever settings.
    pool : ClassroomPool
        Pool size and length.
    seed : int
        The run's seed.
    start_date : datetime.date
        Calendar date of day 0.
    daily : pandas.DataFrame
        One row per day: ``day``, the stage counts (:data:`lab.vocab.STAGES`:
        prospect, active, silent, sleeping, churned), ``customers``,
        ``blocked_total``, ``cum_gmv``, ``cum_net_margin``, ``cum_referred``.
    invites : pandas.DataFrame
        One row per customer who joined by referral: ``customer``, ``referrer``,
        ``day`` (joined), ``root`` (first inviter of the chain) and ``depth``.
    joined : pandas.Series
        Day each customer of a referral tree joined (index: customer id; roots
        included, -1 for customers who were in the pool before day 0).
    """

    params: ExplorerParams
    pool: ClassroomPool
    seed: int
    start_date: dt.date
    daily: pd.DataFrame
    invites: pd.DataFrame
    joined: pd.Series

    @property
    def days(self) -> int:
        """Number of days in the run."""
        return len(self.daily)

    def date(self, day: int) -> dt.date:
        """Calendar date of ``day``."""
        return self.start_date + dt.timedelta(days=int(day))


@lru_cache(maxsize=16)
def simulate_year(
    params: ExplorerParams | None = None, pool: ClassroomPool | None = None, seed: int | None = None
) -> Year:
    """Run the explorer's scenario for ``params`` once and keep what the app plays back.

    Parameters
    ----------
    params : ExplorerParams, optional
        Lever settings (default: the defaults).
    pool : ClassroomPool, optional
        Pool size and length (default: about 4 000 customers, 365 days).
    seed : int, optional
        Seed (default: the pool's first seed).

    Returns
    -------
    Year
    """
    from lab.api import run

    params = ExplorerParams.of(params)
    pool = pool or ClassroomPool()
    seed = pool.seed if seed is None else int(seed)
    scenario = classroom_scenario(params, pool)
    res = run(scenario, seed=seed, days=pool.days)
    d = res.daily
    daily = pd.DataFrame({"day": d["day"].to_numpy()})
    for stage in STAGES:
        daily[stage] = d[stage].to_numpy()
    daily["customers"] = d["customers"].to_numpy()
    daily["blocked_total"] = d["blocked_total"].to_numpy()
    daily["cum_gmv"] = d["gmv"].cumsum().to_numpy()
    daily["cum_net_margin"] = d["net_margin"].cumsum().to_numpy()
    daily["cum_referred"] = d["referred"].cumsum().to_numpy()
    c = res.customers
    invited = c[c["referrer"] >= 0]
    invites = pd.DataFrame(
        {
            "customer": invited["customer_id"].to_numpy(),
            "referrer": invited["referrer"].to_numpy(),
            "day": invited["cohort_day"].to_numpy(),
            "root": invited["root"].to_numpy(),
            "depth": invited["referral_depth"].to_numpy(),
        }
    )
    in_trees = np.union1d(invites["customer"], invites["referrer"]).astype(np.int64)
    joined = pd.Series(
        c.set_index("customer_id").loc[in_trees, "cohort_day"].to_numpy(), index=in_trees
    )
    return Year(params, pool, seed, scenario.start_date, daily, invites, joined)


def snapshot(year: Year, day: int) -> dict[str, float]:
    """The numbers of ``day`` (clipped to the run): pool, stages, running totals.

    Parameters
    ----------
    year : Year
    day : int

    Returns
    -------
    dict
        :data:`SNAPSHOT_KEYS` and every stage, plus ``day``.
    """
    day = int(np.clip(day, 0, year.days - 1))
    row = year.daily.iloc[day]
    out = {k: float(row[k]) for k in (*SNAPSHOT_KEYS, *STAGES)}
    out["day"] = day
    return out


def cascade_layout(year: Year, day: int, max_trees: int = 8) -> pd.DataFrame:
    """Positions of the largest referral trees as they stood on ``day``.

    The trees are the ``max_trees`` largest at the end of the run (so the picture
    does not reshuffle while playing); a customer appears once they have joined.
    x is the day a customer joined (0 for those in the pool before day 0), y
    a lane: each tree gets a block of lanes, its leaves one lane each in depth-first
    order and an inviter the mean lane of its invitees.

    Parameters
    ----------
    year : Year
    day : int
        Show customers who joined on or before this day.
    max_trees : int
        Number of trees drawn.

    Returns
    -------
    pandas.DataFrame
        One row per shown customer: ``customer``, ``parent`` (-1 for a root),
        ``root``, ``depth``, ``x``, ``y``; empty when no referral has happened.
    """
    cols = ["customer", "parent", "root", "depth", "x", "y"]
    inv = year.invites
    if inv.empty:
        return pd.DataFrame(columns=cols)
    largest = inv["root"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    roots = largest.index[:max_trees].to_numpy()
    children: dict[int, list[int]] = {}
    for child, parent in zip(inv["customer"], inv["referrer"], strict=True):
        children.setdefault(int(parent), []).append(int(child))
    depth_of = dict(zip(inv["customer"].astype(int), inv["depth"].astype(int), strict=True))
    rows: list[tuple[int, int, int, int, float, float]] = []
    lane = 0.0
    for root in roots:
        order, y_of, lane = _tree_lanes(int(root), children, lane)
        lane += 0.8  # a gap between trees
        for node, parent in order:
            joined = int(year.joined.get(node, -1))
            if joined <= day:
                rows.append(
                    (node, parent, int(root), depth_of.get(node, 0), max(joined, 0), y_of[node])
                )
    return pd.DataFrame(rows, columns=cols)


def _tree_lanes(
    root: int, children: dict[int, list[int]], lane: float
) -> tuple[list[tuple[int, int]], dict[int, float], float]:
    """Depth-first lanes of one tree from ``lane`` on: leaves one each, inviters the mean.

    Returns the (customer, parent) pairs with parents first, each customer's lane,
    and the next free lane.
    """
    order: list[tuple[int, int]] = []
    y_of: dict[int, float] = {}
    stack: list[tuple[int, int, bool]] = [(root, -1, False)]
    while stack:  # iterative post-order: deep chains do not hit the recursion limit
        node, parent, done = stack.pop()
        kids = sorted(children.get(node, []))
        if done:
            y_of[node] = float(np.mean([y_of[k] for k in kids]))
            continue
        order.append((node, parent))
        if not kids:
            y_of[node] = lane
            lane += 1.0
            continue
        stack.append((node, parent, True))
        stack.extend((k, node, False) for k in reversed(kids))
    return order, y_of, lane
