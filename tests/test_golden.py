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
    "baseline.yaml": ("3805c0f8b19d5a97", "418b611cabe523ed", "1c15d6cead0dec34"),
    "q1_weekly_20off.yaml": ("bdb37e5f29594144", "b0a52d47c42b33c3", "3d915cfb04854b93"),
    "q2_membership_99.yaml": ("3e0519e4cc96e725", "c0d3b2d4acf51034", "866da1d7a9b46785"),
    "q3_group_daily_promotions.yaml": ("b35ba4edd6462ccd", "ec6213e3f191c3fd", "cb57fdcc6801ce7d"),
    "q4_referral_reward_50.yaml": ("ab73bde316894444", "4b0b9dd3aa0092fe", "7ac27dba4bcf250a"),
    "q5_guides_turnover.yaml": ("6b17099241d54646", "44a99a9de0292e22", "b03e109f49970949"),
    "q6_lifecycle_playbook.yaml": ("1dcbf7e9e6da9f79", "d951b3747bfbcf74", "e1e2560aa5fa32c9"),
    "q7_stored_value.yaml": ("5b5297933ffc7a0b", "a62a8da0dadde38b", "735025eaec92eeae"),
    "q8_fission_saturation.yaml": ("c1c780402f3df8b4", "1bfb333edf115bef", "8920ddfdb653e7a8"),
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
