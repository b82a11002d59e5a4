"""Schemas of result tables that a strategy fills and the results must show even when empty.

Below both the strategies (which build the tables) and :mod:`lab.results` (which shows
an empty one for runs without the strategy), so neither imports the other.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["GROUP_COLUMNS", "empty_groups_table"]

#: columns of the daily group-health table (``RunResult.groups``)
GROUP_COLUMNS: tuple[str, ...] = (
    "day", "group", "community", "members", "activity", "ad_share", "posts", "ads", "status",
    "created_day", "died_day",
)  # fmt: skip


def empty_groups_table() -> pd.DataFrame:
    """A group-health table with no rows (runs without community groups)."""
    df = pd.DataFrame({c: pd.Series(dtype="int64") for c in GROUP_COLUMNS})
    df["activity"] = df["activity"].astype(float)
    df["ad_share"] = df["ad_share"].astype(float)
    df["status"] = pd.Categorical([], categories=["active", "quiet"])
    return df
