"""For whom: results by segment, channel and RFM class, in a run and paired in a comparison."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.analysis import order_values
from lab.analysis.breakdown import BREAKDOWN_DIMENSIONS, customer_breakdown
from lab.analysis.orders import as_order_data
from lab.cli import app
from tests.conftest import bare, merge

DAYS = 45


def _pool(depth: float) -> dict:
    """Stock and paid customers; a 3-day sale of ``depth`` every two weeks."""
    sale = {"type": "discount_cadence", "every_days": 14, "duration_days": 3, "depth": depth}
    paid = {"enabled": True, "daily_budget_cny": 400.0}
    data = bare(n_customers=400, days=DAYS, strategies=[sale])
    return merge(data, {"acquisition": {"paid": paid}})


@pytest.fixture(scope="module")
def run() -> lab.RunResult:
    return lab.run(_pool(0.2), seed=2)


@pytest.mark.parametrize("by", BREAKDOWN_DIMENSIONS)
def test_groups_add_up_to_the_whole_pool(run, by):
    t = customer_breakdown(run, by)
    c = run.customers
    assert t["customers"].sum() == len(c)
    margin = order_values(as_order_data(run), "margin").sum()
    total = (t["value_per_customer"] * t["customers"]).sum()
    assert total == pytest.approx(margin + c["net_other"].sum(), abs=0.01)
    orders = (t["orders_per_customer"] * t["customers"]).sum()
    assert orders == pytest.approx(len(run.transactions))
    assert ((t["conversion_rate"] >= 0) & (t["conversion_rate"] <= 1)).all()


def test_rfm_groups_are_the_classes_plus_customers_without_an_order(run):
    t = customer_breakdown(run, "rfm_class").set_index("group")
    assert t.loc["no_order", "orders_per_customer"] == 0
    assert t.drop(index="no_order")["conversion_rate"].eq(1).all()


def test_unknown_dimension_is_refused(run):
    with pytest.raises(ValueError, match="segment, channel, rfm_class"):
        customer_breakdown(run, "city")


def test_compare_pairs_the_groups_by_seed_and_the_cli_prints_them(tmp_path):
    files = []
    for name, depth in (("a", 0.1), ("b", 0.3)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**_pool(depth), "name": name}), encoding="utf-8")
        files.append(str(path))
    out = tmp_path / "cmp"
    args = ["compare", *files, "--seeds", "2", "--workers", "1", "--no-plots", "--quiet"]
    res = CliRunner().invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "For whom" in res.output and "By acquisition channel" in res.output
    b = lab.results.load_table(out / "breakdown.csv")[0]
    assert set(b["dimension"]) == set(BREAKDOWN_DIMENSIONS)
    seg = b[(b["dimension"] == "segment") & (b["measure"] == "customers")]
    # who joins does not depend on the sale depth (common random numbers): same groups
    assert (seg["diff_mean"] == 0).all()
    assert set(seg["group"]) == {"business", "student", "white_collar"}
