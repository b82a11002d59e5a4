"""The compact order log and the sliced writers give back exactly what was booked.

Issue 16 item 3: the order log keeps amounts as int32 cents where that is exact, and
the transactions table is built and written slice by slice; neither may change a bit
of the booked orders or of the files (``tests/test_golden.py`` pins whole runs).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lab
from lab.io import write_csv, write_csv_slices, write_parquet, write_parquet_slices
from lab.order_log import OrderLog


def _day(rng, n, cents=True):
    amount = np.round(rng.gamma(2.0, 80.0, n), 2)
    if not cents:  # an unrounded list value (a catalogue's) and a negative zero
        amount[0] = 1 / 3
        amount[-1] = -0.0
    return rng.integers(0, 1000, n).astype(np.int32), amount, rng.random(n) < 0.1


def test_log_gives_back_every_bit():
    rng = np.random.default_rng(5)
    log, want = OrderLog(), []
    for day in range(12):
        slots, amount, trial = _day(rng, 50 + day, cents=day != 4)
        listed = np.round(amount * 1.25, 2)
        log.append(day, slots, amount, listed, trial)
        want.append((slots, np.full(slots.size, day, np.int32), amount, listed, trial))
    got = log.arrays()
    for k, name in enumerate(("slot", "day", "amount", "list_price", "is_trial")):
        full = np.concatenate([w[k] for w in want])
        assert got[name].dtype == full.dtype
        assert got[name].tobytes() == full.tobytes(), name  # -0.0 and 1/3 included
        # any run of rows, across chunk borders
        assert log.rows(37, 400)[name].tobytes() == full[37:400].tobytes()
    slots, amounts = log.recent(10, 3)  # days 9, 8 and 7, newest first
    days = [got["day"] == d for d in (9, 8, 7)]
    np.testing.assert_array_equal(slots, np.concatenate([got["slot"][m] for m in days]))
    assert amounts.tobytes() == np.concatenate([got["amount"][m] for m in days]).tobytes()


def _table(n):
    rng = np.random.default_rng(1)
    return pa.table(
        {
            "x": rng.random(n),
            "d": pa.array((rng.integers(0, 300, n) * 86_400_000_000_000).astype("datetime64[ns]")),
            "c": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, 2, n).astype(np.int8)), pa.array(["a", "=b"])
            ),
        }
    )


def test_sliced_writers_write_the_whole_tables_files(tmp_path):
    table, rows = _table(1000), 300
    slices = [table.slice(s, rows) for s in range(0, 1000, rows)]
    stamp = {"seed": "1"}
    write_parquet_slices(iter(slices), tmp_path / "s.parquet", stamp)
    write_parquet(table, tmp_path / "w.parquet", stamp)
    got = pq.ParquetFile(tmp_path / "s.parquet")
    assert got.metadata.num_row_groups == len(slices)
    assert got.read().equals(pq.read_table(tmp_path / "w.parquet"))
    assert got.schema_arrow.metadata == pq.read_schema(tmp_path / "w.parquet").metadata
    write_csv_slices(iter(slices), tmp_path / "s.csv")
    write_csv(table, tmp_path / "w.csv")
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "w.csv").read_bytes()


@pytest.fixture(scope="module")
def small_run():
    return lab.run(lab.Scenario(strategies=[{"type": "discount_cadence"}]), seed=2, days=40)


def test_transaction_slices_make_the_table(small_run):
    whole = small_run.table("transactions")
    assert whole.num_rows > 500
    parts = list(small_run._transaction_slices(rows=211))
    assert pa.concat_tables(parts).equals(whole)
    assert whole.to_pandas().equals(small_run.transactions)


def test_customer_slices_make_the_table(small_run):
    whole = small_run.table("customers")
    assert whole.num_rows > 300
    parts = list(small_run._customer_slices(rows=97))
    assert len(parts) == -(-whole.num_rows // 97)
    assert pa.concat_tables(parts).equals(whole)


def _as_cents_numpy(values):
    """The log's rule written with NumPy passes (the compiled pass must match it bit for bit)."""
    values = np.asarray(values, dtype=np.float64)
    cents = np.rint(values * 100.0)
    if values.size and not (np.abs(cents).max() <= 2**31 - 1):
        return values
    stored = cents.astype(np.int32)
    back = stored.astype(np.float64) / 100.0
    if not np.array_equal(back.view(np.int64), values.view(np.int64)):
        return values
    return stored


@pytest.mark.parametrize(
    "values",
    [
        [0.0, -1.25, 19.99],  # cents
        [1 / 3],  # unrounded
        [5.0, -0.0],  # negative zero gives back +0.0: kept as float64
        [np.nan],
        [np.inf],
        [21474836.47, -21474836.47],  # the largest int32 cents
        [21474836.48],  # one cent beyond
        [0.005, 1.005, 2.675],  # halves of a cent
        [],
    ],
)
def test_compiled_cents_match_the_numpy_rule(values):
    from lab.order_log import _as_cents

    values = np.asarray(values, dtype=np.float64)
    got, want = _as_cents(values), _as_cents_numpy(values)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


def test_compiled_cents_match_the_numpy_rule_on_random_amounts():
    from lab.order_log import _as_cents

    rng = np.random.default_rng(8)
    dtypes = set()
    for _ in range(300):
        values = np.round(rng.normal(0, 10 ** rng.integers(0, 9), 20), int(rng.integers(0, 4)))
        got, want = _as_cents(values), _as_cents_numpy(values)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        dtypes.add(got.dtype)
    assert dtypes == {np.dtype(np.int32), np.dtype(np.float64)}  # both outcomes exercised
