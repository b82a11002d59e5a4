"""Private-traffic strategy lab (私域流量策略实验室).

Simulates the customers of a brand's private traffic pool: acquired, invited by
friends, buying, rebuying, tiring of promotions, blocking over-eager contacts,
sleeping and churning, under the strategies a team configures.

>>> import lab
>>> sc = lab.load_scenario("scenarios/baseline.yaml")      # doctest: +SKIP
>>> res = lab.run(sc, seed=1, days=90)                     # doctest: +SKIP
>>> res.daily[["orders", "gmv"]].sum()                     # doctest: +SKIP

The names below are loaded on first use (PEP 562), so ``import lab`` and ``lab --help``
do not pay for numba, SciPy, SALib or optuna until a run needs them.  No module of the
lab imports this package root: the version lives in :mod:`lab._version`.
"""

from __future__ import annotations

import importlib
import sys
import types

from lab._version import __version__  # noqa: F401  (in __all__)

#: public name -> module defining it
_EXPORTS: dict[str, str] = {
    # runs and scenarios
    "STEP_ORDER": "lab.model",
    "PoolModel": "lab.model",
    "RunResult": "lab.results",
    "Scenario": "lab.scenario",
    "ScenarioError": "lab.scenario",
    "load_scenario": "lab.scenario",
    "scenario_from_dict": "lab.scenario",
    "scenario_hash": "lab.scenario",
    "as_scenario": "lab.api",
    "parameter_table": "lab.api",
    "run": "lab.api",
    # answers with uncertainty: metrics, replications, paired comparisons (plots: lab.plots)
    "OrderData": "lab.analysis",
    "OrderLogError": "lab.analysis",
    "as_order_data": "lab.analysis",
    "Comparison": "lab.experiments",
    "Replications": "lab.experiments",
    "compare": "lab.experiments",
    "replicate": "lab.experiments",
    "scenario_diff": "lab.scenario_diff",
    # sweeps, SALib, optuna
    "optimize": "lab.experiments",
    "robustness": "lab.experiments",
    "sensitivity": "lab.experiments",
    "sweep": "lab.experiments",
}
#: subpackages offered as attributes: metrics, calibration to real order logs and
#: back-tests, and the stylized facts (``lab.facts`` can be called:
#: ``lab.facts(quick=True)`` is ``lab.facts.facts(...)``)
_SUBPACKAGES: tuple[str, ...] = ("analysis", "calibrate", "facts")

__all__ = sorted(["__version__", *_EXPORTS, *_SUBPACKAGES])


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"lab.{name}")
    else:
        raise AttributeError(f"module 'lab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package module: a function named like its module keeps the name.

    Importing ``lab.scenario_diff`` (the module) would otherwise replace the function
    ``lab.scenario_diff`` on the package, as Python sets each submodule on its parent.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
