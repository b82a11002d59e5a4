"""Seasonality from an order log: weekday, month, named-event and campaign multipliers (季节性).

The fitted purchase model says how many repeat transactions to expect each day from
the customers known by then, ``e_d``; it knows no calendar.  The calendar is what the
log shows on top of it: a Poisson regression of the daily repeat counts ``y_d`` with
``log e_d`` as offset,

    log E[y_d] = log e_d + level + weekday[wd(d)] + month[m(d)] + sum_j event_j(d) + sum_c campaign_c(d)

(log-linear effects, so each becomes a multiplier).

**The offset is the timing model the forecast simulates with.**  ``e_d`` is the
daily increment of sum_i E[X(t - f_i)] over the customers' first purchases f_i: with
BG/NBD's closed form when the regularity fit (:mod:`lab.calibrate.regularity`) keeps
k = 1, and with BG/CNBD-k's (:func:`~lab.calibrate.regularity.expected_daily_repeats`)
when it finds k > 1 and the lab then simulates an Erlang-k clock.  Against BG/NBD's
curve a regular log looks seasonal: a cohort's repeats come in waves after its first
purchase (few right after it, more one gap later), and the month and event effects
would absorb the waves, which the lab's Erlang clock then produces a second time.
BG/CNBD-k's E[X(t)] is a series of regularised incomplete beta functions, summed to
1e-15 (exact, deterministic and a fraction of a second for a year of days); a
simulation-based expectation would add seed noise to every multiplier, and a
numerical convolution of each customer's history would only approximate the same
sum.  The callers choose the offset (``_repeat_offset`` in :mod:`lab.calibrate.backtest`);
k = 1 leaves them on BG/NBD's fit and closed form exactly as before.  Effects are shrunk towards 0
(multiplier 1) by a ridge penalty ``penalty / 2 x sum beta^2``; the level is not
penalised.  **The penalty is chosen by cross-validation inside the calibration period
only**: the days are split into 5 folds by week (week number mod 5, so every fold
spans the whole period and every month), each candidate penalty is fitted on four
folds and scored by the Poisson deviance of the fifth, and the penalty with the
lowest total deviance wins (``rule="min"``).  Nothing after the calibration end is
used, so a back-test's holdout never informs the shrinkage.  The one-standard-error
rule (``rule="one_se"``) and fitting only the months a log covers in two years
(``month_rule="twice"``) are options: judged on lab-made logs with a known truth by a
rule fixed in advance (``benchmarks/RESULTS_penrule.md``), neither beat the CV minimum
(they shrink real months away and gain little where the months are spurious).  A
short log has few days per effect; cross-validation then picks a strong penalty and
the multipliers stay near 1.

Months that the calibration period does not contain cannot be estimated from it.
They take a **prior month shape** instead (``month_prior``): ``"flat"`` (the
default) keeps them at 1; ``"retail"`` is the month shape of US retail sales (Census
Bureau, Monthly Retail Trade Survey, see :data:`US_RETAIL_FACTORS`), fixed in advance
and not fitted to any log; 12 numbers give a shape of one's own.  The prior is scaled so that it averages 1 over the months the
log does contain (weighted like the fitted months), so it says how an unseen month
compares with the seen ones, never changes the level.  Events the log does not
contain keep lift 1.  The reported multipliers are normalised: weekday multipliers
average 1 over the week and month multipliers average 1 over the months seen
(weighted by expected counts), and a ``base`` multiplier of every day makes the whole
calendar (weekdays x months x events x campaigns) average 1 over the calibration
days, weighted by the expected counts.  So the calendar moves demand between days
without changing the fitted model's level (``level`` is reported, not applied): the
model's rate already averages the event and campaign days in, and their lifts move
orders onto those days from the others (``base`` < 1) rather than adding them.  (Until
2026-12-03 the base was missing, and a log with 618 and 双11 in it forecast 8-15% high.)  Standard
errors come from the penalised information, scaled by the Pearson overdispersion
(none for a prior month: the log says nothing about it).

**The multipliers are shrunk, and their SEs do not count it.**  The ridge pulls every
effect towards 1 by about ``penalty x effect / information``, a bias the penalised
information's SE leaves out: on lab-made logs the shrunk event lifts sat 0.5-0.7 SE
below their true values on average.  Shrunk lifts are what the forecast uses (they
predict better); to quote a lift, each event and campaign also gets its nearly
unpenalised estimate, SE and 95% Wald interval (``SeasonalityFit.unshrunk``; the
``unshrunk``, ``unshrunk_ci95_low`` and ``unshrunk_ci95_high`` columns of
:meth:`SeasonalityFit.table`),
which covers a known lift about 95% of the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from lab.calibrate.mle import LOG_SD_IDENTIFIED, pearson_dispersion
from lab.configs.calendar import EVENT_ANCHORS, event_days
from lab.i18n import LANGS, check_lang

__all__ = [
    "DEFAULT_MONTH_PRIOR",
    "EVENTS",
    "MONTH_PRIORS",
    "MONTH_RULE",
    "MONTH_RULES",
    "PENALTIES",
    "PENALTY_RULE",
    "PENALTY_RULES",
    "US_RETAIL_FACTORS",
    "SeasonalityFit",
    "check_campaign_names",
    "check_rules",
    "design_matrix",
    "fit_seasonality",
    "month_prior_shape",
    "read_campaigns",
    "rules_text",
]

#: named events fitted when the calibration period contains their days
EVENTS: tuple[str, ...] = ("cny", *EVENT_ANCHORS)
#: candidate ridge penalties (cross-validated)
PENALTIES: tuple[float, ...] = (0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 1e4)
#: how the cross-validation picks among :data:`PENALTIES`
PENALTY_RULES: tuple[str, ...] = ("min", "one_se")
#: the names :data:`PENALTY_RULES` and :data:`MONTH_RULES` hold, for type hints
PenaltyRuleName = Literal["min", "one_se"]
MonthRuleName = Literal["all", "twice"]
#: the rule used unless the caller names another
PENALTY_RULE: PenaltyRuleName = "min"
#: which months the counts estimate (the others take the month prior)
MONTH_RULES: tuple[str, ...] = ("all", "twice")
MONTH_RULE: MonthRuleName = "all"
#: what each rule means, as the fit's records say it (:meth:`SeasonalityFit.rules_text`):
#: rule -> (English, 中文)
RULE_TEXT: dict[str, tuple[str, str]] = {
    "min": ("the lowest held-out deviance", "留出偏差最小"),
    "one_se": (
        "the largest penalty within one SE of the lowest held-out deviance",
        "留出偏差在最小值一个标准误以内的最大惩罚",
    ),
    "all": ("every month the log contains", "订单日志中的每个月"),
    "twice": ("only months the log contains in two years", "仅订单日志中出现两年的月份"),
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: US retail sales ("Retail sales, total", NAICS 44-45 without food services): the
#: Census Bureau's combined seasonal, trading-day and holiday adjustment factors
#: (Monthly Retail Trade Survey, ``census.gov/retail/mrts/www/data/text/nadjusts.txt``),
#: one value per month and year for the months Aug 2008 - Dec 2009 and Feb 2011 -
#: Jun 2013 (the latest release of each).  Factors of monthly sales totals: a month's
#: sales relative to a seasonally adjusted month.  Fixed when the prior was written;
#: never fitted to a log.
US_RETAIL_FACTORS: dict[str, tuple[float, ...]] = {
    "jan": (0.914, 0.898, 0.918),
    "feb": (0.885, 0.894, 0.935, 0.902),
    "mar": (0.988, 1.028, 1.036, 1.017),
    "apr": (0.992, 1.001, 0.982, 0.995),
    "may": (1.040, 1.030, 1.050, 1.053),
    "jun": (1.020, 1.020, 1.009, 0.990),
    "jul": (1.029, 0.996, 0.985),
    "aug": (1.028, 1.025, 1.023, 1.033),
    "sep": (0.952, 0.953, 0.961, 0.941),
    "oct": (0.994, 0.995, 0.966, 0.982),
    "nov": (0.989, 0.991, 1.004, 1.014),
    "dec": (1.162, 1.172, 1.172, 1.142),
}
#: the two-sided 95% normal quantile
Z95 = 1.959963984540054
_DAYS_IN_MONTH = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _per_day(monthly_factors: np.ndarray) -> np.ndarray:
    """Monthly-total factors as daily-rate multipliers of mean 1 (a 31-day month's
    sales are higher by its length alone; the calendar multiplies a daily rate)."""
    daily = np.asarray(monthly_factors, float) / (_DAYS_IN_MONTH / _DAYS_IN_MONTH.mean())
    return daily / daily.mean()


#: prior month shapes (daily-rate multipliers, mean 1) for months a log does not contain
MONTH_PRIORS: dict[str, tuple[float, ...]] = {
    "retail": tuple(
        round(float(v), 4)
        for v in _per_day(np.array([np.mean(US_RETAIL_FACTORS[m]) for m in MONTHS]))
    ),
    "flat": (1.0,) * 12,
}
#: the prior used unless the caller names another: ``flat``, because a prior is right
#: only for logs of its kind (on the lab's own logs, whose months are flat, ``retail``
#: makes back-tests into unseen months worse); ``retail`` is one option away
DEFAULT_MONTH_PRIOR = "flat"


def month_prior_shape(prior: str | Sequence[float] | None) -> tuple[np.ndarray, str]:
    """The 12 daily-rate multipliers of a month prior, and its name.

    Parameters
    ----------
    prior : str, sequence of 12 floats or None
        A name of :data:`MONTH_PRIORS` (``"retail"``, ``"flat"``), 12 positive
        multipliers January first (a sequence or a comma-separated string;
        ``"custom"``), or None for the default.

    Raises
    ------
    ValueError
        Unknown name, not 12 values, or a value that is not a positive number.
    """
    if prior is None:
        prior = DEFAULT_MONTH_PRIOR
    if isinstance(prior, str) and "," in prior:
        prior = prior.split(",")
    if isinstance(prior, str):
        key = prior.strip().lower()
        if key not in MONTH_PRIORS:
            raise ValueError(
                f"month prior {prior!r}: use one of {sorted(MONTH_PRIORS)} or 12 numbers"
            )
        return np.array(MONTH_PRIORS[key], float), key
    try:
        shape = np.array([float(v) for v in prior], float)
    except (TypeError, ValueError):
        raise ValueError(f"month prior {prior!r}: not a list of numbers") from None
    if shape.size != 12 or not (np.isfinite(shape) & (shape > 0)).all():
        raise ValueError(f"month prior {list(prior)!r}: need 12 positive numbers, January first")
    for name, values in MONTH_PRIORS.items():  # a named shape passed on as numbers
        if np.array_equal(shape, values):
            return shape, name
    return shape, "custom"


@dataclass
class SeasonalityFit:
    """Fitted calendar multipliers.

    Attributes
    ----------
    weekday : numpy.ndarray
        7 multipliers, Monday first (mean 1).
    month : numpy.ndarray
        12 multipliers, January first (the prior shape for months the log does not
        contain).
    events : dict[str, float]
        Lift of each named event whose days the log contains.
    campaigns : list of dict
        ``name``, ``start``, ``end``, ``lift`` of each campaign of the campaign file.
    se : dict[str, float]
        Standard error of each log-effect (``weekday_mon``, ``month_jan``, ``event_cny``,
        ``campaign_<name>``): of the reported multiplier's log for weekdays and fitted
        months (normalised; until 2026-12-03 these included the part the fit cannot tell
        from its level, up to ~3 at a weak penalty), of the log-lift for events and
        campaigns.
    penalty : float
        The cross-validated ridge penalty.
    cv : pandas.DataFrame
        ``penalty``, ``deviance`` (held-out Poisson deviance summed over folds) and
        ``se`` (its standard error, sqrt(folds) x the folds' sd).
    level : float
        Overall ratio of actual to expected counts (reported, not applied).
    dispersion : float
        Pearson overdispersion of the daily counts (1 = Poisson).
    cov : pandas.DataFrame
        Covariance of the (unnormalised) log-effects, by effect name.
    month_source : tuple of str
        Per month: ``"fit"`` (estimated from the log) or ``"prior"`` (not in the log).
    month_prior : str
        The prior's name (``retail``, ``flat``, ``custom``).
    prior_shape : tuple of float
        The prior's 12 multipliers (before scaling to the months seen).
    unshrunk : dict[str, tuple of float]
        Per event and campaign (``event_<name>``, ``campaign_<name>``): the log-lift
        fitted without shrinkage, its SE and its 95% interval (low, high).  The lifts in
        ``events`` and ``campaigns`` (which the forecast uses) are ridge estimates,
        biased towards 1, and ``se`` does not count that bias; this is the interval to
        quote for a lift.  NaN (all four) when the log cannot estimate it
        (:data:`UNSHRUNK_MIN_ORDERS`, :data:`~lab.calibrate.mle.LOG_SD_IDENTIFIED`).
    unshrunk_orders : dict[str, float]
        Per event and campaign: the orders on its days in the log.
    rule : str
        How the cross-validation chose the penalty (:data:`PENALTY_RULES`).
    month_rule : str
        Which months the counts estimated (:data:`MONTH_RULES`).
    base : float
        Multiplier of every day, so that the whole calendar (weekdays x months x events x
        campaigns) averages 1 over the calibration days, weighted by the expected counts:
        the events and campaigns the log shows lift their days and lower the others, and
        the calendar moves orders between days without adding any to the period.
    """

    weekday: np.ndarray
    month: np.ndarray
    events: dict[str, float]
    campaigns: list[dict] = field(default_factory=list)
    se: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0
    cv: pd.DataFrame = field(default_factory=pd.DataFrame)
    level: float = 1.0
    dispersion: float = 1.0
    cov: pd.DataFrame = field(default_factory=pd.DataFrame)
    month_source: tuple[str, ...] = ("fit",) * 12
    month_prior: str = DEFAULT_MONTH_PRIOR
    prior_shape: tuple[float, ...] = MONTH_PRIORS[DEFAULT_MONTH_PRIOR]
    unshrunk: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    unshrunk_orders: dict[str, float] = field(default_factory=dict)
    rule: PenaltyRuleName = PENALTY_RULE
    month_rule: MonthRuleName = MONTH_RULE
    base: float = 1.0

    def rules_text(self, lang: str = "en") -> str:
        """How the penalty and the fitted months were chosen.

        Parameters
        ----------
        lang : {"en", "zh"}
            Language of the words (the rule names stay as the options spell them).

        Returns
        -------
        str
            :func:`rules_text` of this fit's ``rule`` and ``month_rule``.
        """
        return rules_text(self.rule, self.month_rule, lang)

    def calendar(self, extra_campaigns=()) -> dict:
        """The scenario's ``calendar`` section (enabled), plus any future campaigns."""
        camps = [*self.campaigns, *extra_campaigns]
        return {
            "enabled": True,
            "weekday": [round(float(v), 4) for v in self.weekday],
            "month": [round(float(v), 4) for v in self.month],
            "events": [{"name": k, "lift": round(float(v), 4)} for k, v in self.events.items()],
            "campaigns": [
                {
                    "name": str(c["name"]),
                    "start": str(pd.Timestamp(c["start"]).date()),
                    "end": str(pd.Timestamp(c["end"]).date()),
                    "lift": round(float(c["lift"]), 4),
                }
                for c in camps
            ],
            "arrivals": True,
            "base": round(float(self.base), 4),
        }

    def multipliers(self, start_date, days: int, extra_campaigns=()) -> np.ndarray:
        """Day multipliers from ``start_date`` for ``days`` days."""
        from lab.configs.calendar import Calendar, day_multipliers

        cal = Calendar.model_validate(self.calendar(extra_campaigns))
        return day_multipliers(cal, pd.Timestamp(start_date).date(), days)

    def table(self) -> pd.DataFrame:
        """Effect, multiplier, se (of the log-effect) per fitted term, and last the
        ``base`` of every day (:attr:`base`, no se: it follows from the others); for events and
        campaigns also the unshrunk lift and its 95% interval (``unshrunk``,
        ``unshrunk_ci95_low``, ``unshrunk_ci95_high``: the interval is the unshrunk lift's,
        not the multiplier's; NaN for weekdays and months, and for a lift the log cannot
        estimate)."""
        rows = [(f"weekday_{w}", v) for w, v in zip(WEEKDAYS, self.weekday, strict=True)]
        rows += [(f"month_{m}", v) for m, v in zip(MONTHS, self.month, strict=True)]
        rows += [(f"event_{k}", v) for k, v in self.events.items()]
        rows += [(f"campaign_{c['name']}", c["lift"]) for c in self.campaigns]
        rows += [("base", self.base)]
        source = {f"month_{m}": src for m, src in zip(MONTHS, self.month_source, strict=True)}
        return pd.DataFrame(
            {
                "effect": [r[0] for r in rows],
                "multiplier": [float(r[1]) for r in rows],
                "se_log": [self.se.get(r[0], np.nan) for r in rows],
                "source": [
                    f"prior:{self.month_prior}" if source.get(r[0]) == "prior" else "fit"
                    for r in rows
                ],
                **{
                    col: [
                        float(np.exp(self.unshrunk[r[0]][k])) if r[0] in self.unshrunk else np.nan
                        for r in rows
                    ]
                    for col, k in (
                        ("unshrunk", 0),
                        ("unshrunk_ci95_low", 2),
                        ("unshrunk_ci95_high", 3),
                    )
                },
            }
        )


def design_matrix(dates: pd.DatetimeIndex, campaigns=()) -> tuple[np.ndarray, list[str]]:
    """Columns: 7 weekday and 12 month indicators, the named events, the campaigns."""
    d = np.asarray(dates.values.astype("datetime64[D]"))
    wd = dates.weekday.to_numpy()
    mo = dates.month.to_numpy() - 1
    cols = [wd == i for i in range(7)] + [mo == i for i in range(12)]
    names = [f"weekday_{w}" for w in WEEKDAYS] + [f"month_{m}" for m in MONTHS]
    from lab.configs.calendar import EVENT_WINDOWS

    for ev in EVENTS:
        before, after = EVENT_WINDOWS[ev]
        cols.append(event_days(ev, d, before, after))
        names.append(f"event_{ev}")
    for c in campaigns:
        s, e = (np.datetime64(pd.Timestamp(c[k]).date(), "D") for k in ("start", "end"))
        cols.append((d >= s) & (d <= e))
        names.append(f"campaign_{c['name']}")
    return np.stack(cols, axis=1).astype(float), names


def _ridge_poisson(X, y, offset, penalty, iters: int = 50):
    """Penalised Poisson regression by Newton steps; column 0 (level) unpenalised."""
    p = X.shape[1]
    beta = np.zeros(p)
    beta[0] = np.log(max(y.sum(), 1e-9) / max(np.exp(offset).sum(), 1e-9))
    pen = np.full(p, float(penalty))
    pen[0] = 0.0
    for _ in range(iters):
        mu = np.exp(offset + X @ beta)
        grad = X.T @ (mu - y) + pen * beta
        hess = (X * mu[:, None]).T @ X + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    mu = np.exp(offset + X @ beta)
    hess = (X * mu[:, None]).T @ X + np.diag(pen + 1e-9)
    return beta, hess


def _deviance(y, mu) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return float(2.0 * t.sum())


def fit_seasonality(
    actual: np.ndarray,
    expected: np.ndarray,
    start_date,
    *,
    campaigns=(),
    penalties=PENALTIES,
    folds: int = 5,
    month_prior: str | Sequence[float] | None = None,
    rule: PenaltyRuleName = PENALTY_RULE,
    month_rule: MonthRuleName = MONTH_RULE,
) -> SeasonalityFit:
    """Fit the calendar to daily counts against the purchase model's expectation.

    Parameters
    ----------
    actual, expected : numpy.ndarray
        Daily repeat transactions of the calibration customers and the fitted model's
        expectation for them, day 0 = ``start_date``; calibration period only.
    start_date : date-like
    campaigns : sequence of dict
        ``name``, ``start``, ``end`` of the brand's campaigns (their lifts are fitted).
    penalties : sequence of float
        Candidate ridge penalties, chosen by ``folds``-fold cross-validation by week.
    month_prior : str or sequence of 12 floats, optional
        Shape for the months the period does not contain (:func:`month_prior_shape`;
        default :data:`DEFAULT_MONTH_PRIOR`), scaled to average 1 over the months it
        does contain.
    rule : {"one_se", "min"}
        How the cross-validation chooses the penalty (:data:`PENALTY_RULES`):
        ``"min"`` the lowest held-out deviance, ``"one_se"`` the largest penalty
        whose deviance is within one standard error of that minimum.
    month_rule : {"all", "twice"}
        Which months the log's counts estimate (:data:`MONTH_RULES`): ``"all"`` every
        month the period contains; ``"twice"`` only months it contains in two
        different years (at least a week each); the others take the prior, like the
        months it does not contain (in a closed cohort's first year, calendar month
        and the customers' age are the same thing).

    Returns
    -------
    SeasonalityFit
    """
    check_rules(rule, month_rule, names=("penalty rule", "month rule"))
    actual = np.asarray(actual, float)
    expected = np.asarray(expected, float)
    dates = pd.date_range(pd.Timestamp(start_date), periods=actual.size, freq="D")
    keep = expected > 1e-9
    X, names = design_matrix(dates, campaigns)
    X = np.column_stack([np.ones(actual.size), X])[keep]
    y, off = actual[keep], np.log(expected[keep])
    prior, prior_name = month_prior_shape(month_prior)
    weight = np.array([expected[keep][X[:, 8 + i] > 0].sum() for i in range(12)])  # per month
    in_log = weight > 0
    fitted = in_log & _months_to_fit(dates[keep], month_rule)
    pinned = np.flatnonzero(in_log & ~fitted)
    off = off + X[:, 8 + pinned] @ np.log(prior[pinned])  # they take the prior, fixed
    X[:, 8 + pinned] = 0.0
    week = (np.flatnonzero(keep) // 7) % folds
    fold_dev = np.zeros((len(penalties), folds))
    for i, pen in enumerate(penalties):
        for f in range(folds):
            tr = week != f
            beta, _ = _ridge_poisson(X[tr], y[tr], off[tr], pen)
            fold_dev[i, f] = _deviance(y[~tr], np.exp(off[~tr] + X[~tr] @ beta))
    cv, cv_se = fold_dev.sum(axis=1), np.sqrt(folds) * fold_dev.std(axis=1, ddof=1)
    penalty = float(penalties[_chosen(cv, cv_se, penalties, rule)])
    beta, hess = _ridge_poisson(X, y, off, penalty)
    present = X[:, 1:].any(axis=0)
    dispersion = pearson_dispersion(X, y, np.exp(off + X @ beta))
    cov = np.linalg.inv(hess) * dispersion
    se_all = np.sqrt(np.clip(np.diag(cov)[1:], 0.0, None))
    eff = beta[1:]
    w = np.exp(eff[:7])
    weekday = w / w.mean()
    month = np.ones(12)
    if in_log.any():
        m_exp = np.where(fitted, np.exp(eff[7:19]), prior)  # pinned months: the prior
        norm = (m_exp * weight)[in_log].sum() / weight[in_log].sum()
        month[in_log] = m_exp[in_log] / norm
        prior_norm = (prior * weight)[in_log].sum() / weight[in_log].sum()
        month[~in_log] = prior[~in_log] / prior_norm
    events = {
        n.removeprefix("event_"): float(np.exp(b))
        for n, b, on in zip(names, eff, present, strict=True)
        if n.startswith("event_") and on
    }
    camp_fit = [
        {**{k: c[k] for k in ("name", "start", "end")}, "lift": float(np.exp(b))}
        for c, b in zip(campaigns, eff[19 + len(EVENTS) :], strict=True)
    ]
    se = {n: float(s) for n, s, on in zip(names, se_all, present, strict=True) if on}
    if in_log.any():
        normalised = _normalised_se(cov[1:, 1:], w, fitted, m_exp * weight, in_log)
        se.update({n: v for n, v in normalised.items() if n in se})
    lifts = [j for j, n in enumerate(names) if present[j] and n.startswith(_LIFTS)]
    base = _base(weekday, month, events, camp_fit, start_date, expected, keep)
    return SeasonalityFit(
        weekday=weekday,
        month=month,
        events=events,
        campaigns=camp_fit,
        se=se,
        penalty=penalty,
        cv=pd.DataFrame({"penalty": list(penalties), "deviance": cv, "se": cv_se}),
        level=_level(y.sum(), expected[keep].sum()),
        dispersion=dispersion,
        cov=pd.DataFrame(cov[1:, 1:], index=names, columns=names),
        month_source=tuple("fit" if seen else "prior" for seen in fitted),
        month_prior=prior_name,
        prior_shape=tuple(float(v) for v in prior),
        unshrunk=_unshrunk_lifts(X, y, off, names, lifts),
        unshrunk_orders=_orders_on_days(X, y, names, lifts),
        rule=rule,
        month_rule=month_rule,
        base=base,
    )


def _normalised_se(cov, w, fitted, mass, in_log) -> dict[str, float]:
    """SE of each reported weekday and fitted month log-multiplier, as normalised.

    A weekday is ``w_i / mean(w)`` and a fitted month ``m_i / (sum of m x weight over the
    months seen / their weight)``: by the delta method, the log-effects' covariance taken
    through ``d log(x_i / mean) / d beta_j = delta_ij - share_j``.  The part common to
    all seven weekdays (or all months) is what the fit cannot tell from its level, so
    the unnormalised log-effects' SEs are inflated by it (a weak penalty leaves it
    nearly unbounded); the normalised ones are not.  Months taking the prior get none.
    """
    out = {}
    grad = np.eye(7) - (w / w.sum())[None, :]
    var = np.diag(grad @ cov[:7, :7] @ grad.T)
    out.update(
        {f"weekday_{d}": float(np.sqrt(max(v, 0.0))) for d, v in zip(WEEKDAYS, var, strict=True)}
    )
    months = np.flatnonzero(fitted)
    if months.size:
        share = mass[months] / mass[in_log].sum()  # only the fitted months move the mean
        grad = np.eye(months.size) - share[None, :]
        cols = 7 + months
        var = np.diag(grad @ cov[np.ix_(cols, cols)] @ grad.T)
        out.update(
            {
                f"month_{MONTHS[i]}": float(np.sqrt(max(v, 0.0)))
                for i, v in zip(months, var, strict=True)
            }
        )
    return out


def _base(weekday, month, events, campaigns, start_date, expected, keep) -> float:
    """The every-day multiplier that makes the calendar average 1 over the calibration
    days, weighted by ``expected`` (:attr:`SeasonalityFit.base`)."""
    fit = SeasonalityFit(weekday=weekday, month=month, events=events, campaigns=campaigns)
    mult = fit.multipliers(start_date, expected.size)[keep]
    weighted = float((expected[keep] * mult).sum())
    return float(expected[keep].sum() / weighted) if weighted > 0 else 1.0


def rules_text(penalty_rule: PenaltyRuleName, month_rule: MonthRuleName, lang: str = "en") -> str:
    """The penalty and month rules as the fit's records say them.

    The scenario header, the forecast's and the back-test's ``summary.md`` follow
    "penalty ... chosen by" with it.

    Parameters
    ----------
    penalty_rule : {"min", "one_se"}
        How the cross-validation chose the penalty (:data:`PENALTY_RULES`).
    month_rule : {"all", "twice"}
        Which months the counts estimated (:data:`MONTH_RULES`).
    lang : {"en", "zh"}
        Language of the words (``lab forecast --lang zh``'s summary.md).

    Returns
    -------
    str
        ``penalty rule min (the lowest held-out deviance); months fitted: all (every
        month the log contains)``: the month rule said apart, since it chooses the
        months, not the penalty (an unknown rule's meaning reads ``?``).
    """
    i = LANGS.index(check_lang(lang))
    p, m = (RULE_TEXT.get(r, ("?", "?"))[i] for r in (penalty_rule, month_rule))
    if i == 1:
        return f"惩罚规则 {penalty_rule} ({p})；拟合的月份：{month_rule} ({m})"
    return f"penalty rule {penalty_rule} ({p}); months fitted: {month_rule} ({m})"


def check_rules(
    penalty_rule: str, month_rule: str, names: tuple[str, str] = ("penalty_rule", "month_rule")
) -> None:
    """Refuse an unknown penalty or month rule, naming the argument and the value.

    Parameters
    ----------
    penalty_rule : str
        One of :data:`PENALTY_RULES`.
    month_rule : str
        One of :data:`MONTH_RULES`.
    names : tuple of str
        How the caller names the two (``--penalty-rule``, ``rule``, ...), for the message.

    Raises
    ------
    ValueError
        ``penalty_rule 'x': use one of min, one_se`` (or the month rule's); both bad:
        both problems in one message, separated by ``"; "``.
    """
    problems = [
        f"{name} {value!r}: use one of {', '.join(allowed)}"
        for name, value, allowed in zip(
            names, (penalty_rule, month_rule), (PENALTY_RULES, MONTH_RULES), strict=True
        )
        if not isinstance(value, str) or value not in allowed
    ]
    if problems:
        raise ValueError("; ".join(problems))


def read_campaigns(path) -> list[dict]:
    """A campaign-calendar CSV: columns ``name, start, end`` and optionally ``lift``.

    Raises
    ------
    ValueError
        Missing columns, an unreadable date or lift, an end before a start or a lift
        that is not positive: the message names the file, the row (the header is row 1),
        the field and its value.  Also a file without a campaign (empty, or the header
        alone: a planner who passes a campaign file means to place campaigns) and a name
        that two rows share (:func:`check_campaign_names`).
    """
    df = _read_campaign_csv(path)
    if df.empty:
        raise ValueError(
            f"{path}: the campaign file holds no campaign (only a header, or nothing): add "
            "one row per campaign (name, start, end[, lift]) or give no campaign file"
        )
    need = [c for c in ("name", "start", "end") if c not in df.columns]
    if need:
        raise ValueError(f"{path}: campaign file lacks column(s) {need}; it has {list(df.columns)}")
    out = [_campaign_row(path, i + 2, row, "lift" in df.columns) for i, row in df.iterrows()]
    check_campaign_names(out, where=str(path), first_row=2)
    return out


#: encodings a campaign file is read in, in turn (Excel on Chinese Windows saves GBK)
CAMPAIGN_ENCODINGS = ("utf-8-sig", "gb18030")


def _read_campaign_csv(path) -> pd.DataFrame:
    """The campaign file's rows as text (UTF-8, with or without its byte-order mark, else
    GB18030, a superset of GBK); an empty frame for an empty file."""
    for encoding in CAMPAIGN_ENCODINGS:
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
        except UnicodeDecodeError:
            continue
    raise ValueError(
        f"{path}: the campaign file is not text in UTF-8 or GBK/GB18030; save it as CSV "
        "UTF-8 (Excel: Save As > CSV UTF-8) and try again"
    )


def check_campaign_names(
    campaigns: Sequence[dict], where: str = "campaigns", first_row: int = 1
) -> None:
    """Refuse campaigns that share a name.

    Each campaign is one dated effect with a lift of its own: fitted when it is in the
    log, placed when it is after it.  Two rows named alike (``大促`` in April and in
    May) would be two effects under one name, their lifts and intervals mixed up in
    every table that names them, so a planner names each row apart (``大促 4月``,
    ``大促 5月``); a recurring campaign type with one shared lift is not modelled.

    Parameters
    ----------
    campaigns : sequence of dict
        ``name, start, end[, lift]``.
    where : str
        What holds them, for the message (the file's path).
    first_row : int
        The row number of the first campaign (2 in a file: the header is row 1).

    Raises
    ------
    ValueError
        ``<where>: row 3: field name: '大促' is row 2's name too; ...``.
    """
    seen: dict[str, int] = {}
    for i, c in enumerate(campaigns, start=first_row):
        name = str(c["name"])
        if name in seen:
            raise ValueError(
                f"{where}: row {i}: field name: {name!r} is row {seen[name]}'s name too; each "
                "row is one campaign with its own lift (fitted in the log, placed after it), "
                f"so give each row a name of its own, e.g. '{name} "
                f"{pd.Timestamp(c['start']):%Y-%m-%d}'"
            )
        seen[name] = i


def _campaign_row(path, line: int, row: pd.Series, has_lift: bool) -> dict:
    """One row of a campaign file (``line``: its row number, the header being row 1)."""
    where = f"{path}: row {line}"
    s, e = (_campaign_date(where, field, row[field]) for field in ("start", "end"))
    if e < s:
        raise ValueError(f"{where}: end {e.date()} is before start {s.date()}")
    lift = None
    if has_lift and pd.notna(row.get("lift")):
        try:
            lift = float(row["lift"])
        except ValueError:
            raise ValueError(
                f"{where}: field lift: {row['lift']!r} is not a number (leave it empty to "
                "take the fitted lift)"
            ) from None
        if not (np.isfinite(lift) and lift > 0):
            raise ValueError(
                f"{where}: field lift: must be a finite number > 0, got {row['lift']!r}"
            )
    name = row["name"]
    if pd.isna(name) or not str(name).strip():
        raise ValueError(f"{where}: field name: empty; give each campaign a name")
    return {"name": str(name), "start": s, "end": e, "lift": lift}


def _campaign_date(where: str, field: str, value) -> pd.Timestamp:
    """A campaign's ``start`` or ``end``, or a ValueError naming the row, field and value."""
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise ValueError(f"{where}: field {field}: {value!r} is not a date (use YYYY-MM-DD)")
    return day


#: effects that get an unshrunk estimate and interval (:func:`_unshrunk_lifts`)
_LIFTS = ("event_", "campaign_")
#: the penalty of the unshrunk fit: small against any effect's information, enough to
#: pin the directions the log cannot see (weekdays and months against the level)
UNSHRUNK_PENALTY = 1e-3


#: fewer orders than this on an effect's days: its unshrunk lift is not estimable (the
#: Poisson MLE of a lift from n orders has log-scale SE about 1/sqrt(n), 0.45 at 5, and
#: with none it runs off to 0 with a meaningless Wald interval, e.g. 0.000-819342)
UNSHRUNK_MIN_ORDERS = 5


def _orders_on_days(X, y, names: list[str], lifts: list[int]) -> dict[str, float]:
    """Orders in the log on each lift's days (its design column is nonzero)."""
    return {names[j]: float(y[X[:, 1 + j] != 0].sum()) for j in lifts}


def _unshrunk_lifts(X, y, off, names: list[str], lifts: list[int]) -> dict[str, tuple]:
    """Each event's and campaign's log-lift with every effect (nearly) unpenalised, its
    standard error and 95% Wald interval: ``{effect: (log_lift, se, low, high)}``.

    The ridge biases a lift towards 1 by about penalty x lift / information, and the
    penalised information's SE does not count that bias (on lab-made logs the shrunk
    event lifts sat 0.66 SE below the truth on average).  Nearly unpenalised
    (:data:`UNSHRUNK_PENALTY`), the Poisson MLE has no such bias; its SE is scaled by
    its own Pearson overdispersion.  An event's column is a subset of its days, so it
    stays identified when months and weekdays trade off against the level.

    Not estimable, all NaN: fewer than :data:`UNSHRUNK_MIN_ORDERS` orders on its days,
    or a log-scale SE above :data:`~lab.calibrate.mle.LOG_SD_IDENTIFIED` (the
    Wald interval then spans more than a factor 20 each way).
    """
    if not lifts:
        return {}
    beta, hess = _ridge_poisson(X, y, off, UNSHRUNK_PENALTY)
    dispersion = pearson_dispersion(X, y, np.exp(off + X @ beta))
    var = np.diag(np.linalg.inv(hess))[1:] * dispersion
    orders = _orders_on_days(X, y, names, lifts)
    out = {}
    for j in lifts:
        b, se = float(beta[1 + j]), float(np.sqrt(max(var[j], 0.0)))
        if orders[names[j]] < UNSHRUNK_MIN_ORDERS or not se <= LOG_SD_IDENTIFIED:
            out[names[j]] = (np.nan,) * 4
        else:
            out[names[j]] = (b, se, b - Z95 * se, b + Z95 * se)
    return out


def _months_to_fit(dates: pd.DatetimeIndex, month_rule: str) -> np.ndarray:
    """Per calendar month: estimate it from the counts (True) or give it the prior."""
    if month_rule == "all":
        return np.ones(12, bool)
    days = pd.DataFrame({"year": dates.year, "month": dates.month - 1})
    per_year = days.groupby(["month", "year"]).size()
    years = (per_year[per_year >= 7].reset_index().groupby("month").size()).reindex(range(12))
    return years.fillna(0).to_numpy() >= 2


def _chosen(cv: np.ndarray, cv_se: np.ndarray, penalties, rule: str) -> int:
    """Index of the chosen penalty: the CV minimum, or (``one_se``) the largest penalty
    whose total held-out deviance is within one standard error of the minimum's (ESL
    §7.10; the SE of a total over K folds is sqrt(K) x the folds' sd)."""
    best = int(np.argmin(cv))
    if rule == "min":
        return best
    ok = np.flatnonzero(cv <= cv[best] + cv_se[best])
    return int(ok[np.argmax(np.asarray(penalties, float)[ok])])


def _level(observed: float, expected: float) -> float:
    """Observed over expected repeats (reported, not applied); NaN when the fitted model
    expects none (a degenerate fit forced through), instead of a division warning."""
    return float(observed / expected) if expected > 0 else float("nan")
