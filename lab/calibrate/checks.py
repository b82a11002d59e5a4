"""Is a calibration fit usable?  The reasons a scenario should not be written from it.

``lab calibrate`` and ``lab backtest`` refuse (exit code 2, nothing written) when
:func:`fit_problems` finds any, unless ``--force`` is given; then the outputs carry
the reasons as a prominent warning.
"""

from __future__ import annotations

import math

from lab.calibrate.mle import FitResult

__all__ = ["LOG_BOUND", "MIN_REPEAT_BUYERS", "UnreliableFit", "fit_problems"]

LOG_BOUND = 12.0  # the fits search each log-parameter in [-12, 12] (lab.calibrate.mle)

# BG/NBD and Pareto/NBD read the dropout process from who buys again and when: with
# fewer repeat buyers than this the four parameters are not identified in practice
# (their standard errors run to many times the estimates).
MIN_REPEAT_BUYERS = 10


class UnreliableFit(ValueError):
    """A fit that converged badly or is not identified from the data.

    ``problems`` holds the reasons (:func:`fit_problems`).
    """

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def fit_problems(fit: FitResult, repeat_buyers: int | None = None) -> list[str]:
    """Reasons not to trust ``fit`` (an empty list when there are none).

    Parameters
    ----------
    fit : FitResult
        A purchase-model (or spend) fit.
    repeat_buyers : int, optional
        Customers with at least one repeat purchase in the calibration period.

    Returns
    -------
    list of str
        One plain sentence per problem: not converged, standard errors unavailable,
        a parameter at the search bound exp(+-12), too few repeat buyers.
    """
    out = []
    bad_se = [k for k, v in fit.se.items() if not math.isfinite(v)]
    at_bound = [
        f"{k} = {v:.4g}"
        for k, v in fit.params.items()
        if not v > 0 or abs(math.log(v)) > LOG_BOUND - 1e-3
    ]
    if not fit.converged and not bad_se and not at_bound:
        out.append(f"the {fit.model} fit did not converge ({fit.message})")
    if bad_se:
        out.append(
            f"the {fit.model} fit's standard errors are unavailable for {', '.join(bad_se)} "
            "(information matrix not positive definite)"
        )
    if at_bound:
        out.append(
            f"the {fit.model} parameter(s) {', '.join(at_bound)} sit at the search bound "
            f"exp(+-{LOG_BOUND:g}): the model is not identified from these data"
        )
    if repeat_buyers is not None and repeat_buyers < MIN_REPEAT_BUYERS:
        out.append(
            f"only {repeat_buyers} customer(s) bought again in the calibration period "
            f"(at least {MIN_REPEAT_BUYERS} are needed to fit {fit.model})"
        )
    return out
