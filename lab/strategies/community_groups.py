"""Community groups (社群): WeChat groups whose health decides whether group messages work.

Each group is a real ``mesa.Agent`` (tens to a few thousand per run, each with a
story: opened, lively, flooded with ads, dead).  Customers entering the pool join a group
with ``join_probability`` (decided once); a group holds members of one community
only (a social-graph cluster, or a fallback neighbourhood, see :func:`community_of`)
and fills up to its size limit (WeChat caps a group at 500; neighbourhood groups
are usually kept to 200) before the next group of that community opens.  Members
who block the brand leave their group.

Every group posts the weekly calendar (default: Mon coupon, Tue fun, Wed rest, Thu
useful content, Sat promotion, as seed 001 describes); each member reads a post
with chance ``reach``.  Group messages that other strategies send (a
``contact_plan`` on the ``group`` touchpoint) count as posts too.  Group health,
updated each morning from yesterday's posts (all rates per day):

* ``ad_share`` = EW mean ads per day / EW mean posts per day, memory
  ``memory_days`` (so rest days do not dilute it);
* ``activity`` (0..1, members' engagement) relaxes with time constant
  ``response_days`` toward ``idle_activity + content_gain x min(content_rate /
  content_rate_full, 1) - ad_penalty x excess``, where ``content_rate`` is the EW
  mean of non-ad posts per day and ``excess = max(ad_share - ad_tolerance, 0) /
  (1 - ad_tolerance)``; plus a small daily shock (``activity_noise_sd``).

A group goes quiet (死群) when its ad share stays at or above ``dead_ad_share``
for ``dead_after_days`` days in a row, or its activity falls below
``activity_floor``.  A quiet group never revives in a run (members ignore it;
the lab models no deliberate rescue), its members stay in it, and newcomers of its
community go to a new group.

How a group moves its members: the ``group`` touchpoint is gated for every
strategy, so group contacts reach only members of active groups (non-members and
members of quiet groups get none); a delivered contact's purchase lift is scaled
by ``activity / nominal_activity``, and its annoyance load by ``1 + ad_annoyance x
excess`` (ads feel like harassment); and an active group's own chatter (members
see others buy and talk) multiplies members' purchase rate by ``1 + social_lift x
activity`` every day.  Off by default: without this strategy the group touchpoint
works as before.  The health parameters are judgement defaults that reproduce the
story of seed 001, not values fitted to data.

Outputs: ``RunResult.groups`` (one row per group and day: members, activity,
ad_share, posts, ads, status) and ``RunResult.extra_tables["group_members"]``
(who joined which group), saved as ``groups.*`` and ``group_members.*``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar, Literal

import mesa
import numpy as np
import pandas as pd
from pydantic import field_validator, model_validator
from scipy.special import ndtri

from lab.params import P, assumed, platform_rule, setting
from lab.plan import Gate, Reach
from lab.rng import mix64, uniform
from lab.strategies.base import Strategy, StrategyConfig
from lab.strategies.contact_plan import weekly_calendar
from lab.table_schemas import GROUP_COLUMNS, empty_groups_table
from lab.vocab import WEEKDAYS

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan
    from lab.services import ModelServices

__all__ = [
    "GROUP_COLUMNS",
    "CommunityGroup",
    "CommunityGroups",
    "CommunityGroupsConfig",
    "community_of",
]

#: salt of the fallback-neighbourhood draw: one stream for every groups strategy, so
#: a customer's neighbourhood does not depend on where the strategy sits in the list
_NEIGHBOURHOOD_SALT = np.uint64(0x6E656967686264)
#: salt of the groups' own draws (joining, reading posts, activity shocks)
_GROUPS_SALT = np.uint64(0x67726F757073)
_TOUCHPOINT = "group"


def community_of(model: ModelServices, slots: np.ndarray, neighbourhoods: int = 30) -> np.ndarray:
    """Community of each customer in ``slots``: the social-graph cluster, or a neighbourhood.

    If the population carries a ``community`` state (the social graph's cluster id,
    ``-1`` when the customer is not in the graph), non-negative values are used as
    they are.  Everyone else gets a fallback *neighbourhood*: within their persona
    segment, one of ``neighbourhoods`` buckets drawn uniformly from the lab's
    ``strategy`` stream keyed by customer identity (same person, same neighbourhood
    in every scenario run with the seed).  Neighbourhood ids are negative
    (``-2 - (segment x neighbourhoods + bucket)``) so they never collide with graph ids.

    Parameters
    ----------
    model : ModelServices
    slots : numpy.ndarray of int
        Customer slots.
    neighbourhoods : int
        Fallback neighbourhoods per segment.

    Returns
    -------
    numpy.ndarray of int64
    """
    pop = model.pop
    slots = np.asarray(slots, dtype=np.int64)
    key = model.streams.key("strategy") ^ mix64(_NEIGHBOURHOOD_SALT)
    bucket = np.minimum(
        (uniform(key, 0, pop.rkey[slots]) * neighbourhoods).astype(np.int64), neighbourhoods - 1
    )
    fallback = -2 - (pop.segment[slots].astype(np.int64) * neighbourhoods + bucket)
    graph = getattr(pop, "community", None)
    if graph is None:
        return fallback
    c = graph[slots].astype(np.int64)
    return np.where(c >= 0, c, fallback)


class CommunityGroupsConfig(StrategyConfig):
    """Community groups (社群) with a posting calendar and a health that can die."""

    one_per_scenario: ClassVar[bool] = True

    type: Literal["community_groups"] = "community_groups"
    size_limit: int = P(
        500,
        "members",
        "most members of a graph-community group (WeChat cap 500)",
        ge=3,
        le=500,
        source=platform_rule("WeChat: a group holds at most 500 members"),
    )
    neighbourhood_size_limit: int = P(
        200,
        "members",
        "most members of a fallback-neighbourhood group",
        ge=3,
        le=500,
        source=assumed(50, 500, "neighbourhood groups are kept below the WeChat cap"),
    )
    neighbourhoods: int = P(
        30,
        "communities/segment",
        "fallback neighbourhoods per segment when there is no social graph",
        ge=1,
        source=setting("fallback structure without a social graph"),
    )
    join_probability: float = P(
        0.6,
        "share",
        "chance a (targeted) newcomer joins a group, decided once",
        ge=0,
        le=1,
        source=assumed(0.2, 0.9),
    )
    weekly: dict[str, list[str]] = P(
        {
            "mon": ["promotion"],
            "tue": ["interaction"],
            "wed": [],
            "thu": ["value"],
            "fri": [],
            "sat": ["promotion"],
            "sun": [],
        },
        "content types per weekday",
        "posts per weekday in every group; [] = rest day",
        source=setting("a decision of the strategy"),
    )
    ad_contents: list[str] = P(
        ["promotion"],
        "content types",
        "which content types count as ads",
        source=setting("a decision of the strategy"),
    )
    reach: float = P(
        0.6,
        "share",
        "chance a member reads one post",
        ge=0,
        le=1,
        source=assumed(0.2, 0.9, "share of group posts a member reads"),
    )
    memory_days: float = P(
        14.0, "days", "time constant of the EW post and ad rates", gt=0, source=assumed(3.0, 30.0)
    )
    ad_tolerance: float = P(
        0.4,
        "share",
        "ad share members accept without losing interest",
        ge=0,
        lt=1,
        source=assumed(0.2, 0.7, "seed 001: groups full of ads die"),
    )
    idle_activity: float = P(
        0.3,
        "0..1",
        "activity a group drifts to with no posts and no excess ads",
        ge=0,
        le=1,
        source=assumed(0.1, 0.5),
    )
    content_gain: float = P(
        0.5,
        "0..1",
        "activity added by non-ad posts at content_rate_full",
        ge=0,
        le=1,
        source=assumed(0.2, 0.8),
    )
    content_rate_full: float = P(
        0.5,
        "posts/day",
        "non-ad posts per day that give the full content gain",
        gt=0,
        source=assumed(0.2, 2.0),
    )
    ad_penalty: float = P(
        1.0,
        "0..1",
        "activity lost at 100% ads (scaled by the excess over tolerance)",
        ge=0,
        source=assumed(0.3, 2.0, "seed 001: groups full of ads die"),
    )
    response_days: float = P(
        10.0, "days", "time constant of activity toward its target", gt=0, source=assumed(3.0, 30.0)
    )
    activity_start: float = P(
        0.6, "0..1", "activity of a new group", ge=0, le=1, source=assumed(0.4, 0.9)
    )
    activity_noise_sd: float = P(
        0.01,
        "0..1 per day",
        "sd of the daily shock to a group's activity",
        ge=0,
        source=assumed(0.0, 0.05),
    )
    dead_ad_share: float = P(
        0.7,
        "share",
        "ad share that kills a group when it lasts",
        gt=0,
        le=1,
        source=assumed(0.5, 0.9, "seed 001: groups full of ads die"),
    )
    dead_after_days: int = P(
        14,
        "days",
        "consecutive days at or above dead_ad_share before the group dies",
        ge=1,
        source=assumed(7, 30),
    )
    activity_floor: float = P(
        0.1,
        "0..1",
        "a group whose activity falls below this goes quiet",
        ge=0,
        lt=1,
        source=assumed(0.02, 0.2),
    )
    nominal_activity: float = P(
        0.5,
        "0..1",
        "activity at which group contacts have the scenario's content effect",
        gt=0,
        le=1,
        source=setting(
            "the unit: activity at which group contacts have the scenario's content effect"
        ),
    )
    ad_annoyance: float = P(
        1.0,
        "x",
        "extra annoyance load of group contacts at 100% excess ads",
        ge=0,
        source=assumed(0.0, 3.0, "seed 001: ads in groups feel like harassment"),
    )
    social_lift: float = P(
        0.1,
        "x",
        "members' purchase-rate lift per unit activity of an active group",
        ge=0,
        source=assumed(0.0, 0.3),
    )
    record_every_days: int = P(
        1,
        "days",
        "rows of the group-health table every this many days (big markets: thin it)",
        ge=1,
        source=setting("output only"),
    )

    @field_validator("weekly", mode="before")
    @classmethod
    def _weekly(cls, v):
        return weekly_calendar(v)

    @model_validator(mode="after")
    def _floor_below_start(self):
        if self.activity_floor >= self.activity_start:
            raise ValueError(
                f"activity_floor ({self.activity_floor}) must be below activity_start "
                f"({self.activity_start}), or every new group is born dead"
            )
        return self

    def touchpoints_used(self) -> list[str]:
        return [_TOUCHPOINT]

    def contents_used(self) -> list[str]:
        return sorted({c for items in self.weekly.values() for c in items} | set(self.ad_contents))


class GroupHealth:
    """The health of every group as arrays indexed by group code (one row per group).

    Groups are few next to customers, but a pool whose groups keep dying opens
    thousands, and the update runs every day: so the numbers live in arrays and one
    vectorised :meth:`step` moves all live groups, while each group stays a readable
    mesa Agent (:class:`CommunityGroup`) that looks its row up.

    Attributes (per group)
    ----------------------
    activity : members' engagement, 0..1
    post_rate, ad_rate : EW mean posts and ads per day
    days_over : consecutive days with ad share >= ``dead_ad_share``
    size : current members
    active : not quiet (死群)
    created_day : day the group opened
    """

    _FIELDS: ClassVar[dict[str, type]] = {
        "activity": np.float64,
        "post_rate": np.float64,
        "ad_rate": np.float64,
        "days_over": np.int32,
        "size": np.int64,
        "active": np.bool_,
        "created_day": np.int32,
    }

    def __init__(self) -> None:
        for name, dtype in self._FIELDS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))

    def add(self, activity: float, day: int) -> int:
        """Open one group; returns its code."""
        row = {"activity": activity, "active": True, "created_day": day}
        for name, dtype in self._FIELDS.items():
            setattr(self, name, np.r_[getattr(self, name), dtype(row.get(name, 0))])
        return self.activity.size - 1

    def ad_share(self) -> np.ndarray:
        """EW share of ads in each group's posts (0 before the first post)."""
        rate = np.where(self.post_rate > 1e-12, self.post_rate, 1.0)
        return np.where(self.post_rate > 1e-12, self.ad_rate / rate, 0.0)

    def excess_ads(self, cfg: CommunityGroupsConfig) -> np.ndarray:
        """Ad share above tolerance, as a share of the room above it (0..1)."""
        return np.maximum(self.ad_share() - cfg.ad_tolerance, 0.0) / (1.0 - cfg.ad_tolerance)

    def step(
        self,
        rows: np.ndarray,
        posts: np.ndarray,
        ads: np.ndarray,
        shocks: np.ndarray,
        cfg: CommunityGroupsConfig,
    ) -> np.ndarray:
        """One day of health for groups ``rows`` from yesterday's posts; returns those that died."""
        keep = math.exp(-1.0 / cfg.memory_days)
        self.post_rate[rows] = keep * self.post_rate[rows] + (1 - keep) * posts[rows]
        self.ad_rate[rows] = keep * self.ad_rate[rows] + (1 - keep) * ads[rows]
        content = np.minimum(
            (self.post_rate[rows] - self.ad_rate[rows]) / cfg.content_rate_full, 1.0
        )
        excess = self.excess_ads(cfg)[rows]
        target = np.clip(
            cfg.idle_activity + cfg.content_gain * content - cfg.ad_penalty * excess, 0, 1
        )
        pull = 1.0 - math.exp(-1.0 / cfg.response_days)
        a = self.activity[rows]
        self.activity[rows] = np.clip(
            a + (target - a) * pull + cfg.activity_noise_sd * shocks[rows], 0, 1
        )
        over = self.ad_share()[rows] >= cfg.dead_ad_share
        self.days_over[rows] = np.where(over, self.days_over[rows] + 1, 0)
        dead = (self.days_over[rows] >= cfg.dead_after_days) | (
            self.activity[rows] < cfg.activity_floor
        )
        self.active[rows[dead]] = False
        return rows[dead]


