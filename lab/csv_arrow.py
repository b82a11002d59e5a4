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
  from pandas (same digits, same value) for float64 magnitudes of 1e10 and above
  (pyarrow 26 ``1e+10``, pandas ``10000000000.0``) and for float32 outside
  [1e-4, 1e6) (pyarrow ``1234567.0``, pandas ``1.234567e+06``); the run tables hold
  no such values in practice, and every value reads back bit-identical (float32
  after rounding the read float64 to float32).

In the rare table whose text needs quoting (a user-named segment holding a comma,
quote or line break), the table is written by pandas instead, so quoting stays
minimal and identical to the lab's other CSV files.
"""

from __future__ import annotations

import contextvars
import csv
import functools
import io
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import numba
import numpy as np

from lab.page_cache import PageRecycler

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
        _write_parts(_Sink(sink), parts, as_date, slice_rows, threads)


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
        _write_parts(_Sink(sink), rest, state["as_date"], slice_rows, threads)


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


class _Sink:
    """A file being written, whose pages go to the disk and out of the page cache as it
    grows (:class:`lab.page_cache.PageRecycler`: new cache pages are slow on some VMs)."""

    def __init__(self, file) -> None:
        self.file = file
        self._pages = PageRecycler(file.fileno())

    def write(self, data) -> None:
        """Append ``data`` (bytes or a ``pyarrow.Buffer``)."""
        self.file.write(data)
        self.wrote()

    def wrote(self) -> None:
        """Something was written to :attr:`file` directly (pyarrow's CSV writer)."""
        self._pages.advance(self.file.tell())


def _chain_one(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def _write_parts(
    sink: _Sink, parts: Iterable, as_date: list[bool], slice_rows: int, threads
) -> None:
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
            pcsv.write_csv(_as_text(part, as_date), sink.file, options)
            sink.wrote()
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
        text = _point_zero_integral(pc.cast(arr, pa.string()))
        text = _small_as_python(arr, text)
        return pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.string()), text)
    if as_date:
        return pc.cast(arr, pa.date32())
    return arr


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
