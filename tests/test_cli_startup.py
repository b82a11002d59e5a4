"""The command line starts light: help, ``--version`` and mistyped names load no engine.

Speed itself is measured in ``benchmarks/bench_cli_startup.py``; here the cause of
a slow start is checked: which modules ``lab --help`` imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

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
