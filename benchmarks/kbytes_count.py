"""Bytes the daily loop moves per customer slot on the saved day, before and after branch kbytes.

For each array the loop touches: the slots whose element the code reads and those it
writes, taken from the saved day (``bench_kernel_snapshot.py save``: the 1M baseline's
day 300) and one run of the loop on it.  A 64-byte line counts once if any of its slots
is read or written (fetched from memory) and once more if any is written (written
back); the pool (1.6M slots, ~300 MB of state) is far larger than the caches, so
nothing is still cached from the day before.  Source level: what the code reads
(arguments are evaluated before an inlined call), not what the compiler may drop or
add.  The two access patterns are written out by hand below from the loop's code at
ca6db37 (before) and on branch kbytes (after), so this describes those two versions.

    PYTHONPATH=$PWD python benchmarks/kbytes_count.py
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

import lab.agents.behaviour as bh
from lab.plan import DayPlan

SNAPSHOT = Path("/tmp/kernel_snapshot.pkl")


class _SavedParams:
    """The saved parameters by name (this tree's fields may add some at the end)."""

    def __new__(cls, *values):
        return dict(zip(bh.KernelParams._fields, values, strict=False))


class _Loader(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("lab.agents.behaviour", "KernelParams"):
            return _SavedParams
        return super().find_class(module, name)


def load(path: Path = SNAPSHOT) -> tuple:
    """The saved day's kernel inputs, parameters completed for this tree."""
    with path.open("rb") as fh:
        n, day, c, plan, values, keys, out, chunk = _Loader(fh).load()
    for name in set(bh.KernelParams._fields) - set(values):  # plan switches, from contents
        values[name] = any(
            bool(np.any(getattr(plan, a)[:n] != (1 if a in DayPlan._ONES else 0)))
            for a in bh.PLAN_GROUPS[name]
        )
    return n, day, c, plan, bh.make_params(values), keys, out, chunk


def line_bytes(mask: np.ndarray, itemsize: int) -> int:
    """Bytes of the 64-byte lines holding at least one slot of ``mask``."""
    per = 64 // itemsize
    m = np.zeros(-(-mask.size // per) * per, bool)
    m[: mask.size] = mask
    return int(m.reshape(-1, per).any(axis=1).sum()) * 64


def traffic(table: dict, n: int) -> tuple[float, dict[str, float]]:
    """Bytes per slot of each array ``name -> (itemsize, read mask, write mask)``, and all."""
    rows = {
        name: (line_bytes(rd | wr, size) + line_bytes(wr, size)) / n
        for name, (size, rd, wr) in table.items()
    }
    return sum(rows.values()), rows


def main() -> None:
    n, day, c0, plan, p, keys, out, chunk = load()
    c = type(c0)(*(a.copy() for a in c0))
    nb, _ = bh.step_population(n, day, c, plan, p, keys, out, chunk, 1)

    def changed(name):
        a0, a1 = getattr(c0, name)[:n], getattr(c, name)[:n]
        return (a0.view(np.uint8).reshape(n, -1) != a1.view(np.uint8).reshape(n, -1)).any(1)

    every, none = np.ones(n, bool), np.zeros(n, bool)
    alive = c0.alive[:n].copy()
    contacted = plan.n_contacts[:n] > 0
    buyers = np.zeros(n, bool)
    buyers[out.buy_slot[:nb]] = True  # the trial product is off: every order is full
    referred = alive & (c0.referrer[:n] >= 0)
    dropped, blocks = changed("alive"), changed("blocked")
    common = {  # (itemsize, read, written): the same in both versions
        "rkey": (8, alive, none),
        "fatigue": (4, alive, alive),
        "ref_price": (4, alive, alive),
        "contact_load": (4, alive, alive),
        "contact_stock": (4, alive, alive),
        "deal_cond": (4, alive, alive),
        "promo_stock": (4, alive, alive),
        "propensity": (8, alive, none),
        "trust": (4, alive, buyers),
        "n_orders": (4, alive, buyers),
        "deal_proneness": (4, alive, none),
        "p_drop_day": (4, alive, none),
        "blocked": (1, every, blocks),
        "alive": (1, every, dropped),
        "has_ordered": (1, every, buyers),
        "last_purchase": (4, every, buyers),
        "day_dropout": (4, none, dropped),
        "day_blocked": (4, none, blocks),
        "p_drop_purchase": (4, buyers, none),
        "referral_propensity": (4, buyers, none),
        "contacts_received": (4, every, every),  # a contact day (as every baseline day)
        "plan n_contacts": (1, every, none),
        "plan contact_fatigue": (4, alive, none),
        "plan contact_load": (4, alive, none),
        "plan contact_lift": (4, alive, none),
    }
    before = {
        **common,
        "referrer": (8, alive, none),
        "cohort_day": (4, alive, none),
        "tolerance": (4, alive, none),
        "n_trials": (2, alive, none),
        "stage": (1, none, every),
        "plan offer_depth": (4, every, none),
        "plan standing_depth": (4, every, none),
        "plan purchase_mult": (4, alive, none),
        "plan standing_response": (4, alive, none),
        "plan dropout_mult": (4, alive, none),
        "plan share_mult": (4, buyers, none),
        "plan friends_mult": (4, buyers, none),
    }
    after = {
        **common,
        "referrer": (4, alive, none),
        "cohort_day": (4, referred, none),
        "tolerance": (4, alive & contacted, none),
        "stage": (1, every, changed("stage")),
    }  # plan groups nobody wrote today (offers, standing, multipliers) are not read
    sums = {"alive": (1, every, none), "fatigue": (4, alive, none), "ref_price": (4, alive, none)}
    tb, rb = traffic(before, n)
    ta, ra = traffic(after, n)
    ts, _ = traffic(sums, n)
    print(
        f"n={n} alive={alive.mean():.3f} referred={referred.mean():.3f} "
        f"contacted={contacted.mean():.3f} buyers={buyers.mean():.4f}"
    )
    print(f"before: loop {tb:.1f} B/slot + float-sum pass {ts:.1f} = {tb + ts:.1f}")
    print(f"after: loop {ta:.1f} B/slot (one thread, sums in the loop); two threads {ta + ts:.1f}")
    print("| array | before B/slot | after B/slot |\n|---|---:|---:|")
    for k in sorted(set(rb) | set(ra), key=lambda k: (-rb.get(k, 0), -ra.get(k, 0))):
        print(f"| {k} | {rb.get(k, 0):.2f} | {ra.get(k, 0):.2f} |")


if __name__ == "__main__":
    main()
