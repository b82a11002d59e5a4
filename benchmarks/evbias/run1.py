import dataclasses
import json
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
import numpy as np
from gen import truth

from lab.calibrate.estimator import fit
from lab.calibrate.seasonality import SeasonalityFit


def one(label, df, campaigns=None, nocal=False, seeds=range(4), cut="2025-11-30"):
    t = time.time()
    ex, new = truth(df)
    tr = df[df.date <= cut]
    model = fit(tr, campaigns=campaigns)
    if nocal:
        model = dataclasses.replace(
            model, seasonality=SeasonalityFit(weekday=np.ones(7), month=np.ones(12), events={})
        )
    fc = model.forecast("2Q", seeds=seeds, workers=1)
    h = fc.horizon
    h = h[h.metric == "orders"].set_index("segment")["mean"]
    s = model.seasonality
    out = dict(
        label=label,
        ex_truth=ex,
        ex_fc=round(h["existing"]),
        ex_err=round(100 * (h["existing"] / ex - 1), 1),
        new_truth=new,
        new_fc=round(h["new"]),
        new_err=round(100 * (h["new"] / new - 1), 1),
        base=round(s.base, 3),
        events={k: round(v, 2) for k, v in s.events.items()},
        month=[round(x, 2) for x in s.month],
        penalty=s.penalty,
        secs=round(time.time() - t),
    )
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return out
