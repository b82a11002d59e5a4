"""Limits shared by the library and the command line, in a module that imports nothing.

The CLI reads them for its option defaults without loading the experiments.
"""

from __future__ import annotations

__all__ = ["MAX_RUNS"]

#: runs one experiment may hold unless ``max_runs`` (``--max-runs``) raises the limit
MAX_RUNS = 10_000
