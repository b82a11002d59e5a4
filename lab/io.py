"""Writing outputs: atomically, only over the lab's own outputs, and plain.

Every folder or file the lab writes goes through here:

* :func:`atomic_folder` builds a folder in a temporary sibling, fsyncs it and
  swaps it into place in one rename, so an interrupted or failed write (a kill,
  a full disk) leaves the previous outputs (or nothing), never half-written files.
  The folder's ``manifest.json`` carries the marker ``"made_by":
  "private-traffic-lab"`` and the list of the files the lab wrote
  (``lab_files``).  Only such a folder is ever replaced; an existing folder
  without the marker is refused unless it is empty, and so is a lab folder that
  holds files the lab did not write (nothing of the user's is ever deleted).
  SIGTERM and SIGHUP during the block raise :class:`Terminated`, so the temporary
  folder is removed; one left by a lab process killed outright (SIGKILL, a power
  cut) is removed by the next write to the same name when its marker
  (:data:`PARTIAL_MARKER`) names a dead process (:func:`remove_dead_partials`);
* :func:`atomic_file` does the same for a single file; an existing file is only
  replaced when the caller's check says the lab wrote it;
* :func:`write_csv` writes plain CSV (no comment line, no wall-clock time: the
  same data give the same bytes) with text cells neutralised against spreadsheet
  formula injection (:func:`neutralise_text`); :func:`write_parquet` puts the
  provenance stamp in the schema metadata; the full provenance (with the creation
  time) lives in the folder's ``manifest.json``.  Both take a pandas DataFrame or
  a ``pyarrow.Table``; a table's CSV is written by pyarrow
  (:func:`lab.csv_arrow.write_csv_table`: the run's big tables, straight from
  their arrays); the big tables' files go to the disk and out of the page cache as
  they grow (:mod:`lab.page_cache`: new cache pages are slow on some VMs);
* :func:`safe_slug` turns a scenario name into one safe path component, and
  :func:`default_out` puts it inside ``reports/``.

Failures are :class:`OutputError` (a ``ValueError`` naming the path and why).
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lab.text_safety import neutralise_frame, neutralise_text, unneutralise_text

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MADE_BY",
    "PARTIAL_MARKER",
    "WALL_CLOCK",
    "OutputError",
    "Terminated",
    "atomic_file",
    "atomic_folder",
    "check_out_file",
    "check_out_folder",
    "check_parent",
    "default_out",
    "fsync_file",
    "is_lab_folder",
    "make_parents",
    "neutralise_frame",
    "neutralise_text",
    "output_error",
    "remove_dead_partials",
    "remove_empty",
    "safe_slug",
    "unneutralise_text",
    "write_csv",
    "write_csv_slices",
    "write_csv_table",
    "write_parquet",
    "write_parquet_slices",
]

#: value of ``made_by`` in every manifest the lab writes: the marker of a lab folder
MADE_BY = "private-traffic-lab"
MANIFEST = "manifest.json"
#: file in a folder being written by :func:`atomic_folder`: "host pid" of the writer
PARTIAL_MARKER = ".lab-partial"
_SLUG_MAX = 80
#: stamp keys that hold wall-clock time: kept out of data files (manifest.json has them)
WALL_CLOCK = frozenset({"created_utc"})


class OutputError(ValueError):
    """An output path that cannot be used; the message names the path and why."""


def output_error(exc: OSError, path: str | Path | None = None) -> OutputError:
    """An :class:`OutputError` naming the path and the reason of an ``OSError``."""
    where = path if path is not None else (exc.filename or "the output")
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device; the previous outputs are unchanged"
    return OutputError(f"{where}: could not write ({reason})")


# ---------------------------------------------------------------- names and text
def safe_slug(name: str, fallback: str = "scenario") -> str:
    """One safe path component made from a scenario name.

    Letters (any script), digits, ``-``, ``_`` and ``.`` are kept; anything else
    (separators, control characters, spaces) becomes ``_``; leading dots and
    underscores are dropped (no hidden names, no ``.``/``..``); the result is at
    most 80 characters; an empty result is ``fallback``.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = "".join(c if (c.isalnum() or c in "-_.") and c.isprintable() else "_" for c in text)
    text = re.sub(r"_+", "_", text).strip("._ ")
    text = text[:_SLUG_MAX].rstrip("._ ")
    return text or fallback


def default_out(*parts: str, suffix: str = "", base: str | Path = "reports") -> Path:
    """``reports/<slug of the joined parts><suffix>``: always one entry inside ``base``."""
    return Path(base) / (safe_slug("-".join(parts)) + suffix)


# ---------------------------------------------------------------- marker checks
def _manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_lab_folder(folder: str | Path) -> bool:
    """True when ``folder/manifest.json`` carries the lab's marker."""
    m = _manifest(Path(folder))
    return m is not None and m.get("made_by") == MADE_BY


