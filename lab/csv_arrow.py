"""CSV straight from Arrow arrays: the fast writer for the big run tables.

:func:`write_csv_table` writes a ``pyarrow.Table`` with pyarrow's C++ CSV writer,
slice by slice, without a pandas
frame or a per-cell Python loop.  The text is the same as pandas' ``to_csv`` (the
lab's writer for small tables) in everything but the layout of some floats:

* header line written as pandas writes it (names neutralised, quoted only where
  needed); ``\\n`` line ends; UTF-8;
* text (string and dictionary/categorical columns) neutralised against
  spreadsheet formula injection exactly as :func:`lab.io.neutralise_text` does
  (a dictionary is neutralised once, on its values); quoted only where needed;
* booleans ``True``/``False``; missing values (nulls, float NaN) an empty field;
  integers as integers; timestamps that all fall on midnight as ``YYYY-MM-DD``;
* floats with the shortest digits that read back to the same value (as pandas),
  an integral value with a trailing ``.0`` and magnitudes below 1e-4 in Python's
  layout (``5e-05``, ``1.5e-07``), as pandas writes them.  The layout still differs
  from pandas (same digits, same value) for float64 magnitudes of 1e15 and above
  (pyarrow ``1e+15``, pandas ``1000000000000000.0``) and for float32 outside
  [1e-4, 1e6) (pyarrow ``1234567.0``, pandas ``1.234567e+06``); the run tables hold
  no such values in practice, and every value reads back bit-identical (float32
  after rounding the read float64 to float32).

In the rare table whose text needs quoting (a user-named segment holding a comma,
quote or line break), the table is written by pandas instead, so quoting stays
minimal and identical to the lab's other CSV files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

__all__ = ["write_csv_table", "write_csv_tables"]

#: rows converted and written per slice: bounds the memory of the text columns
SLICE_ROWS = 1 << 15
_INTEGRAL = r"^-?[0-9]+$"
_NEEDS_QUOTES = r"[,\"\r\n]"
#: pyarrow writes 1e-5 and 1e-6 magnitudes in fixed notation and exponents with one
#: digit; Python (and pandas) use ``d.ddde-05`` below 1e-4 and two exponent digits
_SMALL_LAYOUT = (
    (r"^(-?)0\.0000([1-9])$", r"\1\2e-05"),
    (r"^(-?)0\.0000([1-9])([0-9]+)$", r"\1\2.\3e-05"),
    (r"^(-?)0\.00000([1-9])$", r"\1\2e-06"),
    (r"^(-?)0\.00000([1-9])([0-9]+)$", r"\1\2.\3e-06"),
    (r"e-([0-9])$", r"e-0\1"),
)


def write_csv_table(table, path: str | Path, slice_rows: int = SLICE_ROWS) -> None:
    """Write a ``pyarrow.Table`` as plain CSV (format in the module docstring).

    Parameters
    ----------
    table : pyarrow.Table
        The table; its columns are written in order, under their names.
    path : str or Path
        The file to write (created or truncated).
    slice_rows : int
        Rows converted to text and written at a time.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    table = neutralise_table(table)
    if _needs_quoting(table):
        # already neutralised above: pandas writes it as it is
        table.to_pandas().to_csv(Path(path), index=False, lineterminator="\n", encoding="utf-8")
        return
    options = pcsv.WriteOptions(
        include_header=False, quoting_style="none", batch_size=min(slice_rows, 1 << 16)
    )
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(_header(table.column_names).encode("utf-8"))
        as_date = [_all_midnight(col, slice_rows) for col in table.columns]
        for start in range(0, table.num_rows, slice_rows):
            part = _as_text(table.slice(start, slice_rows), as_date)
            pcsv.write_csv(part, sink, options)


