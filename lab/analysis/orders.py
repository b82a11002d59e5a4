"""Order logs: validate and normalise a simulated result or a real export into one shape.

Every metric in :mod:`lab.analysis` accepts the same inputs and turns them into an
:class:`OrderData` with :func:`as_order_data`:

* a :class:`lab.RunResult` (its ``transactions``, ``customers`` and ``daily`` tables);
* a pandas DataFrame shaped like an order export;
* a path to such an export (CSV, or parquet), e.g. the ``transactions.csv`` that
  ``lab run`` writes or a real shop's order history;
* an :class:`OrderData` (returned unchanged).

An order log needs ``customer_id``, ``date`` and ``amount`` (paid, after discount).
``list_price`` (before discount), ``discount``, ``channel`` (acquisition channel),
``is_trial`` and ``cost`` (cost of goods) are optional: a missing ``list_price`` is
``amount + discount``, a missing ``discount`` is ``list_price - amount`` (or 0),
``channel`` defaults to ``"unknown"``, ``is_trial`` to False.  Every problem found
is reported at once, naming the file (or ``<DataFrame>``), the column and a value.

Time is counted in whole days from ``start_date`` (day 0): the run's start for a
simulation, the first order's date for a real log unless given.  The observation
covers days ``0 .. n_days - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lab.params import ProblemsError

__all__ = ["OrderData", "OrderLogError", "as_order_data", "read_order_log"]

REQUIRED = ("customer_id", "date", "amount")
OPTIONAL = ("list_price", "discount", "channel", "is_trial", "cost")


class OrderLogError(ProblemsError):
    """Every problem found in an order log or customer table, each naming source and column."""

    subject = "the order data"

    def __init__(self, problems: list[str], source: str = "<DataFrame>") -> None:
        super().__init__(problems, source)


@dataclass(frozen=True)
class OrderData:
    """An order log and its customers in the normalised shape every metric reads.

    Attributes
    ----------
    orders : pandas.DataFrame
        One row per order: ``customer_id``, ``date``, ``day``, ``amount``,
        ``list_price``, ``discount``, ``channel``, ``is_trial``, ``on_discount``
        (``discount > 0``), and ``cost`` when known.
    customers : pandas.DataFrame
        One row per customer: ``customer_id``, ``channel``, ``segment``,
        ``start_day`` (joining day; the first order's day for a real log without
        join dates), ``cohort`` (label of the start month by default),
        ``first_order_day`` (NaN if never), ``block_day`` (NaN if never or unknown),
        and whatever else the source table carried (``referrer``, ``prior_orders`` ...).
    start_date : pandas.Timestamp
        Calendar date of day 0.
    n_days : int
        Days observed (days ``0 .. n_days - 1``).
    daily : pandas.DataFrame or None
        The run's daily KPI table (simulations only).
    margin_rate : float or None
        Gross margin as a share of list price, when known (the scenario's).
    annual_discount_rate : float or None
        The scenario's annual discount rate for LTV, when known.
    source : str
        Where the data came from (for messages).
    """

    orders: pd.DataFrame
    customers: pd.DataFrame
    start_date: pd.Timestamp
    n_days: int
    daily: pd.DataFrame | None = None
    margin_rate: float | None = None
    annual_discount_rate: float | None = None
    source: str = "<DataFrame>"
    has_blocks: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def full_orders(self) -> pd.DataFrame:
        """Orders that are not trial-product orders."""
        return self.orders[~self.orders["is_trial"]]


def read_order_log(path: str | Path, dtype=None) -> pd.DataFrame:
    """Read an order export from CSV or parquet (``#`` lines in a CSV are comments).

    ``dtype`` is passed to :func:`pandas.read_csv` (``str`` keeps every field as
    written, e.g. leading zeros of ids and currency signs, for cleaning rules).

    Raises
    ------
    OrderLogError
        The file is missing or cannot be parsed.
    """
    p = Path(path)
    if p.is_dir():
        raise OrderLogError(
            [f"{p} is a folder, not a file: give the order export file in it"], str(p)
        )
    if not p.is_file():
        raise OrderLogError([f"file not found: {p}"], str(p))
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(p)
        return _read_csv_text(p, dtype)
    except pd.errors.EmptyDataError:
        raise OrderLogError(["the file is empty"], str(p)) from None
    except OrderLogError:
        raise
    except Exception as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OrderLogError([f"cannot read the file: {problem[:200]}"], str(p)) from None


#: byte-order marks of the Unicode encodings spreadsheet programs write
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _read_csv_text(p: Path, dtype) -> pd.DataFrame:
    """A CSV export in UTF-8, UTF-16 (with its byte-order mark) or GBK/GB18030.

    Excel's "Unicode text" and many Chinese shop systems do not write UTF-8: the
    encoding is taken from the byte-order mark, else UTF-8 is tried, then GB18030
    (a superset of GBK and GB2312).  A header with tabs and no commas is read as
    tab-separated (Excel's "Unicode text").  ``df.attrs["encoding"]`` records the encoding.
    """
    with open(p, "rb") as f:
        head = f.read(4)
    encodings = [enc for bom, enc in _BOMS if head.startswith(bom)][:1] or ["utf-8", "gb18030"]
    for enc in encodings:
        try:
            with open(p, encoding=enc) as f:
                first = f.readline()
            sep = "\t" if "\t" in first and "," not in first else ","  # Excel "Unicode text"
            df = pd.read_csv(p, comment="#", dtype=dtype, encoding=enc, sep=sep)
        except UnicodeError:
            continue
        df.attrs["encoding"] = enc
        return df
    raise OrderLogError(
        [
            f"the file is not text in {' or '.join(e.upper() for e in encodings)}; save the "
            "export as CSV UTF-8 (Excel: Save As > CSV UTF-8) and try again"
        ],
        str(p),
    )


def as_order_data(
    data,
    customers: pd.DataFrame | None = None,
    *,
    start_date: str | pd.Timestamp | None = None,
    end_date: str | pd.Timestamp | None = None,
    margin_rate: float | None = None,
    cohort_freq: str = "M",
) -> OrderData:
    """Turn a run result, an order DataFrame or an order file into :class:`OrderData`.

    Parameters
    ----------
    data : RunResult, pandas.DataFrame, str, pathlib.Path or OrderData
        The orders (and, for a run, its customers and daily KPIs).
    customers : pandas.DataFrame, optional
        For a real log: one row per customer with ``customer_id`` and any of
        ``channel``, ``segment``, ``join_date`` (or ``cohort_date``),
        ``referrer`` (inviter's id, -1 or empty if none), ``blocked_date``.
        Customers without orders count as acquired but never converted.
    start_date, end_date : date-like, optional
        Observation window of a real log (default: the first order or join date,
        the last order date).  Orders outside it are dropped.
    margin_rate : float, optional
        Gross margin as a share of list price, for margin-based metrics of a real
        log without a ``cost`` column (a run knows its own).
    cohort_freq : str
        pandas period alias for cohort labels: ``"M"`` (month), ``"W"``, ``"Q"``, ``"D"``.

    Returns
    -------
    OrderData

    Raises
    ------
    OrderLogError
        Missing columns or files, unparsable dates, negative or missing amounts.
    """
    if isinstance(data, OrderData):
        return data
    if hasattr(data, "transactions") and hasattr(data, "scenario"):
        return _from_run(data, cohort_freq)
    source = "<DataFrame>"
    if isinstance(data, str | Path):
        source = str(data)
        data = read_order_log(data)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"expected a RunResult, an order DataFrame or a path, got {type(data).__name__}"
        )
    if margin_rate is not None and not 0 <= margin_rate <= 1:
        raise OrderLogError([f"margin_rate must be in [0, 1], got {margin_rate}"], source)
    orders = _normalise_orders(data, source)
    start = pd.Timestamp(start_date) if start_date is not None else _first_date(orders, customers)
    end = pd.Timestamp(end_date) if end_date is not None else orders["date"].max()
    if pd.isna(start) or pd.isna(end):
        raise OrderLogError(["the order log has no orders"], source)
    if end < start:
        raise OrderLogError([f"end_date {end.date()} is before start_date {start.date()}"], source)
    orders = orders[(orders["date"] >= start) & (orders["date"] <= end)].copy()
    orders["day"] = (orders["date"] - start).dt.days.astype(np.int64)
    n_days = int((end - start).days) + 1
    cust, has_blocks = _real_customers(orders, customers, start, source)
    cust["cohort"] = _cohort_labels(cust["start_day"], start, cohort_freq)
    orders = orders.sort_values(["day", "customer_id"], kind="stable").reset_index(drop=True)
    return OrderData(
        orders=orders,
        customers=cust,
        start_date=start,
        n_days=n_days,
        margin_rate=margin_rate,
        source=source,
        has_blocks=has_blocks,
    )


# ---------------------------------------------------------------------- internals
def _show(value) -> str:
    """A value as it should appear in a message: strings quoted, numbers plain."""
    if hasattr(value, "item"):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _normalise_orders(df: pd.DataFrame, source: str) -> pd.DataFrame:
    problems: list[str] = []
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        problems.append(
            f"missing column(s) {', '.join(missing)}; an order log needs "
            f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}); "
            f"found: {', '.join(map(str, df.columns)) or 'none'}"
        )
        raise OrderLogError(problems, source)
    out = pd.DataFrame(index=df.index)
    ids = df["customer_id"]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        problems.append(f"column customer_id: empty value at row {row}")
    out["customer_id"] = ids
    dates = pd.to_datetime(df["date"], errors="coerce")
    bad = dates.isna() & df["date"].notna()
    if bad.any() or df["date"].isna().any():
        row = int(np.flatnonzero((bad | df["date"].isna()).to_numpy())[0])
        problems.append(
            f"column date: cannot read {_show(df['date'].iloc[row])} at row {row} as a date"
        )
    out["date"] = dates.dt.normalize()
    for col in ("amount", "list_price", "discount", "cost"):
        if col not in df.columns:
            continue
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() | (vals < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(
                f"column {col}: {_show(df[col].iloc[row])} at row {row} is not a number >= 0"
            )
        out[col] = vals.astype(np.float64)
    if problems:
        raise OrderLogError(problems, source)
    if "list_price" not in out:
        out["list_price"] = out["amount"] + (out["discount"] if "discount" in out else 0.0)
    if "discount" not in out:
        out["discount"] = (out["list_price"] - out["amount"]).clip(lower=0.0)
    out["channel"] = (
        df["channel"].astype(str).astype("category")
        if "channel" in df.columns
        else pd.Categorical(["unknown"] * len(df))
    )
    out["is_trial"] = df["is_trial"].astype(bool) if "is_trial" in df.columns else False
    out["on_discount"] = out["discount"] > 0.005  # half a fen: rounding noise is not a discount
    return out.reset_index(drop=True)


def _first_date(orders: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Timestamp:
    first = orders["date"].min()
    if customers is not None:
        for col in ("join_date", "cohort_date"):
            if col in customers.columns:
                joined = pd.to_datetime(customers[col], errors="coerce").dt.normalize().min()
                if pd.notna(joined) and (pd.isna(first) or joined < first):
                    first = joined
                break
    return first


def _real_customers(
    orders: pd.DataFrame, customers: pd.DataFrame | None, start: pd.Timestamp, source: str
) -> tuple[pd.DataFrame, bool]:
    g = orders.groupby("customer_id", sort=True)
    first = g["day"].min()
    derived = pd.DataFrame(
        {
            "customer_id": first.index,
            "channel": g["channel"].first().astype(str).to_numpy(),
            "first_order_day": first.to_numpy().astype(np.float64),
        }
    )
    if customers is None:
        derived["segment"] = "all"
        derived["start_day"] = derived["first_order_day"].astype(np.int64)
        derived["block_day"] = np.nan
        return derived, False
    csrc = f"{source} (customers)"
    if "customer_id" not in customers.columns:
        raise OrderLogError(
            [f"customers table: missing column customer_id; found: {', '.join(customers.columns)}"],
            csrc,
        )
    cust = customers.copy()
    cust = cust.merge(derived[["customer_id", "first_order_day"]], on="customer_id", how="outer")
    if "channel" not in cust.columns:
        cust = cust.merge(derived[["customer_id", "channel"]], on="customer_id", how="left")
    cust["channel"] = cust["channel"].fillna("unknown").astype(str)
    if "segment" not in cust.columns:
        cust["segment"] = "all"
    cust["segment"] = cust["segment"].fillna("unknown").astype(str)
    join_col = next((c for c in ("join_date", "cohort_date") if c in cust.columns), None)
    if join_col is not None:
        join = pd.to_datetime(cust[join_col], errors="coerce")
        join_day = (join.dt.normalize() - start).dt.days
        start_day = join_day.fillna(cust["first_order_day"])
    else:
        start_day = cust["first_order_day"]
    if start_day.isna().any():
        cid = _show(cust.loc[start_day.isna(), "customer_id"].iloc[0])
        raise OrderLogError(
            [
                f"customers table: customer {cid} has neither a join date nor an order; "
                "give a join_date column for customers who never ordered"
            ],
            csrc,
        )
    cust["start_day"] = start_day.astype(np.int64)
    has_blocks = "blocked_date" in cust.columns
    if has_blocks:
        cust["block_day"] = (
            pd.to_datetime(cust["blocked_date"], errors="coerce").dt.normalize() - start
        ).dt.days.astype(np.float64)
    else:
        cust["block_day"] = np.nan
    if "referrer" in cust.columns:
        cust["referrer"] = pd.to_numeric(cust["referrer"], errors="coerce").fillna(-1)
    return cust.sort_values("customer_id").reset_index(drop=True), has_blocks


def _from_run(res, cohort_freq: str) -> OrderData:
    start = pd.Timestamp(res.scenario.start_date)
    tx = res.transactions
    orders = pd.DataFrame(
        {
            "customer_id": tx["customer_id"].to_numpy(),
            "date": tx["date"].to_numpy(),
            "day": tx["day"].to_numpy().astype(np.int64),
            "amount": tx["amount"].to_numpy(),
            "list_price": tx["list_price"].to_numpy(),
            "discount": tx["discount"].to_numpy(),
            "channel": tx["channel"].to_numpy(),
            "is_trial": tx["is_trial"].to_numpy().astype(bool),
        }
    )
    orders["on_discount"] = orders["discount"] > 0.005
    cust = res.customers.copy()
    cust["channel"] = cust["channel"].astype(str)
    cust["segment"] = cust["segment"].astype(str)
    cust["start_day"] = cust["cohort_day"].astype(np.int64)
    first = orders.groupby("customer_id")["day"].min()
    cust["first_order_day"] = cust["customer_id"].map(first).astype(np.float64)
    cust["block_day"] = np.where(cust["day_blocked"] >= 0, cust["day_blocked"], np.nan)
    cust["cohort"] = _cohort_labels(cust["start_day"], start, cohort_freq)
    econ = res.scenario.economics
    return OrderData(
        orders=orders,
        customers=cust,
        start_date=start,
        n_days=int(res.days),
        daily=res.daily,
        margin_rate=float(res.scenario.purchase.margin_rate),
        annual_discount_rate=float(econ.annual_discount_rate),
        source=f"run {res.scenario.name} (seed {res.seed})",
        has_blocks=True,
        meta={**res.meta, "known_buyers_only": known_buyers_only(res.scenario)},
    )


#: acquisition channels that bring customers who may never order
_PROSPECT_CHANNELS: tuple[str, ...] = ("stock_import", "paid", "staff_invite", "referral")


def known_buyers_only(scenario) -> bool:
    """Whether every customer of ``scenario`` is a known buyer from an order log.

    True when ``acquisition.known_customers`` is on and every channel that brings
    prospects (stock import, paid, staff invites, referral) is off: the pool of a
    calibrated scenario (``lab calibrate``), where each customer joins with an order
    (or with their order history), so a conversion rate would read 100% by
    construction and says nothing.
    """
    acq = scenario.acquisition
    if not acq.known_customers.enabled:
        return False
    return not any(getattr(acq, ch).enabled for ch in _PROSPECT_CHANNELS)


def _cohort_labels(start_day: pd.Series, start: pd.Timestamp, freq: str) -> pd.Series:
    dates = start + pd.to_timedelta(start_day.to_numpy(), unit="D")
    if freq == "D":
        return pd.Series(dates.strftime("%Y-%m-%d"), index=start_day.index)
    return pd.Series(dates.to_period(freq).astype(str), index=start_day.index)
