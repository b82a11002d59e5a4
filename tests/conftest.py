"""Shared test helpers: scenarios with mechanisms switched off one by one."""

from __future__ import annotations

import pytest

import lab
from lab.scenario import deep_merge


def bgnbd_traits(r: float, alpha_days: float, a: float, b: float) -> dict:
    """The ``traits.default`` rates of BG/NBD buyers: gamma(r, alpha) purchase propensity
    per day (mean r / alpha) and a beta(a, b) dropout chance after each purchase."""
    return {
        "propensity_per_day": {"dist": "gamma", "mean": r / alpha_days, "shape": r},
        "dropout_after_purchase": {"dist": "beta", "mean": a / (a + b), "concentration": a + b},
    }


def bare(n_customers: int = 2000, days: int = 120, **sections) -> dict:
    """A scenario dict with only stock customers and every optional mechanism off.

    Everyone is imported on day 0 with one order of history made that day (the
    BG/NBD "time zero" purchase).  Pass sections to switch mechanisms back on;
    nested dicts are merged into the defaults below.
    """
    base = {
        "name": "bare",
        "days": days,
        "acquisition": {
            "stock_import": {
                "customers_per_day": n_customers,
                "total_customers": n_customers,
                "prior_orders_mean": 1,
                "prior_recency_max_days": 0,
            },
            "paid": {"enabled": False},
            "staff_invite": {"enabled": False},
            "referral": {"enabled": False},
        },
        "traits": {"by_channel": {}},
        "first_order": {"enabled": False},
        "habit": {"enabled": False},
        "reference_price": {"enabled": False},
        "fatigue": {"enabled": False},
        "annoyance": {"enabled": False},
        "contacts": {"carryover": {"enabled": False}, "wear_out": {"enabled": False}},
        "dropout": {"after_purchase": True, "per_day": False},
        "personas": {"enabled": False},
        "strategies": [],
    }
    return merge(base, sections)


def merge(base: dict, patch: dict) -> dict:
    """Deep-merge ``patch`` into a copy of ``base`` (the lab's own rule, as for ``extends:``)."""
    return deep_merge(base, patch)


@pytest.fixture(scope="session")
def baseline() -> lab.Scenario:
    return lab.load_scenario("scenarios/baseline.yaml")
