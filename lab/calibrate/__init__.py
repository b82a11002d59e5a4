"""Calibration to real order logs and back-tests of the forecast (标定与回测).

* :mod:`~lab.calibrate.ingest` reads messy order exports with counted cleaning rules;
* :mod:`~lab.calibrate.models` fits BG/NBD, Pareto/NBD, gamma–gamma and sBG;
* :mod:`~lab.calibrate.scenario_out` turns a fit into a calibrated scenario;
* :mod:`~lab.calibrate.backtest` forecasts a holdout with the lab and the closed form;
* :mod:`~lab.calibrate.retention` maps a retention curve to the lab's churn traits;
* :mod:`~lab.calibrate.seasonality`, :mod:`~lab.calibrate.regularity` and
  :mod:`~lab.calibrate.arrivals` fit the calendar, regular timing (BG/CNBD-k) and
  new-customer arrivals; :func:`fit` (:mod:`~lab.calibrate.estimator`) fits them all:
  ``model = lab.calibrate.fit(orders)``, ``model.forecast("2Q")``, ``model.backtest(date)``.

See ``docs/calibration.md``.
"""

from lab.calibrate.backtest import Backtest, backtest, save_backtest
from lab.calibrate.checks import UnreliableFit, fit_problems
from lab.calibrate.estimator import Forecast, OrderModel, fit
from lab.calibrate.ingest import CleaningReport, CleanOrders, clean_orders, read_orders
from lab.calibrate.models import *  # noqa: F403  (the statistics: fits, closed forms, CDNOW)
from lab.calibrate.models import __all__ as _models_all
from lab.calibrate.retention import retention_fragment
from lab.calibrate.scenario_out import (
    Calibration,
    calibrate,
    conditional_customers,
    lab_traits,
    scenario_dict,
    write_calibration,
)
from lab.calibrate.synthetic import synthetic_order_log

__all__ = [
    *_models_all,
    "Backtest",
    "Calibration",
    "CleanOrders",
    "CleaningReport",
    "Forecast",
    "OrderModel",
    "UnreliableFit",
    "backtest",
    "calibrate",
    "clean_orders",
    "conditional_customers",
    "fit",
    "fit_problems",
    "lab_traits",
    "read_orders",
    "retention_fragment",
    "save_backtest",
    "scenario_dict",
    "synthetic_order_log",
    "write_calibration",
]
