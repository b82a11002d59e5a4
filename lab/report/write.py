"""Write a report's HTML and xlsx (and PDF) together, atomically: all files or none.

Both are first written to temporary files in the target folder (same file system,
so the final renames are atomic).  Only when both are complete do they replace
the targets, the workbook first; if the page's rename then fails, the previous
workbook (kept as a hard link or copy) is put back.
An interrupted or failed write leaves the previous report (or nothing), never a
half file or an HTML without its workbook.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from lab.io import OutputError, make_parents, output_error, remove_empty

__all__ = [
    "OutputError",
    "check_output",
    "lab_wrote_html",
    "lab_wrote_xlsx",
    "write_pair",
    "xlsx_path_for",
]


_GENERATOR = b'<meta name="generator" content="private-traffic-lab'


def lab_wrote_html(path: Path) -> bool:
    """True when the page at ``path`` carries the lab's generator stamp."""
    try:
        with Path(path).open("rb") as fh:
            return _GENERATOR in fh.read(4096)
    except OSError:
        return False


def lab_wrote_xlsx(path: Path) -> bool:
    """True when the workbook at ``path`` names the lab as its creator."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return b"<dc:creator>private-traffic-lab" in core


def xlsx_path_for(html_path: str | Path) -> Path:
    """The workbook that goes with ``reports/NAME.html``: ``reports/NAME.xlsx``."""
    return Path(html_path).with_suffix(".xlsx")


def _existing_ancestor(folder: Path) -> Path:
    p = folder
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def check_output(html_path: str | Path, pdf: bool = False) -> tuple[Path, Path]:
    """Check the output paths before any work is done; return (html, xlsx).

    With ``pdf`` the ``.pdf`` beside them is checked too.

    Raises
    ------
    OutputError
        When the name does not end in ``.html``, a target is a folder, the
        folder (or its nearest existing parent) is a file or cannot be written.
        Nothing is left behind by the check.
    """
    html = Path(html_path)
    if html.suffix.lower() != ".html" or not html.stem:
        raise OutputError(f"--out {html}: the report file name must end in .html")
    xlsx = xlsx_path_for(html)
    targets = [(html, lab_wrote_html), (xlsx, lab_wrote_xlsx)]
    if pdf:
        from lab.report.pdf import lab_wrote_pdf, pdf_path_for

        targets.append((pdf_path_for(html), lab_wrote_pdf))
    for target, lab_wrote in targets:
        if target.is_dir():
            raise OutputError(f"--out {html}: {target} is a folder")
        if target.exists() and not lab_wrote(target):
            raise OutputError(
                f"--out {html}: {target} exists and was not written by the lab (no lab "
                "stamp in it); nothing written. Use another name or move the file."
            )
    base = _existing_ancestor(html.parent if str(html.parent) else Path("."))
    if not base.is_dir():
        raise OutputError(f"--out {html}: {base} is not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(f"--out {html}: folder {base} is not writable")
    try:  # the real test (os.access says yes to root on read-only mounts)
        fd, probe = tempfile.mkstemp(prefix=".lab-report-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"--out {html}: folder {base} is not writable ({exc.strerror})") from None
    return html, xlsx


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_pair(
    html_text: str, write_xlsx, html_path: str | Path, pdf_bytes: bytes | None = None
) -> tuple[Path, Path]:
    """Write the HTML text and the workbook next to each other, both or neither.

    Parameters
    ----------
    html_text : str
        The page.
    write_xlsx : callable
        ``write_xlsx(path)`` saves the workbook to ``path``.
    html_path : str or Path
        ``.../NAME.html``; the workbook goes to ``.../NAME.xlsx``.
    pdf_bytes : bytes, optional
        The printed page, written to ``.../NAME.pdf`` with the others (all or none).

    Returns
    -------
    (Path, Path)
        The HTML and xlsx paths.
    """
    made = make_parents(Path(html_path)) if not Path(html_path).parent.exists() else []
    try:
        return _write_pair(html_text, write_xlsx, html_path, pdf_bytes)
    except OSError as exc:
        remove_empty(made)
        raise output_error(exc, html_path) from None
    except BaseException:
        remove_empty(made)
        raise


def _write_pair(
    html_text: str, write_xlsx, html_path: str | Path, pdf_bytes: bytes | None = None
) -> tuple[Path, Path]:
    html, xlsx = Path(html_path), xlsx_path_for(html_path)
    html.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o666 & ~_umask()
    others = [(xlsx, write_xlsx)]
    if pdf_bytes is not None:
        others.append((html.with_suffix(".pdf"), lambda p: Path(p).write_bytes(pdf_bytes)))
    tmps: dict[Path, Path] = {}
    backups: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for target in [html, *(t for t, _ in others)]:
            fd, name = tempfile.mkstemp(
                prefix=f".{html.stem}.", suffix=f"{target.suffix}.partial", dir=html.parent
            )
            os.close(fd)
            tmps[target] = Path(name)
        tmps[html].write_text(html_text, encoding="utf-8")
        for target, write in others:
            write(tmps[target])
        for t in tmps.values():
            t.chmod(mode)  # mkstemp makes 0600; reports should look like any file
            _fsync(t)
        for target, _ in others:  # a copy of each previous file, to put back if the page fails
            if target.exists():
                backups[target] = html.parent / f".{target.name}.old-{os.getpid()}"
                try:
                    os.link(target, backups[target])
                except OSError:
                    shutil.copy2(target, backups[target])
        try:
            for target, _ in others:
                os.replace(tmps[target], target)
                placed.append(target)
            os.replace(tmps[html], html)
        except BaseException:
            for target in placed:
                if target in backups:
                    os.replace(backups.pop(target), target)
                else:
                    os.unlink(target)
            raise
    finally:
        for t in tmps.values():
            with contextlib.suppress(OSError):
                t.unlink()
        for b in backups.values():
            with contextlib.suppress(OSError):
                b.unlink()
    return html, xlsx
