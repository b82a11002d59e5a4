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

Floats are formatted by a compiled pass (:func:`_short_decimals`) where it can prove
its digits are those of pyarrow's cast (money rounded to cents, most float32 values:
at most 15 significant digits, 9 for float32, in ``[1e-4, 1e9)``), and by pyarrow's
cast with the fix-ups above for the rest (:func:`_float_text_pyarrow`): the text is
the same either way (``tests/test_csv_text.py``).

In the rare table whose text needs quoting (a user-named segment holding a comma,
quote or line break), the table is written by pandas instead, so quoting stays
minimal and identical to the lab's other CSV files.
"""

from __future__ import annotations

import contextvars
import csv
import functools
import io
import math
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import numba
import numpy as np

__all__ = [
    "text_threads",
    "text_threads_default",
    "usable_cores",
    "write_csv_table",
    "write_csv_tables",
]

#: rows converted and written per slice: bounds the memory of the text columns
SLICE_ROWS = 1 << 15
#: at most this many threads format slices (each slice's text is written in order):
#: each holds its slices' text, and a third one adds memory for little on 2 cores
MAX_THREADS = 2
#: rows a thread formats at a time when several do (more would hold more text at once)
THREAD_ROWS = 1 << 13
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


def write_csv_table(
    table, path: str | Path, slice_rows: int = SLICE_ROWS, threads: int | None = None
) -> None:
    """Write a ``pyarrow.Table`` as plain CSV (format in the module docstring).

    Parameters
    ----------
    table : pyarrow.Table
        The table; its columns are written in order, under their names.
    path : str or Path
        The file to write (created or truncated).
    slice_rows : int
        Rows converted to text and written at a time.
    threads : int, optional
        Threads that format slices side by side (default :func:`text_threads`); the
        slices' text is written in order, so the file is the same for any number.
    """
    import pyarrow as pa

    table = neutralise_table(table)
    if _needs_quoting(table):
        # already neutralised above: pandas writes it as it is
        table.to_pandas().to_csv(Path(path), index=False, lineterminator="\n", encoding="utf-8")
        return
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(_header(table.column_names).encode("utf-8"))
        as_date = [_all_midnight(col, slice_rows) for col in table.columns]
        parts = (table.slice(start, slice_rows) for start in range(0, table.num_rows, slice_rows))
        _write_parts(sink, parts, as_date, slice_rows, threads)


def write_csv_tables(
    tables, path: str | Path, slice_rows: int = SLICE_ROWS, threads: int | None = None
) -> None:
    """Write ``pyarrow.Table`` slices (same columns) as one CSV, as :func:`write_csv_table`
    writes their concatenation, holding a few slices at a time.

    The per-table choices are taken on the first slice and must hold for the others
    (a :class:`ValueError` says which does not): no text needing quotes (else the
    concatenation is written by :func:`write_csv_table`, which falls back to pandas)
    and which timestamp columns are written as dates.  ``threads`` as in
    :func:`write_csv_table`.
    """
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink:
        state: dict[str, list[bool]] = {}

        def checked() -> Iterator:
            for table in tables:
                table = neutralise_table(table)
                if _needs_quoting(table):
                    raise ValueError(
                        f"{path}: a slice needs quoting; write it with write_csv_table"
                    )
                dates = [_all_midnight(col, slice_rows) for col in table.columns]
                if "as_date" not in state:
                    state["as_date"] = dates
                    sink.write(_header(table.column_names).encode("utf-8"))
                elif table.num_rows and dates != state["as_date"]:
                    raise ValueError(f"{path}: slices differ in which columns are dates")
                for start in range(0, table.num_rows, slice_rows):
                    yield table.slice(start, slice_rows)

        parts = checked()
        first = next(parts, None)  # the first slice fixes the date columns (state)
        if "as_date" not in state:
            raise ValueError(f"{path}: no table slices to write")
        rest = parts if first is None else _chain_one(first, parts)
        _write_parts(sink, rest, state["as_date"], slice_rows, threads)


#: threads that format CSV text when neither the caller nor ``LAB_CSV_THREADS`` says
#: (:func:`text_threads_default`); a context variable, so one thread's setting is its own
_DEFAULT_THREADS: contextvars.ContextVar[int] = contextvars.ContextVar("lab_csv_threads", default=1)


@contextmanager
def text_threads_default(threads: int) -> Iterator[None]:
    """Within the block, CSV text is made on ``threads`` threads (at most
    :data:`MAX_THREADS` and the cores) unless the caller or ``LAB_CSV_THREADS`` says
    otherwise (``RunResult.write_files`` after the run, when the engine's cores are idle)."""
    token = _DEFAULT_THREADS.set(max(1, int(threads)))
    try:
        yield
    finally:
        _DEFAULT_THREADS.reset(token)


def text_threads() -> int:
    """Threads that format CSV text by default: ``LAB_CSV_THREADS`` (at most
    :data:`MAX_THREADS` and the cores this process may use), else 1 (or the number
    :func:`text_threads_default` set, with the same bounds).

    One by default: on 2 cores a second thread halves the text's wall time only when
    the machine is otherwise idle, costs ~10% more CPU, and at 1M customers it raised
    ``lab run``'s peak RSS from ~980 MB to ~1,000 MB, the 1 GB limit
    (``benchmarks/RESULTS_runout.md``).
    """
    wanted = os.environ.get("LAB_CSV_THREADS", "")
    if not wanted.isdigit():
        wanted = str(_DEFAULT_THREADS.get())
    if int(wanted) <= 1:
        return 1
    return max(1, min(int(wanted), usable_cores(), MAX_THREADS))


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _chain_one(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def _write_parts(sink, parts: Iterable, as_date: list[bool], slice_rows: int, threads) -> None:
    """Format each slice of ``parts`` as CSV text (no header) and write the texts in order.

    With more than one thread, slices of at most :data:`THREAD_ROWS` rows are
    formatted side by side (pyarrow's compute functions, its CSV writer and the float
    fix-up release the GIL) and at most ``threads`` slices' text is held at a time.
    """
    import pyarrow.csv as pcsv

    options = pcsv.WriteOptions(
        include_header=False, quoting_style="none", batch_size=min(slice_rows, 1 << 16)
    )
    threads = text_threads() if threads is None else max(1, int(threads))
    if threads == 1:
        for part in parts:
            pcsv.write_csv(_as_text(part, as_date), sink, options)
        return
    rows = min(slice_rows, THREAD_ROWS)
    pieces = (p.slice(at, rows) for p in parts for at in range(0, p.num_rows, rows))
    pool = _pool(threads)
    pending: deque = deque()
    try:
        for piece in pieces:
            pending.append(pool.submit(_csv_bytes, piece, as_date, options))
            if len(pending) >= threads:
                sink.write(pending.popleft().result())
        while pending:
            sink.write(pending.popleft().result())
    finally:
        for future in pending:  # on an error: nothing more is formatted, nothing left running
            future.cancel()
        for future in pending:
            with suppress(BaseException):
                future.exception()
        _release_in(pool, threads)


def _release_in(pool: ThreadPoolExecutor, threads: int) -> None:
    """Each text thread gives back the memory Arrow's allocator keeps for it (that
    allocator keeps freed memory per thread, where other threads cannot reuse it)."""
    import pyarrow as pa

    together = threading.Barrier(threads)

    def release() -> None:
        together.wait(timeout=60)  # one call on each thread
        pa.default_memory_pool().release_unused()

    for future in [pool.submit(release) for _ in range(threads)]:
        with suppress(BaseException):
            future.result()


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """The threads that make CSV text, kept for the process: Arrow's allocator keeps
    memory per thread, and new threads for every file would each hold their own."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lab-csv")


def _csv_bytes(part, as_date: list[bool], options):
    """One slice's CSV text (no header), as a ``pyarrow.Buffer``."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    out = pa.BufferOutputStream()
    pcsv.write_csv(_as_text(part, as_date), out, options)
    return out.getvalue()


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
        return _float_text(arr)
    if as_date:
        return _date_text(pc.cast(arr, pa.date32()))
    return arr


#: days since 1970-01-01 of 1000-01-01 and 9999-12-31: dates written by :func:`_iso_dates`
_DAYS_1000, _DAYS_9999 = -354285, 2932896


def _date_text(days):
    """A ``date32`` array's text ``YYYY-MM-DD`` as pyarrow's CSV writer writes it: compiled
    (:func:`_iso_dates`) for dates in years 1000-9999 with no nulls, else the array as it is.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(days)
    if days.null_count or not n:
        return days
    bounds = pc.min_max(days.cast(pa.int32())).as_py()
    if bounds["min"] < _DAYS_1000 or bounds["max"] > _DAYS_9999:
        return days
    _, values = days.buffers()
    values = np.frombuffer(values, dtype=np.int32, count=days.offset + n)[days.offset :]
    offsets = pa.allocate_buffer(4 * (n + 1))
    data = pa.allocate_buffer(10 * n)
    _iso_dates(values, np.frombuffer(offsets, dtype=np.int32), np.frombuffer(data, dtype=np.uint8))
    return pa.StringArray.from_buffers(n, offsets, data)


@numba.njit(cache=True, nogil=True)
def _iso_dates(days, offsets, data):
    """``YYYY-MM-DD`` of each day since 1970-01-01 (years 1000-9999; proleptic Gregorian,
    H. Hinnant's ``civil_from_days``)."""
    for i in range(days.size):
        z = np.int64(days[i]) + 719468
        era = (z if z >= 0 else z - 146096) // 146097
        doe = z - era * 146097
        yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        day = doy - (153 * mp + 2) // 5 + 1
        month = mp + 3 if mp < 10 else mp - 9
        year = yoe + era * 400 + (1 if month <= 2 else 0)
        at = 10 * i
        for j in range(3, -1, -1):
            data[at + j] = 48 + year % 10
            year //= 10
        data[at + 4] = 45  # '-'
        data[at + 5] = 48 + month // 10
        data[at + 6] = 48 + month % 10
        data[at + 7] = 45
        data[at + 8] = 48 + day // 10
        data[at + 9] = 48 + day % 10
        offsets[i] = at
    offsets[days.size] = 10 * days.size


def _float_text(arr):
    """A float column's text: the compiled short-decimal pass (:func:`_short_decimals`)
    where it proves its digits are pyarrow's, :func:`_float_text_pyarrow` for the rest.

    Missing values (nulls, NaN) are empty strings, which the CSV writer writes as it
    writes nulls (nothing between the commas).  A column whose first values mostly
    need pyarrow (long digits: sums, ratios, random draws) goes to pyarrow whole.
    """
    import pyarrow as pa

    values = arr.to_numpy(zero_copy_only=False)  # nulls read as NaN
    single = values.dtype == np.float32
    bits = values.view(np.uint32) if single else np.zeros(1, np.uint32)
    n = len(values)
    offsets = np.empty(n + 1, np.int32)
    data = np.empty(n * _MAX_SHORT_CHARS, np.uint8)
    sample = min(n, _SAMPLE)
    if (
        sample
        and _short_decimals(
            values[:sample], bits[:sample] if single else bits, single, offsets, data
        ).sum()
        > sample // 2
    ):
        return _float_text_pyarrow(arr, values)
    # the new buffers come from Arrow's allocator (given back after each file), not malloc's
    out_offsets = pa.allocate_buffer(4 * (n + 1))
    out_data = pa.allocate_buffer(max(1, n * _MAX_SHORT_CHARS))
    offsets = np.frombuffer(out_offsets, dtype=np.int32)
    data = np.frombuffer(out_data, dtype=np.uint8)
    left = _short_decimals(values, bits, single, offsets, data)
    count = int(np.count_nonzero(left))
    if count:  # the rest from pyarrow, spliced in (they are never missing)
        rest_values = values[left]
        rest = _float_text_pyarrow(pa.array(rest_values), rest_values)
        if rest.offset:
            rest = pa.concat_arrays([rest])
        _, rest_offsets, rest_data = rest.buffers()
        size = int(offsets[n]) + (0 if rest_data is None else rest_data.size)
        out_offsets = pa.allocate_buffer(4 * (n + 1))
        out_data, short_data = pa.allocate_buffer(max(1, size)), data
        data = np.frombuffer(out_data, dtype=np.uint8)
        _splice(
            offsets,
            short_data,
            left,
            np.frombuffer(rest_offsets, dtype=np.int32, count=count + 1),
            np.zeros(0, np.uint8) if rest_data is None else np.frombuffer(rest_data, np.uint8),
            np.frombuffer(out_offsets, dtype=np.int32),
            data,
        )
    return pa.StringArray.from_buffers(n, out_offsets, out_data)


#: values of a float column slice tried first: most need pyarrow, and it takes it whole
_SAMPLE = 256


@numba.njit(cache=True, nogil=True)
def _splice(offsets, data, left, rest_offsets, rest_data, new_offsets, new_data):
    """Strings ``offsets``/``data`` with the ``left`` ones (empty there) taken in turn
    from ``rest_offsets``/``rest_data`` instead, into the new buffers."""
    n = offsets.size - 1
    at = 0
    r = 0
    new_offsets[0] = 0
    for i in range(n):
        if left[i]:
            for j in range(rest_offsets[r], rest_offsets[r + 1]):
                new_data[at] = rest_data[j]
                at += 1
            r += 1
        else:
            for j in range(offsets[i], offsets[i + 1]):
                new_data[at] = data[j]
                at += 1
        new_offsets[i + 1] = at


def _float_text_pyarrow(arr, values: np.ndarray | None = None):
    """A float column's text from pyarrow's cast, laid out as pandas writes (NaN as null).

    ``values``: the array's values in NumPy (nulls as NaN), when the caller has them:
    the masks of NaN and of small magnitudes are then taken there, in one pass each.
    (NumPy compares float32 with ``1e-4`` in float32, pyarrow maybe in float64: they
    differ on ``float32(1e-4)`` alone, whose text ``0.0001`` no small-layout rule changes.)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = _point_zero_integral(pc.cast(arr, pa.string()))
    if values is None:
        text = _small_as_python(arr, text)
        return pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.string()), text)
    magnitude = np.abs(values)
    small = (magnitude < 1e-4) & (magnitude > 0)
    if small.any():
        text = _small_as_python(arr, text, pa.array(small))
    nan = np.isnan(values)
    if nan.any():
        text = pc.if_else(pa.array(nan), pa.scalar(None, pa.string()), text)
    return text


#: bytes a value of :func:`_short_decimals` takes at most: ``-0.`` and 18 decimals
_MAX_SHORT_CHARS = 24
#: powers of ten, exact in float64 and in int64 (10**18 < 2**63)
_POW10_F = np.array([10.0**i for i in range(19)], dtype=np.float64)
_POW10_I = np.array([10**i for i in range(19)], dtype=np.int64)
#: ``_LEAD[j]``: a little below ``10**(j - 4)``, so a magnitude's leading-digit exponent
#: found with it is never below the true one (at worst one above, near a power of ten)
_LEAD = np.array([10.0 ** (j - 4) * (1 - 1e-9) for j in range(13)], dtype=np.float64)
#: magnitudes written by :func:`_short_decimals`: ``[1e-4, 1e9)`` (float32 up to 2**23)
_SHORT_LOW, _SHORT_HIGH, _SHORT_HIGH_32 = 1e-4, 1e9, 8388608.0
#: most decimals :func:`_short_decimals` writes for a float32 (its products stay exact)
_MAX_DECIMALS_32 = 11


@numba.njit(cache=True, nogil=True)
def _short_decimals(values, bits, single, offsets, data):
    """Write the shortest round-trip decimal of each value that provably is the one
    pyarrow's cast writes, laid out as :func:`_float_text_pyarrow` lays it out
    (``12.5``, ``-0.0``, ``3.0``, ``0.0001``; NaN as an empty string).  The other values
    (an empty string here) are flagged in the returned mask for the pyarrow path.

    A value is written here when ``1e-4 <= |v| < 1e9`` (float32: ``< 2**23``), where
    pyarrow writes fixed notation, and its shortest decimal has at most 15
    significant digits (float64; float32: 9, and at most 11 decimals).  That decimal
    is ``k / 10**p`` with the fewest decimals ``p`` for which one reads back to the
    value (:func:`_fewest_decimals`), found with exact arithmetic:

    * float64: with at most 15 digits the decimals ``10**-p`` apart are far wider
      apart than the value's rounding interval, so only ``k = rint(v * 10**p)`` can
      read back, and it does when the one correctly rounded division ``k / 10**p``
      gives ``v`` back;
    * float32 (``bits``: the values' bits): the rounding interval's ends (midpoints to
      the neighbours, inclusive when the value's last bit is even) times ``10**p`` are
      exact in int64, so the integers between them are the decimals that read back;
      of several, the nearest to the value (as pyarrow picks); a tie for the nearest
      is left to pyarrow.
    """
    n = values.size
    high = _SHORT_HIGH_32 if single else _SHORT_HIGH
    digits = 9 if single else 15
    left = np.zeros(n, np.bool_)
    pow_f = _POW10_F
    pow_i = _POW10_I
    at = 0
    offsets[0] = 0
    for i in range(n):
        v = np.float64(values[i])
        if v != v:  # NaN (or null): an empty field
            offsets[i + 1] = at
            continue
        if v == 0.0:
            if math.copysign(1.0, v) < 0.0:
                data[at] = 45  # '-'
                at += 1
            data[at] = 48  # '0'
            data[at + 1] = 46  # '.'
            data[at + 2] = 48  # '0'
            at += 3
            offsets[i + 1] = at
            continue
        a = abs(v)
        if not (a >= _SHORT_LOW and a < high):  # also inf
            left[i] = True
            offsets[i + 1] = at
            continue
        # decimal exponent of the leading digit: 10**lead <= a < 10**(lead + 1) (or one more)
        lead = 8
        while lead > -4 and a < _LEAD[lead + 4]:
            lead -= 1
        top = digits - 1 - lead  # most decimals with that many significant digits
        if single:
            top = min(top, _MAX_DECIMALS_32)
        b = bits[i] if single else np.uint32(0)
        # first guess: cents (float64), 8 significant digits (float32)
        guess = max(0, min(top, 7 - lead)) if single else min(2, top)
        lo, kk = _fewest_decimals(a, b, single, guess, top, pow_f, pow_i)
        if kk < 0:  # too many digits, or not provable here: pyarrow writes it
            left[i] = True
            offsets[i + 1] = at
            continue
        if v < 0:
            data[at] = 45
            at += 1
        whole = kk // pow_i[lo]
        frac = kk - whole * pow_i[lo]
        at = _write_int(whole, data, at)
        data[at] = 46  # '.'
        at += 1
        if lo == 0:
            data[at] = 48  # integral: '.0'
            at += 1
        else:  # the fewest decimals: the last one is not 0
            frac_u = np.uint64(frac)
            for j in range(lo - 1, -1, -1):  # exactly lo digits, leading zeros kept
                data[at + j] = np.uint8(np.uint64(48) + frac_u % np.uint64(10))
                frac_u //= np.uint64(10)
            at += lo
        offsets[i + 1] = at
    return left


@numba.njit(cache=True, nogil=True, inline="always")
def _fewest_decimals(a, b, single, guess, top, pow_f, pow_i):
    """The fewest decimals ``p <= top`` at which a decimal reads back to ``a > 0``, and
    its ``k`` (:func:`_decimal_at`; negative: none up to ``top``, or not provable).

    Reading back at ``p`` implies at ``p + 1`` (the same decimal with a trailing 0):
    from ``guess`` down while they read back, else up by bisection."""
    k = _decimal_at(a, b, guess, single, pow_f, pow_i)
    if k != -1:
        p = guess
        while p > 0:
            fewer = _decimal_at(a, b, p - 1, single, pow_f, pow_i)
            if fewer == -1:
                break
            p -= 1
            k = fewer
        return p, k
    k = _decimal_at(a, b, top, single, pow_f, pow_i)
    if k == -1:
        return top + 1, k
    lo, hi = guess + 1, top
    while lo < hi:
        mid = (lo + hi) // 2
        at_mid = _decimal_at(a, b, mid, single, pow_f, pow_i)
        if at_mid != -1:  # -2: some read back, not provably which
            hi = mid
            k = at_mid
        else:
            lo = mid + 1
    return hi, k


@numba.njit(cache=True, nogil=True, inline="always")
def _decimal_at(a, bits, p, single, pow_f, pow_i):
    """``k`` such that ``k / 10**p`` is the decimal with ``p`` decimals that reads back
    to ``a > 0`` (the nearest, if several); -1 when none does; -2 when that is not
    provable here (a tie for the nearest).  ``bits``: a float32's bits (else unused)."""
    if not single:
        scale = pow_f[p]
        k = np.rint(a * scale)
        return np.int64(k) if k / scale == a else np.int64(-1)
    # float32 a = m * 2**-shift (normal: a >= 1e-4); in integers, all exact in int64
    # (4 * 2**24 * 10**11 < 2**63): the rounding interval's ends are the midpoints to
    # the neighbours, (2m -+ 1) * 2**-(shift + 1), inclusive when m is even (ties to
    # even); a power of two has its neighbour below twice as close
    m = np.int64(bits & 0x7FFFFF) | 0x800000
    shift = np.int64(150) - np.int64((bits >> 23) & 0xFF)
    ten = pow_i[p]
    even = (m & 1) == 0
    half = shift + 1  # the ends are in units of 2**-half
    if m == 0x800000:
        low, low_shift = (4 * m - 1) * ten, half + 1
    else:
        low, low_shift = (2 * m - 1) * ten, half
    first = low >> low_shift
    if (first << low_shift) != low or not even:
        first += 1  # ceil, an end only when even
    high = (2 * m + 1) * ten
    last = high >> half
    if (last << half) == high and not even:
        last -= 1
    if first > last:
        return np.int64(-1)
    x = m * ten  # a * 10**p in units of 2**-shift
    k = x >> shift
    rest = x - (k << shift)
    if shift > 0 and rest * 2 == (np.int64(1) << shift) and k >= first and k + 1 <= last:
        return np.int64(-2)  # two nearest
    if shift > 0 and rest * 2 > (np.int64(1) << shift):
        k += 1
    return min(max(k, first), last)


@numba.njit(cache=True, nogil=True, inline="always")
def _write_int(x, data, at):
    """The decimal digits of ``x >= 0`` into ``data`` from ``at``; the position after."""
    x = np.uint64(x)  # unsigned: plain division, no floor-division fix-ups
    ten = np.uint64(10)
    width = 1
    y = x
    while y >= ten:
        y //= ten
        width += 1
    for j in range(width - 1, -1, -1):
        data[at + j] = np.uint8(np.uint64(48) + x % ten)
        x //= ten
    return at + width


def _point_zero_integral(text):
    """``text`` with ``.0`` after every value made of digits only (an optional ``-``
    first: the regular expression ``^-?[0-9]+$``), as pandas writes integral floats.

    One compiled pass over the string array's buffers (nulls stay null).
    """
    import pyarrow as pa

    if text.offset:  # buffers of a slice start mid-array: take a compact copy
        text = pa.concat_arrays([text])
    n = len(text)
    validity, offsets, data = text.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int32, count=n + 1)
    data = np.zeros(0, np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)
    integral, count = _integral_values(offsets, data)
    # the new buffers come from Arrow's allocator (given back after each file), not malloc's
    new_offsets = pa.allocate_buffer(4 * (n + 1))
    new_data = pa.allocate_buffer(int(offsets[n] - offsets[0]) + 2 * count)
    _append_point_zero(
        offsets,
        data,
        integral,
        np.frombuffer(new_offsets, dtype=np.int32),
        np.frombuffer(new_data, dtype=np.uint8),
    )
    return pa.StringArray.from_buffers(
        n, new_offsets, new_data, validity if text.null_count else None, text.null_count
    )


@numba.njit(cache=True, nogil=True)
def _integral_values(offsets, data):
    """Which values of a string array are ``^-?[0-9]+$``, and how many."""
    n = offsets.size - 1
    integral = np.zeros(n, np.bool_)
    count = 0
    for i in range(n):
        j, end = offsets[i], offsets[i + 1]
        if j < end and data[j] == 45:  # '-'
            j += 1
        if j == end:
            continue  # empty, or '-' alone
        while j < end and 48 <= data[j] <= 57:  # '0'..'9'
            j += 1
        if j == end:
            integral[i] = True
            count += 1
    return integral, count


@numba.njit(cache=True, nogil=True)
def _append_point_zero(offsets, data, integral, new_offsets, new_data):
    """Fill a string array's new offsets and bytes: ``.0`` after each integral value."""
    n = offsets.size - 1
    at = 0
    new_offsets[0] = 0
    for i in range(n):
        for j in range(offsets[i], offsets[i + 1]):
            new_data[at] = data[j]
            at += 1
        if integral[i]:
            new_data[at] = 46  # '.'
            new_data[at + 1] = 48  # '0'
            at += 2
        new_offsets[i + 1] = at


def _small_as_python(arr, text, small=None):
    """Magnitudes below 1e-4 in Python's layout (``5e-05``, ``1.5e-07``), as pandas writes
    (``small``: their mask, if the caller has it)."""
    import pyarrow.compute as pc

    if small is None:
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
