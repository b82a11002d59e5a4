"""Vectorised version of /tmp/audit15/gen.py (same model), parameterised."""

import numpy as np
import pandas as pd


def make(
    seed=15,
    ev618=(("2025-06-01", "2025-06-18"), 1.6),
    ev11=(("2025-11-01", "2025-11-11"), 2.0),
    camp=(("2025-04-10", "2025-04-12"), 1.8),
    weekday=True,
    growth=0.4,
    rate=12,
    start="2025-03-01",
    end="2026-05-31",
    k=2,
    gamma_shape=2.0,
):
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end)
    D = len(days)
    m = np.array([0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.05])[days.weekday] if weekday else np.ones(D)
    m = m.copy()
    for ev in (ev618, ev11, camp):
        if ev is None:
            continue
        (a, b), lift = ev
        m[(days >= a) & (days <= b)] *= lift
    arr = rng.poisson(rate * m * np.exp(growth * np.arange(D) / 365))
    n = arr.sum()
    d0 = np.repeat(np.arange(D), arr)
    lam = rng.gamma(gamma_shape, 1 / (gamma_shape * 30), n)
    p = rng.beta(1, 5, n)
    cust, day = [np.arange(n)], [d0]
    stages = np.zeros(n, np.int64)
    alive = np.ones(n, bool)
    for d in range(D):
        act = alive & (d0 < d)
        idx = np.flatnonzero(act)
        stages[idx] += rng.poisson(k * lam[idx] * m[d])
        buy = idx[stages[idx] >= k]
        stages[buy] = 0
        cust.append(buy)
        day.append(np.full(buy.size, d))
        drop = buy[rng.random(buy.size) < p[buy]]
        alive[drop] = False
    cust = np.concatenate(cust)
    day = np.concatenate(day)
    df = pd.DataFrame(
        {
            "customer_id": [f"U{c:06d}" for c in cust],
            "date": days[day],
            "amount": np.round(rng.gamma(4, 20, cust.size) + 1, 2),
        }
    )
    return df


def truth(df, cut="2025-12-01", days=182):
    cut = pd.Timestamp(cut)
    endh = cut + pd.Timedelta(days=days)
    first = df.groupby("customer_id")["date"].min()
    h = df[(df.date >= cut) & (df.date < endh)]
    ex = h.customer_id.map(first) < cut
    return int(ex.sum()), int((~ex).sum())
