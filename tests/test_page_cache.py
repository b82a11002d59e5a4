"""Big output files leave the page cache as they grow; their bytes do not change."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab import page_cache
from lab.csv_arrow import write_csv_table, write_csv_tables
from lab.io import write_parquet_slices
from lab.page_cache import PageRecycler

WAIT = 1 | 2 | 4  # wait before, write, wait after


class _Recorder:
    """Stands for libc's sync_file_range: records (offset, nbytes, flags)."""

    def __init__(self, fail: int | None = None) -> None:
        self.calls: list[tuple[int, int, int]] = []
        self.fail = fail

    def __call__(self, fd, offset, nbytes, flags) -> int:
        self.calls.append((offset, nbytes, flags))
        if self.fail is not None:
            ctypes.set_errno(self.fail)
            return -1
        return 0


@pytest.fixture
def recorded(monkeypatch):
    rec = _Recorder()
    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: rec)
    dropped: list[tuple[int, int]] = []
    real = os.posix_fadvise

    def fadvise(fd, offset, nbytes, advice):
        if advice == os.POSIX_FADV_DONTNEED:
            dropped.append((offset, nbytes))
        return real(fd, offset, nbytes, advice)

    monkeypatch.setattr(page_cache.os, "posix_fadvise", fadvise)
    return rec, dropped


def test_full_windows_are_written_back_then_dropped_one_behind(tmp_path, recorded):
    rec, dropped = recorded
    w = 4096
    with open(tmp_path / "f", "wb", buffering=0) as fh:
        pages = PageRecycler(fh.fileno(), window=w)
        for size in (100, 4000, 5000, 3 * w, 10):  # writes of any size, windows fixed
            fh.write(b"x" * size)
            pages.advance(fh.tell())
    total = 100 + 4000 + 5000 + 3 * w + 10  # 5 full windows and a tail
    assert total // w == 5
    assert [c for c in rec.calls if c[2] == 2] == [(k * w, w, 2) for k in range(5)]
    waits = [c for c in rec.calls if c[2] == WAIT]
    assert waits == [(k * w, w, WAIT) for k in range(4)]  # the last window stays cached
    assert dropped == [(k * w, w) for k in range(4)]
    # each window is started before the one before it is waited for and dropped
    order = [(c[0], c[2]) for c in rec.calls]
    for k in range(1, 5):
        assert order.index((k * w, 2)) < order.index(((k - 1) * w, WAIT))
    assert (tmp_path / "f").read_bytes() == b"x" * total


def test_a_disk_error_is_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: _Recorder(fail=errno.EIO))
    with open(tmp_path / "f", "wb", buffering=0) as fh:
        pages = PageRecycler(fh.fileno(), window=16)
        fh.write(b"y" * 64)
        with pytest.raises(OSError) as info:
            pages.advance(64)
    assert info.value.errno == errno.EIO


@pytest.mark.skipif(page_cache._sync_file_range() is None, reason="needs sync_file_range")
def test_a_pipe_is_left_alone():
    read, write = os.pipe()
    try:
        pages = PageRecycler(write, window=16)
        os.write(write, b"z" * 64)
        pages.advance(64)  # ESPIPE: switched off, no error
        pages.advance(128)
        assert os.read(read, 100) == b"z" * 64
    finally:
        os.close(read)
        os.close(write)


def _table(rows: int) -> pa.Table:
    rng = np.random.default_rng(5)
    return pa.table(
        {
            "id": np.arange(rows, dtype=np.int64),
            "amount": np.round(rng.gamma(2.0, 30.0, rows), 2),
            "share": rng.random(rows).astype(np.float32),
            "flag": rng.random(rows) < 0.3,
            "channel": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, 3, rows).astype(np.int8)),
                pa.array(["paid", "referral", "stock_import"]),
            ),
        }
    )


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("threads", [1, 2])
def test_csv_bytes_do_not_depend_on_the_page_cache_windows(tmp_path, monkeypatch, threads):
    table = _table(30_000)
    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: None)  # off
    write_csv_table(table, tmp_path / "plain.csv", slice_rows=4096, threads=threads)
    monkeypatch.undo()
    rec = _Recorder()
    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: rec)
    monkeypatch.setattr(page_cache, "WINDOW", 64 * 1024)
    write_csv_table(table, tmp_path / "windows.csv", slice_rows=4096, threads=threads)
    parts = (table.slice(at, 7000) for at in range(0, table.num_rows, 7000))
    write_csv_tables(parts, tmp_path / "slices.csv", slice_rows=4096, threads=threads)
    size = (tmp_path / "plain.csv").stat().st_size
    assert size > 10 * 64 * 1024
    assert len([c for c in rec.calls if c[2] == WAIT]) >= 2 * (size // (64 * 1024) - 1)
    assert _digest(tmp_path / "windows.csv") == _digest(tmp_path / "plain.csv")
    assert _digest(tmp_path / "slices.csv") == _digest(tmp_path / "plain.csv")


def test_parquet_bytes_do_not_depend_on_the_page_cache_windows(tmp_path, monkeypatch):
    table = _table(50_000)
    stamp = {"seed": "1", "created_utc": "not in the file"}

    def slices():
        return (table.slice(at, 10_000) for at in range(0, table.num_rows, 10_000))

    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: None)  # off
    write_parquet_slices(slices(), tmp_path / "plain.parquet", stamp)
    monkeypatch.undo()
    rec = _Recorder()
    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: rec)
    monkeypatch.setattr(page_cache, "WINDOW", 16 * 1024)
    write_parquet_slices(slices(), tmp_path / "windows.parquet", stamp)
    assert any(c[2] == WAIT for c in rec.calls)
    assert _digest(tmp_path / "windows.parquet") == _digest(tmp_path / "plain.parquet")
    back = pq.read_table(tmp_path / "windows.parquet")
    assert back.equals(table.replace_schema_metadata(back.schema.metadata))
    assert back.schema.metadata[b"lab:seed"] == b"1"
    assert b"lab:created_utc" not in back.schema.metadata


class _FailsOnWait(_Recorder):
    """sync_file_range that starts windows fine and fails its first wait with ``err``."""

    def __init__(self, err: int) -> None:
        super().__init__()
        self.err = err

    def __call__(self, fd, offset, nbytes, flags) -> int:
        self.calls.append((offset, nbytes, flags))
        if flags & 4:  # SYNC_FILE_RANGE_WAIT_AFTER: reports (and consumes) writeback errors
            ctypes.set_errno(self.err)
            return -1
        return 0


@pytest.mark.parametrize("err", [errno.EINVAL, errno.EOPNOTSUPP])
def test_an_error_reported_by_a_wait_is_raised_whatever_its_errno(tmp_path, monkeypatch, err):
    """Review (issue 16): a wait (SYNC_FILE_RANGE_WAIT_AFTER) reports the file's
    writeback error and marks it seen, so the final fsync (on a new descriptor) no
    longer reports it; a FUSE server may report a failed write as EINVAL or
    EOPNOTSUPP.  Only the first call, before any wait, may say "unsupported"."""
    monkeypatch.setattr(page_cache, "_sync_file_range", lambda: _FailsOnWait(err))
    with open(tmp_path / "f", "wb", buffering=0) as fh:
        pages = PageRecycler(fh.fileno(), window=16)
        fh.write(b"y" * 64)
        with pytest.raises(OSError) as info:
            pages.advance(64)
    assert info.value.errno == err
