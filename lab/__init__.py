"""Private-traffic strategy lab (私域流量策略实验室).

Simulates the customers of a brand's private traffic pool: acquired, invited by
friends, buying, rebuying, tiring of promotions, blocking over-eager contacts,
sleeping and churning, under the strategies a team configures.

>>> import lab
>>> sc = lab.load_scenario("scenarios/baseline.yaml")      # doctest: +SKIP
>>> res = lab.run(sc, seed=1, days=90)                     # doctest: +SKIP
>>> res.daily[["orders", "gmv"]].sum()                     # doctest: +SKIP
"""

from __future__ import annotations

from lab._version import __version__
from lab.api import as_scenario, parameter_table, run
from lab.model import STEP_ORDER, PoolModel
from lab.results import RunResult
from lab.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
)

__all__ = [
    "STEP_ORDER",
    "PoolModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "as_scenario",
    "load_scenario",
    "parameter_table",
    "run",
    "scenario_from_dict",
    "scenario_hash",
]

# Answers with uncertainty: metrics, replications, paired comparisons (plots: lab.plots)
from lab import analysis
from lab.analysis import OrderData, OrderLogError, as_order_data
from lab.experiments import Comparison, Replications, compare, replicate
from lab.scenario_diff import scenario_diff

__all__ += [
    "Comparison",
    "OrderData",
    "OrderLogError",
    "Replications",
    "analysis",
    "as_order_data",
    "compare",
    "replicate",
    "scenario_diff",
]

from lab.experiments import optimize, sensitivity, sweep  # noqa: E402  (sweeps, SALib, optuna)

__all__ += ["optimize", "sensitivity", "sweep"]

# Calibration to real order logs and back-tests (lab.calibrate)
from lab import calibrate  # noqa: E402

__all__ += ["calibrate"]

# Stylized facts: the lab measured against published marketing evidence.  ``lab.facts``
# is the package and can be called: ``lab.facts(quick=True)`` is ``lab.facts.facts(...)``
from lab import facts  # noqa: E402

__all__ += ["facts"]
