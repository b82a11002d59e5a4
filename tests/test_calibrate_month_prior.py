"""The calendar's prior month shape for the months an order log does not contain.

A calibration period of January-September (CDNOW's) says nothing about October-December.
Those months take a prior shape: ``flat`` (multiplier 1, the default and the earlier
behaviour), the month shape of US retail sales fixed in advance (Census Bureau:
``retail``) or 12 numbers of one's own; the prior never changes the months the log does
contain, nor the level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lab.calibrate.seasonality import (
    MONTH_PRIORS,
    US_RETAIL_FACTORS,
    fit_seasonality,
    month_prior_shape,
)
from lab.cli import app

START = "2025-01-01"
DAYS = 273  # 2025-01-01 .. 2025-09-30: nine months seen, three not


@pytest.fixture(scope="module")
def counts():
    """Daily counts of a steady rate (no calendar), from a fixed seed."""
    rng = np.random.default_rng(11)
    expected = np.full(DAYS, 12.0)
    return rng.poisson(expected).astype(float), expected


@pytest.fixture(scope="module")
def fits(counts):
    actual, expected = counts
    return {p: fit_seasonality(actual, expected, START, month_prior=p) for p in MONTH_PRIORS}


def test_unseen_months_take_the_prior_scaled_to_the_seen_months(counts, fits):
    _, expected = counts
    fit, prior = fits["retail"], np.array(MONTH_PRIORS["retail"])
    dates = pd.date_range(START, periods=DAYS, freq="D")
    weight = np.bincount(dates.month.to_numpy() - 1, weights=expected, minlength=12)
    seen = weight > 0
    assert seen.sum() == 9
    scale = (prior * weight)[seen].sum() / weight[seen].sum()
    np.testing.assert_allclose(fit.month[~seen], prior[~seen] / scale)
    # December is the retail peak: above every seen month of the shape, and above 1
    assert fit.month[11] > 1.1 and fit.month[11] == fit.month[~seen].max()
    sources = fit.table().set_index("effect")["source"]
    assert sources["month_dec"] == "prior:retail" and sources["month_sep"] == "fit"
    assert np.isnan(fit.table().set_index("effect").loc["month_dec", "se_log"])


def test_the_prior_leaves_the_seen_months_and_the_level_alone(fits):
    flat, retail = fits["flat"], fits["retail"]
    np.testing.assert_array_equal(retail.month[:9], flat.month[:9])
    np.testing.assert_array_equal(retail.weekday, flat.weekday)
    assert retail.level == flat.level and retail.penalty == flat.penalty
    np.testing.assert_array_equal(flat.month[9:], 1.0)  # flat: the earlier behaviour


def test_retail_prior_is_the_census_shape_per_day():
    shape = np.array(MONTH_PRIORS["retail"])
    assert shape.mean() == pytest.approx(1.0, abs=1e-3)
    months = list(US_RETAIL_FACTORS)
    factor = np.array([np.mean(US_RETAIL_FACTORS[m]) for m in months])
    # per day, February (28 days) is not the low month its monthly total makes it look
    assert factor[1] < factor[0] and shape[1] > shape[0]
    assert months[int(np.argmax(shape))] == "dec"


def test_custom_prior_from_numbers_or_text():
    own = [1.0] * 10 + [1.5, 2.0]
    shape, name = month_prior_shape(own)
    assert name == "custom" and shape[-1] == 2.0
    shape2, _ = month_prior_shape(",".join(map(str, own)))
    np.testing.assert_array_equal(shape, shape2)
    assert month_prior_shape(None)[1] == "flat"  # the default
    assert month_prior_shape(list(MONTH_PRIORS["retail"]))[1] == "retail"  # keeps its name


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        ("spring", "'spring'"),
        ([1.0] * 11, "12 positive"),
        ("1,2,x", "not a list"),
        ([1.0] * 11 + [-1.0], "12 positive"),
    ],
)
def test_bad_prior_is_refused_naming_the_value(prior, message):
    with pytest.raises(ValueError, match=message):
        month_prior_shape(prior)


@pytest.mark.parametrize("command", ["backtest", "forecast"])
def test_cli_refuses_a_bad_month_prior_with_exit_2(tmp_path, command):
    args = [command, str(tmp_path / "orders.csv"), "--month-prior", "spring"]
    if command == "backtest":
        args += ["--calibration-end", "2025-06-30"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "--month-prior" in r.output and "spring" in r.output
    assert list(tmp_path.iterdir()) == []
