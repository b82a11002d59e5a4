"""From an order log to the (x, t_x, T, monetary value) summary the BTYD models read.

The conventions are those of Fader, Hardie & Lee (2005) and the CDNOW data sets:

* orders are first collapsed **per customer per calendar day** (amounts summed): a
  "transaction" is a purchase day;
* ``frequency`` x = repeat transactions, purchase days after the first one, up to and
  including ``calibration_end``;
* ``recency`` t_x = time from the first purchase to the last one (0 when x = 0);
* ``T`` = time from the first purchase to ``calibration_end``;
* ``monetary_value`` = mean amount of the repeat purchase days (0 when x = 0): the
  first purchase is left out, as in the gamma–gamma model's published fits.

Times are ``days / time_unit_days`` (7 = weeks, the published CDNOW unit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["rfm_summary"]

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value", "first_purchase")


def rfm_summary(
    orders: pd.DataFrame,
    calibration_end,
    *,
    time_unit_days: float = 7.0,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    observation_start=None,
) -> pd.DataFrame:
    """Summarise an order log per customer for the BG/NBD, Pareto/NBD and gamma–gamma fits.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order, with a customer column, a date column (anything
        :func:`pandas.to_datetime` reads; times of day are dropped) and, unless
        ``amount_col`` is None, an amount column.
    calibration_end : date-like
        Last day of the calibration period (inclusive).  Orders after it are ignored.
    time_unit_days : float
        Days per unit of time of ``recency`` and ``T`` (7 = weeks).
    customer_col, date_col, amount_col : str
        Column names.  With ``amount_col=None`` monetary_value is 0 throughout.
    observation_start : date-like, optional
        First day the log covers.  Customers whose first order in the log falls
        before it are dropped: the models need the true first purchase.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id, one row per customer whose first purchase is on or
        before ``calibration_end`` (and on or after ``observation_start``), columns
        frequency (int), recency, T, monetary_value (floats) and first_purchase
        (Timestamp).  ``.attrs`` holds ``time_unit_days`` and ``calibration_end``.

    Raises
    ------
    ValueError
        Missing columns, unreadable dates or amounts, a non-positive time unit, or no
        customer left in the calibration period; the message names the column/value.
    """
    if not time_unit_days > 0:
        raise ValueError(f"time_unit_days must be > 0, got {time_unit_days!r}")
    cols = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    missing = [c for c in cols if c not in orders.columns]
    if missing:
        raise ValueError(f"order log lacks column(s) {missing}; it has {list(orders.columns)}")
    end = _day(calibration_end, "calibration_end")
    start = None if observation_start is None else _day(observation_start, "observation_start")
    day = _dates(orders[date_col], date_col)
    if day.isna().any():
        bad = orders.loc[day.isna(), date_col].iloc[0]
        raise ValueError(f"column {date_col!r}: missing date (first: {bad!r})")
    if amount_col is not None:
        amount = pd.to_numeric(orders[amount_col], errors="coerce")
        if amount.isna().any():
            bad = orders.loc[amount.isna(), amount_col].iloc[0]
            raise ValueError(f"column {amount_col!r}: non-numeric or missing amount {bad!r}")
    else:
        amount = pd.Series(0.0, index=orders.index)
    frame = pd.DataFrame(
        {"customer": orders[customer_col].to_numpy(), "day": day, "amount": amount}
    )
    frame = frame[frame["day"] <= end]
    daily = frame.groupby(["customer", "day"], sort=True)["amount"].sum().reset_index()
    g = daily.groupby("customer", sort=True)
    first = g["day"].min()
    last = g["day"].max()
    n_days = g.size()
    total = g["amount"].sum()
    first_amount = daily.drop_duplicates("customer", keep="first").set_index("customer")["amount"]
    out = pd.DataFrame(index=first.index)
    out.index.name = customer_col
    x = (n_days - 1).astype(np.int64)
    out["frequency"] = x
    out["recency"] = (last - first).dt.days / time_unit_days
    out["T"] = (end - first).dt.days / time_unit_days
    repeat_spend = total - first_amount.reindex(first.index)
    out["monetary_value"] = np.where(x > 0, repeat_spend / np.maximum(x, 1), 0.0)
    out["first_purchase"] = first
    if start is not None:
        out = out[out["first_purchase"] >= start]
    if out.empty:
        raise ValueError(
            f"no customer made a first purchase in the calibration period "
            f"({'' if start is None else f'{start.date()} to '}{end.date()})"
        )
    out.attrs["time_unit_days"] = float(time_unit_days)
    out.attrs["calibration_end"] = str(end.date())
    return out


def _day(value, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: cannot read {value!r} as a date") from exc
    if pd.isna(ts):
        raise ValueError(f"{name}: cannot read {value!r} as a date")
    return ts.normalize()


def _dates(col: pd.Series, name: str) -> pd.Series:
    """Calendar days of a date column; one format inferred, else each value on its own."""
    try:
        return pd.to_datetime(col).dt.normalize()
    except (ValueError, TypeError):
        pass
    try:
        return pd.to_datetime(col, format="mixed").dt.normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {name!r}: dates could not be read ({exc})") from exc
