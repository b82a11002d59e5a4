"""Order logs made by the lab from known parameters: ground truth for calibration.

:func:`synthetic_order_log` runs a pure BG/NBD pool in the lab (every other mechanism
off) whose customers make their first purchase on dates spread over the first weeks,
and returns its order log shaped like a shop's export, optionally under a known
calendar (weekday, month, named events).  Fitting it must give back the parameters
it was made with (tests, notebook 08).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["synthetic_order_log"]


def synthetic_order_log(
    params: Mapping[str, float],
    n_customers: int = 1000,
    *,
    start_date: str = "2025-01-01",
    join_weeks: int = 12,
    days: int = 546,
    seed: int = 0,
    folder=None,
    calendar: Mapping | None = None,
) -> pd.DataFrame:
    """An order export made by the lab from BG/NBD parameters in weeks.

    Parameters
    ----------
    params : mapping
        ``r, alpha, a, b`` of BG/NBD with a week as the time unit.
    n_customers : int
        Customers; their first purchases are spread uniformly over the first
        ``join_weeks`` weeks (drawn from the lab's streams with ``seed``).
    start_date : str
        Calendar date of the first day.
    days : int
        Days covered by the log (546 = 78 weeks, as CDNOW).
    seed : int
        Seed of the run.
    folder : path, optional
        Where to keep the known-customer table the run reads (default: a temporary
        folder, removed afterwards).
    calendar : mapping, optional
        The run's ``calendar`` section (:class:`lab.configs.calendar.Calendar`, e.g.
        ``{"enabled": True, "month": [...], "events": [{"name": "cny", "lift": 1.6}]}``):
        the known seasonality a calibration must recover.  Default: none (every day 1).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (text), ``date`` (YYYY-MM-DD text), ``amount`` (text, 2
        decimals): one row per order, the first purchase included.
    """
    import tempfile
    from pathlib import Path

    from lab.api import run
    from lab.known_customers import known_customer_keys
    from lab.rng import RandomStreams
    from lab.scenario import scenario_from_dict

    if n_customers < 1 or join_weeks < 1 or days <= 7 * join_weeks:
        raise ValueError("need n_customers >= 1, join_weeks >= 1 and days > 7 * join_weeks")
    ids = np.arange(n_customers, dtype=np.uint64)
    u = RandomStreams(seed).uniform("synthetic_join", 0, ids)
    offset = np.sort(np.floor(u * 7 * join_weeks)).astype(int)
    start = pd.Timestamp(start_date)
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i:06d}" for i in range(n_customers)],
            "join_date": (start + pd.to_timedelta(offset, unit="D")).strftime("%Y-%m-%d"),
        }
    )
    r, alpha, a, b = (float(params[k]) for k in ("r", "alpha", "a", "b"))
    with tempfile.TemporaryDirectory(prefix="lab-synthetic-") as tmp:
        path = Path(folder or tmp) / "synthetic_customers.csv"
        table.to_csv(path, index=False)
        sc = _pure_bgnbd(path, start_date, days, r, alpha, a, b)
        if calendar is not None:
            sc["calendar"] = dict(calendar)
        sc = scenario_from_dict(sc)
        res = run(sc, seed=seed)
    tx = res.transactions
    slot_of_key = dict(zip(res.customers["person_key"], res.customers["customer_id"], strict=True))
    keys = known_customer_keys(table["customer_id"])
    row_of_slot = {slot_of_key[k]: i for i, k in enumerate(keys)}
    rows = tx["customer_id"].map(row_of_slot).to_numpy()
    return pd.DataFrame(
        {
            "customer_id": table["customer_id"].to_numpy()[rows],
            "date": tx["date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "amount": tx["amount"].map("{:.2f}".format).to_numpy(),
        }
    )


def _pure_bgnbd(path, start_date, days, r, alpha, a, b) -> dict:
    from lab.calibrate.scenario_out import NEUTRAL

    sc = {k: v for k, v in NEUTRAL.items()}
    sc = {**sc, "acquisition": {**NEUTRAL["acquisition"]}}
    sc["acquisition"]["known_customers"] = {"enabled": True, "file": str(path)}
    sc["traits"] = {
        "default": {
            "propensity_per_day": {"dist": "gamma", "mean": r / alpha / 7, "shape": r},
            "dropout_after_purchase": {"dist": "beta", "mean": a / (a + b), "concentration": a + b},
        },
        "by_channel": {},
    }
    sc["dropout"] = {"after_purchase": True, "per_day": False}
    return {"name": "synthetic-bgnbd", "days": days, "start_date": start_date, **sc}