class CommunityGroup(mesa.Agent):
    """One group (社群): members of one community, its activity and its ad share.

    The members are the customer slots whose group code is ``code`` (an array over
    the population kept by :class:`CommunityGroups`); the numbers are this group's
    row of the shared :class:`GroupHealth`.
    """

    def __init__(
        self, model: mesa.Model, code: int, community: int, day: int, health: GroupHealth
    ) -> None:
        super().__init__(model)
        self.code = code
        self.community = community
        self.created_day = day
        self.died_day: int | None = None
        self._health = health

    @property
    def active(self) -> bool:
        return self.died_day is None

    @property
    def size(self) -> int:
        """Current members."""
        return int(self._health.size[self.code])

    @property
    def activity(self) -> float:
        """Members' engagement with the group, 0..1."""
        return float(self._health.activity[self.code])

    @property
    def ad_share(self) -> float:
        """EW share of ads in the group's posts (0 before the first post)."""
        h = self._health
        return (
            float(h.ad_rate[self.code] / h.post_rate[self.code])
            if h.post_rate[self.code] > 1e-12
            else 0.0
        )

    def __repr__(self) -> str:
        state = "active" if self.active else f"quiet since day {self.died_day}"
        return (
            f"CommunityGroup({self.code}, community {self.community}, {self.size} members, "
            f"activity {self.activity:.2f}, ad share {self.ad_share:.0%}, {state})"
        )


