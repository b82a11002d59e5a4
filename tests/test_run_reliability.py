"""Faults around experiment runs: bad files in a sweep's ``runs/`` are reported and re-run
(never counted), run files are written atomically and flushed, worker processes die
with their parent, and experiment failures end in one message with exit code 2."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.experiments import runstore
from lab.experiments.design import DesignError
from lab.experiments.pool import WorkerDied, run_tasks
from lab.experiments.runstore import REJECTED, RunFileWarning
from lab.experiments.sweep import sweep
from lab.io import OutputError
from tests.test_sweep import small_discount

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
GRID = {"strategies[0].every_days": [7, 28], "strategies[0].depth": [0.1, 0.3]}
SET_ARGS = ["--set", "strategies[0].every_days=7,28", "--set", "strategies[0].depth=0.1,0.3"]


def _text(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture(scope="module")
def scenario() -> lab.Scenario:
    return lab.scenario_from_dict(small_discount(150, 20))


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory) -> pd.DataFrame:
    """The sweep's table from a clean folder."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    return sweep(scenario, grid=GRID, seeds=2, out=out, workers=1, progress=False).table


def _spoil(runs: Path, other: Path) -> dict[str, str]:
    """Damage five run files of ``runs`` in five ways; ``other`` is another sweep's runs."""
    files = sorted(runs.glob("*.parquet"))
    assert len(files) == 8
    whole = files[0].read_bytes()
    files[0].write_bytes(whole[: len(whole) // 2])  # truncated by a crash mid-copy
    files[1].write_bytes(b"")  # empty
    files[2].write_bytes(b"PAR1 this is not a parquet file")  # unreadable
    pd.DataFrame({"run_id": [files[3].stem], "x": [1.0]}).to_parquet(files[3])  # foreign
    shutil.copyfile(files[5], files[4])  # holds another run's id
    # a run of another experiment (other design key) under this run's name
    shutil.copyfile(next(iter(sorted(other.glob("*.parquet")))), files[6])
    return {f.name: f.stem for f in [*files[:5], files[6]]}


def test_bad_run_files_are_reported_set_aside_and_run_again(scenario, reference, tmp_path):
    out = tmp_path / "sweep"
    first = sweep(scenario, grid=GRID, seeds=2, out=out, workers=1, progress=False)
    assert first.executed == 8
    other = sweep(
        scenario, grid={"days": [5]}, seeds=1, out=tmp_path / "other", workers=1, progress=False
    )
    spoiled = _spoil(out / "runs", other.store.runs)

    with pytest.warns(RunFileWarning, match=r"^6 file\(s\) in .* were not valid runs") as rec:
        again = sweep(scenario, grid=GRID, seeds=2, out=out, workers=1, progress=False)
    assert len(rec) == 1, "one warning for all the bad files"
    assert again.executed == 6, "exactly the spoiled runs ran again; none counted as finished"
    pd.testing.assert_frame_equal(again.table, reference)
    # the bad files are kept for inspection, out of the dataset's way
    assert sorted(p.name for p in (out / "runs" / REJECTED).iterdir()) == sorted(spoiled)
    whole = pd.read_parquet(out / "runs")
    assert len(whole) == 8 and whole["run_id"].is_unique

    # a third resume finds nothing wrong and runs nothing
    with_no_warning = sweep(scenario, grid=GRID, seeds=2, out=out, workers=1, progress=False)
    assert with_no_warning.executed == 0


def test_a_file_set_aside_twice_keeps_both_copies(scenario, tmp_path):
    out = tmp_path / "sweep"
    kw = dict(grid={"days": [5]}, seeds=1, out=out, workers=1, progress=False)
    sweep(scenario, **kw)
    (path,) = (out / "runs").glob("*.parquet")
    for _ in range(2):
        path.write_bytes(b"")
        with pytest.warns(RunFileWarning, match="^1 file"):
            assert sweep(scenario, **kw).executed == 1
    assert len(list((out / "runs" / REJECTED).iterdir())) == 2


def test_the_cli_resumes_over_bad_run_files_with_one_warning_line(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(small_discount(150, 20)), encoding="utf-8")
    out = tmp_path / "o"
    args = ["sweep", str(scen), *SET_ARGS, "--seeds", "2", "--workers", "1", "-q"]
    assert runner.invoke(app, [*args, "--out", str(out)]).exit_code == 0
    files = sorted((out / "runs").glob("*.parquet"))
    files[0].write_bytes(files[0].read_bytes()[:100])
    files[1].write_bytes(b"")
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    warning_lines = [ln for ln in r.output.splitlines() if ln.startswith("warning:")]
    assert len(warning_lines) == 1 and "Traceback" not in r.output
    text = _text(r.output)
    assert "2 file(s) in" in text and "run again" in text
    assert "8 runs, 2 run now" in text


def test_a_failed_write_leaves_no_run_file(scenario, tmp_path, monkeypatch):
    """A writer killed half way (here: an error after half the bytes) leaves nothing named
    like a run; the next resume runs that run."""
    real = runstore.write_parquet
    calls = {"n": 0}

    def dies_on_third(df, path, stamp):
        calls["n"] += 1
        if calls["n"] == 3:
            Path(path).write_bytes(b"PAR1 half")
            raise OSError(28, "No space left on device")
        real(df, path, stamp)

    monkeypatch.setattr(runstore, "write_parquet", dies_on_third)
    out = tmp_path / "sweep"
    kw = dict(grid=GRID, seeds=1, out=out, workers=1, progress=False)
    with pytest.raises(OutputError, match="no space left"):  # the CLI prints it, exit 2
        sweep(scenario, **kw)
    runs = out / "runs"
    assert len(list(runs.glob("*.parquet"))) == 2
    assert list(runs.glob(".*")) == [], "the temporary file is removed"
    monkeypatch.setattr(runstore, "write_parquet", real)
    assert sweep(scenario, **kw).executed == 2


def test_run_files_are_flushed_to_disk_before_they_get_their_name(scenario, tmp_path, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", str(dst)))
        return real_replace(src, dst)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name file descriptors")
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    res = sweep(scenario, grid={"days": [5]}, seeds=1, out=tmp_path / "s", workers=1)
    (rid,) = res.table["run_id"]
    target = str(res.store.runs / f"{rid}.parquet")
    renamed = events.index(("rename", target))
    partial = f"/.{rid}.parquet.partial-"  # this run's temporary file, not the manifest's
    tmp_synced = [i for i, (what, p) in enumerate(events) if what == "fsync" and partial in p]
    dir_synced = events.index(("fsync", str(res.store.runs)))
    assert tmp_synced and tmp_synced[-1] < renamed < dir_synced


# ---------------------------------------------------------------- workers die with parent
def _alive(procs) -> list:
    import psutil

    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def _cpu_seconds(p) -> float:
    import psutil

    try:
        return p.cpu_times().user
    except psutil.Error:  # ended meanwhile
        return 0.0


THREADED_SWEEP = """
import sys, threading
import lab
from lab.experiments.sweep import sweep
from tests.test_sweep import small_discount

def main():
    sc = lab.scenario_from_dict(small_discount(400, 60))
    grid = {"strategies[0].depth": [0.05 * i for i in range(1, 9)]}
    sweep(sc, grid=grid, seeds=20, out=sys.argv[1], workers=2, progress=False)

if __name__ == "__main__":
    t = threading.Thread(target=main)  # not the main thread: the watchdog alone acts
    t.start()
    t.join()
"""


@pytest.mark.parametrize("how", ["sweep", "compare", "thread"])
def test_killing_a_sweep_leaves_no_worker_processes(tmp_path, how):
    """``kill -9`` of the parent ends every worker (sweep, compare: Linux's parent-death
    signal and the watchdog; thread: a pool started from another thread, where only the
    watchdog acts)."""
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(small_discount(400, 60)), encoding="utf-8")
    code = "from lab.cli import app\nif __name__ == '__main__':\n    app()\n"
    if how == "sweep":
        cmd = [sys.executable, "-c", code, "sweep", str(scen), *SET_ARGS]
        cmd += ["--seeds", "40", "--workers", "2", "-q", "--out", str(out)]
    elif how == "compare":
        cmd = [sys.executable, "-c", code, "compare", str(scen), "scenarios/baseline.yaml"]
        cmd += ["--seeds", "200", "--workers", "2", "-q", "--no-plots", "--out", str(out)]
    else:
        script = tmp_path / "threaded.py"
        script.write_text(THREADED_SWEEP, encoding="utf-8")
        cmd = [sys.executable, str(script), str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    runs = out / "runs"
    deadline = time.monotonic() + 180
    children: list = []
    while time.monotonic() < deadline and proc.poll() is None:
        children = parent.children(recursive=True)
        busy = [p for p in children if _cpu_seconds(p) > 1.0]
        if len(busy) >= 2 and (how == "compare" or any(runs.glob("*.parquet"))):
            break  # the workers are busy with runs
        time.sleep(0.05)
    children = parent.children(recursive=True)
    assert proc.poll() is None, "the sweep should still be running when killed"
    assert len(children) >= 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # poll (not a timing assertion): the workers must go, well before the sweep would end
    deadline = time.monotonic() + 60
    while _alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _alive(children)
    for p in left:  # clean up before failing
        p.kill()
    assert not left, f"worker processes outlived their parent: {[p.pid for p in left]}"
    if how != "compare":
        assert len(list(runs.glob("*.parquet"))) < 8 * 40, "the sweep was cut short"


def dies_in_worker(x: int) -> int:
    """A task whose worker process dies (as on an out-of-memory kill)."""
    if x == 1:
        os._exit(1)
    return x


def test_a_worker_that_dies_is_one_clear_error():
    with pytest.raises(WorkerDied, match="a worker process died in the middle of a run"):
        run_tasks(dies_in_worker, [0, 1, 2], workers=2, progress=False)


# ---------------------------------------------------------------- failure paths of the CLI
def test_an_out_below_a_file_is_one_message_and_exit_2(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    r = runner.invoke(
        app, ["sweep", str(scen), "--set", "days=5", "-q", "--out", str(tmp_path / "afile" / "x")]
    )
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: could not write") and "afile" in r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "mine"


def test_an_optimisation_resumes_over_bad_run_files(scenario, tmp_path):
    from lab.experiments.optimize import optimize

    kw = dict(
        params={"strategies[0].depth": (0.1, 0.3)},
        objective="net_margin",
        trials=4,
        batch=2,
        seeds=[1],
        out=tmp_path / "opt",
        workers=1,
        progress=False,
    )
    first = optimize(scenario, **kw)
    for path in sorted((tmp_path / "opt" / "runs").glob("*.parquet"))[:2]:
        path.write_bytes(path.read_bytes()[:50])
    with pytest.warns(RunFileWarning, match="^2 file"):
        again = optimize(scenario, **kw)
    pd.testing.assert_frame_equal(again.trials, first.trials)


def test_sweeping_days_gives_a_table_with_the_swept_days(tmp_path):
    """``days`` is both a parameter and a run column: the table keeps one ``days``."""
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    out = tmp_path / "o"
    args = ["sweep", str(scen), "--set", "days=5,7", "--seeds", "1", "--workers", "1", "-q"]
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_parquet(out / "table.parquet")
    assert table.sort_values("point")["days"].tolist() == [5, 7]


def test_a_run_file_damaged_inside_is_one_message_then_redone(scenario, reference, tmp_path):
    """A file whose footer is intact but whose data is not (a bad disk block) passes the
    quick check; reading it fails with one message, and the next resume redoes it."""
    out = tmp_path / "sweep"
    kw = dict(grid=GRID, seeds=2, out=out, workers=1, progress=False)
    sweep(scenario, **kw)
    path = sorted((out / "runs").glob("*.parquet"))[3]
    data = bytearray(path.read_bytes())
    data[4:60] = b"\xff" * 56  # the first page header, right after the PAR1 magic
    path.write_bytes(bytes(data))
    with pytest.raises(DesignError, match=r"^1 run file\(s\) in .* could not be read"):
        sweep(scenario, **kw).table  # noqa: B018 - reading the table is the point
    assert (out / "runs" / REJECTED / path.name).exists()
    again = sweep(scenario, **kw)
    assert again.executed == 1
    pd.testing.assert_frame_equal(again.table, reference)


def test_compare_reports_a_dead_worker_as_one_message_and_exit_2(tmp_path, monkeypatch):
    # the compare command has no handler of its own: the CLI group turns the pool's
    # WorkerDied into one message; the fake stands in for an out-of-memory kill
    import lab.experiments

    def dead_pool(*args, **kwargs):
        raise WorkerDied("a worker process died in the middle of a run")

    monkeypatch.setattr(lab.experiments, "compare", dead_pool)
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["compare", str(scen), str(scen), "--seeds", "2", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "a worker process died" in r.output and "Traceback" not in r.output
    assert not out.exists()