#: stamp keys every lab manifest has carried, before the ``made_by`` marker too
_LEGACY_STAMP = ("lab_version", "scenario_hash")


def _lab_listing(m: dict | None) -> set[str] | None:
    """The files a lab manifest lists, or None when the manifest is not the lab's.

    Folders written before the ``made_by`` marker (lab 0.1 run and compare folders)
    are recognised by their provenance stamp and their ``files`` listing, so an
    upgrade does not lock users out of their own earlier output folders; as for
    marked folders, only the files listed there (and ``scenario.json``, which those
    versions wrote unlisted) may be replaced.
    """
    if m is None:
        return None
    if m.get("made_by") == MADE_BY:
        return set(m.get("lab_files") or [])
    files = m.get("files")
    if all(k in m for k in _LEGACY_STAMP) and isinstance(files, dict | list):
        return {str(f) for f in files} | {"scenario.json"}
    return None


def _relative_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def check_out_folder(out: str | Path) -> Path:
    """Check that ``out`` may become (or be replaced by) a lab output folder.

    Allowed: a path that does not exist (its nearest existing parent a writable
    folder), an empty folder, or a folder the lab wrote whose files are all the
    lab's.  Writes nothing.

    Raises
    ------
    OutputError
        Naming the path and why (a file, under a file, a folder of other files,
        extra files in a lab folder, not writable).
    """
    out = Path(out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"--out {out}: exists and is not a folder; nothing written")
    if out.is_dir():
        entries = list(out.iterdir())
        if entries:
            m = _manifest(out)
            listed = _lab_listing(m)
            if listed is None:
                raise OutputError(
                    f"--out {out}: the folder is not empty and was not made by the lab "
                    f"(no {MANIFEST} with made_by={MADE_BY}); nothing written, nothing "
                    "deleted. Use a new or empty folder."
                )
            extra = [f for f in _relative_files(out) if f not in listed and f != MANIFEST]
            if extra:
                shown = ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
                raise OutputError(
                    f"--out {out}: this lab folder also holds files the lab did not write "
                    f"({shown}); move them out or use another --out. Nothing written."
                )
    check_parent(out)
    return out


def check_parent(out: str | Path) -> None:
    """The nearest existing parent of ``out`` must be a writable folder (OutputError if not)."""
    out = Path(out)
    base = out.parent
    while not base.exists() and base.parent != base:
        base = base.parent
    if not base.is_dir():
        raise OutputError(f"--out {out}: {base} is a file, not a folder; nothing written")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: folder {base} is not writable; nothing written")


def check_out_file(path: str | Path, may_replace: Callable[[Path], bool] | None = None) -> Path:
    """Check that the file ``path`` may be written (or replaced); writes nothing.

    Raises
    ------
    OutputError
        ``path`` is a folder, lies under a file or an unwritable folder, or exists
        and ``may_replace`` says the lab did not write it.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"--out {target}: is a folder; nothing written")
    check_parent(target)
    if may_replace is not None and target.exists() and not may_replace(target):
        raise OutputError(
            f"--out {target}: the file exists and was not written by the lab; "
            "nothing written. Use another name or move the file."
        )
    return target


def make_parents(path: Path) -> list[Path]:
    """Create the missing parents of ``path``; return them, outermost first."""
    missing = []
    p = Path(path).parent
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    missing.reverse()
    for p in missing:
        p.mkdir(exist_ok=True)
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders :func:`make_parents` created, where still empty (innermost first)."""
    for p in reversed(folders):
        with suppress(OSError):
            p.rmdir()


