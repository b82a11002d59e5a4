"""Golden runs: refactoring the engine must not change a single result bit.

Each case runs a scenario file for 120 days with a fixed seed and hashes the raw bytes
of its daily, transactions and customers tables (column names, dtypes and values).
The hashes were recorded on the code before the kernel was split into named
mechanisms (issue 13), so this test proves the split left every number unchanged.
Deliberate moves since then: the promotion-response mechanisms and defaults of issue
14 (``tests/test_evidence_promo.py`` pins that with them off the old hashes still hold).

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
    "baseline.yaml": ("237d8f55a808aaaf", "237b04de11b53461", "987b1679e3c716b8"),
    "q1_weekly_20off.yaml": ("00f8dee266512b2d", "178783a74b66ed02", "8f4b43acd3568bde"),
    "q2_membership_99.yaml": ("cf437a6ef3cbcda7", "7e85748ea7934a2f", "e4f1b11ab9ef46a3"),
    "q3_group_daily_promotions.yaml": ("a8c456fac8bc0b89", "4c10abc43d46951f", "96a565e266e78dd5"),
    "q4_referral_reward_50.yaml": ("b9e97427a1ebcf4b", "201d67e2bc3520fa", "1d661c3cfe2f93b0"),
    "q5_guides_turnover.yaml": ("4f7c0677aef91e1b", "f62f25544d593126", "7d465e9474fcaad8"),
    "q6_lifecycle_playbook.yaml": ("da7615e91b2c5498", "52e0d7ee1194c6e6", "414d5bc42ec12d0f"),
    "q7_stored_value.yaml": ("0ebf69dc1991bfe0", "d21ee42e24fe26c3", "b53dcba713561d49"),
    "q8_fission_saturation.yaml": ("405e76e4540f4554", "6d36c341df7bc96f", "87f430c4f7137efe"),
}  # fmt: skip


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
