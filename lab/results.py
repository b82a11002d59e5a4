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

import ctypes
import datetime as dt
import functools
import json
import os
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lab._version import __version__
from lab.io import (
    atomic_folder,
    fsync_file,
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

if TYPE_CHECKING:
    from lab.order_log import OrderLog

__all__ = [
    "STREAM_RSS_LIMIT_MB",
    "TEXT_THREADS_FROM_ROWS",
    "CustomerJourney",
    "RunResult",
    "TransactionsCsvStream",
    "git_commit",
    "post_run_threads",
    "provenance",
    "referral_roots",
    "release_freed_memory",
]


TABLES = ("daily", "transactions", "customers")
#: tables :meth:`RunResult.save` writes straight from the run's arrays
ARROW_TABLES = ("transactions", "customers")
#: rows of the transactions table built and written at a time: parquet's default row group
SLICE_ROWS = 1024 * 1024
#: rows of the transactions table built at a time for its CSV (text is made in such slices)
_CSV_ROWS = 1 << 15
#: the transactions CSV's writer works during the run only while the process's resident
#: memory is below this (MB): the run's peak comes at its end (at 1M customers x 365 days
#: ~950-975 MB), and the writer's own ~20-30 MB must not add to it
STREAM_RSS_LIMIT_MB = 900.0
#: a CSV written after the run gets its text made on several threads from this many rows
TEXT_THREADS_FROM_ROWS = 1 << 18


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
            del table  # not held while the next slice is built

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
        return _dates(self._start, day)

    def _transaction_columns(self, start: int = 0, stop: int | None = None) -> dict[str, object]:
        """Columns of the transactions table, rows ``start .. stop-1`` (all by default)."""
        return _transaction_columns(self._log, self._pop["channel"], self._start, start, stop)

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
        cols["referrer"] = p["referrer"].astype(np.int64)  # int32 in the pool, int64 in the table
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

        See :meth:`write_files` for what is written and in which order.
        """
        with atomic_folder(out_dir) as tmp:
            self.write_files(tmp, formats)
        return Path(out_dir)

    def write_files(
        self,
        folder: Path,
        formats: tuple[str, ...] = ("parquet", "csv"),
        transactions_csv: TransactionsCsvStream | None = None,
        keep_log: bool = True,
    ) -> None:
        """Write the tables, ``scenario.json`` and ``manifest.json`` into ``folder``.

        ``folder`` is the temporary folder of :func:`lab.io.atomic_folder` (what
        :meth:`save` does).  Written one after the other (side by side their working
        sets would add up, and at 1M customers the peak has no room for it): the
        transactions CSV (or the rest of ``transactions_csv``, the stream that wrote
        it while the run went on), the transactions parquet, the customers table
        (parquet, then CSV with its text made on :func:`post_run_threads` threads:
        the engine's threads are idle now) and the small tables.  A parquet file is
        built row group by row group and a CSV slice by slice, so no table's whole
        columns exist at once; the bytes do not depend on the threads.

        Parameters
        ----------
        folder : Path
        formats : tuple of str
            ``"parquet"`` and/or ``"csv"``.
        transactions_csv : TransactionsCsvStream, optional
            The transactions CSV's writer, started during the run (with CSV only).
        keep_log : bool
            False frees the order log once the transactions are written (the
            ``lab run`` command, which needs no ``.transactions`` after saving).
        """
        rows = {"transactions": len(self._log)}
        parquet, csv = "parquet" in formats, "csv" in formats
        stream = transactions_csv
        if stream is not None:  # the rest of the run's last days, before the parquet:
            try:  # the two side by side would add their working sets (~+90 MB at 1M)
                stream.finish(self._pop["channel"], rows["transactions"])
                stream.join()
            except BaseException:
                stream.abandon()
                raise
        elif csv:  # from the compact log in small slices, text on the idle engine's cores
            from lab.csv_arrow import text_threads_default

            with text_threads_default(post_run_threads(rows["transactions"])):
                write_csv_slices(self._transaction_slices(_CSV_ROWS), folder / "transactions.csv")
            _release_arrow_memory()
        if parquet:  # the biggest table: row group by row group
            parts = self._transaction_slices(SLICE_ROWS)
            write_parquet_slices(parts, folder / "transactions.parquet", self.meta)
            _release_arrow_memory()
        if not keep_log:
            self._release_log()
        self._write_customers(folder, parquet, csv, rows)
        for name in (n for n in (*TABLES, *self.extra_tables) if n not in ARROW_TABLES):
            df = self._pandas(name)
            if parquet:
                write_parquet(df, folder / f"{name}.parquet", self.meta)
            if csv:
                write_csv(df, folder / f"{name}.csv", self.meta)
            rows[name] = len(df)
            del df
        files = {  # listed as before: table by table, parquet then CSV
            f"{name}.{fmt}": rows[name]
            for name in (*TABLES, *self.extra_tables)
            for fmt in ("parquet", "csv")
            if fmt in formats
        }
        (folder / "scenario.json").write_text(
            json.dumps(dump_scenario(self.scenario), indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        manifest = {**self.meta, "files": files, "summary": self.summary()}
        (folder / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )

    def _write_customers(self, folder: Path, parquet: bool, csv: bool, rows: dict) -> None:
        """The customers table: parquet row group by row group, then CSV (text on threads)."""
        cols = self._customer_columns()  # straight from the arrays
        rows["customers"] = len(cols["customer_id"])
        if parquet:  # row group by row group
            parts = self._customer_slices(cols=cols)
            write_parquet_slices(parts, folder / "customers.parquet", self.meta)
            _release_arrow_memory()
        if csv:  # whole: segment names may need quoting (pandas)
            from lab.csv_arrow import text_threads_default

            with text_threads_default(post_run_threads(rows["customers"])):
                write_csv(_arrow_table(cols), folder / "customers.csv", self.meta)
            _release_arrow_memory()

    def _release_log(self) -> None:
        """Free the order log (after saving, in ``lab run``): ``.transactions`` is gone."""
        self._log = _ReleasedLog(len(self._log))
        self.__dict__.pop("transactions", None)
        release_freed_memory()


class TransactionsCsvStream:
    """The transactions CSV written on a thread of its own, from the order log.

    During a run (``lab run``) the log's finished days are final: the thread writes
    them while the engine computes the next days (pyarrow's CSV work runs without
    the GIL, on the core the engine leaves idle), in slices of ``rows`` rows; after
    the run, the rest.  The file is the
    one :func:`lab.io.write_csv_slices` writes from the finished log (slices of any
    size give the same bytes), and it is fsynced on the thread.

    The main thread publishes what is final: :meth:`day_done` after each day (the
    log's length and the channel codes covering it), :meth:`finish` after the run;
    the thread never touches the model.  While the process's resident memory is
    above ``rss_limit_mb`` (:data:`STREAM_RSS_LIMIT_MB`) during the run, the thread
    gives back its memory and waits for the end of the run: the run's peak comes at
    its end, and the thread's working set (~20-30 MB) must not add to it.

    An error on the thread is raised in the main thread by the next
    :meth:`day_done` (which stops the run), :meth:`join` or :meth:`finish`;
    :meth:`abandon` stops the thread (an error or an interrupt in the main thread)
    before the caller removes the folder.
    """

    def __init__(
        self,
        log: OrderLog,
        channel: np.ndarray,
        start_date: dt.date,
        path: Path,
        rows: int = _CSV_ROWS,
        rss_limit_mb: float | None = None,
    ) -> None:
        self._log = log
        self._start = start_date
        self.path = Path(path)
        self._rows = int(rows)
        self._limit = STREAM_RSS_LIMIT_MB if rss_limit_mb is None else rss_limit_mb
        #: rows of the log that are final, and channel codes covering them
        self._ready: tuple[int, np.ndarray] | None = (len(log), channel)
        self._final = False
        self._stopped = False
        self._news = threading.Event()
        self._error: BaseException | None = None
        self._model = None
        self._thread = threading.Thread(target=self._run, name="lab-transactions-csv", daemon=True)

    @classmethod
    def for_model(cls, model, path: Path, start: bool = True, **kw) -> TransactionsCsvStream:
        """A stream of ``model``'s order log (held weakly; started unless ``start`` is
        False, call :meth:`day_done` after each day and :meth:`finish` after the run)."""
        stream = cls(model.order_log, model.pop.channel, model.scenario.start_date, path, **kw)
        stream._model = weakref.ref(model)
        if start:
            stream.start()
        return stream

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def day_done(self) -> None:
        """The days so far are final (main thread, after each day); raises the thread's error."""
        self._raise()
        model = self._model() if self._model is not None else None
        if model is not None:  # the channel array first: it covers every slot of the log
            self._ready = (len(model.order_log), model.pop.channel)
            self._news.set()

    def finish(self, channel: np.ndarray, rows: int | None = None) -> None:
        """The log is complete (``channel``: every customer's channel code, ``rows``: the
        log's length, by default read from the log); write the rest."""
        self._raise()
        log = self._log  # the thread clears it when it ends (an error may come any time)
        if rows is None and log is None:
            self._raise()  # the thread ended meanwhile: its error, if it had one
            raise RuntimeError("the transactions CSV's writer ended before the run did")
        self._model = None
        self._ready = (len(log) if rows is None else int(rows), channel)
        self._final = True
        self._news.set()
        self._raise()  # an error that came meanwhile

    def join(self) -> None:
        """Wait for the file to be written (after :meth:`finish`); raises the thread's error."""
        self._thread.join()
        self._raise()

    def abandon(self) -> None:
        """Stop the thread and wait for it (the caller removes the half-written file)."""
        self._stopped = True
        self._news.set()
        while self._thread.is_alive():  # not just once: the caller removes the file next
            self._thread.join(0.25)

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._stopped = True
            raise error

    def _run(self) -> None:
        try:
            write_csv_slices(self._slices(), self.path, threads=1)
            fsync_file(self.path)
        except _Abandoned:
            pass
        except BaseException as exc:  # raised in the main thread
            self._error = exc
        finally:
            self._log = self._ready = None  # the log may be freed once written
            _release_arrow_memory()  # this thread's share of Arrow's allocator

    def _slices(self):
        """Slices of final rows as they come; one (empty) at least."""
        at, schema, paused = 0, None, False
        while True:
            self._news.clear()
            if self._stopped:
                raise _Abandoned
            final = self._final
            ready, channel = self._ready
            if not final and not paused and rss_mb() > self._limit:
                paused = True  # the run's peak is near: give memory back,
                _release_arrow_memory()  # wait for its end
                release_freed_memory()
            full_slice = ready - at >= self._rows and not paused
            if full_slice or (final and (ready > at or schema is None)):
                stop = min(at + self._rows, ready)
                table = _arrow_table(
                    _transaction_columns(self._log, channel, self._start, at, stop), schema
                )
                schema, at = table.schema, stop
                yield table
                del table
            elif final:
                return
            else:
                self._news.wait(1.0)


class _Abandoned(Exception):
    """The stream was abandoned (its writer stops)."""


class _ReleasedLog:
    """Stands for an order log freed after saving (``lab run``): its length, no rows."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]:
        raise RuntimeError("the order log was freed after saving; run again for .transactions")


def post_run_threads(rows: int) -> int:
    """Threads that make the text of a ``rows``-row CSV after the run: ``LAB_CSV_THREADS``
    if set; else, from :data:`TEXT_THREADS_FROM_ROWS` rows, the cores this process may use
    (at most :data:`lab.csv_arrow.MAX_THREADS`), and one below.

    After the run the engine's threads are idle, so a big table's text is made on both
    cores; a small one's is not worth a second thread (at 10k customers it added 0.5 CPU s
    and 27 MB of peak RSS, each thread's Arrow allocator holding its own memory).
    """
    from lab.csv_arrow import MAX_THREADS, text_threads, usable_cores

    if os.environ.get("LAB_CSV_THREADS", "").isdigit():
        return text_threads()
    if rows < TEXT_THREADS_FROM_ROWS:
        return 1
    return max(1, min(usable_cores(), MAX_THREADS))


def release_freed_memory() -> None:
    """Give memory freed inside the process back to the system (glibc's ``malloc_trim``).

    NumPy arrays of a few MB land in malloc's heap once the allocator has raised its
    mmap threshold, and freeing them leaves the pages mapped: the finished model's
    buffers (the day plan, the ledger, the kernel's day buffers) would stay in the
    resident set while the tables are written.  No-op where glibc is not the C library.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return None


def rss_mb() -> float:
    """This process's resident memory, MB (0 where ``/proc`` is not available)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * _PAGE / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _dates(start: dt.date, day: np.ndarray) -> np.ndarray:
    """datetime64[ns] of each day number from ``start``, in one int64 array (no temporaries)."""
    ns = np.asarray(day).astype(np.int64)
    ns *= 86_400 * 10**9
    ns += np.datetime64(start, "ns").astype(np.int64)
    return ns.view("datetime64[ns]")


def _transaction_columns(
    log: OrderLog, channel: np.ndarray, start_date: dt.date, start: int = 0, stop: int | None = None
) -> dict[str, object]:
    """Columns of the transactions table, rows ``start .. stop-1`` of ``log`` (all by default);
    ``channel``: each customer's acquisition channel code, by slot (at least the log's slots)."""
    stop = len(log) if stop is None else min(stop, len(log))
    o = log.rows(start, stop)
    slot = np.asarray(o["slot"], dtype=np.int64)
    return {
        "order_id": np.arange(start, start + slot.size, dtype=np.int64),
        "customer_id": slot,
        "date": _dates(start_date, o["day"]),
        "day": o["day"],
        "amount": o["amount"],
        "list_price": o["list_price"],
        "discount": o["list_price"] - o["amount"],  # as booked: list - paid
        "channel": _Codes(channel[slot], CHANNELS),
        "is_trial": o["is_trial"],
    }


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