def write_csv_tables(tables, path: str | Path, slice_rows: int = SLICE_ROWS) -> None:
    """Write ``pyarrow.Table`` slices (same columns) as one CSV, as :func:`write_csv_table`
    writes their concatenation, holding one slice at a time.

    The per-table choices are taken on the first slice and must hold for the others
    (a :class:`ValueError` says which does not): no text needing quotes (else the
    concatenation is written by :func:`write_csv_table`, which falls back to pandas)
    and which timestamp columns are written as dates.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    options = pcsv.WriteOptions(
        include_header=False, quoting_style="none", batch_size=min(slice_rows, 1 << 16)
    )
    with pa.OSFile(str(path), "wb") as sink:
        as_date = None
        for table in tables:
            table = neutralise_table(table)
            if _needs_quoting(table):
                raise ValueError(f"{path}: a slice needs quoting; write it with write_csv_table")
            dates = [_all_midnight(col, slice_rows) for col in table.columns]
            if as_date is None:
                as_date = dates
                sink.write(_header(table.column_names).encode("utf-8"))
            elif table.num_rows and dates != as_date:
                raise ValueError(f"{path}: slices differ in which columns are dates")
            for start in range(0, table.num_rows, slice_rows):
                part = _as_text(table.slice(start, slice_rows), as_date)
                pcsv.write_csv(part, sink, options)
        if as_date is None:
            raise ValueError(f"{path}: no table slices to write")


def neutralise_table(table):
    """The table with every text value and name neutralised (numbers untouched).

    Dictionary (categorical) columns are neutralised on their dictionary.
    """
    import pyarrow as pa

    from lab.text_safety import neutralise_text

    columns = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type) and _is_text(col.type.value_type):
            col = pa.chunked_array(
                [_neutralise_dictionary(chunk) for chunk in col.chunks], type=col.type
            )
        elif _is_text(col.type):
            col = pa.chunked_array([_neutralise_strings(c) for c in col.chunks], type=col.type)
        columns.append(col)
    names = [neutralise_text(str(n)) for n in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


def _is_text(t) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _neutralise_dictionary(chunk):
    import pyarrow as pa

    from lab.text_safety import neutralise_text

    values = [neutralise_text(v) for v in chunk.dictionary.to_pylist()]
    return pa.DictionaryArray.from_arrays(
        chunk.indices, pa.array(values, type=chunk.type.value_type)
    )


def _neutralise_strings(arr):
    import pyarrow as pa
    import pyarrow.compute as pc

    from lab.text_safety import _FORMULA_START

    # inside a character class only these need a backslash; tab and CR stand as they are
    pattern = "^[" + "".join("\\" + c if c in "-]\\^" else c for c in _FORMULA_START) + "]"
    flagged = pc.match_substring_regex(arr, pattern)
    quoted = pc.binary_join_element_wise(pa.scalar("'", arr.type), arr, pa.scalar("", arr.type))
    return pc.if_else(flagged, quoted, arr)


def _needs_quoting(table) -> bool:
    """True when a name or a text value holds a comma, quote or line break."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if any(_quote_free(n) is False for n in table.column_names):
        return True
    for col in table.columns:
        for chunk in col.chunks:
            if pa.types.is_dictionary(chunk.type):
                chunk = chunk.dictionary
            if (
                _is_text(chunk.type)
                and pc.any(pc.match_substring_regex(chunk, _NEEDS_QUOTES)).as_py()
            ):
                return True
    return False


def _quote_free(text: str) -> bool:
    return not any(c in text for c in ',"\r\n')


def _header(names: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(names)
    return buf.getvalue()


def _as_text(part, as_date: list[bool]):
    """Columns the CSV writer renders as pandas does (see the module docstring)."""
    import pyarrow as pa

    columns = [
        _column_text(col.combine_chunks(), date)
        for col, date in zip(part.columns, as_date, strict=True)
    ]
    return pa.Table.from_arrays(columns, names=part.column_names)


def _column_text(arr, as_date: bool):
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "True", "False")
    if pa.types.is_floating(t):
        text = pc.cast(arr, pa.string())
        integral = pc.match_substring_regex(text, _INTEGRAL)
        text = pc.if_else(integral, pc.binary_join_element_wise(text, ".0", ""), text)
        text = _small_as_python(arr, text)
        return pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.string()), text)
    if as_date:
        return pc.cast(arr, pa.date32())
    return arr


def _small_as_python(arr, text):
    """Magnitudes below 1e-4 in Python's layout (``5e-05``, ``1.5e-07``), as pandas writes."""
    import pyarrow.compute as pc

    small = pc.and_(pc.less(pc.abs(arr), 1e-4), pc.not_equal(arr, 0))
    if not pc.any(small).as_py():
        return text
    part = pc.filter(text, small)
    for pattern, repl in _SMALL_LAYOUT:
        part = pc.replace_substring_regex(part, pattern, repl)
    return pc.replace_with_mask(text, small, part)


def _all_midnight(col, slice_rows: int = SLICE_ROWS) -> bool:
    """True for a timezone-naive timestamp column whose values all fall on midnight.

    Checked slice by slice, so the temporaries stay small.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_timestamp(col.type) or col.type.tz is not None:
        return False
    for start in range(0, len(col), slice_rows):
        part = col.slice(start, slice_rows)
        day = pc.cast(pc.cast(part, pa.date32()), part.type)
        if pc.all(pc.equal(day, part)).as_py() not in (True, None):
            return False
    return True
