"""Results of one run: daily KPIs, the order log, the customer table, provenance.

Tables are pandas DataFrames.  ``RunResult.save(dir)`` writes each as parquet and
plain CSV plus ``manifest.json``.  The provenance (scenario hash, seed, lab version,
git commit) is in the manifest and in each parquet file's schema metadata; the
creation time only in the manifest, so the same scenario and seed give
byte-identical data files.  Writing is atomic (:func:`lab.io.atomic_folder`): an
interrupted save leaves the previous outputs (or nothing), never half files, and
only a folder the lab made is ever replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from lab._version import __version__
from lab.io import (
    atomic_folder,
    write_csv,
    write_csv_slices,
    write_parquet,
    write_parquet_slices,
)
from lab.kpis import integer_kpis
from lab.population import STATE_SPEC
from lab.scenario import Scenario, dump_scenario, scenario_hash
from lab.table_schemas import empty_groups_table
from lab.vocab import CHANNELS, RFM_CLASSES, STAGES

__all__ = [
    "CustomerJourney",
    "RunResult",
    "git_commit",
    "provenance",
    "referral_roots",
]


TABLES = ("daily", "transactions", "customers")
#: tables :meth:`RunResult.save` writes straight from the run's arrays
ARROW_TABLES = ("transactions", "customers")
#: rows of the transactions table built and written at a time: parquet's default row group
SLICE_ROWS = 1024 * 1024
#: rows of the transactions table built at a time for its CSV (text is made in such slices)
_CSV_ROWS = 1 << 15


def git_commit() -> str:
    """Commit of the lab checkout this code runs from ('unknown' outside git)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=here, capture_output=True, text=True, timeout=5, check=True,
        )  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here, capture_output=True, text=True, timeout=5, check=True,
        )  # fmt: skip
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(scenario: Scenario, seed: int, days: int) -> dict[str, str]:
    """The stamp every output carries."""
    return {
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": str(seed),
        "days": str(days),
        "lab_version": __version__,
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@dataclass
class CustomerJourney:
    """A readable view of one customer's whole journey (for notebooks and teaching)."""

    customer_id: int
    profile: dict
    orders: pd.DataFrame
    invitees: list[int] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)

    def to_text(self) -> str:
        """The journey as plain text, one event per line."""
        p = self.profile
        lines = [
            f"customer {self.customer_id}: {p['segment']} via {p['channel']} on {p['cohort_date']:%Y-%m-%d}"
            + (f", invited by {p['referrer']}" if p["referrer"] >= 0 else "")
            + (
                f" (person {p['person']}, community {p['community']}, "
                f"referral depth {p['referral_depth']})"
                if p.get("person", -1) >= 0
                else ""
            ),
            "  traits: "
            + ", ".join(
                f"{k}={p[k]:.3g}"
                for k in ("propensity", "deal_proneness", "tolerance", "referral_propensity")
            ),
            f"  now: stage={p['stage']}, orders={p['n_orders']}, spend={p['spend']:.2f}, "
            f"fatigue={p['fatigue']:.2f}, blocked={p['blocked']}, alive={p['alive']}",
        ]
        lines += [f"  {date}  {text}" for date, text in self.events]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        return "<pre>" + html.escape(self.to_text()) + "</pre>"


