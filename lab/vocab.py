"""Ground-floor vocabulary: the names every layer shares, and nothing else.

Channels, lifecycle stages, RFM classes and weekdays are codes stored in customer
arrays, fields of scenario files, column labels of results and keys of reports.  They
live here, below the engine, so that the scenario schema, the population, strategies,
analysis and reports can all name them without importing one another.  This module
imports nothing from the lab.
"""

from __future__ import annotations

__all__ = [
    "CHANNELS",
    "RFM_CLASSES",
    "RFM_CLASSES_ZH",
    "RFM_CLASS_TABLE",
    "STAGES",
    "WEEKDAYS",
]

#: lifecycle stages; "prospect" = added to the pool but never ordered (加了未下单)
STAGES: tuple[str, ...] = ("prospect", "active", "silent", "sleeping", "churned")

#: acquisition channels.  Each day: seed customers (KOC), stock import, paid, staff
#: invites and organic joins at the start of the day, referrals at its end.  "organic"
#: (people who find the brand on their own, Bass p) and "seed" (KOC recruited on
#: purpose) exist only with a finite market (``market.size``); they are last so
#: the codes of the others are unchanged.
CHANNELS: tuple[str, ...] = ("stock_import", "paid", "staff_invite", "referral", "organic", "seed")

#: days of the week, Monday first (a run's weekday follows its ``start_date``)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: RFM classes (RFM 用户分层) as (key, R high, F high, M high, 中文), in display order;
#: 保持 = keep, 挽留 = retention (see :mod:`lab.analysis.rfm`)
RFM_CLASS_TABLE: tuple[tuple[str, bool, bool, bool, str], ...] = (
    ("important_value", True, True, True, "重要价值"),
    ("important_development", True, False, True, "重要发展"),
    ("important_keep", False, True, True, "重要保持"),
    ("important_retention", False, False, True, "重要挽留"),
    ("general_value", True, True, False, "一般价值"),
    ("general_development", True, False, False, "一般发展"),
    ("general_keep", False, True, False, "一般保持"),
    ("general_retention", False, False, False, "一般挽留"),
)
#: RFM class keys; a customer's ``rfm_class`` code indexes this tuple
RFM_CLASSES: tuple[str, ...] = tuple(key for key, *_ in RFM_CLASS_TABLE)
#: RFM class key -> Chinese name
RFM_CLASSES_ZH: dict[str, str] = {key: zh for key, *_, zh in RFM_CLASS_TABLE}
