"""Stored value (储值 / 充值): pay X, get Y to spend later.

Buyers without a balance are offered the top-up at checkout and accept with
probability ``uptake_max x logistic(spend_sensitivity x (expected spend over the
validity / Y - 1)) x bonus / (bonus + bonus_half_saturation)`` where bonus = Y/X - 1.
Later orders are paid from the balance first.  While a balance remains the customer
is locked in: buys more often and is less likely to leave.  Accounting, in CNY of
cash: a top-up brings X of cash and a liability; spending balance releases the
liability, and the bonus share of what is spent (1 - X/Y) is booked as a cost;
balances still unspent when they expire are breakage (沉淀资金), booked as revenue.
The outstanding liability is reported every day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import model_validator

from lab.params import P, assumed, setting
from lab.strategies._common import logistic
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["StoredValue", "StoredValueConfig"]


class StoredValueConfig(StrategyConfig):
    """A top-up offer: pay ``pay_cny``, get ``get_cny`` of spending power."""

    type: Literal["stored_value"] = "stored_value"
    pay_cny: float = P(
        500.0, "CNY", "cash paid for one top-up", gt=0, source=setting("a decision of the strategy")
    )
    get_cny: float = P(
        600.0, "CNY", "spending power received", gt=0, source=setting("a decision of the strategy")
    )
    validity_days: int = P(
        365,
        "days",
        "balance expires this long after the top-up",
        ge=7,
        source=setting("a decision of the strategy"),
    )
    uptake_max: float = P(
        0.2,
        "share",
        "largest share of offered buyers who top up",
        ge=0,
        le=1,
        source=assumed(0.02, 0.5),
    )
    spend_sensitivity: float = P(
        2.0, "1", "how strongly uptake follows expected spend / Y", ge=0, source=assumed(0.5, 5.0)
    )
    bonus_half_saturation: float = P(
        0.1,
        "share",
        "bonus (Y/X - 1) at which half the bonus effect is reached",
        gt=0,
        source=assumed(0.03, 0.4),
    )
    lock_in_lift: float = P(
        0.25,
        "x",
        "extra purchase rate while a balance remains",
        ge=0,
        source=assumed(0.0, 0.6, "seed 001: stored value binds future spending"),
    )
    churn_reduction: float = P(
        0.5,
        "share",
        "share of dropout chances removed while a balance remains",
        ge=0,
        le=1,
        source=assumed(0.1, 0.8, "seed 001: stored value binds future spending"),
    )

    @model_validator(mode="after")
    def _bonus(self):
        if self.get_cny < self.pay_cny:
            raise ValueError(f"get_cny ({self.get_cny}) must be at least pay_cny ({self.pay_cny})")
        return self

    @property
    def cash_per_unit(self) -> float:
        """Cash received per CNY of balance (X / Y)."""
        return self.pay_cny / self.get_cny


class StoredValue(Strategy):
    """Runtime of :class:`StoredValueConfig`."""

    config_cls = StoredValueConfig
    summary = (
        "orders paid from balances; top-up offered at checkout; lock-in while a balance remains"
    )
    cost_kinds = ("stored_value_bonus",)
    owned_states = ("balance", "balance_expiry")
    revenue_kinds = ("breakage",)
    kpis = (
        "topups",
        "topup_cash",
        "paid_from_balance",
        "balance_holders",
        "stored_value_liability",
    )

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, pop = self.config, self.model.pop
        n = pop.n
        bal = pop.balance[:n]
        expired = (bal > 0) & (pop.balance_expiry[:n] < day)
        if expired.any():
            who = np.flatnonzero(expired)
            self.model.book_revenue(
                "breakage",
                float(bal[expired].sum()) * cfg.cash_per_unit,
                who,
                bal[who] * cfg.cash_per_unit,
            )
            bal[expired] = 0.0
        holders = bal > 0
        if holders.any():
            plan.multiply(holders, purchase=1 + cfg.lock_in_lift, dropout=1 - cfg.churn_reduction)
        self.model.set_kpi("balance_holders", float(holders.sum()))

    def after_orders(self, day: int, orders: dict[str, np.ndarray]) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        slots, amount = orders["slot"], orders["amount"]
        bal = pop.balance[slots]
        used = np.minimum(bal, amount)
        if used.any():
            pop.balance[slots] = bal - used
            spent = float(used.sum())
            model.count("paid_from_balance", spent)
            model.book(
                "stored_value_bonus",
                spent * (1 - cfg.cash_per_unit),
                slots,
                used * (1 - cfg.cash_per_unit),
            )
        offered = slots[
            (pop.balance[slots] <= 0) & ~orders["is_trial"] & cfg.target.mask(model)[slots]
        ]
        if offered.size:
            spend = (
                pop.propensity[offered] * pop.trust[offered] * cfg.validity_days
                * model.expected_order_value(offered)
            )  # fmt: skip
            bonus = cfg.get_cny / cfg.pay_cny - 1
            p = (
                cfg.uptake_max
                * logistic(cfg.spend_sensitivity * (spend / cfg.get_cny - 1))
                * bonus / (bonus + cfg.bonus_half_saturation)
            )  # fmt: skip
            top = offered[self.draws(day, offered) < p]
            if top.size:
                pop.balance[top] += cfg.get_cny
                pop.balance_expiry[top] = day + cfg.validity_days
                model.count("topups", top.size)
                model.count("topup_cash", top.size * cfg.pay_cny)
        n = pop.n
        model.set_kpi("stored_value_liability", float(pop.balance[:n].sum()) * cfg.cash_per_unit)
