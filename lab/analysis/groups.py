"""Community-group health (社群健康): lifetimes of groups and their members' orders.

Needs a run with a ``community_groups`` strategy (its ``groups`` and
``group_members`` tables, see :class:`lab.RunResult`); real order logs carry no
group membership.

Lifetime
    ``died_day - created_day`` for groups that went quiet (死群); NaN for groups
    still active at the end of the run.

Members' orders per member-month
    Orders placed by a group's members (everyone who joined it, including those
    who later left) per 30 member-days, separately over the days the group was
    active (from each member's joining day) and the days after it went quiet.  Comparing the two
    shows what a dead group costs, though the pool's make-up drifts over a run; the
    paired comparison with another calendar on the same seed is the clean one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from lab.results import RunResult

__all__ = ["group_health_summary"]

_COLUMNS = [
    "group", "community", "created_day", "died_day", "lifetime_days", "members",
    "peak_members", "mean_ad_share", "mean_activity", "orders_per_member_month_active",
    "orders_per_member_month_quiet",
]  # fmt: skip


def group_health_summary(result: RunResult) -> pd.DataFrame:
    """One row per group: when it opened and died, its health, its members' orders.

    Parameters
    ----------
    result : lab.RunResult
        A run with a ``community_groups`` strategy.

    Returns
    -------
    pandas.DataFrame
        Columns: group, community, created_day, died_day (NaN while active),
        lifetime_days, members (at the end), peak_members, mean_ad_share and
        mean_activity (over its active days), orders_per_member_month_active,
        orders_per_member_month_quiet (NaN when the group never went quiet).

    Raises
    ------
    ValueError
        If the run had no community groups.
    """
    g = result.groups
    if g.empty:
        raise ValueError("the run has no community groups; add a community_groups strategy")
    last_day = int(g["day"].max())
    alive = g[g["status"] == "active"]
    rows = g.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "community": rows["community"].first(),
            "created_day": rows["created_day"].first(),
            "members": rows["members"].last(),
            "peak_members": rows["members"].max(),
            "mean_ad_share": alive.groupby("group")["ad_share"].mean(),
            "mean_activity": alive.groupby("group")["activity"].mean(),
        }
    )
    died = g[g["status"] == "quiet"].groupby("group")["died_day"].first()
    out["died_day"] = died.reindex(out.index).astype(float)
    out["lifetime_days"] = out["died_day"] - out["created_day"]
    members = result.extra_tables["group_members"]
    end = out["died_day"].fillna(last_day + 1)  # first day the group no longer works
    m_group = members["group"].to_numpy()
    m_join = members["joined_day"].to_numpy()
    m_end = end.reindex(m_group).to_numpy()
    # member-days: from joining to the group's death, and from its death to the run's end
    spans = {
        "active": pd.Series(np.maximum(m_end - m_join, 0)).groupby(m_group).sum(),
        "quiet": pd.Series(last_day + 1 - m_end).groupby(m_group).sum(),
    }
    tx = result.transactions[["customer_id", "day"]].merge(
        members[["customer_id", "group", "joined_day"]], on="customer_id"
    )
    t_day = tx["day"].to_numpy()
    t_end = end.reindex(tx["group"]).to_numpy()
    in_state = {
        "active": (t_day >= tx["joined_day"].to_numpy()) & (t_day < t_end),
        "quiet": t_day >= t_end,
    }
    for name, mask in in_state.items():
        orders = tx[mask].groupby("group").size().reindex(out.index).fillna(0)
        member_days = spans[name].reindex(out.index).fillna(0)
        out[f"orders_per_member_month_{name}"] = (
            30.0 * orders / member_days.where(member_days > 0)
        ).astype(float)
    out.loc[out["died_day"].isna(), "orders_per_member_month_quiet"] = np.nan
    return out.reset_index()[_COLUMNS]
