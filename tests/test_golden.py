"""Golden runs: refactoring the engine must not change a single result bit.

Each case runs a scenario file for 120 days with a fixed seed and hashes the raw bytes
of its daily, transactions and customers tables (column names, dtypes and values).
The hashes were recorded on the code before the kernel was split into named
mechanisms (issue 13), so this test proves the split left every number unchanged.
Deliberate moves since then: the promotion-response mechanisms and defaults of issue
14 (``tests/test_evidence_promo.py`` pins that with them off the old hashes still hold),
personas behaving differently by default (issue 18; with ``personas.enabled:
false`` the hashes before still hold, :data:`GOLDEN_BEFORE_PERSONAS`), and the joint
re-derivation of the membership and referred-customer defaults
(:data:`GOLDEN_BEFORE_REDERIVATION`, :func:`before_rederivation`).

The customers table's per-customer money ledger (``revenue_<kind>``, ``cost_<kind>``,
``net_other``, ``net_other_pv``: :mod:`lab.customer_money`, issue 18) is hashed apart
(:data:`GOLDEN_LEDGER`): it was added without moving any other number, which the
customers hashes, recorded before it, keep proving.

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
    "baseline.yaml": ("8267f6b6506ae4c3", "a7e6648a07a19a91", "7e1b7aa0d221519e"),
    "q1_weekly_20off.yaml": ("91dc647de1d583a6", "ca03ed28e67af8e4", "dbcdf6c2a989199d"),
    "q2_membership_99.yaml": ("7f7aae118f990de0", "fd022ecebb513be4", "437df9ebed2b4a38"),
    "q3_group_daily_promotions.yaml": ("c77f3da4e851119e", "645960e96391b077", "0d066c66196a7efc"),
    "q4_referral_reward_50.yaml": ("5331d26775baf27f", "dd895a90f5b4d6bd", "c0b609fad976f487"),
    "q5_guides_turnover.yaml": ("19da2e6ec763f62f", "247ac894735b1914", "5de74f3ddcbe3997"),
    "q6_lifecycle_playbook.yaml": ("4e20570cd39901ba", "4c62428bd32bf00c", "8aa9e3e6eb7e7e3d"),
    "q7_stored_value.yaml": ("1cd2f98d6cfc7d93", "9cfc602c4ca23238", "613c3790cb7fef7c"),
    "q8_fission_saturation.yaml": ("1eb898f18e3958e4", "4ebd5821d390788b", "7222e1120b935313"),
}  # fmt: skip


#: the hashes above as they were before the evidence mechanisms of issue 14, and the
#: scenario changes that switch those mechanisms off and restore the defaults they
#: replaced: a mechanism-off run must still reproduce the results from before it
GOLDEN_BEFORE_ISSUE_14: dict[str, tuple[str, str, str]] = {
    "baseline.yaml": ("3805c0f8b19d5a97", "418b611cabe523ed", "1c15d6cead0dec34"),
    "q1_weekly_20off.yaml": ("bdb37e5f29594144", "b0a52d47c42b33c3", "3d915cfb04854b93"),
    "q3_group_daily_promotions.yaml": ("b35ba4edd6462ccd", "ec6213e3f191c3fd", "cb57fdcc6801ce7d"),
    "q6_lifecycle_playbook.yaml": ("1dcbf7e9e6da9f79", "d951b3747bfbcf74", "e1e2560aa5fa32c9"),
    "q2_membership_99.yaml": ("3e0519e4cc96e725", "c0d3b2d4acf51034", "866da1d7a9b46785"),
    "q4_referral_reward_50.yaml": ("ab73bde316894444", "4b0b9dd3aa0092fe", "7ac27dba4bcf250a"),
}  # fmt: skip
ISSUE_14_OFF: dict[str, object] = {
    # contacts (carry-over, wear-out; content lifts were send-day-only lifts)
    "contacts.carryover.enabled": False,
    "contacts.wear_out.enabled": False,
    "contacts.content.promotion.purchase_lift": 0.8,
    "contacts.content.value.purchase_lift": 0.25,
    "contacts.content.interaction.purchase_lift": 0.15,
    # promotion response (deal conditioning, stockpiling, loss aversion, first deal)
    "purchase.promo_lift": 12.0,
    "reference_price.learning_rate": 0.05,
    "reference_price.recovery_per_day": 0.01,
    "promotion_response.deal_conditioning.enabled": False,
    "promotion_response.stockpiling.enabled": False,
    "promotion_response.loss_aversion.enabled": False,
    "promotion_response.first_deal.enabled": False,
    # referred customers (bond to the referrer, fading boost); their lasting similarity
    # to the referrer was a trait correlation of 0.3 before
    "referred.enabled": False,
    "acquisition.referral.trait_correlation": 0.3,
    # issue 17 item 5: invitee gift, staff bonus, task reward, threshold effort, hype
    "fission_response.enabled": False,
    # issue 18: personas behave alike (they did before)
    "personas.enabled": False,
}


def issue_14_off(sc: lab.Scenario) -> lab.Scenario:
    """``sc`` with every issue-14 mechanism off and the defaults of before.

    Membership also gets back its flat lift (0.3, no headroom): a strategy setting, so
    it is found by type.
    """
    changes = dict(ISSUE_14_OFF)
    for i, st in enumerate(sc.strategies):
        if st.type == "membership":
            changes[f"strategies[{i}].headroom"] = False
            changes[f"strategies[{i}].lock_in_lift"] = 0.3
            changes[f"strategies[{i}].price_is_promotion"] = True  # issue 17 item 9
    return sc.with_changes(changes)


#: the hashes (tables, then ledger) before the joint re-derivation of the membership and
#: referred-customer defaults (issues 14 and 18: the member price acting on the headroom
#: too, lock-in 0.45 -> 0.6, wallet half rate 0.015 -> 0.01, referred retention 0.7 ->
#: 0.8); :func:`before_rederivation` restores them (all nine files checked by hand)
GOLDEN_BEFORE_REDERIVATION: dict[str, tuple[str, str, str, str]] = {
    "q2_membership_99.yaml": ("75a5ceceb87715a8", "5b87acbe99249384", "fce7841bb69e9086", "3d58134bd5b53bf9"),
}  # fmt: skip


def before_rederivation(sc: lab.Scenario) -> dict[str, object]:
    """Changes that give ``sc`` the membership and referred defaults before re-derivation."""
    changes: dict[str, object] = {"referred.retention": 0.7}
    for i, st in enumerate(sc.strategies):
        if st.type == "membership":
            changes[f"strategies[{i}].price_headroom"] = False
            changes[f"strategies[{i}].lock_in_lift"] = 0.45
            changes[f"strategies[{i}].wallet_half_rate_per_day"] = 0.015
    return changes


#: the hashes (tables, then ledger) before personas behaved differently by default
#: (issue 18): ``personas.enabled: false`` must still reproduce them
GOLDEN_BEFORE_PERSONAS: dict[str, tuple[str, str, str, str]] = {
    "baseline.yaml": ("dc4d1d425aba9e34", "42df7bdc88148eeb", "06787b6bfe5a13f7", "4e3fbed7c7e6dcc2"),
    "q2_membership_99.yaml": ("4d93f81bcc1690ff", "40df5dfc01361065", "952058fa6b1a1c49", "f534c2d9342f4e9b"),
    "q8_fission_saturation.yaml": ("132ffc43c96e670b", "139fe72fb18f28b0", "afd70cb2ffe66a84", "abbb05a2cc3caf22"),
}  # fmt: skip

#: scenario file -> hash prefix of the customers' money-ledger columns (issue 18)
GOLDEN_LEDGER: dict[str, str] = {
    "baseline.yaml": "8ded2ec3d04a2729",
    "q1_weekly_20off.yaml": "e4304e348dac0e7d",
    "q2_membership_99.yaml": "419179046ffb82e0",
    "q3_group_daily_promotions.yaml": "7dbb9864efa8d6a7",
    "q4_referral_reward_50.yaml": "89b79e70e6a91e03",
    "q5_guides_turnover.yaml": "864e03e6324a86fb",
    "q6_lifecycle_playbook.yaml": "b60590a4f7b25c1b",
    "q7_stored_value.yaml": "e4f915e17a895456",
    "q8_fission_saturation.yaml": "cb22cb20e1033f55",
}  # fmt: skip


def ledger_columns(df: pd.DataFrame) -> list[str]:
    """The customers table's money-ledger columns (:mod:`lab.customer_money`)."""
    own = ("net_other", "net_other_pv")
    return [c for c in df.columns if c.startswith(("revenue_", "cost_")) or c in own]