class CommunityGroups(Strategy):
    """Runtime of :class:`CommunityGroupsConfig`."""

    config_cls = CommunityGroupsConfig
    summary = (
        "groups (mesa Agents) post their calendar; ad-heavy groups go quiet and stop delivering"
    )
    kpis = (
        "groups_active",
        "groups_quiet",
        "group_members",
        "group_activity_mean",
        "group_ad_share_mean",
    )

    def start(self, env) -> None:
        self.groups: list[CommunityGroup] = []
        self.health = GroupHealth()
        self.group_of = np.full(1024, -1, dtype=np.int32)  # group code per slot, -1 none/left
        self.joined = np.full(1024, -1, dtype=np.int32)  # group joined, kept after leaving
        self.joined_day = np.full(1024, -1, dtype=np.int32)  # day they joined it
        self._seen = 0  # slots already offered a group
        self._open: dict[int, int] = {}  # community -> code of its group taking members
        self._posts = np.zeros(0, np.int64)  # today's posts and ads per group
        self._ads = np.zeros(0, np.int64)
        self._own_posting = False
        self._history: list[
            tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
        ] = []
        self._ads_set = set(self.config.ad_contents)
        # one groups strategy per scenario, so its draws need not depend on its place in
        # the strategy list: the same person joins (and reads) in every scenario
        self._salt = int(mix64(_GROUPS_SALT))

    # ------------------------------------------------------------------ the day
    def prepare(self, day: int, plan: DayPlan) -> None:
        """Members leave or join, yesterday's posts move health, the group touchpoint is gated."""
        self._leave_if_blocked()
        self._join(day)
        self._update_health(day)
        health = self._health()
        self._gate(plan, health)
        self._record(day, health)

    def act(self, day: int, plan: DayPlan) -> None:
        """Every active group posts today's calendar; members read each post with chance ``reach``."""
        contents = self.config.weekly[WEEKDAYS[self.model.weekday(day)]]
        if not contents:
            return
        alive = self.health.active
        pop, n = self.model.pop, self.model.pop.n
        member = (self.group_of[:n] >= 0).view(np.int8)  # chance of reading: reach if a member
        chance = np.array([0.0, self.config.reach])
        key = self.model.streams.key("contact_reach") ^ np.uint64(self._salt)
        self._own_posting = True
        try:
            for j, content in enumerate(contents):
                self._posts[alive] += 1
                self._ads[alive] += content in self._ads_set
                # who reads post j: drawn on delivery (lab.plan.Reach)
                read = Reach(chance, member, key ^ np.uint64(j * 0x9E37), pop.rkey)
                plan.contact(True, _TOUCHPOINT, content, reach=read)
        finally:
            self._own_posting = False

    # ------------------------------------------------------------------ steps
    def _grow(self, n: int) -> None:
        if n > self.group_of.size:
            size = max(n, int(self.group_of.size * 1.5))
            for name in ("group_of", "joined", "joined_day"):
                bigger = np.full(size, -1, dtype=np.int32)
                old = getattr(self, name)
                bigger[: old.size] = old
                setattr(self, name, bigger)

    def _leave_if_blocked(self) -> None:
        n = self._seen
        leaving = np.flatnonzero((self.group_of[:n] >= 0) & self.model.pop.blocked[:n])
        if leaving.size:
            np.subtract.at(self.health.size, self.group_of[leaving], 1)
            self.group_of[leaving] = -1

    def _join(self, day: int) -> None:
        cfg, model = self.config, self.model
        n = model.pop.n
        self._grow(n)
        if n <= self._seen:
            return
        new = np.arange(self._seen, n)
        self._seen = n
        new = new[cfg.target.mask(model)[new] & ~model.pop.blocked[new]]
        key = model.streams.key("strategy") ^ np.uint64(self._salt)
        u = uniform(key, 0, model.pop.rkey[new])  # keyed by person only: same draw any day
        joiners = new[u < cfg.join_probability]
        if joiners.size == 0:
            return
        community = community_of(model, joiners, cfg.neighbourhoods)
        order = np.argsort(community, kind="stable")  # by community, then joining order
        joiners, community = joiners[order], community[order]
        starts = np.flatnonzero(np.r_[True, community[1:] != community[:-1]])
        for lo, hi in zip(starts, np.r_[starts[1:], joiners.size], strict=True):
            self._fill(day, int(community[lo]), joiners[lo:hi])

    def _limit(self, community: int) -> int:
        return self.config.size_limit if community >= 0 else self.config.neighbourhood_size_limit

    def _fill(self, day: int, community: int, slots: np.ndarray) -> None:
        """Put ``slots`` into the community's open group, opening new ones when full or dead."""
        limit = self._limit(community)
        while slots.size:
            code = self._open.get(community)
            if code is None or not self.groups[code].active or self.groups[code].size >= limit:
                code = self._new_group(day, community)
            take = slots[: limit - self.health.size[code]]
            self.group_of[take] = code
            self.joined[take] = code
            self.joined_day[take] = day
            self.health.size[code] += take.size
            slots = slots[take.size :]

    def _new_group(self, day: int, community: int) -> int:
        code = self.health.add(self.config.activity_start, day)
        self.groups.append(CommunityGroup(self.model, code, community, day, self.health))
        self._open[community] = code
        self._posts = np.r_[self._posts, 0]
        self._ads = np.r_[self._ads, 0]
        return code

    def _update_health(self, day: int) -> None:
        """Yesterday's posts move each group's ad share and activity; some go quiet."""
        if day > 0 and self.groups:
            self._move_health(day)
        # fresh tallies for today (yesterday's arrays stay in the history)
        self._posts = np.zeros(len(self.groups), np.int64)
        self._ads = np.zeros(len(self.groups), np.int64)

    def _move_health(self, day: int) -> None:
        h = self.health
        rows = np.flatnonzero(h.active & (h.created_day < day))
        if rows.size == 0:
            return
        codes = np.arange(len(self.groups), dtype=np.uint64)
        u = uniform(self.model.streams.key("strategy") ^ np.uint64(self._salt ^ 1), day, codes)
        shocks = ndtri(np.clip(u, 1e-12, 1 - 1e-12))  # standard normal shocks, one per group
        for code in h.step(rows, self._posts, self._ads, shocks, self.config):
            g = self.groups[code]
            g.died_day = day
            self.model.log_event(
                f"{self.label}: group {g.code} went quiet (死群) with {g.size} members, "
                f"ad share {g.ad_share:.0%}, activity {g.activity:.2f}"
            )

    def _health(self) -> dict[str, np.ndarray]:
        """Today's health of every group, indexed by group code (copies, for the record)."""
        h = self.health
        return {
            "active": h.active.copy(),
            "activity": h.activity.copy(),
            "ad_share": h.ad_share(),
            "excess": h.excess_ads(self.config),
            "members": h.size.copy(),
        }

    def _gate(self, plan: DayPlan, health: dict[str, np.ndarray]) -> None:
        """Gate the group touchpoint: members of active groups only, effects by group health."""
        cfg, n = self.config, self.model.pop.n
        g = self.group_of[:n]
        live, activity = health["active"], health["activity"]
        f32 = np.float32

        def per_customer(per_group: np.ndarray, outside: float) -> np.ndarray:
            # effects are worked out per group, then gathered by each customer's group
            # code; code -1 (no group) indexes the extra last entry, ``outside``
            if (per_group == outside).all():  # e.g. no excess ads anywhere: no gather
                return np.full(n, outside, dtype=per_group.dtype)
            return np.r_[per_group, outside][g]

        deliver = per_customer(live, False)
        lift = per_customer((activity / cfg.nominal_activity).astype(f32), f32(0))
        load = per_customer((1 + cfg.ad_annoyance * health["excess"]).astype(f32), f32(1))
        plan.gate(_TOUCHPOINT, Gate(deliver, lift, load, self._count_posts))
        if cfg.social_lift > 0 and live.any():
            chatter = np.where(live, 1 + cfg.social_lift * activity, 1.0).astype(f32)
            plan.multiply(None, purchase=per_customer(chatter, f32(1)))  # x1 off live groups

    def _count_posts(self, k: np.ndarray, content: str) -> None:
        """Another strategy's group contact: a post in every group it reached."""
        if self._own_posting or not self.groups:
            return
        n = k.size
        g = self.group_of[:n]
        hit = (k > 0) & (g >= 0)
        reached = np.bincount(g[hit], minlength=len(self.groups)) > 0
        self._posts[reached] += 1
        self._ads[reached] += content in self._ads_set

    def _record(self, day: int, health: dict[str, np.ndarray]) -> None:
        active, activity = health["active"], health["activity"]
        ad_share, members = health["ad_share"], health["members"]
        # today's post and ad tallies fill up during the day: the record keeps the arrays
        if day % self.config.record_every_days == 0:
            self._history.append((day, members, activity, ad_share, active, self._posts, self._ads))
        m = self.model
        m.set_kpi("groups_active", float(active.sum()))
        m.set_kpi("groups_quiet", float((~active).sum()))
        m.set_kpi("group_members", float(members[active].sum()))
        m.set_kpi("group_activity_mean", float(activity[active].mean()) if active.any() else 0.0)
        m.set_kpi("group_ad_share_mean", float(ad_share[active].mean()) if active.any() else 0.0)

    # ------------------------------------------------------------------ output
    def tables(self) -> dict[str, pd.DataFrame]:
        """``groups``: daily health per group; ``group_members``: who joined which group."""
        return {"groups": self.health_table(), "group_members": self.members_table()}

    def members_table(self) -> pd.DataFrame:
        """One row per customer who joined a group: group, community, day joined, whether they left."""
        n = self._seen
        slots = np.flatnonzero(self.joined[:n] >= 0)
        code = self.joined[slots]
        community = np.array([g.community for g in self.groups], np.int64)
        return pd.DataFrame(
            {
                "customer_id": slots.astype(np.int64),
                "group": code,
                "community": community[code] if slots.size else np.zeros(0, np.int64),
                "joined_day": self.joined_day[slots],
                "left": self.group_of[slots] < 0,
            }
        )

    def health_table(self) -> pd.DataFrame:
        """Group health by day: members, activity, ad share, posts and ads, status.

        ``died_day`` is the day the group went quiet on the rows where it is quiet
        (exact even when ``record_every_days`` thins the rows), -1 while active.
        """
        if not self._history:
            return empty_groups_table()
        community = np.array([g.community for g in self.groups], np.int64)
        created = np.array([g.created_day for g in self.groups], np.int32)
        died = np.array([-1 if g.active else g.died_day for g in self.groups], np.int32)
        rows = []
        for day, members, activity, ad_share, active, posts, ads in self._history:
            k = members.size
            rows.append(
                pd.DataFrame(
                    {
                        "day": np.full(k, day, np.int32),
                        "group": np.arange(k, dtype=np.int32),
                        "community": community[:k],
                        "members": members,
                        "activity": activity,
                        "ad_share": ad_share,
                        "posts": posts[:k],
                        "ads": ads[:k],
                        "status": np.where(active, "active", "quiet"),
                        "created_day": created[:k],
                        "died_day": np.where(active, -1, died[:k]).astype(np.int32),
                    }
                )
            )
        df = pd.concat(rows, ignore_index=True)
        df["status"] = pd.Categorical(df["status"], categories=["active", "quiet"])
        return df
