"""``lab run`` writes the transactions CSV while the run goes on (issue 16 item 3).

The streamed file must be the one the finished result writes (any slice size, paused or
not by the memory limit); a failure or an interrupt during the run leaves no folder, no
temporary files and no writer thread; the run's own errors stay what they are.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lab
import lab.model
import lab.results
from lab.cli import app
from lab.model import PoolModel
from lab.results import RunResult, TransactionsCsvStream
from tests.test_outputs import refused, snapshot

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "scenarios" / "baseline.yaml")
DAYS = 40


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lab-transactions-csv"]


def _data_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def test_lab_run_writes_the_files_save_writes(tmp_path):
    out = tmp_path / "cli"
    res = runner.invoke(
        app, ["run", BASE, "--days", str(DAYS), "--seed", "3", "-q", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    saved = lab.run(lab.load_scenario(BASE), seed=3, days=DAYS).save(tmp_path / "api")
    cli, api = _data_files(out), _data_files(saved)
    assert set(cli) >= {"transactions.csv", "transactions.parquet", "customers.csv"}
    assert cli == api  # byte for byte, CSV and parquet
    assert not _writer_threads()


@pytest.mark.parametrize(("rows", "limit_mb"), [(97, None), (5000, 0.0), (1, 1e9)])
def test_streamed_csv_is_the_finished_logs_csv(tmp_path, rows, limit_mb):
    """Any slice size, and a writer paused from the start (limit 0) or never."""
    model = PoolModel(lab.load_scenario(BASE), seed=5, days=DAYS)
    stream = TransactionsCsvStream.for_model(
        model, tmp_path / "streamed.csv", rows=rows, rss_limit_mb=limit_mb
    )
    model.run_model(progress=lambda day: stream.day_done())
    result = RunResult(model)
    stream.finish(result._pop["channel"])
    stream.join()
    lab.results.write_csv_slices(result._transaction_slices(), tmp_path / "whole.csv")
    whole = (tmp_path / "whole.csv").read_bytes()
    assert whole.count(b"\n") > 100  # orders were written
    assert (tmp_path / "streamed.csv").read_bytes() == whole
    assert not _writer_threads()


def test_an_interrupt_during_the_run_leaves_nothing(tmp_path, monkeypatch):
    real = PoolModel._record_day

    def interrupted(self, day):
        if day == 20:
            raise KeyboardInterrupt
        return real(self, day)

    monkeypatch.setattr(PoolModel, "_record_day", interrupted)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    res = runner.invoke(app, ["run", BASE, "--days", str(DAYS), "-q", "--out", str(tmp_path / "r")])
    assert res.exit_code != 0
    assert snapshot(tmp_path) == before  # no folder, no temporary folder, the user's file
    assert not _writer_threads()


def test_a_writer_failing_during_the_run_stops_it_with_one_message(tmp_path, monkeypatch):
    days_run = []

    def full_disk(parts, path, *args, **kw):
        next(iter(parts))  # midway: the file is open, a slice built
        raise OSError(errno.ENOSPC, "No space left on device")

    def counted(self, day):
        days_run.append(day)
        return real_record(self, day)

    real_record = PoolModel._record_day
    monkeypatch.setattr(lab.results, "write_csv_slices", full_disk)
    monkeypatch.setattr(PoolModel, "_record_day", counted)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    res = runner.invoke(app, ["run", BASE, "--days", "300", "-q", "--out", str(tmp_path / "r")])
    refused(res, str(tmp_path / "r"), "no space left on the device")
    assert snapshot(tmp_path) == before
    assert not _writer_threads()
    assert len(days_run) < 300  # the writer's error stopped the run


def test_a_pool_too_large_is_still_one_message_and_nothing_written(tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text(f"extends: {BASE}\nmax_customers: 1000\n", encoding="utf-8")
    out = tmp_path / "big"
    res = runner.invoke(app, ["run", str(small), "--days", "30", "-q", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "max_customers" in " ".join(res.output.split())
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert not _writer_threads()


def test_text_threads_default_holds_in_its_block_only(monkeypatch):
    from lab import csv_arrow

    monkeypatch.delenv("LAB_CSV_THREADS", raising=False)
    assert csv_arrow.text_threads() == 1
    with csv_arrow.text_threads_default(2):
        assert csv_arrow.text_threads() == min(2, len(os.sched_getaffinity(0)))
        monkeypatch.setenv("LAB_CSV_THREADS", "1")  # the environment still decides
        assert csv_arrow.text_threads() == 1
    monkeypatch.delenv("LAB_CSV_THREADS")
    assert csv_arrow.text_threads() == 1


def test_only_a_big_table_gets_text_threads(monkeypatch):
    from lab.results import TEXT_THREADS_FROM_ROWS, post_run_threads

    monkeypatch.delenv("LAB_CSV_THREADS", raising=False)
    assert post_run_threads(TEXT_THREADS_FROM_ROWS - 1) == 1
    assert post_run_threads(TEXT_THREADS_FROM_ROWS) == min(2, len(os.sched_getaffinity(0)))