class RunResult:
    """Everything one run produced.

    Attributes
    ----------
    daily : pandas.DataFrame
        One row per day: new customers by channel, customers by stage, orders, GMV,
        discount cost, margin, contacts, blocks, referrals, mean fatigue, costs.
    transactions : pandas.DataFrame
        Order log shaped like a real export: order_id, customer_id, date, amount,
        list_price, discount, channel (acquisition channel), is_trial.
    customers : pandas.DataFrame
        One row per customer: identity, traits and final state, then the non-order
        money credited to them (``revenue_<kind>``, ``cost_<kind>``, ``net_other``,
        ``net_other_pv``: :mod:`lab.customer_money`).
    groups : pandas.DataFrame
        Daily health of each community group (社群) when a ``community_groups``
        strategy runs (day, group, community, members, activity, ad_share, posts,
        ads, status, created_day, died_day); no rows otherwise.
    extra_tables : dict of pandas.DataFrame
        Tables kept by strategies (``Strategy.tables``), saved beside the standard three.
    meta : dict
        Provenance stamp.
    """

    def __init__(self, model) -> None:
        self.scenario: Scenario = model.scenario
        self.seed: int = model.seed
        self.days: int = model.day
        self.meta = provenance(model.scenario, model.seed, model.day)
        self.events = list(model.events)
        self._daily = model.datacollector.get_model_vars_dataframe()
        self._log = model.order_log  # compact; columns built when asked (lab.order_log)
        # views, not copies: the result takes over the finished model's arrays
        #: states the run's strategies declared for themselves (after the standard columns)
        self._own_states = [s for s in model.pop.spec if s not in _STANDARD_STATES]
        self._pop = {name: model.pop.view(name) for name in (*_CUSTOMER_COLUMNS, *self._own_states)}
        self._segments = list(model.segment_names)
        self._start = model.scenario.start_date
        #: non-order money credited to each customer (lab.customer_money), by ledger column
        self._money = model.money.table(model.pop.n, model.money_columns(), copy=False)
        self.extra_tables: dict[str, pd.DataFrame] = {}
        for strategy in model.strategies:
            self.extra_tables.update(strategy.tables())

    # ------------------------------------------------------------------ tables
    @cached_property
    def daily(self) -> pd.DataFrame:
        df = self._daily.reset_index(drop=True).copy()
        df.insert(0, "day", np.arange(len(df), dtype=np.int32))
        df.insert(1, "date", pd.to_datetime(self._start) + pd.to_timedelta(df["day"], unit="D"))
        integer = integer_kpis(df.columns)
        for col in [c for c in df.columns if c in integer]:
            df[col] = df[col].round().astype(np.int64)
        return df

    @cached_property
    def transactions(self) -> pd.DataFrame:
        return _frame(self._transaction_columns())

    @cached_property
    def customers(self) -> pd.DataFrame:
        return _frame(self._customer_columns())

    def table(self, name: str):
        """One of the run's tables as a ``pyarrow.Table`` (what :meth:`save` writes).

        ``transactions`` and ``customers`` are built straight from the run's arrays
        (no pandas frame); the schema, with its pandas metadata, is the one
        ``pyarrow.Table.from_pandas`` gives the frame of the same name, so reading
        the table back gives that frame.  Other tables are converted from pandas.
        """
        import pyarrow as pa

        if name == "transactions":
            return _arrow_table(self._transaction_columns())
        if name == "customers":
            return _arrow_table(self._customer_columns())
        return pa.Table.from_pandas(self._pandas(name), preserve_index=False)

    def _transaction_slices(self, rows: int = SLICE_ROWS):
        """The transactions table as ``pyarrow.Table`` slices of ``rows`` rows (one at least).

        Each slice is built from the compact order log when it is needed, so the
        table's full columns never exist at once; ``rows`` is parquet's default row
        group, so the parquet file is the one ``pyarrow.parquet.write_table`` writes.
        """
        total = len(self._log)
        schema = None
        for start in range(0, max(total, 1), rows):
            table = _arrow_table(self._transaction_columns(start, start + rows), schema)
            schema = table.schema
            yield table

    def _customer_slices(self, rows: int = SLICE_ROWS, cols: dict | None = None):
        """The customers table as ``pyarrow.Table`` slices of ``rows`` rows (one at least).

        The columns (``cols``: :meth:`_customer_columns`, built here if not given) are
        built once (the referral roots need the whole pool); only one slice's Arrow
        conversion exists at a time.  With parquet's default row group as
        ``rows`` the file is the one ``pyarrow.parquet.write_table`` writes.
        """
        cols = self._customer_columns() if cols is None else cols
        total = len(cols["customer_id"])
        for start in range(0, max(total, 1), rows):
            yield _arrow_table({k: v[start : start + rows] for k, v in cols.items()})

    def _dates(self, day: np.ndarray) -> np.ndarray:
        """datetime64[ns] of each day number, built in one int64 array (no temporaries)."""
        ns = np.asarray(day).astype(np.int64)
        ns *= 86_400 * 10**9
        ns += np.datetime64(self._start, "ns").astype(np.int64)
        return ns.view("datetime64[ns]")

    def _transaction_columns(self, start: int = 0, stop: int | None = None) -> dict[str, object]:
        """Columns of the transactions table, rows ``start .. stop-1`` (all by default)."""
        stop = len(self._log) if stop is None else min(stop, len(self._log))
        o = self._log.rows(start, stop)
        slot = np.asarray(o["slot"], dtype=np.int64)
        return {
            "order_id": np.arange(start, start + slot.size, dtype=np.int64),
            "customer_id": slot,
            "date": self._dates(o["day"]),
            "day": o["day"],
            "amount": o["amount"],
            "list_price": o["list_price"],
            "discount": o["list_price"] - o["amount"],  # as booked: list - paid
            "channel": _Codes(self._pop["channel"][slot], CHANNELS),
            "is_trial": o["is_trial"],
        }

    def _customer_columns(self) -> dict[str, object]:
        p = self._pop
        cols: dict[str, object] = {
            "customer_id": np.arange(p["channel"].size, dtype=np.int64),
            # stable identity across scenarios run with the same seed (see lab.rng)
            "person_key": p["rkey"],
            "channel": _Codes(p["channel"], CHANNELS),
            "cohort_day": p["cohort_day"],
            "cohort_date": self._dates(p["cohort_day"]),
            "segment": _Codes(p["segment"], self._segments),
            "stage": _Codes(p["stage"], STAGES),
        }
        skip = {"channel", "cohort_day", "segment", "stage", "rkey", "basket_rate", "rfm_class"}
        cols.update({name: p[name] for name in _CUSTOMER_COLUMNS if name not in skip})
        cols["rfm_class"] = _Codes(p["rfm_class"], RFM_CLASSES)
        cols.update({name: p[name] for name in self._own_states})  # strategies' own states
        cols["mean_order_value"] = _mean_order_value(self.scenario, p)
        cols["n_orders_in_run"] = p["n_orders"] - p["prior_orders"]
        cols["root"], cols["referral_depth"] = referral_roots(p["referrer"])
        cols.update(self._money)  # revenue_<kind>, cost_<kind>, net_other, net_other_pv
        return cols

    def order_columns(self) -> dict[str, np.ndarray]:
        """The order log's columns as booked, without building ``transactions``.

        ``slot`` (the ``customer_id``), ``day``, ``amount``, ``list_price`` and
        ``is_trial``, in the table's row order (``discount`` is ``list_price - amount``):
        for metrics computed on arrays (:mod:`lab.analysis.run_arrays`).
        """
        return self._log.rows(0, len(self._log))

    def customer_columns(self) -> dict[str, object]:
        """The ``customers`` table's columns as arrays, without building the frame.

        Categorical columns are objects with ``codes`` and ``categories``; the
        others are the arrays the frame's columns hold (for metrics on arrays).
        """
        return self._customer_columns()

    @property
    def groups(self) -> pd.DataFrame:
        return self.extra_tables.get("groups", empty_groups_table())

    def customer(self, customer_id: int) -> CustomerJourney:
        """The journey of one customer: profile, orders, invitees and dated events."""
        n = self._pop["channel"].size
        if not 0 <= int(customer_id) < n:
            raise KeyError(f"no customer {customer_id}; ids run from 0 to {n - 1}")
        row = self.customers.iloc[int(customer_id)].to_dict()
        tx = self.transactions
        orders = tx[tx["customer_id"] == customer_id].reset_index(drop=True)
        invitees = self.customers.index[self.customers["referrer"] == customer_id].tolist()
        date = self._date
        events = [(date(row["cohort_day"]), f"joined via {row['channel']} ({row['segment']})")]
        if row["prior_orders"]:
            events.append(
                (
                    date(row["cohort_day"]),
                    f"brought {row['prior_orders']} order{'s' if row['prior_orders'] > 1 else ''} of history",
                )
            )
        for r in orders.itertuples():
            kind = "trial order" if r.is_trial else "order"
            off = f", {r.discount:.2f} off" if r.discount > 0 else ""
            events.append((date(r.day), f"{kind} {r.amount:.2f} (list {r.list_price:.2f}{off})"))
        for c in invitees:
            events.append((date(self._pop["cohort_day"][c]), f"invited customer {c}"))
        if row["day_blocked"] >= 0:
            events.append((date(row["day_blocked"]), "blocked/deleted the brand's account"))
        if row["day_dropout"] >= 0:
            events.append((date(row["day_dropout"]), "dropped out for good (latent)"))
        events.sort(key=lambda e: e[0])
        return CustomerJourney(
            int(customer_id), row, orders, invitees, [(str(d), t) for d, t in events]
        )

    def _pandas(self, name: str) -> pd.DataFrame:
        return self.extra_tables[name] if name in self.extra_tables else getattr(self, name)

    def _date(self, day) -> dt.date:
        return self._start + dt.timedelta(days=int(day))

    def summary(self) -> dict[str, float]:
        """Headline numbers of the run."""
        d = self.daily
        last = d.iloc[-1]
        return {
            "customers": int(last["customers"]),
            "orders": int(d["orders"].sum()),
            "gmv": float(d["gmv"].sum()),
            "discount_cost": float(d["discount_cost"].sum()),
            "gross_margin": float(d["gross_margin"].sum()),
            "net_margin": float(d["net_margin"].sum()),
            "active": int(last["active"]),
            "blocked": int(last["blocked_total"]),
            "referred": int(d["referred"].sum()),
            "mean_fatigue_end": float(last["mean_fatigue"]),
        }

    # ------------------------------------------------------------------ saving
    def save(self, out_dir: str | Path, formats: tuple[str, ...] = ("parquet", "csv")) -> Path:
        """Write the three tables, the scenario and a manifest into ``out_dir`` atomically.

        The files are written one after the other (a writer thread beside the CSV
        would add its working set to the CSV's, and at 1M customers the peak has no
        room for it); the CSV text is made on :func:`lab.csv_arrow.text_threads`
        threads, slices written in order, so the bytes do not depend on the threads.
        """
        with atomic_folder(out_dir) as tmp:
            rows = {"transactions": len(self._log)}
            parquet, csv = "parquet" in formats, "csv" in formats
            if parquet:  # the biggest table: row group by row group
                parts = self._transaction_slices(SLICE_ROWS)
                write_parquet_slices(parts, tmp / "transactions.parquet", self.meta)
                _release_arrow_memory()
            if csv:  # from the compact log in small slices, text made on threads
                write_csv_slices(self._transaction_slices(_CSV_ROWS), tmp / "transactions.csv")
                _release_arrow_memory()
            cols = self._customer_columns()  # straight from the arrays
            rows["customers"] = len(cols["customer_id"])
            if parquet:  # row group by row group
                parts = self._customer_slices(cols=cols)
                write_parquet_slices(parts, tmp / "customers.parquet", self.meta)
                _release_arrow_memory()
            if csv:  # whole: segment names may need quoting (pandas)
                write_csv(_arrow_table(cols), tmp / "customers.csv", self.meta)
                _release_arrow_memory()
            del cols
            for name in (n for n in (*TABLES, *self.extra_tables) if n not in ARROW_TABLES):
                df = self._pandas(name)
                if parquet:
                    write_parquet(df, tmp / f"{name}.parquet", self.meta)
                if csv:
                    write_csv(df, tmp / f"{name}.csv", self.meta)
                rows[name] = len(df)
                del df
            files = {  # listed as before: table by table, parquet then CSV
                f"{name}.{fmt}": rows[name]
                for name in (*TABLES, *self.extra_tables)
                for fmt in ("parquet", "csv")
                if fmt in formats
            }
            (tmp / "scenario.json").write_text(
                json.dumps(dump_scenario(self.scenario), indent=2, ensure_ascii=False),
                encoding="utf-8",
            )
            manifest = {**self.meta, "files": files, "summary": self.summary()}
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
            )
        return Path(out_dir)


