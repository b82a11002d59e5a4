import sys

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from gen import make

from lab.calibrate.arrivals import fit_arrivals

CUT = pd.Timestamp("2025-12-01")
H = 182


def expected_truth(weekday=True, growth=0.4, rate=12, start="2025-03-01"):
    days = pd.date_range(CUT, periods=H)
    m = np.array([0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.05])[days.weekday] if weekday else np.ones(H)
    d = (days - pd.Timestamp(start)).days.to_numpy()
    return float((rate * m * np.exp(growth * d / 365)).sum())


cases = {
    "full": {},
    "618 only": dict(ev11=None, camp=None),
    "double11 only": dict(ev618=None, camp=None),
    "weekday only": dict(ev618=None, ev11=None, camp=None),
}
for name, kw in cases.items():
    for s in (15, 16, 17):
        df = make(seed=s, **kw)
        first = df.groupby("customer_id")["date"].min()
        cal = first[first < CUT]
        truth = expected_truth()
        out = []
        for r, mr in ((1, "all"), (1, "twice"), (3, "twice"), (6, "twice")):
            f = fit_arrivals(cal, "2025-03-01", CUT - pd.Timedelta(days=1), rounds=r, month_rule=mr)
            fc = f.expected(CUT, H).sum()
            out.append(f"r{r}{mr[0]} {100 * (fc / truth - 1):+.1f}% (b {f.trend_per_year:+.2f})")
        print(f"{name:14s} s{s} truth {truth:.0f}: " + "; ".join(out), flush=True)
