"""Acquisition channels: stock import, paid, staff invites, referral, known customers (获客).

Part of the scenario schema (:mod:`lab.scenario` composes the sections).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, model_validator

from lab.configs.adding import Adding
from lab.params import (
    P,
    StrictModel,
    assumed,
    setting,
)


class StockImport(StrictModel):
    """存量导入: customers who already bought elsewhere, moved into the pool."""

    enabled: bool = P(True, "flag", "switch stock import on/off", source=setting())
    customers_per_day: float = P(
        40.0, "customers/day", "import rate", ge=0, source=setting("the brand's import capacity")
    )
    total_customers: int = P(
        6000,
        "customers",
        "size of the existing customer base to move",
        ge=0,
        source=setting("size of the brand's existing base"),
    )
    start_day: int = P(0, "day", "first import day", ge=0, source=setting())
    prior_orders_mean: float = P(
        1.5,
        "orders",
        "mean orders before joining (1 + Poisson(mean - 1))",
        ge=1,
        le=20,
        source=setting("history of the imported base: set it from your data"),
    )
    prior_recency_max_days: int = P(
        120,
        "days",
        "last pre-pool order is uniform in [0, this] days before joining",
        ge=0,
        source=setting("history of the imported base: set it from your data"),
    )
    adding: Adding = Field(default_factory=Adding)


class PaidAcquisition(StrictModel):
    """公域拉新: ads and KOL traffic bought per customer; unit cost rises with volume."""

    enabled: bool = P(True, "flag", "switch paid acquisition on/off", source=setting())
    daily_budget_cny: float = P(
        2000.0, "CNY/day", "spend per day", ge=0, source=setting("a decision")
    )
    base_cac_cny: float = P(
        60.0,
        "CNY/customer",
        "cost per customer at low volume",
        gt=0,
        source=assumed(
            20.0, 200.0, "category-dependent; seed 004: public-traffic CAC keeps rising"
        ),
    )
    saturation_customers_per_day: float = P(
        50.0,
        "customers/day",
        "volume at which the unit cost has doubled",
        gt=0,
        source=assumed(10.0, 200.0),
    )
    start_day: int = P(0, "day", "first day of spend", ge=0, source=setting())
    end_day: int | None = P(
        None, "day", "last day of spend (inclusive); none = run end", ge=0, source=setting()
    )


class StaffInvites(StrictModel):
    """全员营销: staff invite relatives, neighbours and walk-in customers."""

    enabled: bool = P(True, "flag", "switch staff invites on/off", source=setting())
    staff: int = P(10, "people", "staff inviting", ge=0, source=setting("a decision"))
    invites_per_staff_per_day: float = P(
        0.8,
        "customers/staff/day",
        "mean successful adds",
        ge=0,
        source=assumed(0.1, 3.0, "seed 000 describes all-staff marketing, gives no rate"),
    )
    bonus_per_invite_cny: float = P(
        5.0, "CNY/customer", "bonus paid per added customer", ge=0, source=setting("a decision")
    )


class Referral(StrictModel):
    """裂变: buyers invite friends for a reward.

    After an order a customer shares with probability
    ``referral_propensity * (base_share + (1-base_share) * R/(R + half_saturation))
    * invites_required ** -threshold_elasticity``; a share brings Poisson
    (friends_per_share) friends; each full group of ``invites_required`` friends
    earns the inviter ``reward_cny``; each friend gets ``invitee_reward_cny``.  The
    scenario's ``fission_response`` makes these costs change behaviour (a sharer tries
    for the invites required, the gift raises acceptance, over-hyped rewards backfire).
    """

    enabled: bool = P(True, "flag", "switch referral on/off", source=setting())
    reward_cny: float = P(
        20.0,
        "CNY",
        "reward per completed invite (gift / red envelope)",
        ge=0,
        source=setting("a decision"),
    )
    invitee_reward_cny: float = P(
        5.0, "CNY", "welcome gift to each invitee", ge=0, source=setting("a decision")
    )
    invites_required: int = P(
        1, "friends", "friends needed for one reward", ge=1, le=20, source=setting("a decision")
    )
    base_share: float = P(
        0.2,
        "share",
        "share of the propensity acted on with no reward",
        ge=0,
        le=1,
        source=assumed(0.05, 0.6, "seed 000: some share without reward"),
    )
    reward_half_saturation_cny: float = P(
        30.0,
        "CNY",
        "reward at which half the reward effect is reached",
        gt=0,
        source=assumed(5.0, 100.0, "seed 000: the higher the reward, the more act"),
    )
    threshold_elasticity: float = P(
        0.7,
        "1",
        "how fast sharing falls with the number of invites required",
        ge=0,
        source=assumed(0.2, 1.5, "seed 000: the number of invites required matters"),
    )
    friends_per_share: float = P(
        0.8,
        "friends",
        "mean friends joining per share (with a market: friends invited, each joins with "
        "market.acceptance)",
        ge=0,
        le=20,
        source=assumed(0.2, 3.0),
    )
    stated_reward_cny: float | None = P(
        None,
        "CNY",
        "reward value the brand's posters state (over-hyped if above reward_cny: more "
        "sharing now, disappointment later, see fission_response); none = the real value",
        ge=0,
        source=setting("a decision: how the reward is packaged"),
    )
    trait_correlation: float = P(
        0.0,
        "1",
        "Gaussian-copula correlation of invitee traits with the inviter (lasting)",
        ge=0,
        le=0.99,
        source=assumed(
            0.0,
            0.6,
            "homophily of friends; 0: the similarity is carried by referred.rate_boost, "
            "which fades, since a lasting one keeps referred customers' margin gap open at "
            "month 30 (Schmitt, Skiera & Van den Bulte 2011 find it ~0)",
        ),
    )


class KnownCustomers(StrictModel):
    """老客户名单: real customers from an order log, each joining on its own date.

    The file is a CSV described in :mod:`lab.known_customers` (``lab calibrate``
    writes one); a relative path is read relative to the scenario file.  Customers
    join at the end of their day through the stock-import channel.
    """

    enabled: bool = P(False, "flag", "bring in the customers listed in the file", source=setting())
    file: str | None = P(
        None, "path", "CSV of customers (relative to the scenario file)", source=setting()
    )
    book_first_order: bool = P(
        True,
        "flag",
        "book an order on each join day (the log's first purchase); off = join with history; "
        "a book_first_order column in the file decides row by row",
        source=setting(),
    )
    rate_is_daily_chance: bool = P(
        True,
        "flag",
        "their purchase rate is read as the chance of an order each day (a fitted model's "
        "expected orders per day); off = P(order) = 1 - exp(-rate) as for other customers",
        source=setting(),
    )
    sha256: str | None = P(
        None,
        "hex",
        "checksum of the file; filled in on loading, a mismatch is an error",
        source=setting("derived from the file"),
    )
    _table: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _read_table(self):
        if not self.enabled:
            return self
        if not self.file:
            raise ValueError("known customers need 'file'")
        from lab.known_customers import read_known_customers

        table = read_known_customers(self.file)
        if self.sha256 is not None and self.sha256 != table.sha256:
            raise ValueError(
                f"{self.file}: the file changed since the scenario was written "
                f"(sha256 {table.sha256[:12]}..., expected {self.sha256[:12]}...)"
            )
        self.__dict__["sha256"] = table.sha256  # no re-validation: the digest is derived
        self._table = table
        return self

    @property
    def table(self):
        """The validated :class:`lab.known_customers.KnownCustomerTable` (None if off)."""
        return self._table


class Acquisition(StrictModel):
    """引流: the ways customers enter the private pool."""

    stock_import: StockImport = Field(default_factory=StockImport)
    paid: PaidAcquisition = Field(default_factory=PaidAcquisition)
    staff_invite: StaffInvites = Field(default_factory=StaffInvites)
    referral: Referral = Field(default_factory=Referral)
    known_customers: KnownCustomers = Field(default_factory=KnownCustomers)
