"""The command line starts light: help, ``--version`` and mistyped names load no engine.

Speed itself is measured in ``benchmarks/bench_cli_startup.py``; here the cause of
a slow start is checked: which modules ``lab --help`` imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from lab._version import __version__
from lab.cli import app

#: what ``lab --help`` must not load: each costs from 0.1 s (pandas) to seconds (numba)
HEAVY = (
    "numba",
    "mesa",
    "scipy",
    "pandas",
    "numpy",
    "pyarrow",
    "matplotlib",
    "SALib",
    "optuna",
    "distributed",
    "lab.scenario",
    "lab.model",
    "lab.experiments",
    "lab.report",
    "lab.calibrate",
)

#: what neither ``import lab`` nor ``lab run`` needs: the run path (scenario, engine,
#: tables, parquet and CSV writers) must leave these unloaded, as each adds resident
#: memory before the first customer exists (benchmarks/RESULTS_startrss.md)
NOT_ON_THE_RUN_PATH = (
    "matplotlib",
    "PIL",
    "lifelines",
    "ipywidgets",
    "jinja2",
    "openpyxl",
    "dask",
    "distributed",
    "SALib",
    "optuna",
    "solara",
    "scipy.stats",
    "scipy.optimize",
    "pyarrow.dataset",
    "lab.analysis",
    "lab.experiments",
    "lab.report",
    "lab.calibrate",
    "lab.facts",
    "lab.plots",
    "lab.explain",
    "lab.teaching",
    "lab.explorer",
    "lab.stats",
    "lab.batch",
    "lab.parallel",
    "lab.classroom",
    "lab.forecast",
    "lab.scenario_diff",
)

#: what the run does load (so the check above ran on a real run, in this interpreter)
ON_THE_RUN_PATH = ("numba", "pandas", "pyarrow.parquet", "lab.model", "lab.scenario")

_IMPORT_THEN_RUN = """
import json, sys
names = json.loads(sys.argv[1])
import lab
after_import = [m for m in names["import"] if m in sys.modules]
from typer.testing import CliRunner
from lab.cli import app
res = CliRunner().invoke(app, ["run", sys.argv[2], "--days", "3", "--out", sys.argv[3], "-q"])
print(json.dumps({
    "code": res.exit_code,
    "after_import": after_import,
    "after_run": [m for m in names["not_run"] if m in sys.modules],
    "run_loaded": [m for m in names["run"] if m in sys.modules],
}))
"""

_HELP_EVERYWHERE = """
import json, sys
import typer
from typer.testing import CliRunner
from lab.cli import app

runner = CliRunner()
commands = sorted(typer.main.get_command(app).commands)
codes = {"": runner.invoke(app, ["--help"]).exit_code}
codes["--version"] = runner.invoke(app, ["--version"]).exit_code
codes["rnu"] = runner.invoke(app, ["rnu"]).exit_code
for name in commands:
    codes[name] = runner.invoke(app, [name, "--help"]).exit_code
heavy = json.loads(sys.argv[1])
print(json.dumps({"codes": codes, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_help_of_every_command_loads_no_heavy_module():
    # a fresh interpreter: this test process has long imported everything
    out = subprocess.run(
        [sys.executable, "-c", _HELP_EVERYWHERE, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == []
    codes = seen["codes"]
    assert {"run", "sweep", "sensitivity", "optimize", "compare", "calibrate"} <= set(codes)
    assert codes.pop("rnu") == 2  # the mistyped name fails, still without loading anything
    assert set(codes.values()) == {0}


def test_import_lab_and_lab_run_leave_the_other_commands_modules_unloaded(tmp_path):
    # a fresh interpreter: `import lab` loads none of the engine, and `lab run` (with
    # CSV) loads the engine but none of plots, reports, sweeps, calibration or dask
    baseline = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    names = {
        "import": sorted({*HEAVY, *NOT_ON_THE_RUN_PATH, *ON_THE_RUN_PATH}),
        "not_run": list(NOT_ON_THE_RUN_PATH),
        "run": list(ON_THE_RUN_PATH),
    }
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_THEN_RUN, json.dumps(names), str(baseline),
         str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0
    assert seen["after_import"] == []
    assert (tmp_path / "out" / "transactions.csv").is_file()
    assert seen["run_loaded"] == list(ON_THE_RUN_PATH)
    assert seen["after_run"] == []


def test_version_prints_the_package_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"lab {__version__}"


def test_version_wins_over_a_command():
    # eager: `lab --version run` prints the version, it does not run (or need) a scenario
    res = CliRunner().invoke(app, ["--version", "run"])
    assert res.exit_code == 0 and __version__ in res.output


def test_a_mistyped_command_suggests_the_closest():
    res = CliRunner().invoke(app, ["rnu"])
    assert res.exit_code == 2
    assert "No such command 'rnu'" in res.output and "Did you mean 'run'?" in res.output
    assert "Traceback" not in res.output


def test_a_command_unlike_any_gets_no_suggestion():
    res = CliRunner().invoke(app, ["zzzzqq"])
    assert res.exit_code == 2
    assert "No such command 'zzzzqq'" in res.output and "Did you mean" not in res.output


def test_a_mistyped_option_suggests_the_closest():
    res = CliRunner().invoke(app, ["run", "--sed", "3", "scenarios/baseline.yaml"])
    assert res.exit_code == 2
    assert "--sed" in res.output and "--seed" in res.output


def test_python_dash_m_lab_is_the_same_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "lab", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"lab {__version__}"


def test_the_cluster_option_reads_the_executors_environment_variable():
    # written out in lab.cli.options so that help does not load multiprocessing
    from lab.cli.options import ENV_SCHEDULER
    from lab.parallel.executors import ENV_SCHEDULER as USED

    assert ENV_SCHEDULER == USED
