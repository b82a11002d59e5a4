"""The report as PDF: the HTML page printed by headless Chromium (``--print-to-pdf``).

Why Chromium and not an HTML-to-PDF library: the page is already tested in headless
Chromium (``tests/test_report_browser.py``), so the PDF is that same rendering,
with the same embedded CJK font; and Chromium needs no system libraries beyond
the browser itself (WeasyPrint needs Pango and its fonts; wkhtmltopdf is
unmaintained).  When no Chromium is found, :func:`find_chromium` says so and the
CLI stops with exit code 2 before any run.

Chromium is looked up as ``$LAB_CHROMIUM`` (only it, when set), else
``chromium``, ``chromium-browser``, ``google-chrome`` on the ``PATH`` (Debian:
``apt-get install chromium``).  The PDF ends with a comment line naming the lab
(after ``%%EOF``; PDF readers ignore it), so a later run knows it may replace the
file, as it knows for the HTML and the workbook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from lab.io import OutputError

__all__ = [
    "PDF_STAMP",
    "PdfError",
    "find_chromium",
    "lab_wrote_pdf",
    "pdf_path_for",
    "print_pdf",
    "require_chromium",
]

#: the comment line the lab appends to its PDFs
PDF_STAMP = b"%private-traffic-lab report\n"

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: seconds Chromium may take to print one report
TIMEOUT_S = 180


class PdfError(OutputError):
    """The PDF cannot be made: no Chromium, or Chromium failed."""


def pdf_path_for(html_path: str | Path) -> Path:
    """The PDF that goes with ``reports/NAME.html``: ``reports/NAME.pdf``."""
    return Path(html_path).with_suffix(".pdf")


def find_chromium() -> str | None:
    """Path of the Chromium binary to print with, or None."""
    given = os.environ.get("LAB_CHROMIUM")
    for name in [given] if given else _CANDIDATES:
        if path := shutil.which(name):
            return path
    return None


def require_chromium() -> str:
    """Path of Chromium, else :class:`PdfError` saying how to get one."""
    exe = find_chromium()
    if exe is None:
        given = os.environ.get("LAB_CHROMIUM")
        where = (
            f"LAB_CHROMIUM={given} is not an executable"
            if given
            else f"none of {', '.join(_CANDIDATES)} is on the PATH"
        )
        raise PdfError(
            f"--pdf needs a headless Chromium browser to print the page: {where}. "
            "Install it (Debian/Ubuntu: apt-get install chromium) or set LAB_CHROMIUM "
            "to its path; nothing written."
        )
    return exe


def lab_wrote_pdf(path: Path) -> bool:
    """True when the PDF at ``path`` ends with the lab's stamp."""
    try:
        with Path(path).open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 256))
            return PDF_STAMP in fh.read()
    except OSError:
        return False


def print_pdf(html_text: str, chromium: str | None = None) -> bytes:
    """The page printed to PDF by headless Chromium (A4, backgrounds, no header/footer).

    Parameters
    ----------
    html_text : str
        The self-contained page (:func:`lab.report.render_html`).
    chromium : str, optional
        The browser (default :func:`require_chromium`).

    Returns
    -------
    bytes
        The PDF, ending with :data:`PDF_STAMP`.

    Raises
    ------
    PdfError
        No Chromium, or it failed or printed nothing.
    """
    exe = chromium or require_chromium()
    with tempfile.TemporaryDirectory(prefix="lab-pdf-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html_text, encoding="utf-8")
        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(
                args, capture_output=True, timeout=TIMEOUT_S, check=False, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfError(f"--pdf: Chromium ({exe}) did not print the page: {exc}") from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfError(
                f"--pdf: Chromium ({exe}) exited with code {done.returncode} and printed "
                f"nothing: {' / '.join(tail) or 'no message'}"
            )
        data = out.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PdfError(f"--pdf: Chromium ({exe}) wrote something that is not a PDF")
    return data + (b"" if data.endswith(b"\n") else b"\n") + PDF_STAMP
