"""Private-domain live streaming (私域直播): warm-ups, attendance, in-stream sales, costs."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

import lab
from lab.scenario import Scenario

SESSION_DAYS = (20, 50)


def _scenario(**stream) -> Scenario:
    """A small pool (1,500 imported customers, no paid ads) with two dated sessions."""
    d = {
        "days": 60,
        "acquisition": {
            "stock_import": {"customers_per_day": 100, "total_customers": 1500},
            "paid": {"enabled": False},
        },
        "strategies": [
            {"type": "live_stream", "sessions": [{"day": d} for d in SESSION_DAYS], **stream}
        ],
    }
    return Scenario.model_validate(d)


def _daily(seed: int, **stream):
    return lab.run(_scenario(**stream), seed=seed).daily.set_index("day")


SEEDS = range(3)


@pytest.fixture(scope="module")
def runs():
    """Default stream, no stream, no warm-up, no red envelopes: the same three seeds."""
    variants = {
        "default": {},
        "off": {"enabled": False},
        "no_warmup": {"warmup_days": 0},
        "no_envelope": {"red_envelope_cny": 0.0},
    }
    return {k: [_daily(s, **v) for s in SEEDS] for k, v in variants.items()}


def test_sessions_sell_on_their_day(runs):
    """Attendees buy at in_stream_lift x their rate: session-day orders rise in every seed."""
    for on, off in zip(runs["default"], runs["off"], strict=True):
        days = list(SESSION_DAYS)
        assert (on.loc[days, "orders"] > off.loc[days, "orders"]).all()
        assert on["live_sessions"].sum() == len(SESSION_DAYS)
        # attendees' orders are part of the day's orders
        assert (on["live_orders"] <= on["orders"]).all()
        assert (on["live_gmv"] <= on["gmv"] + 1e-6).all()


def test_warmups_raise_attendance(runs):
    """Three days of warm-ups in groups and Moments: attendance several times the cold rate.

    Cold: ~3% x 1.2 (red-envelope pull) of ~1,500 reachable customers, about 55 attendees
    (binomial SD ~7); warm: + 2 points per warm-up received, about 2-3x as many.  The
    difference is many SDs, so a strict inequality per seed is safe.
    """
    for warm, cold in zip(runs["default"], runs["no_warmup"], strict=True):
        assert warm["live_attendees"].sum() > 1.5 * cold["live_attendees"].sum()


def test_red_envelopes_draw_viewers_and_cost_money(runs):
    for paid, free in zip(runs["default"], runs["no_envelope"], strict=True):
        assert paid["live_attendees"].sum() > free["live_attendees"].sum()
        assert free["cost_live_red_envelopes"].sum() == 0
        spent = paid["cost_live_red_envelopes"].sum()
        # each grabbed envelope costs 2 CNY; about 60% of attendees grab one
        share = spent / 2.0 / paid["live_attendees"].sum()
        assert 0.45 < share < 0.75, share
        assert paid["cost_live_production"].sum() == pytest.approx(1500.0 * len(SESSION_DAYS))


def test_recurring_sessions_follow_their_cadence():
    daily = lab.run(
        _scenario(every_days=10, first_day=5).with_changes({"days": 40}), seed=1
    ).daily.set_index("day")
    held = set(np.flatnonzero(daily["live_sessions"].to_numpy() > 0))
    assert held == {5, 15, 20, 25, 35}  # every 10 days from day 5, plus the dated day 20


def test_a_session_needs_one_date():
    with pytest.raises(ValidationError, match="exactly one of 'date' or 'day'"):
        Scenario.model_validate(
            {"strategies": [{"type": "live_stream", "sessions": [{"name": "x"}]}]}
        )
