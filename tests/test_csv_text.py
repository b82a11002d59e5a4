"""The compiled float text of the CSV writer is pyarrow's text, byte for byte (issue 16).

``lab.csv_arrow`` writes most floats with a compiled short-decimal pass and leaves
the values it cannot prove to pyarrow's cast (the path it had before).  These tests
hold the two to the same text on values chosen to break it: signs and zeros, NaN and
nulls, infinities, magnitudes at and across the pass's limits, integral floats,
rounded money, sums with binary noise, float32 values whose nearest decimals tie,
and every float32 in some ranges; and whole CSV files with dates, text (non-ASCII,
needing quotes) and integers next to them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lab import csv_arrow
from lab.csv_arrow import _float_text, _float_text_pyarrow, write_csv_table


def _tricky(rng: np.random.Generator, n: int) -> np.ndarray:
    """float64 values at the edges of the short-decimal pass and typical run values."""
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 5.0, -5.0, 0.1, 0.2, 0.3, 1 / 3, 2 / 3]
    edges += [1e-4, 9.99e-5, 5e-5, 1.5e-7, 2**23, 2**23 - 0.5, 2**24, 2**53, 1e9 - 1]
    edges += [999999999.5, 1e15, 123456789012345.0, 0.30000000000000004, 422.82000000000005]
    for e in range(-7, 17):
        x = 10.0**e
        for y in (x, np.nextafter(x, 0), np.nextafter(x, np.inf), x * (1 - 1e-9), x * 1.5):
            edges += [y, -y]
    u = rng.random(n) * 10.0 ** rng.integers(-5, 10, n)
    scale = 10.0 ** rng.integers(0, 8, n)
    money = np.rint(u * scale) / scale  # rounded to 0..7 decimals
    sums = np.cumsum(np.round(rng.random(n) * 300, 2)) % 1e5  # binary noise
    dyadic = rng.integers(1, 2**31, n) / 2.0 ** rng.integers(0, 24, n)  # float32 ties
    signs = rng.choice([-1.0, 1.0], 5 * n)
    return np.concatenate([edges, signs * np.concatenate([u, money, sums, dyadic, -u])])


def _same_text(values: np.ndarray) -> None:
    arr = pa.array(values)
    new = _float_text(arr).fill_null("")
    old = _float_text_pyarrow(arr).fill_null("")  # missing: nothing between the commas
    bad = np.flatnonzero(~pc.equal(new, old).to_numpy(zero_copy_only=False))
    shown = [(repr(values[i]), new[i].as_py(), old[i].as_py()) for i in bad[:5]]
    assert not len(bad), f"{len(bad)} values differ, e.g. (value, new, pyarrow) {shown}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_text_is_pyarrows_text(dtype):
    rng = np.random.default_rng(16)
    values = _tricky(rng, 40_000).astype(dtype)
    for part in (values, values[:300], values[:1]):  # also short: the sample is the whole
        _same_text(part)
    _same_text(np.full(1000, 6.34765625, dtype))  # float32: its nearest decimals tie


def test_float32_text_is_pyarrows_text_on_consecutive_values():
    """Every float32 from several starting points, ties and powers of two included."""
    for start in (1e-4, 0.001, 0.5, 1.0, 6.25, 1000.0, 8388000.0):
        first = np.float32(start).view(np.uint32)
        _same_text(np.arange(first, first + 60_000, dtype=np.uint32).view(np.float32))


def test_missing_values_are_empty_fields():
    arr = pa.array([1.5, None, np.nan, -0.0], type=pa.float64())
    assert _float_text(arr).fill_null("").to_pylist() == ["1.5", "", "", "-0.0"]


def _table(rng: np.random.Generator, n: int) -> pa.Table:
    floats = _tricky(rng, n // 5)[:n]
    floats = np.resize(floats, n)
    day = np.datetime64("2026-01-01", "ns") + rng.integers(0, 365, n).astype("timedelta64[D]")
    text = np.array(["纯文本", "plain", "-neg", "=1+1", "é"], dtype=object)[rng.integers(0, 5, n)]
    nulls = rng.random(n) < 0.05
    return pa.table(
        {
            "id": pa.array(rng.integers(-(2**40), 2**40, n)),
            "date": pa.array(day),
            "amount": pa.array(floats, mask=nulls),
            "price": pa.array(np.round(rng.random(n) * 500, 2)),
            "share": pa.array(floats.astype(np.float32)),
            "channel": pa.array(text).dictionary_encode(),
            "note": pa.array(text),
            "flag": pa.array(rng.random(n) < 0.5),
        }
    )


@pytest.mark.parametrize("quotes", [False, True])
def test_csv_bytes_are_the_pyarrow_paths_bytes(tmp_path, monkeypatch, quotes):
    rng = np.random.default_rng(7)
    table = _table(rng, 30_000)
    if quotes:  # text needing quotes: the whole table goes to pandas, as before
        note = table.column("note").to_pylist()
        note[3] = 'a, "quoted" 值'
        table = table.set_column(6, "note", pa.array(note))
    write_csv_table(table, tmp_path / "new.csv", slice_rows=4096, threads=2)
    monkeypatch.setattr(csv_arrow, "_float_text", _float_text_pyarrow)
    write_csv_table(table, tmp_path / "old.csv", slice_rows=4096, threads=1)
    new, old = (tmp_path / "new.csv").read_bytes(), (tmp_path / "old.csv").read_bytes()
    assert new == old
    assert new.count(b"\n") == table.num_rows + 1
    first = new.split(b"\n")[1].split(b",")
    assert dt.date.fromisoformat(first[1].decode())  # dates as dates


def test_dates_are_pyarrows_dates(tmp_path):
    """Every date of years 1000-9999 (compiled), and dates outside or missing (pyarrow)."""
    import pyarrow.csv as pcsv

    from lab.csv_arrow import _DAYS_1000, _DAYS_9999, _date_text

    every = np.arange(_DAYS_1000 - 3, _DAYS_9999 + 4, dtype=np.int32)
    options = pcsv.WriteOptions(include_header=False, quoting_style="none")
    for days in (every[3:-3], every[5000:9000], every, every[:10]):
        arr = pa.array(days).cast(pa.date32())
        for part in (arr, arr.slice(7, 100)):  # a slice: buffers start mid-array
            new, old = pa.BufferOutputStream(), pa.BufferOutputStream()
            pcsv.write_csv(pa.table({"d": _date_text(part)}), new, options)
            pcsv.write_csv(pa.table({"d": part}), old, options)
            assert new.getvalue().to_pybytes() == old.getvalue().to_pybytes()
    assert _date_text(pa.array(every[3:-3]).cast(pa.date32())).type == pa.string()
    with_null = pa.array([0, None, 5], type=pa.int32()).cast(pa.date32())
    assert _date_text(with_null).null_count == 1
