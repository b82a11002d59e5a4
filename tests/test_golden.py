"""Golden runs: refactoring the engine must not change a single result bit.

Each case runs a scenario file for 120 days with a fixed seed and hashes the raw bytes
of its daily, transactions and customers tables (column names, dtypes and values).
The hashes were recorded on the code before the kernel was split into named
mechanisms (issue 13), so this test proves the split left every number unchanged.

A *deliberate* change of behaviour changes these hashes: regenerate them with
``.venv/bin/python tests/test_golden.py`` and say in the commit why results moved.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lab

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DAYS = 120
SEED = 7

#: scenario file -> (daily, transactions, customers) hash prefixes
GOLDEN: dict[str, tuple[str, str, str]] = {
    "baseline.yaml": ("2dae532fee51ba4c", "72c099c5274ea8a0", "9b0fd2c58a0e6497"),
    "q1_weekly_20off.yaml": ("f7b75673cd4b586a", "f2d26a7b361eaf29", "ce3dbe0415ef75ea"),
    "q2_membership_99.yaml": ("d1474407a22a71ad", "3d72ab0c506c5cfb", "f4bcfb04a29fc18f"),
    "q3_group_daily_promotions.yaml": ("3a49a31091bb3457", "b83f605032509186", "7e9210d282d9ef12"),
    "q4_referral_reward_50.yaml": ("23190fb9060d29b5", "25237a5c8b680d26", "06445d6901a83cc3"),
    "q5_guides_turnover.yaml": ("fb6d491dc38dead3", "47269340177990e8", "d77f13d2e0480ce7"),
    "q6_lifecycle_playbook.yaml": ("594911d317a69c02", "b82d45cb4f52c12d", "4d0ee8b880489a29"),
    "q7_stored_value.yaml": ("fa97981e8dd19197", "0b60ec483c087ce5", "c3b65abb2c125f3e"),
    "q8_fission_saturation.yaml": ("1300784e7645564e", "04a11b579ebdd615", "167681376100fc88"),
}  # fmt: skip


#: the hashes above as they were before the evidence mechanisms of issue 14, and the
#: scenario changes that switch those mechanisms off and restore the defaults they
#: replaced: a mechanism-off run must still reproduce the results from before it
GOLDEN_BEFORE_ISSUE_14: dict[str, tuple[str, str, str]] = {
    "baseline.yaml": ("3805c0f8b19d5a97", "418b611cabe523ed", "1c15d6cead0dec34"),
    "q3_group_daily_promotions.yaml": ("f391280a74105f7a", "478c61f81dbccc85", "e6d325ce79fedf73"),
    "q6_lifecycle_playbook.yaml": ("30aaa8e6dea7cfd2", "fa1aeebaef931302", "a831b099bc9c0d6d"),
}  # fmt: skip
ISSUE_14_OFF: dict[str, object] = {
    # contacts (carry-over, wear-out; content lifts were send-day-only lifts)
    "contacts.carryover.enabled": False,
    "contacts.wear_out.enabled": False,
    "contacts.content.promotion.purchase_lift": 0.8,
    "contacts.content.value.purchase_lift": 0.25,
    "contacts.content.interaction.purchase_lift": 0.15,
}


def table_hash(df: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, dtypes and raw values (index ignored)."""
    h = hashlib.sha256()
    for col in df.columns:
        values = df[col].to_numpy()
        h.update(f"{col}:{values.dtype}".encode())
        if values.dtype == object:
            h.update("\x1f".join(map(str, values)).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()[:16]


def run_hashes(name: str) -> tuple[str, str, str]:
    """Hashes of one golden run's three tables."""
    res = lab.run(SCENARIOS / name, seed=SEED, days=DAYS)
    return table_hash(res.daily), table_hash(res.transactions), table_hash(res.customers)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_run_is_bit_identical(name):
    daily, transactions, customers = run_hashes(name)
    want = GOLDEN[name]
    assert (daily, transactions, customers) == want, (
        f"{name}: results changed (daily/transactions/customers {daily}/{transactions}/"
        f"{customers}, recorded {want}); if the change is deliberate, regenerate with "
        "`python tests/test_golden.py`"
    )


@pytest.mark.parametrize("name", sorted(GOLDEN_BEFORE_ISSUE_14))
def test_issue_14_mechanisms_switched_off_reproduce_the_results_before_them(name):
    sc = lab.load_scenario(SCENARIOS / name).with_changes(ISSUE_14_OFF)
    res = lab.run(sc, seed=SEED, days=DAYS)
    got = (table_hash(res.daily), table_hash(res.transactions), table_hash(res.customers))
    assert got == GOLDEN_BEFORE_ISSUE_14[name]


def test_golden_hash_sees_a_one_bit_change():
    """The hash is not blind: one order amount moved by one ulp changes it."""
    df = pd.DataFrame({"amount": [10.0, 20.5], "day": np.array([1, 2], dtype=np.int32)})
    other = df.copy()
    other.loc[1, "amount"] = np.nextafter(20.5, 21.0)
    assert table_hash(df) != table_hash(other)
    assert table_hash(df) == table_hash(df.copy())


if __name__ == "__main__":  # regenerate the table above (a deliberate behaviour change)
    names = sys.argv[1:] or sorted(GOLDEN)
    for n in names:
        print(f'    "{n}": {run_hashes(n)!r},')