# ---------------------------------------------------------------- durable writes
def _fsync_path(path: Path, directory: bool = False) -> None:
    """fsync a file (errors such as ENOSPC or EIO are raised) or a folder (best effort)."""
    if not directory:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return
    with suppress(OSError):  # some file systems cannot open or fsync a folder
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_file(path: str | Path) -> None:
    """fsync one written file now (errors such as ENOSPC or EIO are raised): a writer
    thread does it as soon as its file is closed, so the folder's fsync finds it clean."""
    _fsync_path(Path(path))


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            _fsync_path(p)
    for p in [*(q for q in folder.rglob("*") if q.is_dir()), folder]:
        _fsync_path(p, directory=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stamp_manifest(tmp: Path) -> None:
    """Add the marker and the list of written files to ``tmp/manifest.json``."""
    m = _manifest(tmp) or {}
    files = [f for f in _relative_files(tmp) if f not in (MANIFEST, PARTIAL_MARKER)]
    m = {"made_by": MADE_BY, **{k: v for k, v in m.items() if k != "made_by"}}
    m["lab_files"] = files
    (tmp / MANIFEST).write_text(json.dumps(m, indent=2, ensure_ascii=False), encoding="utf-8")


@contextmanager
def atomic_folder(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out_dir`` when the block succeeds.

    The folder's ``manifest.json`` (written by the block, or made here) gets the
    marker and ``lab_files``.  Files are fsynced before the rename.  An existing
    ``out_dir`` is replaced only if :func:`check_out_folder` allows it (checked
    before the block and again before the swap).

    In the main thread, SIGTERM and SIGHUP raise :class:`Terminated` during the
    block (the temporary folder is removed, the previous handlers are restored
    after it).  The temporary folder holds :data:`PARTIAL_MARKER` until the swap;
    folders of this name left by a killed lab process are removed first
    (:func:`remove_dead_partials`).

    Raises
    ------
    OutputError
        When ``out_dir`` may not be written (nothing is written or deleted), or
        when writing fails (an ``OSError``, e.g. a full disk: the previous folder
        is left as it was).
    """
    check_out_folder(out_dir)
    out = Path(os.path.abspath(out_dir))  # "." and "x/.." have no usable name
    made: list[Path] = []
    try:
        made = make_parents(out)
        remove_dead_partials(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; outputs should look like any folder
    except OSError as exc:
        remove_empty(made)
        raise output_error(exc, out_dir) from None
    except BaseException:
        remove_empty(made)
        raise
    try:
        with _signals_raise():  # SIGTERM/SIGHUP: the cleanup below runs
            (tmp / PARTIAL_MARKER).write_text(_writer_id(), encoding="ascii")
            yield tmp
            _stamp_manifest(tmp)
            _fsync_tree(tmp)
            check_out_folder(out_dir)  # the folder may have changed while the block ran
            (tmp / PARTIAL_MARKER).unlink()
            _swap_in(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_empty(made)
        raise output_error(exc, out_dir) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_empty(made)
        raise


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived while :func:`atomic_folder` was writing (exit 128 + signal)."""


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Terminated` in this block (main thread only).

    The default action of both kills the process at once: ``atomic_folder``'s cleanup
    would not run, and its temporary folder would stay.  A second signal while the
    first is being handled is ignored (the cleanup is not cut short).  The previous
    handlers are restored at the end of the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    caught: list[int] = []

    def handler(signum, frame) -> None:
        if not caught:
            caught.append(signum)
            raise Terminated(128 + signum)

    previous = {}
    try:
        for name in wanted:
            num = getattr(signal, name)
            previous[num] = signal.signal(num, handler)
        yield
    finally:
        for num, old in previous.items():
            signal.signal(num, old)


def _writer_id() -> str:
    return f"{socket.gethostname()} {os.getpid()}\n"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's (EPERM)
        return True
    return True


def _dead_writers_folder(folder: Path) -> bool:
    """True when ``folder`` is a temporary folder of :func:`atomic_folder` whose writer is
    gone: its marker names this host and a process that no longer exists, the folder is
    this user's, and it holds only files and folders (no symlinks)."""
    try:
        uid = os.getuid() if hasattr(os, "getuid") else None  # no uids on Windows
        if folder.is_symlink() or not folder.is_dir():
            return False
        if uid is not None and folder.stat().st_uid != uid:
            return False
        host, pid = (folder / PARTIAL_MARKER).read_text(encoding="ascii").split()
        if host != socket.gethostname() or not pid.isdigit() or _pid_alive(int(pid)):
            return False
        return not any(p.is_symlink() for p in folder.rglob("*"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def remove_dead_partials(out: str | Path) -> list[Path]:
    """Remove the ``.NAME.partial-*`` siblings of ``out`` left by a killed lab writer.

    Only folders holding the :data:`PARTIAL_MARKER` the lab writes first into each
    temporary folder, naming a process on this host that is dead, are removed: they
    hold nothing but what that writer wrote.  Anything else is left alone.  Returns
    the folders removed.
    """
    out = Path(os.path.abspath(out))
    removed = []
    with suppress(OSError):
        for folder in out.parent.glob(f".{glob.escape(out.name)}.partial-*"):
            if _dead_writers_folder(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where the system cannot (then the caller renames in two steps).
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # not supported by this kernel or file system
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, out: Path) -> None:
    """Put ``tmp`` at ``out``; a previous lab folder is swapped out and removed.

    Where the system can, the two folders are exchanged in one atomic step, so a
    kill at any moment leaves either the previous or the new folder at ``out``.
    Elsewhere the previous folder is first renamed aside (``.NAME.old-*``).
    """
    if out.is_dir() and any(out.iterdir()):
        if _exchange(tmp, out):
            old = tmp  # now holds the previous folder
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old)  # a folder may be renamed onto an empty one
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)
                raise
        try:
            _fsync_path(out.parent, directory=True)
        finally:  # only lab files are in it (checked), so this deletes nothing else
            shutil.rmtree(old, ignore_errors=True)
        return
    os.replace(tmp, out)  # onto a missing or empty folder: one atomic rename
    _fsync_path(out.parent, directory=True)


@contextmanager
def atomic_file(
    path: str | Path, may_replace: Callable[[Path], bool] | None = None
) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or Path
    may_replace : callable, optional
        ``may_replace(path)`` says whether an existing file is one the lab wrote;
        when given and it says no, the write is refused (:class:`OutputError`)
        before anything is written.

    The temporary file is fsynced before the rename; an ``OSError`` becomes an
    :class:`OutputError` naming ``path`` (the previous file is left as it was).
    """
    target = check_out_file(path, may_replace)
    made: list[Path] = []
    try:
        made = make_parents(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.partial-", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        remove_empty(made)
        raise output_error(exc, target) from None
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        _fsync_path(tmp)
        os.replace(tmp, target)
        _fsync_path(target.parent, directory=True)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        remove_empty(made)
        raise output_error(exc, target) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        remove_empty(made)
        raise


def write_csv(df: pd.DataFrame | pa.Table, path: Path, stamp: dict[str, str] | None = None) -> None:
    """Plain CSV (UTF-8, ``\\n`` line ends), text cells neutralised.

    A pandas DataFrame is written by pandas; a ``pyarrow.Table`` by pyarrow's
    CSV writer, straight from its arrays (see :func:`write_csv_table` for the
    format, which differs from pandas' only in the layout of some floats).
    ``stamp`` is accepted for symmetry with :func:`write_parquet` and not written:
    a CSV's provenance is its folder's ``manifest.json``.
    """
    del stamp
    if not isinstance(df, pd.DataFrame):
        write_csv_table(df, path)
        return
    neutralise_frame(df).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_parquet(df: pd.DataFrame | pa.Table, path: Path, stamp: dict[str, str]) -> None:
    """Parquet with the stamp in the schema metadata under ``lab:<key>``.

    ``df`` is a pandas DataFrame or a ``pyarrow.Table`` (written as it is, with
    its own schema metadata).  Wall-clock keys (:data:`WALL_CLOCK`, e.g.
    ``created_utc``) are left out, so the same data give the same bytes; the
    creation time lives in ``manifest.json``.
    """
    import pyarrow as pa  # imported on first save: the engine does not need it
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False) if isinstance(df, pd.DataFrame) else df
    meta = {**(table.schema.metadata or {})}
    meta.update(
        {f"lab:{k}".encode(): str(v).encode() for k, v in stamp.items() if k not in WALL_CLOCK}
    )
    pq.write_table(table.replace_schema_metadata(meta), path)


def write_parquet_slices(tables: Iterable[pa.Table], path: Path, stamp: dict[str, str]) -> None:
    """Parquet from ``pyarrow.Table`` slices (same schema), one row group at most per slice.

    With slices of parquet's default row group (``1024 * 1024`` rows; the last may be
    shorter) the file is byte for byte the one :func:`write_parquet` writes for the
    whole table, without the whole table in memory.  At least one slice is needed
    (an empty table for no rows).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lab.page_cache import PageRecycler

    writer = sink = None
    try:
        for table in tables:
            if writer is None:
                meta = {**(table.schema.metadata or {})}
                meta.update(
                    {
                        f"lab:{k}".encode(): str(v).encode()
                        for k, v in stamp.items()
                        if k not in WALL_CLOCK
                    }
                )
                schema = table.schema.with_metadata(meta)
                sink = pa.OSFile(str(path), "wb")
                pages = PageRecycler(sink.fileno())  # row groups leave the page cache
                writer = pq.ParquetWriter(sink, schema)
            writer.write_table(table.replace_schema_metadata(schema.metadata))
            pages.advance(sink.tell())
            del table  # not held while the next slice is built
    finally:
        try:
            if writer is not None:
                writer.close()
        finally:
            if sink is not None:
                sink.close()
    if writer is None:
        raise ValueError(f"{path}: no table slices to write")


def write_csv_table(table: pa.Table, path: Path, **kw) -> None:
    """Plain CSV of a ``pyarrow.Table`` (:func:`lab.csv_arrow.write_csv_table`)."""
    from lab.csv_arrow import write_csv_table as write  # numba: loaded when first needed

    write(table, path, **kw)


def write_csv_slices(tables: Iterable[pa.Table], path: Path, **kw) -> None:
    """Plain CSV from ``pyarrow.Table`` slices, as :func:`write_csv` writes their concatenation."""
    from lab.csv_arrow import write_csv_tables

    write_csv_tables(tables, path, **kw)
