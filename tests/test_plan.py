"""The day plan's reset: only what was written is cleared, and that is enough.

:meth:`DayPlan.reset` clears only the arrays written since the last reset; after every
reset of a run each array must hold its default at every slot, as a full clear would
leave it (scenarios with offers, contacts, member prices, gates and referral terms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lab
from lab.model import PoolModel
from lab.plan import DayPlan
from lab.scenario import deep_merge, dump_scenario

CHEAPER_RIVAL = {"competition": {"enabled": True, "price_index": 0.85}}  # writes dropout_mult


#: every shipped scenario (each switches on other strategies, so other plan writers),
#: plus the baseline with a cheaper rival (the market writes dropout_mult directly)
CASES = [(str(p), {}) for p in sorted(Path("scenarios").glob("*.yaml"))]
CASES.append(("scenarios/baseline.yaml", CHEAPER_RIVAL))


@pytest.mark.parametrize(("path", "changes"), CASES)
def test_reset_leaves_every_plan_array_at_its_default(path, changes, monkeypatch):
    data = deep_merge(dump_scenario(lab.load_scenario(path)), changes)
    data["acquisition"]["stock_import"].update(total_customers=1500, customers_per_day=300.0)
    model = PoolModel(lab.scenario_from_dict(data), seed=5, days=40)
    plan = model.plan
    reset = DayPlan.reset
    checked = []

    def checked_reset(self, pop, day=0):
        reset(self, pop, day)
        for name in DayPlan.ARRAYS:
            arr = getattr(self, name)
            want = 1 if name in DayPlan._ONES else 0
            assert (arr == want).all(), f"day {day}: {name} not cleared"
        for tp, arr in self.sent.items():
            assert not arr.any(), f"day {day}: sent[{tp}] not cleared"
        checked.append(day)

    monkeypatch.setattr(DayPlan, "reset", checked_reset)
    written = set()
    for _ in range(40):
        model.step()
        written |= plan._written
    assert len(checked) == 40
    assert {"offer_depth", "contact_lift", "n_contacts"} <= written
    if changes:
        assert "dropout_mult" in written


def test_mark_written_names_a_plan_array():
    plan = PoolModel(lab.load_scenario("scenarios/baseline.yaml"), seed=1, days=2).plan
    with pytest.raises(KeyError, match="dropout_mul"):
        plan.mark_written("dropout_mul")


def test_offer_pass_is_numpys_maximum_bit_for_bit():
    """The compiled offer keeps np.maximum's result for NaN, signed zeros and negatives."""
    from lab.plan import _offer

    rng = np.random.default_rng(4)
    od = rng.choice(np.array([0.0, -0.0, 0.1, 0.3, -0.2, np.nan, 0.25], np.float32), 5000)
    mask = rng.random(5000) < 0.5
    for depth in (np.float32(0.25), np.float32(0.0), np.float32(-0.0), np.float32(np.nan)):
        want = od.copy()
        np.maximum(want, np.where(mask, depth, np.float32(0)), out=want)
        got = od.copy()
        _offer(got, mask, depth)
        assert np.array_equal(got.view(np.int32), want.view(np.int32))


def test_contact_with_reach_equals_contact_to_the_drawn_mask():
    """Drawing who a message reaches during delivery changes nothing: the same contacts,
    effects, wear memory and count as sending to ``mask & bernoulli(...)``."""
    from lab.plan import Reach
    from lab.rng import bernoulli

    def model_at_day_30():
        m = PoolModel(lab.load_scenario("scenarios/baseline.yaml"), seed=2, days=40)
        for _ in range(30):
            m.step()
        m.plan.reset(m.pop, m.day)
        return m

    a, b = model_at_day_30(), model_at_day_30()
    n, day = a.pop.n, a.day
    assert a.pop.blocked[:n].any()  # blocked customers are among those skipped
    chance = np.array([0.9, 0.7, 0.5, 0.3, 0.0])
    target = np.random.default_rng(5).random(n) < 0.8
    key = np.uint64(0x1234_5678_9ABC)
    for content, touchpoint in (("promotion", "group"), ("value", "group"), ("value", "moments")):
        reach = Reach(chance, a.pop.stage, key, a.pop.rkey)
        got = a.plan.contact(target, touchpoint, content, reach=reach)
        drawn = bernoulli(key, day, b.pop.rkey[:n], chance[b.pop.stage[:n]])
        want = b.plan.contact(target & drawn, touchpoint, content)
        assert got == want > 0
    for name in (*DayPlan.ARRAYS, "_k"):
        assert np.array_equal(getattr(a.plan, name), getattr(b.plan, name)), name
    for tp in a.plan.sent:
        assert np.array_equal(a.plan.sent[tp], b.plan.sent[tp])
    for content in ("promotion", "value"):
        va, wa = a.plan.wear.memory(content, n)
        vb, wb = b.plan.wear.memory(content, n)
        assert np.array_equal(va.view(np.int32), vb.view(np.int32)) and np.array_equal(wa, wb)


def _small(path: str, changes: dict, days: int) -> PoolModel:
    return PoolModel(lab.scenario_from_dict(_data(path, changes)), seed=5, days=days)


