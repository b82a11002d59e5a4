"""Command line: ``lab run | explain | reference | compare | report | calibrate | ... | diff``.

A thin client of the library: one module per command group, each adding its
commands with ``register(app)`` in the order ``lab --help`` lists them; what they
share (the command group, consoles, scenario loading, number format) is in
:mod:`lab.cli.common` and the shared options in :mod:`lab.cli.options`.  The engine,
experiments, reports and calibration are imported when a command runs, so that
``lab --help`` does not load numba, SALib or the report templates.
"""

from __future__ import annotations

from lab.cli import calibrate, compare, diff, experiments, facts, forecast, run
from lab.cli.common import fmt_interval, new_app

__all__ = ["app", "main"]

#: the ``lab`` console script (``lab = "lab.cli:app"``)
app = new_app()
for _group in (run, compare, calibrate, forecast, experiments, facts, diff):
    _group.register(app)

# the name tests and older code import
_fmt_interval = fmt_interval


def main() -> None:  # pragma: no cover - console entry
    """Run the ``lab`` command line."""
    app()
