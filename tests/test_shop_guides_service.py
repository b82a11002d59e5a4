"""Shop guides with requests from customers: capacity binds, and service level shows it.

With ``requests_from: customers`` every targeted customer may ask for a chat, so demand
does not grow with the team.  A smaller team must serve fewer chats in time, drop more,
make customers wait longer, and (served chats lift purchases) sell less.  Runs share a
seed, so the teams face the same customers and requests (common random numbers).
"""

from __future__ import annotations

import pytest

import lab
from lab.analysis import service_level
from lab.scenario_diff import scenario_diff
from tests.conftest import bare

TEAMS = (1, 3, 8)


def _guides(team: int, requests_from: str = "customers") -> dict:
    guides = {
        "type": "shop_guides",
        "guides": team,
        "book_size": 200,
        "chats_per_day": 20,
        "requests_per_week": 0.5,
        "requests_from": requests_from,
        "quit_rate_per_year": 0.0,
    }
    return bare(n_customers=1500, days=45, strategies=[guides])


@pytest.fixture(scope="module")
def runs() -> dict[int, lab.RunResult]:
    return {team: lab.run(_guides(team), seed=1) for team in TEAMS}


def test_fewer_guides_lower_service_level_and_more_drops(runs):
    s = {team: service_level(res) for team, res in runs.items()}
    small, mid, big = (s[t] for t in TEAMS)
    assert small["chat_service_level"] < mid["chat_service_level"] < big["chat_service_level"]
    assert small["chat_drop_rate"] > mid["chat_drop_rate"] > big["chat_drop_rate"]
    assert small["chat_mean_wait_minutes"] > mid["chat_mean_wait_minutes"]
    assert mid["chat_mean_wait_minutes"] > big["chat_mean_wait_minutes"]
    assert small["chats_dropped"] > 0  # capacity binds


def test_fewer_guides_sell_less(runs):
    orders = {team: int(res.daily["orders"].sum()) for team, res in runs.items()}
    served = {team: int(res.daily["chats_served"].sum()) for team, res in runs.items()}
    assert served[1] < served[3] < served[8]
    assert orders[1] < orders[3] < orders[8]


def test_demand_comes_from_customers_not_from_books(runs):
    """Requests do not scale with the team: the same customers ask whatever its size.

    About 1500 customers x 0.5/7 a day x 45 days = 4,800 requests; the teams' counts
    differ only by who dropped out (chats lift purchases, and dropout follows them).
    """
    asked = [float(res.daily["chats_requested"].sum()) for res in runs.values()]
    assert max(asked) / min(asked) < 1.05
    assert 4000 < min(asked) < 5600


def test_every_request_is_served_dropped_or_still_waiting(runs):
    for res in runs.values():
        d = res.daily
        waiting = d["chats_requested"].sum() - d["chats_served"].sum() - d["chats_dropped"].sum()
        # at most the requests of the last day (patience 1 day) are still in a queue
        assert 0 <= waiting <= d["chats_requested"].iloc[-2:].sum()


def test_book_mode_keeps_its_columns_and_has_no_service_level():
    res = lab.run(_guides(3, "book"), seed=1)
    assert "chats_answered_in_time" not in res.daily.columns
    s = service_level(res)
    assert s["chats_requested"] > 0
    assert s["chat_service_level"] != s["chat_service_level"]  # NaN: not measured


def test_q5_staffing_files_differ_only_in_team_size():
    a = lab.load_scenario("scenarios/q5_guides_staffing.yaml")
    b = lab.load_scenario("scenarios/q5_guides_staffing_small.yaml")
    d = scenario_diff(a, b)
    assert d.paths == ["strategies.shop_guides.guides"]
    assert not d.confounded
