"""Sweeps: schema-checked parameter paths, designs, tidy results, resume after a kill,
refusal of a different design in the same folder, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.experiments.design import DesignError, resolve_param
from lab.experiments.runstore import DesignMismatch
from lab.experiments.sweep import sweep
from tests.conftest import bare

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def small_discount(n: int = 300, days: int = 60, **sections) -> dict:
    """A small pool with one recurring discount (announced by mass message) and fatigue on."""
    strategies = [
        {"type": "discount_cadence", "every_days": 14, "depth": 0.2, "announce": "mass_message"}
    ]
    return bare(n, days, strategies=strategies, fatigue={"enabled": True}, **sections)


@pytest.fixture(scope="module")
def baseline() -> lab.Scenario:
    return lab.load_scenario("scenarios/baseline.yaml")


def test_paths_resolve_by_type_label_and_position(baseline):
    by_type = resolve_param(baseline, "strategies.discount_cadence.every_days")
    by_pos = resolve_param(baseline, "strategies[0].every_days")
    by_prefix = resolve_param(baseline, "strategies.discount.every_days")  # the spelling
    assert (
        by_type.canonical == by_pos.canonical == by_prefix.canonical == "strategies[0].every_days"
    )
    assert by_type.kind == "int"
    assert resolve_param(baseline, "strategies.group plan.reach").canonical == "strategies[1].reach"
    assert resolve_param(baseline, "contacts.daily_cap.group").kind == "int"
    assert resolve_param(baseline, "acquisition.paid.daily_budget_cny").kind == "float"


@pytest.mark.parametrize(
    "path, needle",
    [
        ("acquisition.paid.budget", "valid keys: enabled, daily_budget_cny"),
        ("acquisition.paid", "is a section"),
        ("strategies.contact_plan.reach", "more than one strategy matches"),
        ("strategies.membership.fee", "no strategy matches"),
        ("strategies.contact.reach", "more than one strategy matches"),
        ("strategies[7].depth", "the list has 3 item"),
        ("days.x", "single value"),
    ],
)
def test_bad_paths_name_the_argument_and_the_valid_keys(baseline, path, needle):
    with pytest.raises(DesignError, match="--set") as err:
        resolve_param(baseline, path, "--set")
    assert needle in str(err.value)


def test_values_are_coerced_by_the_schema_and_checked_up_front(tmp_path):
    sc = small_discount()
    p = resolve_param(lab.scenario_from_dict(sc), "strategies[0].every_days")
    assert p.coerce("7") == 7 and isinstance(p.coerce("7"), int)
    assert p.coerce("none") is None  # the field is optional (only big sales)
    with pytest.raises(DesignError, match="not a valid int"):
        p.coerce("7.5")
    # duration_days 3 > every_days 2 is invalid together: refused before any run, nothing written
    with pytest.raises(DesignError, match="must not exceed every_days"):
        sweep(sc, grid={"strategies[0].every_days": [14, 2]}, seeds=1, out=tmp_path / "o")
    with pytest.raises(DesignError, match=r"depth.*less than or equal to 0\.9"):
        sweep(sc, ranges={"strategies[0].depth": (0.1, 0.95)}, samples=4, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_grid_and_lhs_sweep_gives_a_tidy_table(tmp_path):
    res = sweep(
        small_discount(),
        grid={"strategies.discount_cadence.every_days": [7, 28]},
        ranges={"strategies[0].depth": (0.05, 0.45), "strategies[0].duration_days": (1, 5)},
        samples=3,
        seeds=[3, 4],
        out=tmp_path / "sw",
        workers=1,
        progress=False,
    )
    t = res.table
    assert len(t) == 2 * 3 * 2 and t["run_id"].is_unique
    assert list(t.columns[:6]) == [
        "point",
        "strategies.discount_cadence.every_days",
        "strategies[0].depth",
        "strategies[0].duration_days",
        "seed",
        "run_id",
    ]
    assert {"net_margin", "ltv_margin", "block_rate", "mean_fatigue", "margin_12m"} <= set(t)
    assert t["margin_12m"].isna().all()  # the runs are 60 days: no 12-month margin
    # integers stay integers; Latin hypercube: one sample per third of each range
    assert t["strategies[0].duration_days"].dtype == np.int64
    depth = np.sort(t.drop_duplicates("point")["strategies[0].depth"].unique())
    assert len(depth) == 3
    assert [int((d - 0.05) / (0.4 / 3)) for d in depth] == [0, 1, 2]
    # the overrides reach the runs: deeper discounts cost more at the same cadence and seed
    for _, g in t.groupby(["strategies.discount_cadence.every_days", "seed"]):
        g = g.sort_values("strategies[0].depth")
        assert g["discount_cost"].is_monotonic_increasing
    # the stored dataset is the table, one file per run
    files = sorted(p.stem for p in (tmp_path / "sw" / "runs").glob("*.parquet"))
    assert files == sorted(t["run_id"])
    consolidated = pd.read_parquet(tmp_path / "sw" / "table.parquet")
    pd.testing.assert_frame_equal(consolidated, t)
    manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
    assert manifest["design_key"] == res.store.key and manifest["git_commit"]
    assert manifest["base_scenario_hash"] == lab.scenario_hash(
        lab.scenario_from_dict(small_discount())
    )
    s = res.summary(["net_margin"])
    assert len(s) == 6 and (s["n_seeds"] == 2).all()


def test_a_different_design_in_the_same_folder_is_refused(tmp_path):
    sc = small_discount(200, 30)
    out = tmp_path / "sw"
    sweep(sc, grid={"strategies[0].depth": [0.1, 0.2]}, seeds=1, out=out, workers=1)
    before = sorted(p.name for p in (out / "runs").iterdir())
    with pytest.raises(DesignMismatch, match="holds a different sweep"):
        sweep(sc, grid={"strategies[0].depth": [0.1, 0.3]}, seeds=1, out=out, workers=1)
    assert sorted(p.name for p in (out / "runs").iterdir()) == before
    again = sweep(sc, grid={"strategies[0].depth": [0.1, 0.2]}, seeds=1, out=out, workers=1)
    assert again.executed == 0 and len(again.table) == 2


def test_a_folder_made_by_other_code_is_refused_unless_allowed(tmp_path, monkeypatch):
    import yaml

    from lab.experiments import runstore

    sc = small_discount(200, 30)
    grid = {"strategies[0].depth": [0.1, 0.2]}
    out = tmp_path / "sw"
    now_version, now_commit = runstore.code_version()
    # the first half of the runs is made by "older code" (another version and commit)
    with monkeypatch.context() as m:
        m.setattr(runstore, "code_version", lambda: ("0.0.1", "0123456789ab"))
        first = sweep(sc, grid=grid, seeds=1, out=out, workers=1)
    assert set(first.table["git_commit"]) == {"0123456789ab"}
    assert set(first.table["lab_version"]) == {"0.0.1"}
    dropped = first.table["run_id"].iloc[1]
    (out / "runs" / f"{dropped}.parquet").unlink()  # interrupted before its second run
    manifest = (out / "manifest.json").read_text()
    kept = sorted(p.name for p in (out / "runs").iterdir())

    with pytest.raises(runstore.CodeChanged) as exc:
        sweep(sc, grid=grid, seeds=1, out=out, workers=1)
    msg = str(exc.value)
    for needle in (str(out), "0123456789ab", now_commit, "0.0.1", "--allow-code-change"):
        assert needle in msg
    # the command line says the same, exit 2, and nothing is written
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(sc), encoding="utf-8")
    args = ["sweep", str(scenario), "--set", "strategies[0].depth=0.1,0.2", "--seeds", "1"]
    r = runner.invoke(app, [*args, "--workers", "1", "--out", str(out), "-q"])
    assert r.exit_code == 2, r.output
    assert "made by other code" in " ".join(r.output.split())
    assert (out / "manifest.json").read_text() == manifest
    assert sorted(p.name for p in (out / "runs").iterdir()) == kept

    # opted in: the old run is kept, the missing one runs with this code
    r = runner.invoke(
        app, [*args, "--workers", "1", "--out", str(out), "-q", "--allow-code-change"]
    )
    assert r.exit_code == 0, r.output
    assert "2 runs, 1 run now" in " ".join(r.output.split())
    table = pd.read_parquet(out / "table.parquet").set_index("run_id")
    assert table.loc[dropped, "git_commit"] == now_commit
    assert table.loc[dropped, "lab_version"] == now_version
    assert set(table["git_commit"]) == {"0123456789ab", now_commit}
    info = json.loads((out / "manifest.json").read_text())
    assert info["git_commits"] == ["0123456789ab", now_commit]
    assert info["lab_versions"] == list(dict.fromkeys(["0.0.1", now_version]))
    assert info["git_commit"] == now_commit
    # the same code again: no opt-in needed any more, nothing runs
    again = sweep(sc, grid=grid, seeds=1, out=out, workers=1)
    assert again.executed == 0 and set(again.table["git_commit"]) == set(table["git_commit"])


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "\udcff"], ids=["syntax", "list", "bytes"])
def test_a_malformed_manifest_is_a_clear_error(tmp_path, text):
    import yaml

    out = tmp_path / "sw"
    out.mkdir()
    manifest = out / "manifest.json"
    manifest.write_bytes(text.encode("utf-8", "surrogateescape"))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    args = ["sweep", str(scenario), "--set", "strategies[0].depth=0.1", "--seeds", "1"]
    r = runner.invoke(app, [*args, "--out", str(out), "-q", "--workers", "1"])
    assert r.exit_code == 2, r.output
    assert "manifest.json" in r.output and "not" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


def _cli(*args: str) -> list[str]:
    code = "from lab.cli import app\nif __name__ == '__main__':\n    app()\n"
    return [sys.executable, "-c", code, *args]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_an_interrupted_sweep_resumes_without_losing_or_repeating_runs(tmp_path, sig):
    scenario = tmp_path / "s.yaml"
    import yaml

    scenario.write_text(yaml.safe_dump(small_discount(300, 45)), encoding="utf-8")
    args = [
        "sweep",
        str(scenario),
        "--set",
        "strategies[0].every_days=7,28",
        "--set",
        "strategies[0].depth=0.1,0.3",
        "--seeds",
        "3",
        "--workers",
        "1",
        "-q",
    ]
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _cli(*args, "--out", str(out)), cwd=ROOT, env=env, stderr=subprocess.PIPE
    )
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.is_dir() and len(list(runs.glob("*.parquet"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:  # Ctrl-C: a clean stop that says how to resume
        assert proc.returncode == 130, err.decode()
        assert "run the same command again to resume" in " ".join(err.decode().split())
    partial = len(list(runs.glob("*.parquet")))
    assert 3 <= partial < 12, "the sweep should be killed part way"
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert f"12 runs, {12 - partial} run now" in r.output.replace("\n", " ")
    resumed = pd.read_parquet(out / "table.parquet")
    ref = sweep(
        lab.scenario_from_dict(small_discount(300, 45)),
        grid={"strategies[0].every_days": [7, 28], "strategies[0].depth": [0.1, 0.3]},
        seeds=3,
        out=tmp_path / "whole",
        workers=1,
    ).table
    assert resumed["run_id"].is_unique and len(resumed) == 12
    assert sorted(p.stem for p in runs.glob("*.parquet")) == sorted(resumed["run_id"])
    pd.testing.assert_frame_equal(
        resumed.sort_values("run_id", ignore_index=True),
        ref.sort_values("run_id", ignore_index=True),
    )


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--set", "strategies[0].nope=1"], "unknown key 'nope'"),
        (["--set", "strategies[0].depth"], "PATH=VALUE"),
        (["--range", "strategies[0].depth=0.1"], "PATH=LOW:HIGH"),
        (["--range", "strategies[0].depth=0.1:0.3"], "--samples"),
        (["--range", "strategies[0].kind=0:1", "--samples", "2"], "needs a number field"),
        (["--design", "sobol", "--set", "days=10"], "--design"),
    ],
)
def test_cli_bad_arguments_exit_2_and_write_nothing(tmp_path, args, needle):
    import yaml

    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(scenario), "--out", str(out), "-q", *args])
    assert r.exit_code == 2, r.output
    assert needle in " ".join(r.output.split())
    assert not out.exists()


def test_the_client_keeps_a_bounded_number_of_runs_in_flight():
    # a long sweep's tasks are produced lazily and at most `max_pending` are submitted
    # before results come back: the client never holds the whole sweep in futures
    import math

    from lab.experiments.executors import LocalExecutor

    pulled = []

    def tasks():
        for i in range(200):
            pulled.append(i)
            yield i, float(i)

    ex = LocalExecutor(2)
    try:
        stream = ex.stream(math.sqrt, tasks(), max_pending=4)
        key, value = next(stream)
        assert len(pulled) <= 4 and value == math.sqrt(key)
        rest = dict(stream)
    finally:
        ex.close()
    assert len(rest) == 199 and len(pulled) == 200


def test_batched_sweep_equals_each_seed_alone_for_any_workers_and_batch_size(tmp_path, monkeypatch):
    """Each point's seeds advance together (lab.batch), and every row is the run alone's."""
    import lab.batch
    from lab.experiments.sweep import BatchedRuns

    made = []  # seeds of every batch made in this process
    real_init = lab.batch.BatchRun.__init__

    def spy(self, scenario, seeds, days=None):
        made.append(list(seeds))
        real_init(self, scenario, seeds, days)

    monkeypatch.setattr(lab.batch.BatchRun, "__init__", spy)
    sc = small_discount(200, 40)
    grid = {"strategies.discount_cadence.depth": [0.1, 0.3]}

    def table(name, workers, batch=True):
        res = sweep(sc, grid=grid, seeds=[5, 6, 7, 8, 9], out=tmp_path / name,
                    workers=workers, progress=False, batch=batch)  # fmt: skip
        return res.table

    alone = table("alone", 1, batch=False)
    assert made == []
    assert table("one_worker", 1).equals(alone)
    assert made == [[5, 6, 7, 8, 9], [5, 6, 7, 8, 9]]  # one batch per point
    monkeypatch.setattr(lab.batch, "MAX_BATCH", 2)  # batches of 2, 2, 1 per point
    made.clear()
    assert table("pairs", 1).equals(alone)
    assert made == [[5, 6], [7, 8], [5, 6], [7, 8]]  # a seed alone runs as before
    assert table("two_workers", 2).equals(alone)
    assert np.isfinite(alone["ltv_margin"]).all() and alone["run_id"].is_unique
    # the batches as cut for 2 workers: each gets at least two tasks, seeds in order
    runner = BatchedRuns(type("Ex", (), {"workers": 2})(), limit=16)
    base = lab.scenario.dump_scenario(lab.scenario_from_dict(sc))
    tasks = [(f"r{s}", (f"r{s}", base, s, 40, None)) for s in range(6)]
    parts = [[t[2] for t in part] for _, part in runner._batches(tasks)]
    assert parts == [[0, 1], [2, 3], [4, 5]]
