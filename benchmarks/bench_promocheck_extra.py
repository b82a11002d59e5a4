"""Extra checks of benchmarks/RESULTS_promocheck.md (helpers of bench_promocheck.py).

Usage (from the worktree; CAL is the calibrated scenario, e.g. orders_zh.yaml)::

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/bench_promocheck_extra.py CAL

Sections: ``horizon`` (the audit's cadence over 365 days; the message in context),
``day1`` (the promotion day's lift taken apart), ``baseline_dip`` (the one-off dip on
scenarios/baseline.yaml, one mechanism changed), ``facts_long`` (the facts' pool, dip
over 360 days), ``facts_calibrated_behaviour`` (the facts' one-off cut with the
calibrated scenario's behaviour sections).  Paired seeds 1-3.
"""

from __future__ import annotations

import sys

sys.path.insert(0, "benchmarks")

import bench_promocheck as b
import numpy as np
from scipy import stats

from lab.facts.base import QUICK, established_pool, promotion, promotions, simulate

CAL = sys.argv[1] if len(sys.argv) > 1 else "orders_zh.yaml"


def horizon() -> None:
    # 1) calibrated cadence over 365 days: orders after the forecast horizon
    base = b.base_dict(CAL)
    base["days"] = 365
    for name, patch in (
        ("as is", {}),
        ("dropout after purchase off", {"dropout": {"after_purchase": False}}),
    ):
        r = []
        for seed in (1, 2, 3):
            bb = b.patched(base, patch)
            c = b.run(bb, seed)
            t = b.run(b.with_promo(bb, b.cadence()), seed)
            oc, ot = c["orders"], t["orders"]
            r.append(
                (
                    ot[:183].sum() / oc[:183].sum() - 1,
                    ot[183:].sum() / oc[183:].sum() - 1,
                    ot.sum() / oc.sum() - 1,
                    t["alive"][-1] / c["alive"][-1] - 1,
                )
            )
        r = np.array(r)
        print(
            "cal 365d cadence",
            name,
            "days0-182 {:.3f} days183-364 {:.3f} all {:.3f} alive_end {:.3f}".format(
                *tuple(r.mean(0))
            ),
            "sd",
            np.round(r.std(0, ddof=1), 3),
        )
    # 2) the message in context: calibrated + baseline's contact plans
    # and the baseline without its contact plans
    bl = b.dump_scenario(b.load_scenario("scenarios/baseline.yaml"))
    plans = [s for s in bl["strategies"] if s["type"] == "contact_plan"]
    calc = b.base_dict(CAL)
    calc["strategies"] = plans
    bnc = b.base_dict("scenarios/baseline.yaml", keep_contacts=False)
    calw = b.patched(calc, {"contacts": {"wear_out": {"enabled": False}}})
    for name, d in (
        ("calibrated + baseline group/moments plans", calc),
        ("calibrated + baseline group/moments plans, wear-out off", calw),
        ("baseline without group/moments plans", bnc),
    ):
        rows = []
        for seed in (1, 2, 3):
            c = b.run(d, seed)
            t = b.run(b.with_promo(d, b.cadence()), seed)
            rows.append(b.measure_cadence(c, t, 10, 30, 2))
        print(b.mean_sd(rows, {"case": name}))


def day1() -> None:
    d = stats.beta(2, 2)  # deal proneness: mean 0.5, concentration 4
    x = d.rvs(200000, random_state=1)
    for depth in (0.1, 0.2, 0.3):
        m = (1 + 6 * x * depth) * np.exp(2 * x * depth)
        print(
            f"depth {depth}: E[price effect] {m.mean():.3f} (lift part {np.mean(1 + 6 * x * depth):.3f}, ref-gain part {np.mean(np.exp(2 * x * depth)):.3f})"
        )
    base = b.base_dict(CAL)
    base["days"] = 120

    def oneoff_day(patch, depth, ann, seeds=(1, 2, 3)):
        r = []
        for seed in seeds:
            bb = b.patched(base, patch)
            c = b.run(bb, seed)
            t = b.run(b.with_promo(bb, b.oneoff(60, 2, depth, ann)), seed)
            oc, ot = c["orders"], t["orders"]
            r.append((ot[60] / oc[60], ot[61] / oc[61], ot[60:74].sum() / oc[60:74].sum()))
        r = np.array(r)
        return r.mean(0), r.std(0, ddof=1)

    for name, patch, depth, ann in (
        ("30% + message (audit)", {}, 0.3, "mass_message"),
        ("30%, no message", {}, 0.3, None),
        ("message only (0.1% cut)", {}, 0.001, "mass_message"),
        ("30% + message, Poisson timing", {"purchase": {"timing": "poisson"}}, 0.3, "mass_message"),
        (
            "30% + message, rates x0.25",
            {"traits": {"default": {"propensity_per_day": {"mean": 0.009}}}},
            0.3,
            "mass_message",
        ),
        (
            "30% + message, deal proneness 0.3",
            {"traits": {"default": {"deal_proneness": {"mean": 0.3}}}},
            0.3,
            "mass_message",
        ),
        (
            "30% + message, carry-over off",
            {"contacts": {"carryover": {"enabled": False}}},
            0.3,
            "mass_message",
        ),
    ):
        m, s = oneoff_day(patch, depth, ann)
        print(
            f"{name}: day1 x{m[0]:.2f}±{s[0]:.2f}, day2 x{m[1]:.2f}±{s[1]:.2f}, 14 days from the start x{m[2]:.2f}±{s[2]:.2f}"
        )


