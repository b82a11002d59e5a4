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
    "baseline.yaml": ("084b5a37c626d1d0", "9c2ae22c0e829219", "77640a48b9f45795"),
    "q1_weekly_20off.yaml": ("039a716b4162e5d5", "daaf6dc13b66c243", "50426754ddaaba36"),
    "q2_membership_99.yaml": ("dfcd569524584fdd", "023e4359e3b9a893", "00b9bf4fbe775844"),
    "q3_group_daily_promotions.yaml": ("545dfb20b8910e1e", "f88147be903a4806", "147d74d220a47193"),
    "q4_referral_reward_50.yaml": ("3edb3c886c596301", "e5f7b7682aef8c36", "e0e43148eb4bd22d"),
    "q5_guides_turnover.yaml": ("7260ee8b9ad7889b", "7dd0ccba59dfe55e", "67a5b4bc3abf605a"),
    "q6_lifecycle_playbook.yaml": ("56d9100ad0bf95d7", "84cc8cb9a705e194", "ec2480d0272fe0e8"),
    "q7_stored_value.yaml": ("196d8e30e557bfb4", "f51b658f45dbf118", "cfda58f5bd0503ec"),
    "q8_fission_saturation.yaml": ("6e733fc4e68c29af", "fd1d70dff28dc82a", "c84e5dc7f0036b9f"),
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
