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
    "baseline.yaml": ("65889f5be827ed04", "8b137a9eeeff2d34", "5eae5bd13107c4c1"),
    "q1_weekly_20off.yaml": ("a29df4939afa5291", "7e682842505c64f4", "62d7a74882e179f0"),
    "q2_membership_99.yaml": ("bebaa67db82d2982", "34b5294b918f1656", "860490358e01d63d"),
    "q3_group_daily_promotions.yaml": ("93c7875bc3c32c1a", "59b41a2d4cd555ee", "93893b548b813dc3"),
    "q4_referral_reward_50.yaml": ("18e82180e9d621f2", "46be579bf0f6e51c", "1945d80ce5096a3e"),
    "q5_guides_turnover.yaml": ("417a3cfba227e52e", "1da20e3ed2423693", "3e6b50ea3c0a4d13"),
    "q6_lifecycle_playbook.yaml": ("3af34b88662bb53e", "0e7759a428ce672f", "d78ed858c1344471"),
    "q7_stored_value.yaml": ("f871c3f0319f8d1e", "fd9d9b64de4f1de9", "df43a93702317fa1"),
    "q8_fission_saturation.yaml": ("64e8d0b25ec5a212", "270e5fb05ab6309f", "196e10c9c98eca31"),
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
