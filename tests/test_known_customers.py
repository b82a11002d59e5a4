"""Known-customer tables with a per-row ``book_first_order`` and per-row empty traits.

One table holds the log's customers (joining with their history and their own
posterior) and new customers (joining with their first order booked, traits drawn from
the scenario's population): what ``lab calibrate --period forecast`` writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.cli import app
from tests.conftest import bare

HEAD = (
    "customer_id,join_date,prior_orders,last_purchase_date,propensity_shape,"
    "propensity_rate_per_day,dropout_a,dropout_b,p_alive,book_first_order\n"
)
N_HISTORY, N_NEW, N_EMPTY = 60, 50, 20


def _table() -> str:
    """History rows on day 0 with their own traits, new rows on days 2..11 with empty
    trait cells and the flag set, and rows with an empty flag (the section's)."""
    rows = "".join(f"h{i},2026-01-01,3,2025-12-20,50,100,2,8,1,false\n" for i in range(N_HISTORY))
    rows += "".join(f"n{i},2026-01-{3 + i % 10:02d},0,,,,,,,true\n" for i in range(N_NEW))
    rows += "".join(f"e{i},2026-01-{3 + i % 5:02d},0,,,,,,,\n" for i in range(N_EMPTY))
    return rows


def _scenario(folder, rows: str, book_first_order: bool, name: str = "known.csv") -> dict:
    path = folder / name
    path.write_text(rows, encoding="utf-8")
    return bare(
        0,
        30,
        acquisition={
            "stock_import": {"enabled": False},
            "known_customers": {
                "enabled": True,
                "file": str(path),
                "book_first_order": book_first_order,
            },
        },
        traits={"default": {"propensity_per_day": {"dist": "gamma", "mean": 0.1, "shape": 1}}},
    )


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("known")
    return lab.run(_scenario(folder, HEAD + _table(), book_first_order=False), seed=3), folder


def _joiners(res) -> pd.DataFrame:
    """Customers by their id prefix (h: history, n: flagged new, e: empty flag)."""
    from lab.known_customers import known_customer_keys

    ids = [f"h{i}" for i in range(N_HISTORY)] + [f"n{i}" for i in range(N_NEW)]
    ids += [f"e{i}" for i in range(N_EMPTY)]
    kind = pd.Series([i[0] for i in ids], index=known_customer_keys(ids))
    c = res.customers.set_index("person_key")
    return c.assign(kind=kind.reindex(c.index).to_numpy())


def test_per_row_flag_books_first_orders_exactly_for_flagged_rows(mixed):
    res, _ = mixed
    c = _joiners(res)
    new, history, empty = (c[c["kind"] == k] for k in "nhe")
    assert (len(new), len(history), len(empty)) == (N_NEW, N_HISTORY, N_EMPTY)
    # first orders: the flagged rows' booked ones, plus those of empty-flag rows (no
    # history) who bought later on their own; the history rows have none
    later = int((empty["n_orders_in_run"] > 0).sum())
    assert res.daily["first_orders"].sum() == N_NEW + later and later > 0
    per_day = new.groupby("cohort_day").size()
    got = res.daily.set_index("day")["first_orders"]
    assert (got.reindex(per_day.index) >= per_day).all()
    tx = res.transactions[["customer_id", "day"]]
    on_join = tx.merge(new[["customer_id", "cohort_day"]].rename(columns={"cohort_day": "day"}))
    assert len(on_join) == N_NEW  # one order each, on the day they joined
    assert (new["n_orders"] >= 1).all() and (new["prior_orders"] == 0).all()
    # the others bring their history (or nothing) and no order on their join day
    assert (history["prior_orders"] == 3).all() and (empty["prior_orders"] == 0).all()
    for group in (history, empty):
        joined = tx.merge(
            group[["customer_id", "cohort_day"]].rename(columns={"cohort_day": "day"})
        )
        assert joined.empty


def test_empty_flag_cells_take_the_section_flag(mixed):
    _, folder = mixed
    res = lab.run(
        _scenario(folder, HEAD + _table(), book_first_order=True, name="t.csv"), seed=3, days=12
    )
    # the flagged rows say true, the history rows false, the empty ones take the section's
    assert res.daily["first_orders"].sum() == N_NEW + N_EMPTY


def test_a_column_equal_to_the_section_flag_changes_nothing(tmp_path):
    rows = "".join(f"k{i},2026-01-{1 + i % 9:02d}\n" for i in range(40))
    plain = _scenario(tmp_path, "customer_id,join_date\n" + rows, True, "plain.csv")
    flagged = "".join(line + ",true\n" for line in rows.splitlines())
    column = _scenario(tmp_path, "customer_id,join_date,book_first_order\n" + flagged, True)
    a, b = lab.run(plain, seed=5, days=20), lab.run(column, seed=5, days=20)
    assert a.transactions.equals(b.transactions) and a.daily.equals(b.daily)


def test_empty_trait_cells_draw_from_the_population_like_a_table_without_them(mixed):
    res, folder = mixed
    c = _joiners(res)
    for col in ("propensity", "p_drop_purchase", "mean_order_value"):
        assert np.isfinite(c[col]).all() and (c[col] > 0).all(), col
    # the rows with empty trait cells draw exactly what they draw in a table without
    # trait columns (common random numbers: draws are keyed by the customer id)
    rows = "".join(f"n{i},2026-01-{3 + i % 10:02d},true\n" for i in range(N_NEW))
    alone = lab.run(
        _scenario(folder, "customer_id,join_date,book_first_order\n" + rows, False, "alone.csv"),
        seed=3,
        days=1,
    ).customers.set_index("person_key")
    new = c[c["kind"] == "n"]
    for col in ("propensity", "p_drop_purchase", "mean_order_value"):
        assert (new.loc[alone.index, col].to_numpy() == alone[col].to_numpy()).all(), col
    # the others keep their own posterior: Gamma(50, 100/day) has mean 0.5 (sd 0.07),
    # read as a daily chance (rate -log(1 - 0.5) = 0.69); the population's mean is 0.1
    own = c.loc[c["kind"] == "h", "propensity"]
    assert abs(own.mean() - 0.69) < 0.05 and new["propensity"].mean() < 0.3


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("a,2026-01-01,maybe\n", "column book_first_order: 'maybe' at row 1 is not true or false"),
        ("a,2026-01-01,true\nb,2026-01-01,2\n", "column book_first_order: '2' at row 2"),
    ],
)
def test_bad_flag_value_exits_2_naming_column_value_and_file(tmp_path, cells, message):
    sc = _scenario(tmp_path, "customer_id,join_date,book_first_order\n" + cells, False)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(sc), encoding="utf-8")
    r = CliRunner().invoke(app, ["explain", str(tmp_path / "s.yaml")])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and message in out and "known.csv" in out, r.output
    assert "Traceback" not in r.output


def test_half_an_empty_pair_is_refused(tmp_path):
    rows = HEAD + "a,2026-01-01,0,,50,,,,,true\n"
    with pytest.raises(lab.ScenarioError, match="propensity_rate_per_day go together"):
        lab.scenario_from_dict(_scenario(tmp_path, rows, False))
