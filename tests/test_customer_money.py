"""All of a customer's money is theirs: the per-customer ledger reconciles with the run.

Over a run, the customers' order gross margin plus the non-order money credited to
them (``net_other``) must equal the run's net margin plus the costs that belong to no
one (paid budget, staff invite bonus, guide salaries), to the cent, whatever the
strategies book (membership fees, stored-value bonus and breakage, referral rewards,
gifts, tasks, trial products, contacts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.analysis import customer_ltv, order_values
from lab.analysis.orders import as_order_data
from lab.customer_money import NET_COLUMN, PV_COLUMN, CustomerMoney
from lab.model import UNATTRIBUTED_COSTS

DAYS = 60
SCENARIOS = (
    "baseline.yaml",
    "q2_membership_99.yaml",
    "q7_stored_value.yaml",
    "q4_referral_reward_50.yaml",
    "q5_guides_turnover.yaml",
)


def _small(name: str) -> lab.Scenario:
    """The bundled scenario on a pool of a few thousand customers over 90 days."""
    sc = lab.load_scenario(f"scenarios/{name}")
    acq = sc.acquisition
    changes = {
        "acquisition.stock_import.total_customers": min(acq.stock_import.total_customers, 800),
        "acquisition.paid.daily_budget_cny": acq.paid.daily_budget_cny / 5,
        "acquisition.staff_invite.staff": max(1, acq.staff_invite.staff // 3),
    }
    return sc.with_changes(changes)


@pytest.fixture(scope="module", params=SCENARIOS)
def run(request) -> lab.RunResult:
    return lab.run(_small(request.param), seed=3, days=DAYS)


def test_customers_total_equals_net_margin_plus_unattributed_costs(run):
    daily, cust = run.daily, run.customers
    margin = order_values(as_order_data(run), "margin").sum()
    unattributed = sum(daily[c].sum() for c in daily.columns if c in UNATTRIBUTED_COSTS)
    customers_total = margin + cust["net_other"].sum()
    assert customers_total == pytest.approx(daily["net_margin"].sum() + unattributed, abs=0.01)


def test_every_other_ledger_column_is_credited_in_full(run):
    """Each revenue and cost column outside the unattributed ones sums, over customers,
    to its daily total: nothing is booked for customers and credited to no one."""
    daily, cust = run.daily, run.customers
    kinds = [c for c in daily.columns if c.startswith(("revenue_", "cost_"))]
    credited = [c for c in kinds if c not in UNATTRIBUTED_COSTS]
    assert credited, "every run books contacts at least"
    for col in credited:
        assert cust[col].sum() == pytest.approx(daily[col].sum(), abs=0.01), col
    net = cust[[c for c in credited if c.startswith("revenue_")]].sum(axis=1) - cust[
        [c for c in credited if c.startswith("cost_")]
    ].sum(axis=1)
    np.testing.assert_allclose(cust["net_other"], net, atol=1e-6)


def test_discounting_shrinks_costs_never_flips_them(run):
    """For customers credited with costs only, the value discounted to their joining day
    lies between the face value and zero (a flow on the joining day keeps its value)."""
    cust = run.customers
    revenue = [c for c in cust.columns if c.startswith("revenue_")]
    only_costs = (cust[revenue] == 0).all(axis=1) & (cust["net_other"] < 0)
    assert only_costs.any()
    part = cust[only_costs]
    assert (part["net_other_pv"] >= part["net_other"] - 1e-9).all()
    assert (part["net_other_pv"] < 0).all()


def test_net_ltv_adds_the_ledger_to_the_margin_ltv(run):
    margin = customer_ltv(run, horizon_days=30, value="margin")
    net = customer_ltv(run, horizon_days=30, value="net")
    np.testing.assert_allclose(
        net["value"] - margin["value"], run.customers["net_other"].to_numpy(), atol=1e-9
    )


def test_membership_fees_are_credited_to_the_members():
    res = lab.run(_small("q2_membership_99.yaml"), seed=3, days=DAYS)
    c = res.customers
    members = c["member_until"] >= 0
    assert members.sum() > 0
    fee = lab.load_scenario("scenarios/q2_membership_99.yaml").strategies[1].fee_cny
    # one 99-yuan fee per member (terms are 365 days, longer than the run)
    np.testing.assert_allclose(c.loc[members, "revenue_membership_fees"], fee)
    assert (c.loc[~members, "revenue_membership_fees"] == 0).all()


def test_net_ltv_refuses_an_order_log_without_the_ledger():
    log = pd.DataFrame(
        {"customer_id": [1], "date": ["2026-01-02"], "amount": [10.0], "list_price": [10.0]}
    )
    with pytest.raises(ValueError, match="net_other"):
        customer_ltv(log, value="net", margin_rate=0.5)


def _credited_both_ways(rate: float) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """The same 30 days of contact costs (about a third of 400 customers a day) and gifts,
    credited by slot and densely (zeros for the customers not contacted)."""
    rng = np.random.default_rng(11)
    n = 400
    cohort = rng.integers(0, 30, n).astype(np.int32)
    by_slot, dense = CustomerMoney(rate), CustomerMoney(rate)
    face, present = np.zeros(n), np.zeros(n)
    for day in range(30, 60):
        each = np.where(rng.random(n) < 0.3, rng.choice([0.3, 0.31, 0.01], n), 0.0)
        slots = np.flatnonzero(each)
        by_slot.add("cost_contacts", slots, each[slots], day, cohort)
        dense.add("cost_contacts", slice(0, n), each, day, cohort)
        gifts = np.sort(rng.choice(n, 5, replace=False))
        for money in (by_slot, dense):
            money.add("revenue_fees", gifts, 9.9, day, cohort)
        keep = (1.0 + rate) ** (-(day - cohort) / 365)
        face -= each
        face[gifts] += 9.9
        present -= each * keep
        present[gifts] += 9.9 * keep[gifts]
    kinds = ["revenue_fees", "cost_contacts"]
    return by_slot.table(n, kinds), dense.table(n, kinds), face, present


def test_dense_credits_equal_the_same_credits_by_slot():
    """The daily contact costs are credited densely; every column, the net and the
    present value are those of crediting only the contacted customers, bit for bit."""
    by_slot, dense, _, _ = _credited_both_ways(0.1)
    assert set(by_slot) == set(dense)
    for col, values in by_slot.items():
        np.testing.assert_array_equal(dense[col], values, err_msg=col)


def test_present_value_discounts_each_credit_from_the_joining_day():
    """Net and present value against their definitions (rounding of sums only)."""
    _, dense, face, present = _credited_both_ways(0.1)
    np.testing.assert_allclose(dense[NET_COLUMN], face, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dense[PV_COLUMN], present, rtol=0, atol=1e-9)
    assert (dense[PV_COLUMN] != dense[NET_COLUMN]).any()  # discounting happened


def test_a_credit_before_the_joining_day_is_refused_with_nothing_credited():
    money = CustomerMoney(0.1)
    cohort = np.array([0, 5], dtype=np.int32)
    with pytest.raises(ValueError, match="before the day they joined"):
        money.add("cost_contacts", slice(0, 2), np.array([0.3, 0.3]), 3, cohort)
    with pytest.raises(ValueError, match="before the day they joined"):
        money.add("cost_gifts", np.array([1]), 1.0, 3, cohort)
    table = money.table(2, ["cost_contacts", "cost_gifts"])
    assert all((v == 0).all() for v in table.values())


def test_a_credit_before_the_joining_day_to_a_credited_column_is_refused_with_nothing_credited():
    """The fast path (the column exists, every array is large enough) checks the ages
    too: a credit before a customer joined changes nothing and names the problem."""
    money = CustomerMoney(0.1)
    cohort = np.array([0, 5, 2], dtype=np.int32)
    money.add("cost_gifts", np.array([0, 2]), np.array([1.5, 2.0]), 9, cohort)
    before = {k: v.copy() for k, v in money.table(3, ["cost_gifts"]).items()}
    arrays = money.columns["cost_gifts"], money.net, money.pv
    assert min(a.size for a in arrays) > 2 and money._discount.size > 9  # it all fits
    with pytest.raises(ValueError, match="before the day they joined"):
        money.add("cost_gifts", np.array([0, 1]), np.array([1.0, 1.0]), 3, cohort)
    now = money.columns["cost_gifts"], money.net, money.pv
    assert all(a is b for a, b in zip(arrays, now, strict=True))  # nothing regrown
    after = money.table(3, ["cost_gifts"])
    for name, values in before.items():
        assert after[name].tobytes() == values.tobytes(), name
    money.add("cost_gifts", np.array([1]), 1.0, 6, cohort)  # after joining: credited
    assert money.table(3, ["cost_gifts"])["cost_gifts"].tolist() == [1.5, 1.0, 2.0]


def test_dense_products_equal_the_dense_credit_of_their_sum_bit_for_bit():
    """Contacts x price per touchpoint credited in one pass: the numbers of crediting the
    NumPy sum ``sent_a * price_a + sent_b * price_b`` densely, for costs and revenues;
    an age before joining is refused with nothing credited."""
    rng = np.random.default_rng(5)
    n = 300
    cohort = rng.integers(0, 20, n).astype(np.int32)
    prices = (0.3, 0.01, 0.07)
    for column in ("cost_contacts", "revenue_fees"):
        fused, summed = CustomerMoney(0.08), CustomerMoney(0.08)
        for day in range(20, 60):
            sent = tuple(rng.integers(0, 3, n).astype(np.uint8) for _ in prices)
            fused.add_dense_products(column, sent, prices, day, cohort)
            each = sent[0] * prices[0]
            for s, p in zip(sent[1:], prices[1:], strict=True):
                each += s * p
            summed.add(column, slice(0, n), each, day, cohort)
        want, got = summed.table(n, [column]), fused.table(n, [column])
        for col, values in want.items():
            assert got[col].tobytes() == values.tobytes(), col
    with pytest.raises(ValueError, match="before the day they joined"):
        fused.add_dense_products("cost_contacts", sent, prices, 5, cohort)
    assert fused.table(n, [column])[NET_COLUMN].tobytes() == got[NET_COLUMN].tobytes()


@pytest.mark.parametrize("threads", [1, 2])
def test_dense_products_on_threads_are_the_one_threads_bits(threads):
    """40,000 customers are 20 blocks, above ``DENSE_PARALLEL_MIN_BLOCKS``: dealt to two
    threads (or run on one), every customer's credit is the NumPy sum's, bit for bit
    (a block skipped or credited twice would show); the parallel function is also run
    directly, so the threaded path is exercised whatever ``numba.get_num_threads()`` is."""
    import numba

    from lab import customer_money as cm

    n = 40_000
    assert n >= cm.DENSE_PARALLEL_MIN_BLOCKS * cm.DENSE_BLOCK
    rng = np.random.default_rng(8)
    cohort = rng.integers(0, 20, n).astype(np.int32)
    sent = tuple(rng.integers(0, 3, n).astype(np.uint8) for _ in range(3))
    prices = np.array([0.3, 0.01, 0.07])
    discount = 0.999 ** np.arange(64.0)

    def credited(run) -> tuple[np.ndarray, ...]:
        arr, net, pv = np.ones(n), np.full(n, 2.0), np.full(n, 3.0)
        run((prices, True, 30, cohort, discount, arr, net, pv, *sent))
        return arr, net, pv

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        dealt = credited(lambda a: cm._credit_dense(a[8:], *a[:8], threads))
        direct = credited(lambda a: cm._credit_dense_on_threads(n, 20, threads, a))
    finally:
        numba.set_num_threads(before)
    serial = credited(lambda a: cm._credit_dense_range(0, n, a))
    each = sent[0] * prices[0] + sent[1] * prices[1] + sent[2] * prices[2]
    assert serial[0].tobytes() == (1.0 + each).tobytes()
    assert serial[1].tobytes() == (2.0 - each).tobytes()
    for got in (dealt, direct):
        for a, b in zip(got, serial, strict=True):
            assert a.tobytes() == b.tobytes()


def test_table_views_are_the_copies_values_without_copying():
    money = CustomerMoney(0.0)
    cohort = np.zeros(5, np.int32)
    money.add("cost_contacts", slice(0, 5), np.arange(5.0), 3, cohort)
    copies, views = (
        money.table(5, ["cost_contacts", "cost_gifts"]),
        money.table(5, ["cost_contacts", "cost_gifts"], copy=False),
    )
    assert list(copies) == list(views)
    for name in copies:
        assert copies[name].tobytes() == views[name].tobytes(), name
    assert np.shares_memory(views[NET_COLUMN], money.net)
    assert not np.shares_memory(copies[NET_COLUMN], money.net)


@pytest.mark.parametrize(
    "each", [9.9, np.float32(0.1), np.array(0.3), np.array([1.5]), np.array([0.1, 0.2, -0.0])]
)
def test_one_amount_or_one_per_slot_is_broadcast_as_numpy_broadcasts_it(each):
    """One amount for all slots, one per slot, or a one-element array: the per-slot
    amounts credited are those of ``np.broadcast_to`` (as float64), bit for bit."""
    from lab.customer_money import _per_slot

    got = _per_slot(each, (3,))
    want = np.ascontiguousarray(np.broadcast_to(np.asarray(each, dtype=np.float64), (3,)))
    assert got.dtype == np.float64 and got.flags.c_contiguous
    assert got.tobytes() == want.tobytes()
