"""Behaviour configs that live outside ``lab/scenario.py``: schema pieces of one mechanism each.

A module here holds one mechanism's pydantic config (parameters with units, ranges and
sources) and the pure function that turns it into the kernel's parameters.  It imports
nothing of the lab but :mod:`lab.params`, so the scenario schema can compose it and the
engine can read it without either importing the other (import-linter contracts in
``pyproject.toml``).  The kernel code of the mechanism stays in :mod:`lab.agents`.
"""
