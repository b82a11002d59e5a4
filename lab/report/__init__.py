"""Forecast reports for planners: one self-contained HTML page and a matching workbook.

>>> from lab import report
>>> data = report.collect(["scenarios/baseline.yaml"], seeds=range(10))   # doctest: +SKIP
>>> report.write_report(data, "reports/baseline.html", lang="zh")         # doctest: +SKIP
(PosixPath('reports/baseline.html'), PosixPath('reports/baseline.xlsx'))

Modules: :mod:`~lab.report.data` (runs and tables), :mod:`~lab.report.summary`
(sentences), :mod:`~lab.report.html` (the page, with :mod:`~lab.report.figures`
and :mod:`~lab.report.fonts`), :mod:`~lab.report.xlsx` (the workbook),
:mod:`~lab.report.pdf` (the page printed by headless Chromium) and
:mod:`~lab.report.write` (atomic writing of all of them).  ``lab forecast``'s page
and workbook: :mod:`~lab.report.forecast_html` and :mod:`~lab.report.forecast_xlsx`.
"""

from __future__ import annotations

from pathlib import Path

from lab.report.data import ReportData, collect
from lab.report.html import render_html
from lab.report.summary import summary_sentences
from lab.report.write import OutputError, check_output, write_pair, xlsx_path_for
from lab.report.xlsx import build_workbook, write_xlsx

__all__ = [
    "OutputError",
    "ReportData",
    "build_workbook",
    "check_output",
    "collect",
    "render_html",
    "summary_sentences",
    "write_report",
    "write_xlsx",
    "xlsx_path_for",
]


def write_report(
    data: ReportData,
    out: str | Path,
    lang: str = "en",
    embed_font: bool = True,
    pdf: bool = False,
) -> tuple[Path, Path]:
    """Write ``out`` (``.html``) and the matching ``.xlsx``, atomically (both or neither).

    Parameters
    ----------
    data : ReportData
        From :func:`collect`.
    out : str or Path
        The HTML file; must end in ``.html``.  The workbook gets the same name
        with ``.xlsx``.
    lang : {"en", "zh"}
        Language of the report.
    embed_font : bool
        Embed the page's glyphs of the packaged CJK font (default).
    pdf : bool
        Also print the page to ``.pdf`` beside it, with headless Chromium
        (:mod:`lab.report.pdf`); all three files are written or none.

    Returns
    -------
    (Path, Path)
        The HTML and xlsx paths (the PDF, if asked for, is the HTML's with ``.pdf``).

    Raises
    ------
    OutputError
        The path cannot be used (checked before anything is written); with
        ``pdf``, also :class:`lab.report.pdf.PdfError` when Chromium is missing or fails.
    """
    from lab.i18n import check_lang

    check_lang(lang)
    html_path, _ = check_output(out, pdf=pdf)
    chromium = None
    if pdf:
        from lab.report.pdf import require_chromium

        chromium = require_chromium()
    page = render_html(data, lang, embed_font=embed_font)
    printed = None
    if pdf:
        from lab.report.pdf import print_pdf

        printed = print_pdf(page, chromium)
    return write_pair(page, lambda p: write_xlsx(data, p, lang), html_path, printed)