def _release_arrow_memory() -> None:
    """Give the memory Arrow's allocator keeps for reuse back to the system.

    After each big file: the next file's slices are of other sizes, and what the
    allocator kept would stay in the resident set next to them.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def load_table(path: str | Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a saved table (parquet or CSV) and its provenance stamp.

    A parquet file carries its stamp; a CSV's stamp is read from the
    ``manifest.json`` of its folder (the keys with text values).
    """
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = {
            k.decode()[4:]: v.decode()
            for k, v in (table.schema.metadata or {}).items()
            if k.startswith(b"lab:")
        }
        return table.to_pandas(), meta
    meta: dict[str, str] = {}
    manifest = path.parent / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        meta = {k: v for k, v in data.items() if isinstance(v, str) and k != "made_by"}
    return pd.read_csv(path), meta


def referral_roots(referrer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root (first inviter of the chain) and depth of every customer's referral tree.

    A customer who was not invited is the root of their own tree, at depth 0; an
    invitee's root is their inviter's root and their depth one more.  Inviters
    always hold lower ids than their invitees (they joined first), which the
    vectorised pointer jumping below does not need but the tests check.

    Parameters
    ----------
    referrer : numpy.ndarray of int
        ``customer_id`` of each customer's inviter, -1 if none.

    Returns
    -------
    tuple of numpy.ndarray
        ``root`` (int64) and ``depth`` (int32) per customer.
    """
    ref = np.asarray(referrer, dtype=np.int64)
    ids = np.arange(ref.size, dtype=np.int64)
    up = np.where(ref >= 0, ref, ids)  # roots point to themselves
    depth = (ref >= 0).astype(np.int32)  # hops covered by ``up``
    while True:  # pointer doubling: log2(max depth) rounds
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up, depth
        depth = depth + depth[up]
        up = nxt


@dataclass(frozen=True)
class _Codes:
    """A categorical column as its codes (-1: missing) and its categories."""

    codes: np.ndarray
    categories: tuple[str, ...] | list[str]

    def __getitem__(self, key: slice) -> _Codes:  # slicing keeps the categories
        return _Codes(self.codes[key], self.categories)

    def to_pandas(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.codes, categories=list(self.categories))


def _frame(columns: dict[str, object]) -> pd.DataFrame:
    """The pandas frame of a column spec (categorical columns as ``pd.Categorical``)."""
    return pd.DataFrame(
        {k: v.to_pandas() if isinstance(v, _Codes) else v for k, v in columns.items()}
    )


def _arrow_table(columns: dict[str, object], schema=None):
    """The ``pyarrow.Table`` of a column spec, typed as ``Table.from_pandas(_frame(...))``.

    Numeric arrays are wrapped without a copy where Arrow allows (float NaN
    becomes null, as in the pandas conversion); the schema and its pandas
    metadata come from the empty frame of the same spec (or are ``schema``, that
    of an earlier slice of the same spec).
    """
    import pyarrow as pa

    if schema is None:
        empty = _frame({k: v[:0] for k, v in columns.items()})
        schema = pa.Schema.from_pandas(empty, preserve_index=False)
    arrays = []
    for spec, col in zip(schema, columns.values(), strict=True):
        if isinstance(col, _Codes):
            codes = np.asarray(col.codes)
            indices = pa.array(
                codes.astype(spec.type.index_type.to_pandas_dtype(), copy=False),
                mask=codes < 0,
            )
            values = pa.array(list(col.categories), type=spec.type.value_type)
            arrays.append(pa.DictionaryArray.from_arrays(indices, values))
        else:
            arrays.append(pa.array(col, type=spec.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _mean_order_value(scenario: Scenario, p: dict) -> np.ndarray:
    shapes = np.array([scenario.traits.for_channel(c).basket.shape_per_order for c in CHANNELS])
    return shapes[p["channel"]] / p["basket_rate"]


#: the standard states (lab.population.STATE_SPEC), every run has them
_STANDARD_STATES = frozenset(STATE_SPEC)
_CUSTOMER_COLUMNS = (
    "rkey", "channel", "cohort_day", "segment", "referrer", "person", "community",
    "propensity", "p_drop_purchase", "p_drop_day", "basket_rate", "deal_proneness",
    "tolerance", "referral_propensity", "trust", "fatigue", "ref_price",
    "n_orders", "n_trials", "prior_orders", "last_purchase", "stage", "alive",
    "day_dropout", "blocked", "day_blocked", "spend", "discount_received", "referrals",
    "contacts_received",
    "member_until", "member_savings", "balance", "balance_expiry", "rfm_class", "guide",
    "guide_lost_day",
)  # fmt: skip
