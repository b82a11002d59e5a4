"""Sweeps on dask.distributed: the same table as local processes whatever the workers,
and a worker that dies mid-run has its task retried without losing or repeating runs."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest

import lab
from lab.experiments.runstore import experiment_metrics
from lab.experiments.sweep import sweep
from tests.test_sweep import small_discount

distributed = pytest.importorskip("distributed")

GRID = {"strategies[0].every_days": [7, 28], "strategies[0].depth": [0.1, 0.35]}


@pytest.fixture(scope="module")
def scenario() -> lab.Scenario:
    return lab.scenario_from_dict(small_discount(300, 45))


def _sorted(t: pd.DataFrame) -> pd.DataFrame:
    return t.sort_values("run_id", ignore_index=True)


def test_same_table_for_1_and_2_local_workers_and_a_dask_cluster(scenario, tmp_path):
    kw = dict(grid=GRID, seeds=[5, 6], progress=False)
    one = sweep(scenario, out=tmp_path / "w1", workers=1, **kw).table
    two = sweep(scenario, out=tmp_path / "w2", workers=2, **kw).table
    # threads in this process: a cheap cluster; tasks finish in any order
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep(scenario, out=tmp_path / "dask", cluster=client, **kw).table
    assert len(one) == 8 and one["run_id"].is_unique
    pd.testing.assert_frame_equal(_sorted(one), _sorted(two))
    pd.testing.assert_frame_equal(_sorted(one), _sorted(on_dask))


def test_the_cli_runs_on_the_cluster_named_by_the_environment(scenario, tmp_path):
    import yaml
    from typer.testing import CliRunner

    from lab.cli import app

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small_discount(150, 20)), encoding="utf-8")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        r = CliRunner().invoke(
            app,
            [
                "sweep",
                str(path),
                "--set",
                "strategies[0].depth=0.1,0.2",
                "--seeds",
                "2",
                "-q",
                "--out",
                str(tmp_path / "o"),
            ],
            env={"LAB_DASK_SCHEDULER": cluster.scheduler_address},
        )
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert f"4 runs, 4 run now on dask cluster {cluster.scheduler_address}" in text
    manifest = (tmp_path / "o" / "manifest.json").read_text()
    assert "dask cluster" in manifest


def test_an_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lab.cli import app
    from lab.experiments import executors

    monkeypatch.setenv(executors.ENV_TIMEOUT, "1")

    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as c:
        address = c.scheduler_address  # a port that was a scheduler and is now closed
    r = CliRunner().invoke(
        app,
        [
            "sweep",
            "scenarios/baseline.yaml",
            "--set",
            "days=5",
            "--cluster",
            address,
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert r.exit_code == 2, r.output
    assert "cannot reach a dask scheduler there" in " ".join(r.output.split())
    assert not (tmp_path / "o").exists()


def die_once_then_measure(marker: str, result) -> dict:
    """Metrics that kill their worker process the first time they see seed 6."""
    if result.seed == 6 and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)  # the worker process dies mid-task, as on a crash or OOM kill
    return experiment_metrics(result)


def test_a_worker_that_dies_mid_run_has_its_task_retried(scenario, tmp_path):
    marker = tmp_path / "killed-once"
    metrics = functools.partial(die_once_then_measure, str(marker))
    # the workers are separate processes that may not see the tests folder: ship by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            pids_before = set(client.run(os.getpid).values())
            res = sweep(
                scenario,
                grid=GRID,
                seeds=[5, 6],
                out=tmp_path / "dying",
                cluster=client,
                metrics=metrics,
                progress=False,
            )
            table = res.table
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.exists(), "a worker should have been killed"
    assert int(marker.read_text()) in pids_before
    assert len(table) == 8 and table["run_id"].is_unique
    assert sorted(p.stem for p in (tmp_path / "dying" / "runs").glob("*.parquet")) == sorted(
        table["run_id"]
    )
    ref = sweep(scenario, grid=GRID, seeds=[5, 6], out=tmp_path / "ref", workers=1).table
    cols = ["point", "seed", "net_margin", "gmv", "block_rate", "mean_fatigue", "ltv_margin"]
    pd.testing.assert_frame_equal(table[cols], ref[cols])
