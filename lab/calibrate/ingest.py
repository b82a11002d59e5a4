"""Reading real order exports: one documented cleaning rule per mess, each counted.

A shop's order export is rarely clean.  :func:`clean_orders` maps its columns to
``customer_id, date, amount`` and applies the rules below in this order, counting
the rows each one touched (a :class:`CleaningReport`; ``docs/calibration.md`` has
the same table):

==================  ========================================================================
rule                what happens
==================  ========================================================================
duplicate_rows      exact duplicate rows (every column equal) are kept once; with an
                    ``order_id`` column, rows repeating an order id are; ``duplicates="keep"``
                    keeps them (a log without order ids where two identical orders
                    on a day are real, such as CDNOW)
missing_customer    rows without a customer id are dropped
missing_date        rows without a date are dropped
bad_date            dates in no known format are dropped (all unreadable: an error)
date_format         dates in a format other than ISO ``YYYY-MM-DD`` are read: ``YYYYMMDD``,
                    ``YYYY/MM/DD``, ``YYYY年M月D日``, ``DD/MM/YYYY`` or ``MM/DD/YYYY``
                    (day first unless a value proves month first, or ``dayfirst`` says)
time_zone           timestamps with a zone (``Z``, ``+08:00``) are converted to ``tz``
                    (default Asia/Shanghai) before the calendar date is taken; timestamps
                    without a zone are taken as local time in ``tz``
amount_text         amounts written with currency signs, codes or thousands separators
                    (``¥1,234.50``, ``RMB 80``, ``(12.00)`` for -12) are read as numbers
missing_amount      rows without an amount are dropped
bad_amount          amounts that are not numbers after that are dropped
absurd_amount       amounts that are not finite (``inf``, ``1e999``) or beyond
                    ``max_amount`` either way (default 10,000,000 per order: ``1e308``,
                    a pasted phone or order number) are dropped
return_netted       a negative amount (a return/refund) is subtracted from the same
                    customer's latest order on or before its date
order_cancelled     an order that a return brought to zero or below is removed
return_unmatched    a return with no earlier order of that customer is dropped
zero_amount         orders of amount 0 (gifts, free samples) are kept: they are purchase
                    occasions for the counts and add nothing to spend
same_day_orders     several orders of one customer on one day become one purchase
                    occasion with the amounts summed (the BTYD counting unit)
==================  ========================================================================

CSV exports in UTF-8, UTF-16 (with a byte-order mark; tab-separated "Unicode text"
too) and GBK/GB18030 are read; the report's ``encoding`` says which.

Unreadable input (missing file or column, empty file, no parseable date, nothing
left after cleaning) raises :class:`lab.analysis.OrderLogError` naming the file,
the column and a value; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lab.analysis.orders import OrderLogError, read_order_log
from lab.params import shown_names

__all__ = ["RULES", "CleanOrders", "CleaningReport", "clean_orders", "read_orders"]

#: cleaning rules in the order they are applied, with a one-line description
RULES: dict[str, str] = {
    "duplicate_rows": "exact duplicate rows (or repeated order ids) kept once",
    "missing_customer": "rows without a customer id dropped",
    "missing_date": "rows without a date dropped",
    "bad_date": "dates in no known format dropped",
    "date_format": "dates read from a non-ISO format (YYYYMMDD, YYYY/MM/DD, D/M/Y ...)",
    "time_zone": "timestamps with a zone converted to the report time zone",
    "amount_text": "amounts with currency signs or thousands separators read as numbers",
    "missing_amount": "rows without an amount dropped",
    "bad_amount": "amounts that are not numbers dropped",
    "absurd_amount": "amounts not finite or beyond max_amount (either sign) dropped",
    "return_netted": "returns (negative amounts) netted against the customer's latest order",
    "order_cancelled": "orders brought to zero or below by returns removed",
    "return_unmatched": "returns with no earlier order of that customer dropped",
    "zero_amount": "orders of amount 0 kept as purchases without spend",
    "same_day_orders": "extra orders of a customer on one day merged into one occasion",
}

#: the largest order amount (either sign) taken as real, in the export's currency
MAX_AMOUNT = 10_000_000.0

_ORDER_IDS = ("order_id", "order_no", "order_number", "订单号", "订单编号")
_CANDIDATES = {
    "customer": ("customer_id", "customer", "cust_id", "user_id", "member_id", "buyer_id",
                 "client_id", "客户id", "用户id", "会员id", "买家id"),
    "date": ("date", "order_date", "order_time", "created_at", "purchase_date", "timestamp",
             "datetime", "time", "下单时间", "日期", "订单日期", "支付时间"),
    "amount": ("amount", "order_amount", "paid_amount", "sales", "revenue", "value", "total",
               "price", "金额", "实付金额", "订单金额", "支付金额"),
}  # fmt: skip


@dataclass(frozen=True)
class RuleCount:
    """How many rows one cleaning rule touched, with one example value."""

    rule: str
    rows: int
    example: str = ""


@dataclass
class CleaningReport:
    """What cleaning did to an order export.

    Attributes
    ----------
    source : str
        The file (or ``<DataFrame>``).
    columns : dict
        Role (``customer``, ``date``, ``amount``) -> column name used.
    rows_read, rows_kept : int
        Rows in the export; purchase occasions left (one per customer-day).
    rules : list of RuleCount
        Every rule in :data:`RULES`, in order, with the rows it touched.
    tz : str
        Time zone of the calendar dates.
    dayfirst : bool or None
        How ``nn/nn/YYYY`` dates were read (None: none seen).
    encoding : str or None
        Text encoding of a CSV export (``utf-8``, ``utf-16``, ``gb18030``...; None
        for a DataFrame or parquet).
    """

    source: str
    columns: dict[str, str]
    rows_read: int
    rows_kept: int = 0
    rules: list[RuleCount] = field(default_factory=list)
    tz: str = "Asia/Shanghai"
    dayfirst: bool | None = None
    encoding: str | None = None

    def count(self, rule: str) -> int:
        """Rows touched by ``rule`` (0 if it touched none)."""
        if rule not in RULES:
            raise KeyError(f"unknown cleaning rule {rule!r}; known: {', '.join(RULES)}")
        return next((r.rows for r in self.rules if r.rule == rule), 0)

    def table(self) -> pd.DataFrame:
        """One row per rule: ``rule, rows, description, example``."""
        return pd.DataFrame(
            [(r.rule, r.rows, RULES[r.rule], r.example) for r in self.rules],
            columns=["rule", "rows", "description", "example"],
        )

    def to_dict(self) -> dict:
        """Plain data (for JSON summaries and YAML comments)."""
        return {
            "source": self.source,
            "columns": dict(self.columns),
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "tz": self.tz,
            "dayfirst": self.dayfirst,
            "encoding": self.encoding,
            "rules": {r.rule: r.rows for r in self.rules},
        }


@dataclass
class CleanOrders:
    """A cleaned order log: one row per purchase occasion (customer-day).

    Attributes
    ----------
    orders : pandas.DataFrame
        ``customer_id`` (str), ``date`` (datetime64, midnight), ``amount`` (float,
        the day's net total), ``n_orders`` (export rows merged into the occasion);
        sorted by date then customer.
    report : CleaningReport
    """

    orders: pd.DataFrame
    report: CleaningReport

    @property
    def first_date(self) -> pd.Timestamp:
        """Date of the first order."""
        return self.orders["date"].min()

    @property
    def last_date(self) -> pd.Timestamp:
        """Date of the last order."""
        return self.orders["date"].max()


# ------------------------------------------------------------------------ public API
def read_orders(
    path: str | Path,
    *,
    customer_col: str | None = None,
    date_col: str | None = None,
    amount_col: str | None = None,
    tz: str = "Asia/Shanghai",
    dayfirst: bool | None = None,
    duplicates: str = "drop",
    max_amount: float = MAX_AMOUNT,
) -> CleanOrders:
    """Read an order export (CSV or parquet) and clean it (see the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        The export.  CSV fields are read as text so ids keep leading zeros.
    customer_col, date_col, amount_col : str, optional
        Column names; by default the first of the usual names found
        (``customer_id``/``user_id``/..., ``date``/``order_date``/...,
        ``amount``/``paid_amount``/...).
    tz : str
        IANA time zone of the calendar dates (default Asia/Shanghai).
    dayfirst : bool, optional
        Read ``nn/nn/YYYY`` as day/month (True) or month/day (False); by default
        decided from the values (see :func:`clean_orders`).
    duplicates : {"drop", "keep"}
        What to do with exact duplicate rows (see the ``duplicate_rows`` rule).
    max_amount : float
        Largest order amount (either sign) taken as real (the ``absurd_amount`` rule).

    Returns
    -------
    CleanOrders

    Raises
    ------
    OrderLogError
        Missing file or column, empty file, no parseable date, nothing left.
    """
    raw = read_order_log(path, dtype=str)
    clean = clean_orders(
        raw,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        tz=tz,
        dayfirst=dayfirst,
        duplicates=duplicates,
        source=str(path),
        max_amount=max_amount,
    )
    clean.report.encoding = raw.attrs.get("encoding")
    return clean


def clean_orders(
    raw: pd.DataFrame,
    *,
    customer_col: str | None = None,
    date_col: str | None = None,
    amount_col: str | None = None,
    tz: str = "Asia/Shanghai",
    dayfirst: bool | None = None,
    duplicates: str = "drop",
    source: str = "<DataFrame>",
    max_amount: float = MAX_AMOUNT,
) -> CleanOrders:
    """Apply the cleaning rules to an export already in a DataFrame.

    ``nn/nn/YYYY`` dates are read day first unless ``dayfirst`` says otherwise or a
    value proves the order (a first field above 12 means day first, a second field
    above 12 means month first; values proving both are an error).

    Returns
    -------
    CleanOrders

    Raises
    ------
    OrderLogError
    """
    _check_tz(tz, source)
    if not (math.isfinite(max_amount) and max_amount > 0):
        raise OrderLogError([f"max_amount {max_amount!r}: must be a positive number"], source)
    if duplicates not in ("drop", "keep"):
        raise OrderLogError([f"duplicates {duplicates!r}: use drop or keep"], source)
    cols = _map_columns(raw, customer_col, date_col, amount_col, source)
    report = CleaningReport(source=source, columns=cols, rows_read=len(raw), tz=tz)
    if raw.empty:
        raise OrderLogError(["the file has a header but no rows"], source)
    counts: dict[str, RuleCount] = {}

    def note(rule: str, mask, values) -> None:
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        example = _example(np.asarray(values, dtype=object)[mask]) if n else ""
        counts[rule] = RuleCount(rule, n, example)

    id_col = next((c for c in raw.columns if str(c).strip().lower() in _ORDER_IDS), None)
    if duplicates == "keep":
        dup = np.zeros(len(raw), dtype=bool)
    elif id_col is not None:
        ids = _texts(raw[id_col])
        dup = (ids.ne("") & ids.duplicated(keep="first")).to_numpy()
    else:
        dup = raw.duplicated(keep="first").to_numpy()
    note("duplicate_rows", dup, _row_text(raw, dup))
    df = raw.loc[~dup, [cols["customer"], cols["date"], cols["amount"]]].copy()
    df.columns = ["customer_id", "date", "amount"]
    cid = _texts(df["customer_id"])
    note("missing_customer", cid.eq(""), df["customer_id"])
    df = df[cid.ne("")].assign(customer_id=cid[cid.ne("")])

    dates = _texts(df["date"])
    note("missing_date", dates.eq(""), df["date"])
    df, dates = df[dates.ne("")], dates[dates.ne("")]
    parsed = _parse_dates(dates, tz, dayfirst, source, cols["date"])
    report.dayfirst = parsed.dayfirst
    note("bad_date", parsed.values.isna(), dates)
    if parsed.values.notna().sum() == 0:
        raise OrderLogError(
            [f"column {cols['date']}: no value could be read as a date, e.g. {_example(dates)}"],
            source,
        )
    note("date_format", parsed.non_iso, dates)
    note("time_zone", parsed.zoned, dates)
    keep = parsed.values.notna().to_numpy()
    df = df[keep].assign(date=parsed.values[keep])

    amount_raw = _texts(df["amount"])
    cleaned = amount_raw.copy()
    plain = pd.to_numeric(amount_raw, errors="coerce").notna()  # fast path: plain numbers
    cleaned[~plain] = _strip_amounts(amount_raw[~plain])
    note("amount_text", (cleaned != amount_raw) & amount_raw.ne(""), amount_raw)
    note("missing_amount", amount_raw.eq(""), amount_raw)
    values = pd.to_numeric(cleaned, errors="coerce")
    bad = values.isna() & amount_raw.ne("")
    note("bad_amount", bad, amount_raw)
    absurd = values.notna() & ~(values.abs() <= max_amount)  # inf, -inf and huge
    note("absurd_amount", absurd, amount_raw)
    ok = values.notna() & ~absurd
    df = df[ok].assign(amount=values[ok].astype(np.float64))

    df, netted, cancelled, unmatched = _net_returns(df)
    counts["return_netted"] = netted
    counts["order_cancelled"] = cancelled
    counts["return_unmatched"] = unmatched
    zero = df["amount"].eq(0).to_numpy()
    counts["zero_amount"] = RuleCount("zero_amount", int(zero.sum()), _example(_labels(df[zero])))

    if df.empty:
        raise OrderLogError(["no orders left after cleaning (see the rule counts)"], source)
    occ = (
        df.groupby(["customer_id", "date"], sort=False)
        .agg(amount=("amount", "sum"), n_orders=("amount", "size"))
        .reset_index()
    )
    merged = occ["n_orders"].to_numpy() > 1
    counts["same_day_orders"] = RuleCount(
        "same_day_orders",
        int((occ["n_orders"] - 1).sum()),
        _example(_labels(occ[merged])),
    )
    occ = occ.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
    report.rules = [counts.get(r, RuleCount(r, 0)) for r in RULES]
    report.rows_kept = len(occ)
    return CleanOrders(occ, report)


# ------------------------------------------------------------------------ columns
def _map_columns(raw, customer_col, date_col, amount_col, source) -> dict[str, str]:
    given = {"customer": customer_col, "date": date_col, "amount": amount_col}
    found = shown_names(raw.columns)
    lower = {str(c).strip().lower(): c for c in raw.columns}
    out, problems = {}, []
    for role, name in given.items():
        if name is not None:
            if name not in raw.columns:
                problems.append(f"--{role}-col {name!r}: no such column; found: {found}")
            else:
                out[role] = name
            continue
        hit = next((lower[c] for c in _CANDIDATES[role] if c in lower), None)
        if hit is None:
            problems.append(
                f"no {role} column (looked for {', '.join(_CANDIDATES[role][:6])}, ...); "
                f"found: {found}; name it with --{role}-col"
            )
        else:
            out[role] = hit
    if problems:
        raise OrderLogError(problems, source)
    if len(set(out.values())) < 3:
        raise OrderLogError([f"one column used for two roles: {out}"], source)
    return out


def _check_tz(tz: str, source: str) -> None:
    try:
        pd.Timestamp("2000-01-01", tz=tz)
    except Exception:
        raise OrderLogError(
            [f"tz {tz!r}: not a known time zone (e.g. Asia/Shanghai, UTC)"], source
        ) from None


# ------------------------------------------------------------------------ dates
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\s*UTC)$")
_COMPACT = re.compile(r"^\d{8}$")
_YMD_SLASH = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}(?:[ T].*)?$")
_CJK = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(.*)$")
_NN_YEAR = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(.*)$")


@dataclass
class _Dates:
    values: pd.Series  # datetime64 at midnight, NaT where unreadable
    non_iso: np.ndarray
    zoned: np.ndarray
    dayfirst: bool | None


def _parse_dates(text: pd.Series, tz: str, dayfirst, source, column) -> _Dates:
    """Calendar dates in ``tz`` from text in the formats of the module docstring."""
    plain = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")  # fast path: ISO dates
    if plain.notna().all():
        none = np.zeros(len(text), dtype=bool)
        return _Dates(plain, none, none, None)
    if plain.notna().any():
        rest = _parse_dates(text[plain.isna()], tz, dayfirst, source, column)
        values = plain.copy()
        values[plain.isna()] = rest.values
        non_iso = np.zeros(len(text), dtype=bool)
        zoned = np.zeros(len(text), dtype=bool)
        non_iso[plain.isna().to_numpy()] = rest.non_iso
        zoned[plain.isna().to_numpy()] = rest.zoned
        return _Dates(values, non_iso, zoned, rest.dayfirst)
    n = len(text)
    iso_text = text.copy()
    non_iso = np.zeros(n, dtype=bool)
    compact = text.str.match(_COMPACT).to_numpy()
    iso_text[compact] = text[compact].str.replace(
        r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True
    )
    slash = text.str.match(_YMD_SLASH).to_numpy()
    iso_text[slash] = text[slash].str.replace("/", "-", n=2, regex=False)
    cjk = text.str.extract(_CJK)
    is_cjk = cjk[0].notna().to_numpy()
    iso_text[is_cjk] = cjk[0] + "-" + cjk[1] + "-" + cjk[2] + cjk[3].fillna("")
    nn = text.str.extract(_NN_YEAR)
    is_nn = nn[0].notna().to_numpy()
    order = dayfirst
    if is_nn.any():
        first = nn.loc[is_nn, 0].astype(int)
        second = nn.loc[is_nn, 1].astype(int)
        proves_dmy, proves_mdy = bool((first > 12).any()), bool((second > 12).any())
        if order is None:
            if proves_dmy and proves_mdy:
                ex = text[is_nn][((first > 12) | (second > 12)).to_numpy()].iloc[:2].tolist()
                raise OrderLogError(
                    [
                        f"column {column}: dates like {ex} are day/month/year in some rows and "
                        "month/day/year in others; fix the export or pass --dayfirst/--monthfirst"
                    ],
                    source,
                )
            order = not proves_mdy
        d, m = (nn[0], nn[1]) if order else (nn[1], nn[0])
        iso_text[is_nn] = (nn[2] + "-" + m + "-" + d + nn[3].fillna(""))[is_nn]
    non_iso = compact | slash | is_cjk | is_nn
    iso_text = iso_text.str.strip()
    ok = iso_text.str.match(_ISO).to_numpy()
    zoned = ok & iso_text.str.contains(_ZONE).to_numpy()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if (ok & ~zoned).any():
        naive = pd.to_datetime(
            iso_text[ok & ~zoned].str.replace("T", " "), errors="coerce", format="mixed"
        )
        out[ok & ~zoned] = naive.dt.normalize().to_numpy()
    if zoned.any():
        aware = pd.to_datetime(
            iso_text[zoned].str.replace(r"\s*UTC$", "+00:00", regex=True),
            errors="coerce",
            utc=True,
            format="mixed",
        )
        local = aware.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
        out[zoned] = local.to_numpy()
    return _Dates(out, non_iso & out.notna().to_numpy(), zoned, order if is_nn.any() else None)


# ------------------------------------------------------------------------ amounts
_CURRENCY = re.compile(r"(?i)[¥￥$€£]|\b(?:cny|rmb|usd|eur)\b|元")


def _strip_amounts(s: pd.Series) -> pd.Series:
    """``"¥1,234.50"`` -> ``"1234.50"``; ``"(12.00)"`` -> ``"-12.00"``; others unchanged."""
    t = s.str.replace(_CURRENCY, "", regex=True).str.replace(r"[,\s\u00a0]", "", regex=True)
    t = t.str.replace(r"^\((.*)\)$", r"-\1", regex=True).str.replace(r"^\+", "", regex=True)
    return t


# ------------------------------------------------------------------------ returns
def _net_returns(df: pd.DataFrame):
    """Net negative amounts against the same customer's latest order on or before them."""
    neg = df["amount"].to_numpy() < 0
    if not neg.any():
        return (
            df,
            RuleCount("return_netted", 0),
            RuleCount("order_cancelled", 0),
            RuleCount("return_unmatched", 0),
        )
    df = df.reset_index(drop=True)
    pos = df[~neg].sort_values(["customer_id", "date"], kind="stable")
    amount = df["amount"].to_numpy().copy()
    by_customer = {c: g.index.to_numpy() for c, g in pos.groupby("customer_id", sort=False)}
    netted, unmatched = [], []
    for i in np.flatnonzero(neg):
        rows = by_customer.get(df.at[i, "customer_id"])
        target = None
        if rows is not None:
            dates = df.loc[rows, "date"].to_numpy()
            k = int(np.searchsorted(dates, df.at[i, "date"].to_datetime64(), side="right")) - 1
            # the latest order on or before the return that still has value left
            while k >= 0 and amount[rows[k]] <= 0:
                k -= 1
            target = rows[k] if k >= 0 else None
        if target is None:
            unmatched.append(i)
        else:
            amount[target] += amount[i]
            netted.append(i)
    label = df["customer_id"] + " " + df["date"].dt.strftime("%Y-%m-%d")
    cancelled = np.flatnonzero(~neg & (amount <= 0) & (df["amount"].to_numpy() > 0))
    out = df.assign(amount=amount)
    drop = np.zeros(len(df), dtype=bool)
    drop[neg] = True
    drop[cancelled] = True
    out = out[~drop]
    return (
        out,
        RuleCount("return_netted", len(netted), _example(label[netted])),
        RuleCount("order_cancelled", len(cancelled), _example(label[cancelled])),
        RuleCount("return_unmatched", len(unmatched), _example(label[unmatched])),
    )


# ------------------------------------------------------------------------ helpers
_MISSING = ("nan", "nat", "none", "null", "na", "n/a", "<na>")


def _texts(values: pd.Series) -> pd.Series:
    """Fields as stripped text (object dtype); missing values (None, NaN, NaT, 'nan') as ''."""
    t = values.astype("string").fillna("").str.strip()
    return t.mask(t.str.lower().isin(_MISSING), "").astype(object)


def _row_text(raw: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The flagged rows as comma-joined text (only those: examples for the report)."""
    out = np.full(len(raw), "", dtype=object)
    if rows.any():
        out[rows] = raw[rows].astype(str).agg(",".join, axis=1).to_numpy(dtype=object)
    return out


def _labels(rows: pd.DataFrame) -> pd.Series:
    """``"<customer> <YYYY-MM-DD>"`` for each row (for examples in the report)."""
    return rows["customer_id"] + " " + rows["date"].dt.strftime("%Y-%m-%d")


def _example(values) -> str:
    vals = list(values)
    if not vals:
        return ""
    shown = repr(vals[0])
    return shown if len(shown) <= 80 else shown[:77] + "..."
