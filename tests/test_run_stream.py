"""``lab run`` writes the transactions CSV while the run goes on (issue 16 item 3).

The streamed file must be the one the finished result writes (any slice size, paused or
not by the memory limit); a failure or an interrupt during the run leaves no folder, no
temporary files and no writer thread; the run's own errors stay what they are.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
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


def test_an_interrupt_during_the_run_leaves_nothing(tmp_path, monkeypatch, spare_core):
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


def test_a_writer_failing_during_the_run_stops_it_with_one_message(
    tmp_path, monkeypatch, spare_core
):
    days_run = []

    failed = threading.Event()
    waited: list[bool] = []
    published: list[int] = []
    # never paused by the memory guard: a test process (an xdist worker) may already hold
    # more than the limit, and a paused writer writes nothing until the run's end
    monkeypatch.setattr(lab.results, "STREAM_RSS_LIMIT_MB", 1e9)

    def full_disk(parts, path, *args, **kw):
        next(iter(parts))  # midway: the file is open, a slice built
        failed.set()
        raise OSError(errno.ENOSPC, "No space left on device")

    def counted(self, day):
        days_run.append(day)
        if published and published[-1] >= lab.results._CSV_ROWS and not waited:
            # a first slice was due at yesterday's end (the stream hears of final rows
            # after each day): let the writer build it and fail (a fast run on a loaded
            # machine could otherwise end before the thread runs); the end of this day
            # must then stop the run
            waited.append(failed.wait(30.0))
        out = real_record(self, day)
        published.append(len(self.order_log))  # what the stream hears at this day's end
        return out

    real_record = PoolModel._record_day
    monkeypatch.setattr(lab.results, "write_csv_slices", full_disk)
    monkeypatch.setattr(PoolModel, "_record_day", counted)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    res = runner.invoke(app, ["run", BASE, "--days", "300", "-q", "--out", str(tmp_path / "r")])
    refused(res, str(tmp_path / "r"), "no space left on the device")
    assert snapshot(tmp_path) == before
    assert not _writer_threads()
    assert waited == [True]  # the writer failed during the run
    assert len(days_run) < 300  # and its error stopped the run


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


def _run_cli(out: Path, days: int = DAYS, seed: int | None = None) -> object:
    seeded = [] if seed is None else ["--seed", str(seed)]
    return runner.invoke(app, ["run", BASE, "--days", str(days), "-q", "--out", str(out), *seeded])


def _engine_on(threads: int):
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    yield numba
    numba.set_num_threads(before)


@pytest.fixture
def spare_core():
    """The engine on one numba thread, fewer than this process's cores: ``lab run``
    writes the transactions CSV on the core left over, while the run goes on."""
    from lab.csv_arrow import usable_cores

    if usable_cores() < 2:
        pytest.skip("one core here: the writer never has a core of its own")
    yield from _engine_on(1)


@pytest.fixture
def engine_on_all_cores():
    """The engine on as many numba threads as this process has cores: nothing is left
    over for a writer, so ``lab run`` writes every table after the run."""
    import numba

    from lab.csv_arrow import usable_cores

    if numba.config.NUMBA_NUM_THREADS < usable_cores():
        pytest.skip("numba has fewer threads than this process has cores")
    yield from _engine_on(usable_cores())


def _late_writer_error(stream: TransactionsCsvStream) -> None:
    """Make the writer end with a full disk just after ``finish`` checked it: its thread
    has ended (and cleared its log) and its error comes after the first check."""
    stream._stopped = True
    stream._news.set()
    stream._thread.join()
    real_raise, calls = stream._raise, []

    def late() -> None:
        if not calls:
            calls.append(1)
            stream._error = OSError(errno.ENOSPC, "No space left on device")
            return
        real_raise()

    stream._raise = late


@pytest.mark.parametrize("rows_given", [True, False])
def test_a_writer_error_during_finish_is_raised_as_it_is(tmp_path, rows_given):
    model = PoolModel(lab.load_scenario(BASE), seed=5, days=10)
    stream = TransactionsCsvStream.for_model(model, tmp_path / "t.csv")
    model.run_model(progress=lambda day: stream.day_done())
    channel, rows = model.pop.channel, len(model.order_log)
    _late_writer_error(stream)
    with pytest.raises(OSError, match="No space"):
        stream.finish(channel, rows if rows_given else None)
    assert not _writer_threads()


def test_a_writer_error_during_finish_is_the_one_line_full_disk_message(
    tmp_path, monkeypatch, spare_core
):
    real_finish = TransactionsCsvStream.finish

    def racing_finish(self, channel, rows=None):
        _late_writer_error(self)
        return real_finish(self, channel, rows)

    monkeypatch.setattr(TransactionsCsvStream, "finish", racing_finish)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    res = _run_cli(tmp_path / "r")
    refused(res, str(tmp_path / "r"), "no space left on the device")
    assert snapshot(tmp_path) == before
    assert not _writer_threads()


def _threads_by_day(monkeypatch, numba) -> list[int]:
    seen: list[int] = []
    real_record = PoolModel._record_day

    def counted(self, day):
        seen.append(numba.get_num_threads())
        return real_record(self, day)

    monkeypatch.setattr(PoolModel, "_record_day", counted)
    return seen


def _writer_starts(monkeypatch) -> list[bool]:
    started: list[bool] = []
    real_start = TransactionsCsvStream.start

    def counted(self):
        started.append(True)
        return real_start(self)

    monkeypatch.setattr(TransactionsCsvStream, "start", counted)
    return started


def test_the_writer_streams_on_a_core_the_engine_leaves(tmp_path, monkeypatch, spare_core):
    seen = _threads_by_day(monkeypatch, spare_core)
    started = _writer_starts(monkeypatch)
    monkeypatch.setattr(lab.results, "STREAM_RSS_LIMIT_MB", 1e9)  # never paused
    res = _run_cli(tmp_path / "r", days=60, seed=1)
    assert res.exit_code == 0, res.output
    assert started == [True]
    assert set(seen) == {1}  # the engine keeps its one thread every day
    saved = lab.run(lab.load_scenario(BASE), seed=1, days=60).save(tmp_path / "api")
    assert _data_files(tmp_path / "r") == _data_files(saved)


def test_an_engine_on_every_core_writes_the_csv_after_the_run(
    tmp_path, monkeypatch, engine_on_all_cores
):
    """No writer takes a core from the engine (two threads run the engine faster than
    one thread and a writer, and the CSV text is then made on every core): the same
    files, and the engine on all its threads every day."""
    from lab import csv_arrow

    numba = engine_on_all_cores
    cores = numba.get_num_threads()
    seen = _threads_by_day(monkeypatch, numba)
    started = _writer_starts(monkeypatch)
    monkeypatch.delenv("LAB_CSV_THREADS", raising=False)
    monkeypatch.setattr(lab.results, "TEXT_THREADS_FROM_ROWS", 1000)  # a small run's CSV
    text_threads: list[int] = []
    real_write = csv_arrow._write_parts

    def counted(sink, parts, as_date, slice_rows, threads):
        text_threads.append(csv_arrow.text_threads() if threads is None else threads)
        return real_write(sink, parts, as_date, slice_rows, threads)

    monkeypatch.setattr(csv_arrow, "_write_parts", counted)
    res = _run_cli(tmp_path / "r", days=60, seed=1)
    assert res.exit_code == 0, res.output
    assert started == []
    assert set(seen) == {cores}
    assert text_threads and text_threads[0] == min(cores, csv_arrow.MAX_THREADS)
    saved = lab.run(lab.load_scenario(BASE), seed=1, days=60).save(tmp_path / "api")
    assert _data_files(tmp_path / "r") == _data_files(saved)


def _interrupt_on_day(monkeypatch, when: int):
    real = PoolModel._record_day

    def interrupted(self, day):
        if day == when:
            raise KeyboardInterrupt
        return real(self, day)

    monkeypatch.setattr(PoolModel, "_record_day", interrupted)


def _full_disk_writer(monkeypatch):
    def full_disk(parts, path, *args, **kw):
        next(iter(parts))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lab.results, "write_csv_slices", full_disk)


def _interrupt_in(monkeypatch, cls, name: str, after: bool = False):
    real = getattr(cls, name)

    def interrupted(*args, **kw):
        if after:
            real(*args, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(cls, name, interrupted)


FAILURES = {
    "ctrl-c during the run": lambda mp: _interrupt_on_day(mp, 20),
    "writer error during the run": _full_disk_writer,
    "ctrl-c as the writer starts": lambda mp: _interrupt_in(
        mp, TransactionsCsvStream, "start", after=True
    ),
    "ctrl-c in finish": lambda mp: _interrupt_in(mp, TransactionsCsvStream, "finish"),
    "ctrl-c in join, writer running": lambda mp: _interrupt_in(mp, TransactionsCsvStream, "join"),
    "ctrl-c after join": lambda mp: _interrupt_in(mp, TransactionsCsvStream, "join", after=True),
    "ctrl-c in the customers": lambda mp: _interrupt_in(mp, RunResult, "_write_customers"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_run_leaves_a_previous_folder_as_it_was_and_the_threads(
    tmp_path, monkeypatch, spare_core, failure
):
    out = tmp_path / "r"
    assert _run_cli(out).exit_code == 0
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    FAILURES[failure](monkeypatch)
    res = _run_cli(out)
    assert res.exit_code != 0
    if "writer error" in failure:
        refused(res, str(out), "no space left on the device")
    assert snapshot(tmp_path) == before  # the previous folder byte for byte, nothing else
    assert not _writer_threads()
    assert spare_core.get_num_threads() == 1


def test_csvs_on_two_text_threads_are_the_one_threads(tmp_path, monkeypatch):
    """The transactions and customers tables forced over the threshold (and into many
    small slices): written after the run on two text threads, the same bytes."""
    from lab import csv_arrow

    monkeypatch.delenv("LAB_CSV_THREADS", raising=False)
    result = lab.run(lab.load_scenario(BASE), seed=3, days=DAYS)
    result.save(tmp_path / "one", formats=("csv",))
    threads_used: list[int] = []
    real_pool = csv_arrow._pool

    def counted_pool(threads):
        threads_used.append(threads)
        return real_pool(threads)

    monkeypatch.setattr(lab.results, "TEXT_THREADS_FROM_ROWS", 1)
    monkeypatch.setattr(csv_arrow, "THREAD_ROWS", 256)
    monkeypatch.setattr(csv_arrow, "_pool", counted_pool)
    result.save(tmp_path / "two", formats=("csv",))
    if len(os.sched_getaffinity(0)) >= 2:
        assert threads_used == [2, 2]  # transactions, then customers
    for table in ("transactions", "customers"):
        one = (tmp_path / "one" / f"{table}.csv").read_bytes()
        assert one.count(b"\n") > 4 * 256, table  # several slices
        assert (tmp_path / "two" / f"{table}.csv").read_bytes() == one, table


def test_lab_run_terminated_leaves_no_temporary_folder(tmp_path):
    """SIGTERM in the middle of a long run: exit 143 and nothing left (no hidden folder)."""
    out = tmp_path / "term"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "lab", "run", BASE, "--days", "3000", "-q", "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".term.partial-*/.lab-partial")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # into the run
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp_path.iterdir()) == []


def text_threads_in_worker(_task: int) -> tuple[int, int]:
    """What a pool worker formats CSV text on, and its process id."""
    from lab.csv_arrow import text_threads

    return text_threads(), os.getpid()


def test_pool_workers_make_csv_text_on_one_thread(monkeypatch):
    from lab.csv_arrow import usable_cores
    from lab.parallel.pool import LocalExecutor

    if usable_cores() < 2:
        pytest.skip("one core: one text thread anyway")
    monkeypatch.setenv("LAB_CSV_THREADS", "2")  # the parent's choice is not the workers'
    pool = LocalExecutor(2)
    try:
        seen = [r for _, r in pool.stream(text_threads_in_worker, enumerate(range(4)))]
    finally:
        pool.close()
    assert {t for t, _ in seen} == {1}
    assert all(pid != os.getpid() for _, pid in seen)
