"""Customer-base models the lab already reproduces (kept passing): BG/NBD and Bass.

Sources (``shared/EVIDENCE.md``):

* Fader, Hardie & Lee (2005, Marketing Science 24(2)): the BG/NBD model.  The
  fact: a lab pool built from known BG/NBD parameters, fitted with the lab's own
  calibration, gives them back: every estimate within 3 standard errors (the
  tolerance scales with the sample through the standard errors; 3 rather than 2
  because the lab buys at most once a day and four correlated estimates are
  checked at once; see ``tests/test_calibrate_scenario.py``).
* Bass (1969); Sultan, Farley & Lehmann (1990, JMR 27(1), secondary): mean
  p = 0.03, q = 0.38 a year; closed form F(5) = 0.3312, F(10) = 0.8128.
"""

from __future__ import annotations

from lab.analysis.referral import bass_cumulative
from lab.facts.base import Fact, Size

__all__ = ["FACTS", "bass", "bgnbd_recovery"]

#: a BG/NBD population in weeks (CDNOW-like, a little busier for small samples)
TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
BASS_P, BASS_Q = 0.03, 0.38
BASS_PUBLISHED = {5: 0.3312, 10: 0.8128}
BASS_TOLERANCE = 5e-5  # the published values are rounded to 4 decimals


def bgnbd_recovery(seed: int, size: Size) -> dict[str, float]:
    """Largest |estimate - truth| / SE over r, alpha, a, b of a fit to a lab-made log."""
    from lab.calibrate.ingest import clean_orders
    from lab.calibrate.scenario_out import calibrate
    from lab.calibrate.synthetic import synthetic_order_log

    log = synthetic_order_log(TRUTH, size.bgnbd_customers, seed=seed)
    fit = calibrate(clean_orders(log), "2025-09-30").fit
    z = [abs(fit.params[k] - v) / fit.se[k] for k, v in TRUTH.items()]
    return {"max_z": max(z) if fit.converged else float("nan")}


def bass(seed: int, size: Size) -> dict[str, float]:
    """The lab's Bass closed form at 5 and 10 years (no randomness: seed and size unused)."""
    return {f"F{t}": float(bass_cumulative(t, BASS_P, BASS_Q)) for t in BASS_PUBLISHED}


_BASS = "Bass 1969; Sultan, Farley & Lehmann 1990 (JMR 27(1), secondary)"

FACTS = (
    Fact(
        key="bgnbd_recovery",
        label="BG/NBD recovery (largest error, SEs)",
        experiment="bgnbd_recovery",
        measure="max_z",
        source="Fader, Hardie & Lee 2005 (Marketing Science 24(2))",
        target_low=0.0,
        target_high=3.0,
        unit="standard errors",
        finding="A BG/NBD population simulated by the lab is recovered by fitting its "
        "order log (r 0.5, alpha 5, a 0.8, b 2.5 in weeks).",
        measured="Largest |estimate - truth| / SE of the four parameters, the lab's own "
        "calibration on the lab's order log.",
        label_zh="BG/NBD 参数回收 (最大标准误倍数)",
    ),
    *(
        Fact(
            key=f"bass_F{t}",
            label=f"Bass closed form F({t}), p 0.03, q 0.38",
            experiment="bass",
            measure=f"F{t}",
            source=_BASS,
            target_low=v - BASS_TOLERANCE,
            target_high=v + BASS_TOLERANCE,
            unit="share adopted",
            finding=f"Bass closed form with p = 0.03, q = 0.38 a year: F({t}) = {v}.",
            measured=f"lab.analysis.bass_cumulative({t}, 0.03, 0.38).",
            label_zh=f"Bass 扩散闭式解 F({t})",
        )
        for t, v in BASS_PUBLISHED.items()
    ),
)

EXPERIMENTS = {"bgnbd_recovery": bgnbd_recovery, "bass": bass}