def baseline_dip() -> None:
    base = b.base_dict("scenarios/baseline.yaml")
    base["days"] = 247
    for name, patch in (
        ("as is", {}),
        ("dropout after purchase off", {"dropout": {"after_purchase": False}}),
        ("stockpiling off", {"promotion_response": {"stockpiling": {"enabled": False}}}),
        ("reference price off", {"reference_price": {"enabled": False}}),
        ("conditioning off", {"promotion_response": {"deal_conditioning": {"enabled": False}}}),
        ("no group/moments plans", None),
    ):
        r = []
        for seed in (1, 2, 3):
            bb = (
                b.base_dict("scenarios/baseline.yaml", keep_contacts=False)
                if patch is None
                else b.patched(base, patch)
            )
            bb["days"] = 247
            c = b.run(bb, seed)
            t = b.run(b.with_promo(bb, b.oneoff(60, 7, 0.2)), seed)
            m = b.measure_oneoff(c, t, 0.2, 7)
            r.append(
                [m[k] for k in ("elasticity", "dip14", "dip60", "dip60_per_alive", "late_level")]
            )
        r = np.array(r)
        print(
            f"| {name} | "
            + " | ".join(
                f"{x:.3f} ± {s:.3f}" for x, s in zip(r.mean(0), r.std(0, ddof=1), strict=True)
            )
            + " |"
        )


def facts_long() -> None:
    res = {}
    for name, patch in (
        ("defaults", {}),
        ("dropout after purchase off", {"dropout": {"after_purchase": False}}),
    ):
        for seed in (1, 2, 3):
            days = 60 + 7 + 360
            c = simulate(established_pool("c", QUICK, days, **patch), seed).daily
            t = simulate(
                established_pool(
                    "t", QUICK, days, strategies=[promotions(promotion(60, 7, 0.2))], **patch
                ),
                seed,
            ).daily
            oc, ot = c["orders"], t["orders"]
            bump = ot[60:67].sum() - oc[60:67].sum()
            res.setdefault(name, []).append(
                (
                    (oc[67:127].sum() - ot[67:127].sum()) / bump,
                    (oc[67:].sum() - ot[67:].sum()) / bump,
                    t["alive"][-1] / c["alive"][-1] - 1,
                )
            )
    for k, v in res.items():
        v = np.array(v)
        print(
            k,
            f"dip60 {v[:, 0].mean():.3f}±{v[:, 0].std(ddof=1):.3f} dip360 {v[:, 1].mean():.3f}±{v[:, 1].std(ddof=1):.3f} alive_end {v[:, 2].mean():.4f}",
        )


def facts_calibrated_behaviour() -> None:
    """The facts' one-off cut on their quiet pool with the calibrated behaviour sections."""
    from dataclasses import replace

    from lab.facts.promotions import one_off_cut

    d = b.dump_scenario(b.load_scenario(CAL))
    keys = ("dropout", "habit", "fatigue", "reference_price", "first_order", "annoyance")
    beh = {k: d[k] for k in (*keys, "purchase")}
    beh["traits"] = {"default": d["traits"]["default"]}
    off = {"dropout": {"after_purchase": False, "per_day": False}}
    for name, patch in (
        ("calibrated behaviour", beh),
        ("calibrated behaviour, dropout after purchase off", {**beh, **off}),
    ):
        r = np.array(
            [list(one_off_cut(s, replace(QUICK, behaviour=patch)).values()) for s in (1, 2, 3)]
        )
        m, sd = r.mean(0), r.std(0, ddof=1)
        print(
            f"{name}: elasticity {m[0]:.2f} ± {sd[0]:.2f}, dip_share {m[1]:.3f} ± {sd[1]:.3f}, "
            f"late_level {m[2]:.4f} ± {sd[2]:.4f}"
        )


if __name__ == "__main__":
    for f in (horizon, day1, baseline_dip, facts_long, facts_calibrated_behaviour):
        print(f"## {f.__name__}", flush=True)
        f()
