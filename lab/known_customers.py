"""Known customers (老客户名单): a table of real customers a scenario brings in by date.

``acquisition.known_customers.file`` names a CSV with one row per customer.  Each
customer joins the pool at the end of their ``join_date`` (after that day's
purchases, so a customer never buys twice on the day they join) through the
stock-import channel, and either

* has an order booked on that day (``book_first_order: true``): the log's first
  purchase, so the run's order log starts where the real one did and the orders
  after it are the repeat purchases; or
* brings their history without a booked order (``book_first_order: false``):
  ``prior_orders`` and ``last_purchase_date`` — a customer picked up at the end of
  a calibration period.

The section's ``book_first_order`` applies to every row unless the table has a
``book_first_order`` column: then each row says it for itself (an empty cell takes the
section's flag), so one table can hold customers with history and new customers joining
with their first order (``lab calibrate --period forecast`` writes such a table).

Columns (``customer_id`` and ``join_date`` required, the rest optional):

=========================  ===============================================================
column                     meaning
=========================  ===============================================================
customer_id                the customer's id in the source (text, unique)
join_date                  date the customer joins (YYYY-MM-DD)
prior_orders               orders before joining (>= 0; default 0)
last_purchase_date         date of the last of them (needed when prior_orders > 0)
propensity_shape,          this customer's own gamma distribution of the purchase rate
propensity_rate_per_day    (shape, rate in days): e.g. a BG/NBD posterior; both or neither
dropout_a, dropout_b       this customer's own beta distribution of the dropout chance
                           after a purchase; both or neither
basket_shape, basket_rate  this customer's own gamma distribution of the gamma–gamma
                           rate nu of order values (1/CNY); both or neither
p_alive                    chance the customer has not already left for good on joining
purchase_phase             whole stages of the Erlang-k purchase clock already done on
                           joining (``purchase.timing: erlang``; >= 0; default 0, a fresh
                           clock); the clock counts whole stages, so 1.9 acts as 1
book_first_order           this row's own ``book_first_order`` (true/false, 1/0, yes/no;
                           empty: the section's flag)
=========================  ===============================================================

Traits not given per customer — no column, or empty cells in it (a pair empty together)
— are drawn from the scenario's ``traits`` for the stock-import channel; an empty
``p_alive`` is 1 and an empty ``purchase_phase`` 0.  Every draw uses the lab's streams keyed by the customer's
identity key, a hash of its ``customer_id`` (:func:`known_customer_keys`), so runs are
reproducible and common random numbers hold: a customer keeps its draws whatever
other rows the table has or in which order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lab.params import shown_names

__all__ = [
    "OPTIONAL_COLUMNS",
    "KnownCustomerTable",
    "known_customer_keys",
    "known_customers_csv",
    "read_known_customers",
    "write_known_customers",
]

PAIRS = (
    ("propensity_shape", "propensity_rate_per_day"),
    ("dropout_a", "dropout_b"),
    ("basket_shape", "basket_rate"),
)
OPTIONAL_COLUMNS = (
    "prior_orders",
    "last_purchase_date",
    *(c for p in PAIRS for c in p),
    "p_alive",
    "purchase_phase",
    "book_first_order",
)
#: cells of the ``book_first_order`` column (lower case) and what they mean
FLAG_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class KnownCustomerTable:
    """A validated known-customer table, sorted by join date (the joining order).

    Attributes
    ----------
    frame : pandas.DataFrame
        ``customer_id`` (str), ``join_date`` (datetime64) and the optional columns
        present in the file (``last_purchase_date`` as datetime64).
    sha256 : str
        Checksum of the file's bytes.
    path : str
    """

    frame: pd.DataFrame
    sha256: str
    path: str

    def __len__(self) -> int:
        return len(self.frame)

    def join_days(self, start_date) -> np.ndarray:
        """Join day of each customer counted from ``start_date`` (day 0)."""
        return (self.frame["join_date"] - pd.Timestamp(start_date)).dt.days.to_numpy(np.int64)

    def book_first_order(self, default: bool) -> bool | np.ndarray:
        """Whether each customer's first order is booked on its join day.

        ``default`` (the section's flag) when the table has no ``book_first_order``
        column; else one bool per row, empty cells taking ``default``.
        """
        if "book_first_order" not in self.frame:
            return default
        return self.frame["book_first_order"].fillna(default).to_numpy(bool)


def known_customer_keys(customer_ids) -> np.ndarray:
    """Identity keys of known customers: 64 bits of BLAKE2b of ``"known:" + customer_id``.

    The key depends on the id alone, so the same customer has the same traits and
    draws in every table that lists it (results map back to ids through
    ``RunResult.customers["person_key"]``).
    """
    ids = [str(c) for c in customer_ids]
    out = np.empty(len(ids), dtype=np.uint64)
    for i, c in enumerate(ids):
        digest = hashlib.blake2b(f"known:{c}".encode(), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "little")
    return out


def read_known_customers(path: str | Path) -> KnownCustomerTable:
    """Read and check a known-customer CSV (see the module docstring).

    Raises
    ------
    ValueError
        Listing every problem, each naming the file, column and a value.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"file not found: {p}")
    blob = p.read_bytes()
    try:
        df = pd.read_csv(p, dtype={"customer_id": str}, comment="#")
    except Exception as exc:
        problem = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ValueError(f"{p}: cannot read the table: {problem}") from None
    from lab.io import unneutralise_text

    if "customer_id" in df:
        df["customer_id"] = df["customer_id"].map(unneutralise_text)
    problems = _check(df)
    if problems:
        raise ValueError(f"{p}: " + "; ".join(problems))
    frame = _normalise(df)
    return KnownCustomerTable(frame, hashlib.sha256(blob).hexdigest(), str(p))


