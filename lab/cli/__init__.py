"""Command line: ``lab run | explain | reference | compare | report | calibrate | ... | diff``.

A thin client of the library: one module per command group, each adding its
commands with ``register(app)``; :data:`COMMAND_MODULES` lists them in the order
``lab --help`` shows their commands.  What they share (the command group with
``--version``, consoles, scenario loading, number format) is in
:mod:`lab.cli.common` and the shared options in :mod:`lab.cli.options`.

Keeping ``lab --help`` fast
    ``lab --help`` and every ``lab CMD --help`` import this package and the command
    modules only, never the engine (numba), the scenario schema (which loads every
    strategy, SciPy and mesa), pandas, experiments, reports or calibration; a test
    checks this in a fresh interpreter (``tests/test_cli_startup.py``).  So a command
    module imports at its top only ``typer``, ``rich``, :mod:`lab.cli` modules and
    other light modules; its command functions import what they run::

        def forecast_cmd(scenario: ScenarioArg, days: Days = None) -> None:
            from lab.forecast import forecast  # heavy: only when the command runs

    Option types are plain ``Annotated`` aliases (:mod:`lab.cli.options`); an enum of
    choices lives in the command module or another light module, not beside the code
    that uses the choice.

Adding a command group
    Write ``lab/cli/<name>.py`` with ``register(app)`` (``app.command("name")(fn)``
    for each command) and add one line ``"lab.cli.<name>",`` to
    :data:`COMMAND_MODULES` where its commands should appear in ``lab --help``.
"""

from __future__ import annotations

import importlib

from lab.cli.common import fmt_interval, new_app

__all__ = ["COMMAND_MODULES", "app", "main"]

#: the command modules, in the order ``lab --help`` lists their commands; each
#: defines ``register(app)``
COMMAND_MODULES: tuple[str, ...] = (
    "lab.cli.run",
    "lab.cli.compare",
    "lab.cli.calibrate",
    "lab.cli.forecast",
    "lab.cli.experiments",
    "lab.cli.facts",
    "lab.cli.diff",
    "lab.cli.new",
    "lab.cli.classroom",
)

#: the ``lab`` console script (``lab = "lab.cli:app"``)
app = new_app()
for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)

# the name tests and older code import
_fmt_interval = fmt_interval


def main() -> None:  # pragma: no cover - console entry
    """Run the ``lab`` command line."""
    app()
