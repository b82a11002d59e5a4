"""One pair of forecast reports shared by ``test_report.py`` and ``test_report_browser.py``.

The reports are made once per test session, also under pytest-xdist: the workers of
a session share the parent of their temporary folders, and the first one to get the
lock writes the reports there while the others wait and reuse them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import yaml
from typer.testing import CliRunner

from lab.cli import app

SEEDS = 3
DAYS = 100  # 2026-01-01 .. 2026-04-10: April is a partial month
EVIL = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://example.invalid","x") & <b>bold</b>'


def write_scenarios(folder: Path) -> tuple[Path, Path]:
    """A small baseline-like pool (about 2 000 customers) and a deeper discount named EVIL."""
    base = yaml.safe_load(Path("scenarios/baseline.yaml").read_text(encoding="utf-8"))
    base["acquisition"]["stock_import"].update(customers_per_day=200, total_customers=800)
    base["acquisition"]["paid"]["daily_budget_cny"] = 600
    a = folder / "monthly.yaml"
    a.write_text(yaml.safe_dump(dict(base, name="monthly"), allow_unicode=True), encoding="utf-8")
    deeper = dict(base, name=EVIL, description=FORMULA)
    deeper["strategies"] = [dict(base["strategies"][0], depth=0.35), *base["strategies"][1:]]
    b = folder / "deeper.yaml"
    b.write_text(yaml.safe_dump(deeper, allow_unicode=True), encoding="utf-8")
    return a, b


@contextlib.contextmanager
def _locked(path: Path):
    try:
        import fcntl
    except ImportError:  # not POSIX: no sharing needed without xdist
        yield
        return
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _make(folder: Path) -> None:
    a, b = write_scenarios(folder)
    runner = CliRunner()
    for lang in ("en", "zh"):
        html = folder / "out" / f"forecast-{lang}.html"
        args = ["report", str(a), str(b), "--seeds", str(SEEDS), "--days", str(DAYS)]
        res = runner.invoke(
            app, [*args, "--lang", lang, "--out", str(html), "--workers", "1", "-q"]
        )
        assert res.exit_code == 0, res.output
        assert f"wrote {html}" in res.output.replace("\n", ""), res.output
    (folder / "done").write_text("ok", encoding="utf-8")


def shared_reports(tmp_path_factory) -> dict[str, Path]:
    """``{"a", "b": scenario files, "en", "zh": report pages}`` made through the CLI."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "lab-report-shared"
    with _locked(root / "lab-report-shared.lock"):
        if not (folder / "done").is_file():
            folder.mkdir(exist_ok=True)
            _make(folder)
    return {
        "a": folder / "monthly.yaml",
        "b": folder / "deeper.yaml",
        "en": folder / "out" / "forecast-en.html",
        "zh": folder / "out" / "forecast-zh.html",
    }