def known_customers_csv(frame: pd.DataFrame, header: str = "") -> str:
    """A known-customer table as CSV text: ``header`` lines as ``#`` comments first.

    Text cells are neutralised against spreadsheet formulas (:func:`lab.io.neutralise_text`;
    :func:`read_known_customers` undoes it, so customer ids round-trip).
    """
    from lab.io import neutralise_frame

    out = frame.copy()
    for col in ("join_date", "last_purchase_date"):
        if col in out:
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d")
    text = "".join(f"# {line}\n" for line in header.splitlines())
    return text + neutralise_frame(out).to_csv(
        index=False, float_format="%.10g", lineterminator="\n"
    )


def write_known_customers(frame: pd.DataFrame, path: str | Path, header: str = "") -> str:
    """Write a known-customer table as CSV (atomically) and return its sha256.

    ``header`` lines are written first as ``#`` comments.
    """
    from lab.io import atomic_file

    text = known_customers_csv(frame, header)
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------ checks
def _first_bad(df: pd.DataFrame, col: str, bad: pd.Series) -> str:
    row = int(np.flatnonzero(bad.to_numpy())[0])
    value = df[col].iloc[row]
    value = value.item() if hasattr(value, "item") else value
    return f"column {col}: {value!r} at row {row + 1}"