def customers_hashes(df: pd.DataFrame) -> tuple[str, str]:
    """Hashes of the customers table without its money ledger, and of the ledger."""
    ledger = ledger_columns(df)
    return table_hash(df.drop(columns=ledger)), table_hash(df[ledger])


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


def run_hashes(name: str, changes: dict | None = None) -> tuple[str, str, str, str]:
    """Hashes of one golden run's three tables, then of the customers' money ledger.

    ``changes`` (dotted path -> value) are applied to the scenario first.
    """
    sc = lab.load_scenario(SCENARIOS / name)
    res = lab.run(sc.with_changes(changes) if changes else sc, seed=SEED, days=DAYS)
    return table_hash(res.daily), table_hash(res.transactions), *customers_hashes(res.customers)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_run_is_bit_identical(name):
    daily, transactions, customers, ledger = run_hashes(name)
    want = GOLDEN[name]
    assert (daily, transactions, customers) == want, (
        f"{name}: results changed (daily/transactions/customers {daily}/{transactions}/"
        f"{customers}, recorded {want}); if the change is deliberate, regenerate with "
        "`python tests/test_golden.py`"
    )
    assert ledger == GOLDEN_LEDGER[name], f"{name}: the customers' money ledger changed"


@pytest.mark.parametrize("name", sorted(GOLDEN_BEFORE_ISSUE_14))
def test_issue_14_mechanisms_switched_off_reproduce_the_results_before_them(name):
    sc = issue_14_off(lab.load_scenario(SCENARIOS / name))
    res = lab.run(sc, seed=SEED, days=DAYS)
    got = (table_hash(res.daily), table_hash(res.transactions), customers_hashes(res.customers)[0])
    assert got == GOLDEN_BEFORE_ISSUE_14[name]


