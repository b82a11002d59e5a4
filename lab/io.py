"""Writing outputs: atomically, and stamped with their provenance.

Every folder or file the lab writes goes through here:

* :func:`atomic_folder` builds a folder in a temporary sibling and swaps it into
  place in one rename, so an interrupted run leaves the previous outputs (or
  nothing), never half-written files;
* :func:`atomic_file` does the same for a single file;
* :func:`write_csv` and :func:`write_parquet` carry the provenance stamp (scenario
  hash, seed, lab version, git commit): CSV as a first comment line (read it with
  ``pandas.read_csv(path, comment="#")``), parquet in its schema metadata.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["atomic_file", "atomic_folder", "write_csv", "write_parquet"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_folder(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out_dir`` when the block succeeds.

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists and is not a folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"output path {out} exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; outputs should look like any folder
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` when the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.partial-", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, path: Path, stamp: dict[str, str]) -> None:
    """CSV with the stamp as a first ``# key=value ...`` comment line."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        fh.write(
            "# " + " ".join(f"{k}={str(v).replace(' ', '_')}" for k, v in stamp.items()) + "\n"
        )
        df.to_csv(fh, index=False)


def write_parquet(df: pd.DataFrame, path: Path, stamp: dict[str, str]) -> None:
    """Parquet with the stamp in the schema metadata under ``lab:<key>``."""
    import pyarrow as pa  # imported on first save: the engine does not need it
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {**(table.schema.metadata or {})}
    meta.update({f"lab:{k}".encode(): str(v).encode() for k, v in stamp.items()})
    pq.write_table(table.replace_schema_metadata(meta), path)