@pytest.mark.parametrize(("path", "changes"), CASES)
def test_plan_arrays_the_loop_skips_hold_their_defaults(path, changes, monkeypatch):
    """On the loop's day, every plan array of a switched-off group (none of its arrays
    written today: ``DayPlan.written``) holds its default at every slot, which the loop
    uses instead of reading it; some group is skipped on some day."""
    from lab.agents.behaviour import PLAN_GROUPS

    model = _small(path, changes, 40)
    respond = PoolModel._customers_respond
    seen = []

    def checked(self, day):
        p = self.kernel_inputs(day)[4]
        n = self.pop.n
        for switch, arrays in PLAN_GROUPS.items():
            if not getattr(p, switch):
                for name in arrays:
                    want = 1 if name in DayPlan._ONES else 0
                    assert (getattr(self.plan, name)[:n] == want).all(), (day, switch, name)
        seen.append({s for s in PLAN_GROUPS if getattr(p, s)})
        respond(self, day)

    monkeypatch.setattr(PoolModel, "_customers_respond", checked)
    for _ in range(40):
        model.step()
    assert len(seen) == 40
    assert any("plan_contacts" in on for on in seen)  # contacts read on contact days
    assert any(len(on) < len(PLAN_GROUPS) for on in seen)  # and some group skipped


def test_plan_groups_cover_every_plan_array_once():
    from lab.agents.behaviour import PLAN_GROUPS, KernelParams, plan_switches

    names = [a for arrays in PLAN_GROUPS.values() for a in arrays]
    assert sorted(names) == sorted(DayPlan.ARRAYS)
    assert set(PLAN_GROUPS) <= set(KernelParams._fields)
    assert plan_switches(None) == dict.fromkeys(PLAN_GROUPS, True)
    on = plan_switches(frozenset({"contact_load", "share_mult"}))
    assert {s for s, v in on.items() if v} == {"plan_contacts", "plan_referral"}


# a scenario that writes each group: member prices (standing), stored value (purchase,
# dropout multipliers), a cheaper rival (dropout), a referral program (referral terms)
SWITCH_CASES = [
    ("scenarios/q2_membership_99.yaml", {}, "plan_standing"),
    ("scenarios/q7_stored_value.yaml", {}, "plan_purchase"),
    ("scenarios/baseline.yaml", CHEAPER_RIVAL, "plan_dropout"),
    ("scenarios/q4_referral_reward_50.yaml", {}, "plan_referral"),
]


@pytest.mark.parametrize(("path", "changes", "switch"), SWITCH_CASES)
def test_skipping_unwritten_plan_arrays_changes_no_result(path, changes, switch, monkeypatch):
    """The same tables, bit for bit, as a run whose loop reads every plan array every day."""
    from test_golden import table_hash

    import lab.model

    days_on = []
    switches = lab.model.plan_switches

    def recorded(written):
        on = switches(written)
        days_on.append(on[switch])
        return on

    def run():
        res = lab.run(lab.scenario_from_dict(_data(path, changes)), seed=5, days=60)
        return [table_hash(res.daily), table_hash(res.transactions), table_hash(res.customers)]

    monkeypatch.setattr(lab.model, "plan_switches", recorded)
    skipped = run()
    assert any(days_on) and not all(days_on)  # the group is read on some days, not all
    monkeypatch.setattr(lab.model, "plan_switches", lambda written: _all_on())
    assert run() == skipped


def _data(path: str, changes: dict) -> dict:
    data = deep_merge(dump_scenario(lab.load_scenario(path)), changes)
    data["acquisition"]["stock_import"].update(total_customers=1500, customers_per_day=300.0)
    return data


def _all_on() -> dict[str, bool]:
    from lab.agents.behaviour import plan_switches

    return plan_switches(None)


@pytest.mark.parametrize("gated", [False, True])
def test_contact_delivery_on_threads_is_bit_identical(gated):
    """Delivery dealt block by block to two threads writes the same bits as on one.

    40,000 customers are 20 blocks (above ``PARALLEL_MIN_BLOCKS``): random masks, blocks,
    caps half used, reach drawn per customer, wear memory on, with and without a gate.
    """
    import numba

    from lab.plan import _BLOCK, PARALLEL_MIN_BLOCKS, _deliver

    n = 40_000
    assert n > PARALLEL_MIN_BLOCKS * _BLOCK
    rng = np.random.default_rng(11)
    decay = (0.9 ** np.arange(60)).astype(np.float32)

    def inputs():
        r = np.random.default_rng(12)  # the same arrays for both runs
        return dict(
            value=r.random(n).astype(np.float32),
            when=r.integers(0, 30, n).astype(np.int32),
            sent=r.integers(0, 3, n).astype(np.uint8),
            n_contacts=np.zeros(n, np.uint8),
            lift=np.zeros(n, np.float32),
            load=np.zeros(n, np.float32),
            fatigue=np.zeros(n, np.float32),
            k=np.zeros(n, np.uint8),
        )

    mask = rng.random(n) < 0.7
    blocked = rng.random(n) < 0.1
    code = rng.integers(0, 4, n).astype(np.int8)
    ids = rng.integers(0, 2**63, n, dtype=np.uint64)
    deliver = rng.random(n) < 0.6
    gate_lift = rng.random(n).astype(np.float32)
    gate_load = rng.random(n).astype(np.float32)
    chance = np.array([0.9, 0.6, 0.3, 0.0])
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            if threads <= numba.config.NUMBA_NUM_THREADS:
                numba.set_num_threads(threads)
            out = inputs()
            got = _deliver(
                n, mask, True, chance, code, np.uint64(77), np.uint64(30), ids, blocked, 3, 2,
                gated, deliver, gate_lift, gate_load, np.float32(1.0), np.float32(0.2),
                np.float32(0.5), np.float32(0.05), True, np.int32(30), decay, np.float32(0.4),
                out["value"], out["when"], out["sent"], out["n_contacts"], out["lift"],
                out["load"], out["fatigue"], out["k"], True, threads,
            )  # fmt: skip
            results.append((got, out))
    finally:
        numba.set_num_threads(before)
    (got1, out1), (got2, out2) = results
    assert got1 == got2 > 0
    for name in out1:
        assert np.array_equal(out1[name].view(np.uint8), out2[name].view(np.uint8)), name