@pytest.mark.parametrize("name", sorted(GOLDEN_BEFORE_PERSONAS))
def test_personas_switched_off_reproduce_the_results_before_them(name):
    """Personas alike (``personas.enabled: false``) is the lab before issue 18's personas.

    (With the defaults of before the re-derivation, which came after personas.)
    """
    changes = before_rederivation(lab.load_scenario(SCENARIOS / name))
    assert run_hashes(name, {"personas.enabled": False, **changes}) == GOLDEN_BEFORE_PERSONAS[name]


@pytest.mark.parametrize("name", sorted(GOLDEN_BEFORE_REDERIVATION))
def test_rederived_defaults_switched_off_reproduce_the_results_before_them(name):
    changes = before_rederivation(lab.load_scenario(SCENARIOS / name))
    assert run_hashes(name, changes) == GOLDEN_BEFORE_REDERIVATION[name]


def test_golden_hash_sees_a_one_bit_change():
    """The hash is not blind: one order amount moved by one ulp changes it."""
    df = pd.DataFrame({"amount": [10.0, 20.5], "day": np.array([1, 2], dtype=np.int32)})
    other = df.copy()
    other.loc[1, "amount"] = np.nextafter(20.5, 21.0)
    assert table_hash(df) != table_hash(other)
    assert table_hash(df) == table_hash(df.copy())


if __name__ == "__main__":  # regenerate the table above (a deliberate behaviour change)
    names = sys.argv[1:] or sorted(GOLDEN)
    hashes = {n: run_hashes(n) for n in names}
    for n, h in hashes.items():
        print(f'    "{n}": {h[:3]!r},')
    print("GOLDEN_LEDGER:")
    for n, h in hashes.items():
        print(f'    "{n}": {h[3]!r},')