def _check(df: pd.DataFrame) -> list[str]:
    problems = []
    missing = [c for c in ("customer_id", "join_date") if c not in df.columns]
    if missing:
        return [f"missing column(s) {', '.join(missing)}; found: {shown_names(df.columns)}"]
    unknown = [c for c in df.columns if c not in ("customer_id", "join_date", *OPTIONAL_COLUMNS)]
    if unknown:
        problems.append(
            f"unknown column(s) {shown_names(unknown)}; valid: customer_id, join_date, "
            + ", ".join(OPTIONAL_COLUMNS)
        )
    if df.empty:
        return [*problems, "the table has no customers"]
    ids = df["customer_id"]
    if ids.isna().any():
        problems.append(_first_bad(df, "customer_id", ids.isna()) + " is empty")
    if ids.duplicated().any():
        problems.append(_first_bad(df, "customer_id", ids.duplicated()) + " appears twice")
    for col in ("join_date", "last_purchase_date"):
        if col in df:
            d = pd.to_datetime(df[col], errors="coerce", format="%Y-%m-%d")
            bad = d.isna() & (df[col].notna() if col == "last_purchase_date" else True)
            if bad.any():
                problems.append(_first_bad(df, col, bad) + " is not a date YYYY-MM-DD")
    for a, b in PAIRS:
        if (a in df) != (b in df):
            problems.append(f"columns {a} and {b} go together (found only one)")
        elif a in df and (df[a].isna() != df[b].isna()).any():
            one = df[a].isna() != df[b].isna()
            problems.append(_first_bad(df, a, one) + f" and {b} go together (one cell empty)")
    positive = [c for pair in PAIRS for c in pair if c in df]
    for col in positive:
        v = _number(df[col])
        if (v <= 0).any():
            problems.append(_first_bad(df, col, v <= 0) + " is not a number > 0")
    if "p_alive" in df:
        v = _number(df["p_alive"])
        bad = (v < 0) | (v > 1)
        if bad.any():
            problems.append(_first_bad(df, "p_alive", bad) + " is not in [0, 1]")
    if "purchase_phase" in df:
        v = _number(df["purchase_phase"])
        if (v < 0).any():
            problems.append(_first_bad(df, "purchase_phase", v < 0) + " is not a number >= 0")
    if "book_first_order" in df:
        bad = df["book_first_order"].map(_flag).isna() & df["book_first_order"].notna()
        if bad.any():
            problems.append(
                _first_bad(df, "book_first_order", bad) + " is not true or false (or empty)"
            )
    if "prior_orders" in df:
        v = pd.to_numeric(df["prior_orders"], errors="coerce")
        bad = v.isna() | (v < 0) | (v != np.round(v))
        if bad.any():
            problems.append(_first_bad(df, "prior_orders", bad) + " is not a whole number >= 0")
        elif (v > 0).any() and "last_purchase_date" not in df:
            problems.append("prior_orders > 0 needs a last_purchase_date column")
        elif "last_purchase_date" in df:
            lp = pd.to_datetime(df["last_purchase_date"], errors="coerce", format="%Y-%m-%d")
            jd = pd.to_datetime(df["join_date"], errors="coerce", format="%Y-%m-%d")
            need = (v > 0) & lp.isna()
            if need.any():
                problems.append(
                    _first_bad(df, "last_purchase_date", need) + " is missing for prior_orders > 0"
                )
            late = lp > jd
            if late.any():
                problems.append(_first_bad(df, "last_purchase_date", late) + " is after join_date")
    return problems


def _number(col: pd.Series) -> pd.Series:
    """A column's numbers; an empty cell is NaN and a non-number -inf (so it fails every
    range check)."""
    v = pd.to_numeric(col, errors="coerce")
    return v.where(v.notna() | col.isna(), -np.inf)


def _flag(value) -> bool | None:
    """A ``book_first_order`` cell as a bool (None: empty or not a flag)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    return FLAG_WORDS.get(str(value).strip().lower())


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"customer_id": df["customer_id"].astype(str)})
    out["join_date"] = pd.to_datetime(df["join_date"], format="%Y-%m-%d")
    for col in OPTIONAL_COLUMNS:
        if col not in df:
            continue
        if col == "last_purchase_date":
            out[col] = pd.to_datetime(df[col], format="%Y-%m-%d", errors="coerce")
        elif col == "prior_orders":
            out[col] = pd.to_numeric(df[col]).astype(np.int32)
        elif col == "book_first_order":
            out[col] = df[col].map(_flag).astype("boolean")
        else:
            out[col] = pd.to_numeric(df[col]).astype(np.float64)
    return out.sort_values("join_date", kind="stable").reset_index(drop=True)
