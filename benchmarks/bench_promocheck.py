"""Promotion response on a calibrated shop vs the baseline, against EVIDENCE.md's bands.

Usage (from the worktree)::

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/bench_promocheck.py \
        CALIBRATED.yaml [--seeds 1 2 3] [--only oneoff cadence decompose]

Every comparison is paired by seed (common random numbers): a treated run and a
control run of the same scenario, the control without the promotion.  Measures:

* lift: orders on the promotion days / the same days of the control;
  elasticity ``(lift - 1) / -depth`` (the lab's fact definition) and the arc
  (midpoint) elasticity.
* dip share: orders lost in the 60 days after the promotion / orders won during it
  (the lab's fact ``post_promo_dip``), also per alive customer-day.
* late level: orders 120-179 days after / the same days of the control - 1.
* cadence: the audit's monthly 30%-off 2-day promotion over the scenario's days.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np

from lab.facts.base import simulate
from lab.scenario import dump_scenario, load_scenario, scenario_from_dict

WARM, POST, LATE_FROM, LATE_TO = 60, 60, 120, 180


def base_dict(path: str, keep_contacts: bool = True) -> dict:
    """The scenario as a dict, without its discount strategies (the control)."""
    d = dump_scenario(load_scenario(path))
    d["strategies"] = [
        s
        for s in d["strategies"]
        if s["type"] != "discount_cadence" and (keep_contacts or s["type"] != "contact_plan")
    ]
    return d


def with_promo(d: dict, strat: dict, **patch) -> dict:
    out = copy.deepcopy(d)
    out["strategies"] = [*out["strategies"], strat]
    for k, v in patch.items():
        out[k] = v
    return out


def oneoff(day: int, dur: int, depth: float, announce: str | None = None) -> dict:
    return {
        "type": "discount_cadence",
        "label": "one-off",
        "every_days": None,
        "announce": announce,
        "big_sales": [
            {"name": "cut", "day": day, "duration_days": dur, "depth": depth, "yearly": False}
        ],
    }


def cadence(depth=0.3, dur=2, every=30, first=10, announce="mass_message") -> dict:
    return {
        "type": "discount_cadence",
        "label": "monthly",
        "every_days": every,
        "first_day": first,
        "duration_days": dur,
        "depth": depth,
        "kind": "sitewide",
        "announce": announce,
    }


def patched(d: dict, patch: dict) -> dict:
    from lab.scenario import deep_merge

    return deep_merge(copy.deepcopy(d), patch)


def run(d: dict, seed: int):
    return simulate(scenario_from_dict(d), seed).daily


def measure_oneoff(c, t, depth, dur, day=WARM):
    """Lift, elasticities, dip share (total and per alive customer-day), late level."""
    oc, ot = c["orders"], t["orders"]
    ac, at = np.maximum(c["alive"], 1), np.maximum(t["alive"], 1)
    during = slice(day, day + dur)
    end = day + dur
    out = {}
    lift = ot[during].sum() / oc[during].sum()
    q1, q0 = ot[during].sum(), oc[during].sum()
    p1, p0 = 1 - depth, 1.0
    out["lift"] = lift
    out["elasticity"] = (lift - 1) / -depth
    out["arc_elasticity"] = ((q1 - q0) / ((q1 + q0) / 2)) / ((p1 - p0) / ((p1 + p0) / 2))
    bump = q1 - q0
    for w in (14, 28, POST):
        after = slice(end, end + w)
        out[f"dip{w}"] = (oc[after].sum() - ot[after].sum()) / bump
    # per alive customer-day: the control's rate applied to the treated pool's alive days
    after = slice(end, end + POST)
    rate_c = oc[after] / ac[after]
    rate_t = ot[after] / at[after]
    out["dip60_per_alive"] = float((at[after] * (rate_c - rate_t)).sum() / bump)
    n = len(oc)
    if end + LATE_TO <= n:
        late = slice(end + LATE_FROM, end + LATE_TO)
        out["late_level"] = ot[late].sum() / oc[late].sum() - 1
        out["late_alive"] = at[late].sum() / ac[late].sum() - 1
    out["net_orders"] = ot.sum() / oc.sum() - 1
    return out


def measure_cadence(c, t, first, every, dur):
    oc, ot = c["orders"], t["orders"]
    n = len(oc)
    promo = np.zeros(n, bool)
    for s in range(first, n, every):
        promo[s : s + dur] = True
    promo[0] = False
    out = {
        "orders": ot.sum() / oc.sum() - 1,
        "gmv": t["gmv"].sum() / c["gmv"].sum() - 1,
        "gross_margin": t["gross_margin"].sum() / c["gross_margin"].sum() - 1,
        "promo_day_lift_vs_control": ot[promo].sum() / oc[promo].sum(),
        # what an analyst sees in the treated run alone: promo day vs a normal day
        "promo_day_vs_normal_day": ot[promo].mean() / ot[~promo & (np.arange(n) > 0)].mean(),
        "normal_days_vs_control": ot[~promo].sum() / oc[~promo].sum() - 1,
        "bump": float(ot[promo].sum() - oc[promo].sum()),
        "lost_between": float(oc[~promo].sum() - ot[~promo].sum()),
        "alive_end": t["alive"][-1] / c["alive"][-1] - 1,
    }
    out["dip_share_between"] = out["lost_between"] / out["bump"]
    # the first 7 days after each promotion vs the rest of the gap
    wk = np.zeros(n, bool)
    for s in range(first, n, every):
        wk[s + dur : s + dur + 7] = True
    out["week_after_vs_control"] = ot[wk].sum() / oc[wk].sum() - 1
    return out


def fmt(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = [
        "| " + " | ".join(keys) + " |",
        "|" + "|".join("---" for _ in keys) + "|",
    ]
    for r in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_sd(rows: list[dict], label: dict) -> dict:
    out = dict(label)
    for k in rows[0]:
        v = np.array([r[k] for r in rows], float)
        out[k] = f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}"
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--label", default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--only", nargs="+", default=["oneoff", "cadence", "decompose", "dipdecomp"])
    ap.add_argument("--days", type=int, default=None, help="days of the one-off runs")
    ap.add_argument("--patch", default=None, help="YAML/JSON patch merged into every run")
    a = ap.parse_args(argv)
    label = a.label or Path(a.scenario).stem
    base = base_dict(a.scenario)
    if a.patch:
        import yaml

        base = patched(base, yaml.safe_load(a.patch))
    print(f"# {label} ({a.scenario}); seeds {a.seeds}; patch {a.patch}", flush=True)
    if "oneoff" in a.only:
        long = copy.deepcopy(base)
        long["days"] = a.days or WARM + 7 + LATE_TO
        rows = []
        for depth, dur, ann in (
            (0.1, 7, None),
            (0.2, 7, None),
            (0.3, 7, None),
            (0.2, 2, None),
            (0.3, 2, None),
            (0.3, 2, "mass_message"),
        ):
            res = []
            for seed in a.seeds:
                c = run(long, seed)
                t = run(with_promo(long, oneoff(WARM, dur, depth, ann)), seed)
                res.append(measure_oneoff(c, t, depth, dur))
            rows.append(mean_sd(res, {"depth": depth, "days": dur, "announce": ann}))
            print(rows[-1], flush=True)
        print("\n## one-off cut at day 60 (mean ± SD over seeds)\n")
        print(fmt(rows), flush=True)
    if "cadence" in a.only:
        rows = []
        for name, strat in (
            ("audit: 30% 2d monthly + mass message", cadence()),
            ("30% 2d monthly, no message", cadence(announce=None)),
            ("20% 2d monthly + mass message", cadence(depth=0.2)),
            ("10% 2d monthly + mass message", cadence(depth=0.1)),
        ):
            res = []
            for seed in a.seeds:
                c = run(base, seed)
                t = run(with_promo(base, strat), seed)
                res.append(measure_cadence(c, t, 10, 30, 2))
            rows.append(mean_sd(res, {"strategy": name}))
            print(rows[-1], flush=True)
        print("\n## monthly cadence over the scenario's days (mean ± SD over seeds)\n")
        print(fmt(rows), flush=True)
    if "decompose" in a.only:
        rows = []
        for name, patch in (
            ("as is", {}),
            ("fatigue + reference price on", {"fatigue": {"enabled": True},
                                             "reference_price": {"enabled": True}}),
            ("stockpiling off", {"promotion_response": {"stockpiling": {"enabled": False}}}),
            ("conditioning off", {"promotion_response": {"deal_conditioning": {"enabled": False}}}),
            ("contact carry-over off", {"contacts": {"carryover": {"enabled": False}}}),
            ("dropout after purchase off", {"dropout": {"after_purchase": False}}),
            ("habit on", {"habit": {"enabled": True}}),
        ):  # fmt: skip
            res = []
            for seed in a.seeds:
                b = patched(base, patch)
                c = run(b, seed)
                t = run(with_promo(b, cadence()), seed)
                res.append(measure_cadence(c, t, 10, 30, 2))
            rows.append(mean_sd(res, {"variant": name}))
            print(rows[-1], flush=True)
        print("\n## audit cadence, one mechanism changed (mean ± SD over seeds)\n")
        print(fmt(rows), flush=True)
    if "dipdecomp" in a.only:
        long = copy.deepcopy(base)
        long["days"] = WARM + 7 + 360
        rows = []
        for name, patch in (
            ("as is", {}),
            ("dropout after purchase off", {"dropout": {"after_purchase": False}}),
            ("stockpiling off", {"promotion_response": {"stockpiling": {"enabled": False}}}),
            ("fatigue + reference price on", {"fatigue": {"enabled": True},
                                             "reference_price": {"enabled": True}}),
            ("habit on", {"habit": {"enabled": True}}),
        ):  # fmt: skip
            res = []
            for seed in a.seeds:
                b = patched(long, patch)
                c = run(b, seed)
                t = run(with_promo(b, oneoff(WARM, 7, 0.2)), seed)
                m = measure_oneoff(c, t, 0.2, 7)
                oc, ot = c["orders"], t["orders"]
                bump = ot[WARM : WARM + 7].sum() - oc[WARM : WARM + 7].sum()
                m["dip360"] = (oc[WARM + 7 :].sum() - ot[WARM + 7 :].sum()) / bump
                res.append({k: m[k] for k in ("elasticity", "dip14", "dip60",
                                              "dip60_per_alive", "late_level",
                                              "late_alive", "dip360")})  # fmt: skip
            rows.append(mean_sd(res, {"variant": name}))
            print(rows[-1], flush=True)
        print("\n## one-off 7-day 20% cut at day 60, one mechanism changed (mean ± SD)\n")
        print(fmt(rows), flush=True)


if __name__ == "__main__":
    sys.exit(main())
