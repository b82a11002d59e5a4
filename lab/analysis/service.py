"""Service level of shop guides' 1-to-1 chats (导购服务水平), from a run's daily KPIs.

A chat request is *answered in time* when a guide starts it within the strategy's
``answer_within_minutes``; the service level is the share of requests answered in
time (a dropped request counts as not answered).  Needs a run whose shop guides
take requests from customers (``requests_from: customers``), which counts waits.
"""

from __future__ import annotations

import numpy as np

from lab.analysis.orders import as_order_data
from lab.analysis.run_arrays import is_run

__all__ = ["SERVICE_METRICS", "service_level"]

#: name -> what it is (NaN for a run without the service-level KPIs)
SERVICE_METRICS: dict[str, str] = {
    "chat_service_level": "share of chat requests a guide started within the target minutes",
    "chat_drop_rate": "share of chat requests dropped (no guide started them in time)",
    "chat_mean_wait_minutes": "mean minutes a served chat waited for a guide",
}


def service_level(data) -> dict[str, float]:
    """Chats requested, served, answered in time and dropped, and the service level.

    Parameters
    ----------
    data : RunResult, path or OrderData
        A run (its daily table).

    Returns
    -------
    dict
        ``chats_requested, chats_served, chats_answered_in_time, chats_dropped,
        chat_service_level, chat_drop_rate, chat_mean_wait_minutes``; the last three
        NaN without requests or without the service-level KPIs.
    """
    if is_run(data):
        daily = data.daily  # a run: its daily table alone (no order or customer frame)
    else:
        d = as_order_data(data)
        daily = d.daily
        if daily is None:
            raise ValueError(f"{d.source}: the service level needs a run's daily table")

    def total(col: str) -> float:
        return float(daily[col].sum()) if col in daily.columns else np.nan

    req, served = total("chats_requested"), total("chats_served")
    in_time, dropped = total("chats_answered_in_time"), total("chats_dropped")
    wait = total("chat_wait_minutes")
    measured = np.isfinite(in_time) and req > 0
    return {
        "chats_requested": req,
        "chats_served": served,
        "chats_answered_in_time": in_time,
        "chats_dropped": dropped,
        "chat_service_level": in_time / req if measured else np.nan,
        "chat_drop_rate": dropped / req if measured else np.nan,
        "chat_mean_wait_minutes": wait / served if measured and served > 0 else np.nan,
    }
