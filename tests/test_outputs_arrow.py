"""The run tables written straight from the arrays match the pandas path (issue 16 item 3).

``RunResult.save`` writes ``transactions`` and ``customers`` from Arrow tables built
on the run's arrays.  These tests hold the new path to the old one (pandas frame ->
``Table.from_pandas`` / ``DataFrame.to_csv``): the same Arrow schema and values,
byte-identical parquet, byte-identical CSV on a real run, the agreed layout where
pyarrow and pandas differ, values that read back exactly, and formula
neutralisation of text (dictionary values included) with numbers untouched.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import lab
from lab.csv_arrow import write_csv_table
from lab.io import neutralise_text, write_csv, write_parquet
from tests.conftest import bare

TABLES = ("transactions", "customers")


@pytest.fixture(scope="module")
def result():
    # user-named segments that a spreadsheet would run as formulas, next to a plain one
    sc = bare(
        n_customers=1500,
        days=60,
        traits={"default": {"segments": {"=HYPERLINK(1)": 0.3, "-neg": 0.3, "plain": 0.4}}},
        first_order={"enabled": True},
        habit={"enabled": True},
        strategies=[{"type": "discount_cadence"}, {"type": "contact_plan"}],
    )
    return lab.run(lab.scenario_from_dict(sc), seed=3)


@pytest.fixture(scope="module")
def baseline():
    return lab.run("scenarios/baseline.yaml", days=60, seed=1)


def _pandas_csv(df: pd.DataFrame, tmp: Path) -> bytes:
    write_csv(df, tmp / "pandas.csv")
    return (tmp / "pandas.csv").read_bytes()


def _arrow_csv(table: pa.Table, tmp: Path, **kw) -> bytes:
    write_csv_table(table, tmp / "arrow.csv", **kw)
    return (tmp / "arrow.csv").read_bytes()


@pytest.mark.parametrize("name", TABLES)
def test_arrow_table_is_the_pandas_table(baseline, name):
    df = getattr(baseline, name)
    old = pa.Table.from_pandas(df, preserve_index=False)
    new = baseline.table(name)
    assert new.schema.equals(old.schema, check_metadata=True)  # pandas metadata too
    assert new.equals(old)
    pd.testing.assert_frame_equal(new.to_pandas(), df)  # reading back gives the frame


@pytest.mark.parametrize("name", TABLES)
def test_parquet_is_byte_identical(baseline, name, tmp_path):
    write_parquet(getattr(baseline, name), tmp_path / "old.parquet", baseline.meta)
    write_parquet(baseline.table(name), tmp_path / "new.parquet", baseline.meta)
    assert (tmp_path / "old.parquet").read_bytes() == (tmp_path / "new.parquet").read_bytes()


@pytest.mark.parametrize("run", ["baseline", "result"])
@pytest.mark.parametrize("name", TABLES)
def test_csv_is_byte_identical_on_a_run(request, run, name, tmp_path):
    res = request.getfixturevalue(run)
    old = _pandas_csv(getattr(res, name), tmp_path)
    # small slices: the slice seams must not show in the text
    new = _arrow_csv(res.table(name), tmp_path, slice_rows=997)
    assert len(old.splitlines()) == len(getattr(res, name)) + 1
    assert new == old


def test_customers_csv_reads_back_exactly(result, tmp_path):
    df = result.customers
    # pandas' default float parser is not exact; the round-trip one is
    text = _arrow_csv(result.table("customers"), tmp_path)
    back = pd.read_csv(io.BytesIO(text), float_precision="round_trip")
    assert list(back.columns) == list(df.columns)
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            expected = s.astype(object).map(neutralise_text)
            pd.testing.assert_series_equal(back[col], expected, check_dtype=False)
        elif s.dtype.kind == "f":  # shortest round-trip digits: the same bits come back
            got = back[col].to_numpy(dtype=np.float64).astype(s.dtype)
            np.testing.assert_array_equal(got, s.to_numpy())
        elif s.dtype.kind == "M":
            assert (pd.to_datetime(back[col]) == s).all()
        else:
            np.testing.assert_array_equal(back[col].to_numpy(), s.to_numpy())


def test_text_is_neutralised_numbers_untouched(result, tmp_path):
    text = _arrow_csv(result.table("customers"), tmp_path).decode()
    segments = set(pd.read_csv(io.StringIO(text))["segment"])
    assert segments == {"'=HYPERLINK(1)", "'-neg", "plain"}  # the dictionary, neutralised
    first = text.splitlines()[1].split(",")
    assert first[0] == "0" and "'" not in ",".join(first[:2])  # ids untouched
    assert (result.customers["referrer"] == -1).any()  # negative numbers stay numbers
    assert ",-1," in text


def test_agreed_layout_where_pyarrow_and_pandas_differ(tmp_path):
    """Booleans, NaN, integral floats and small magnitudes as pandas; large ones as pyarrow."""
    f = [0.0, 1.0, -0.0, 2.5, np.nan, 5e-05, 1.25e-06, -3e-07, 1e-12, 0.0001, 1e15, 1e16]
    table = pa.table(
        {
            "f": pa.array(np.array(f)),  # NaN kept as NaN (not a null): written empty
            "g": pa.array(np.array([0.5] * 10 + [123456790.0, 1e-5], dtype=np.float32)),
            "b": [True, False] * 6,
            "d": pa.array(["=x", "@y", "z", None] * 3).dictionary_encode(),
            "s": ["+1", "\t2", "'3", "4"] * 3,
            "t": pa.array(np.datetime64("2026-01-01", "ns") + np.arange(12).astype("m8[D]")),
        }
    )
    lines = _arrow_csv(table, tmp_path, slice_rows=5).decode().splitlines()
    assert lines[0] == "f,g,b,d,s,t"
    col = [ln.split(",")[0] for ln in lines[1:]]
    assert col[:9] == ["0.0", "1.0", "-0.0", "2.5", "", "5e-05", "1.25e-06", "-3e-07", "1e-12"]
    assert col[9] == "0.0001"
    # agreed difference: pyarrow writes 1e15 in scientific notation (pandas: 1000000000000000.0)
    assert col[10:] == ["1e+15", "1e+16"]
    g = [ln.split(",")[1] for ln in lines[1:]]
    assert g[10:] == ["123456790.0", "1e-05"]  # pandas: 1.2345679e+08 (same float32)
    assert lines[1].split(",")[2:] == ["True", "'=x", "'+1", "2026-01-01"]
    assert lines[4].split(",")[3:5] == ["", "4"]  # a missing category is an empty field
    assert lines[3].split(",")[4] == "''3"  # the escape itself is escaped (reversible)
    assert lines[2].split(",")[4] == "'\t2"
    back = pd.read_csv(tmp_path / "arrow.csv", float_precision="round_trip")
    np.testing.assert_array_equal(back["f"].to_numpy(), np.array(f))  # NaN == NaN here
    assert back["g"].astype(np.float32).tolist() == table["g"].to_pylist()


def test_text_needing_quotes_falls_back_to_pandas(tmp_path):
    table = pa.table({"x": [1.0, 2.0], "seg": pa.array(["a,b", 'say "hi"']).dictionary_encode()})
    assert _arrow_csv(table, tmp_path) == _pandas_csv(table.to_pandas(), tmp_path)


def test_save_writes_what_the_pandas_path_writes(baseline, tmp_path):
    out = baseline.save(tmp_path / "run")
    for name in TABLES:
        df = getattr(baseline, name)
        assert (out / f"{name}.csv").read_bytes() == _pandas_csv(df, tmp_path)
        write_parquet(df, tmp_path / "old.parquet", baseline.meta)
        assert (out / f"{name}.parquet").read_bytes() == (tmp_path / "old.parquet").read_bytes()


def test_save_does_not_build_the_pandas_frames(tmp_path):
    res = lab.run("scenarios/baseline.yaml", days=20, seed=2)
    res.save(tmp_path / "run")
    assert "transactions" not in vars(res) and "customers" not in vars(res)  # still lazy
    assert len(res.transactions) == len(pd.read_parquet(tmp_path / "run" / "transactions.parquet"))


def test_point_zero_pass_is_the_regular_expression():
    """The compiled '.0' pass appends exactly where ``^-?[0-9]+$`` matches."""
    import pyarrow.compute as pc

    from lab.csv_arrow import _INTEGRAL, _point_zero_integral

    values = ["", "-", "-0", "0", "12", "-345", "1e+15", "1.5", "nan", "inf", "-inf", "5e-05"]
    values += [None, "9" * 20, "1-2", "--1", "12a", "٣"]  # null, long, odd, a non-ASCII digit
    text = pa.array(values * 3, type=pa.string())
    for arr in (text, text.slice(5, 30)):  # a slice: buffers start mid-array
        old = pc.if_else(
            pc.match_substring_regex(arr, _INTEGRAL),
            pc.binary_join_element_wise(arr, ".0", ""),
            arr,
        )
        new = _point_zero_integral(arr)
        assert new.to_pylist() == old.to_pylist()
        assert new.null_count == arr.null_count


@pytest.mark.parametrize("name", TABLES)
def test_csv_is_the_same_on_any_number_of_threads(baseline, name, tmp_path):
    table = baseline.table(name)
    one = _arrow_csv(table, tmp_path, slice_rows=499, threads=1)
    for threads in (2, 3):
        assert _arrow_csv(table, tmp_path, slice_rows=499, threads=threads) == one


def test_csv_slices_on_threads_are_the_whole_tables_text(baseline, tmp_path):
    from lab.csv_arrow import write_csv_tables

    table = baseline.table("transactions")
    whole = _arrow_csv(table, tmp_path, threads=1)
    parts = [table.slice(start, 1234) for start in range(0, table.num_rows, 1234)]
    write_csv_tables(iter(parts), tmp_path / "parts.csv", slice_rows=500, threads=2)
    assert (tmp_path / "parts.csv").read_bytes() == whole
