"""How customers respond each day: named mechanisms run by one fused numba loop.

Each mechanism is a small ``@njit(inline="always")`` function named like its step
(:data:`MECHANISMS`: decay, exposure, annoyance, purchase, dropout after purchase and
referral, daily dropout, lifecycle).  ``lab explain`` prints the whole day, these
mechanisms included, each with the file and line of its code; a test ties the order
of the calls in :func:`step_customers` to the list.

Data travel as named bundles built from the specs, so nothing is addressed by position:

* ``c`` (:class:`Customers`): every customer state array of
  :data:`lab.population.STATE_SPEC`, by name (``c.fatigue``);
* ``plan`` (:class:`Plan`): today's plan arrays of :class:`lab.plan.DayPlan`;
* ``p`` (:class:`KernelParams`): the parameters, by name (``p.fatigue_keep``);
* ``keys`` (:class:`StreamKeys`): the random stream keys, by name (``keys.purchase``);
* ``out`` (:class:`DayOut`): today's buyers, sharers and the KPI vector, whose slots
  are named by ``K`` (``kpi[K.orders]``), generated from the kernel rows of the KPI
  table :data:`lab.kpis.KPI_TABLE`.

The loop reads a customer's values from the bundles, hands them to the mechanisms
and writes the results back.  Mechanisms take values, not bundles: numba runs a
bundle passed into an inlined function and used inside one of its branches 20-50x
slower (the bundle is copied with its reference counts), while the same access in
the loop itself costs nothing.

All randomness is :func:`lab.rng.u01_scalar` on (stream, day, customer key), so the
loop is order-free: the result does not depend on how customers are laid out or
split across threads.

How to add to the kernel (the golden-run test, ``tests/test_golden.py``, shows what
moved):

* a customer state: one line in ``STATE_SPEC`` (``lab/population.py``); it is then
  ``c.<name>`` here, and a column of ``RunResult.customers`` if listed there;
* a parameter: one field in :class:`KernelParams` and its value from the scenario in
  ``PoolModel._kernel_params`` (``lab/model.py``);
* a random stream: its name in :data:`KERNEL_STREAMS` and in ``lab.rng.STREAMS``;
* a KPI the kernel counts: one row (``source="kernel"``) in ``lab/kpis.py``;
* a mechanism: one function here, its call in :func:`step_customers`, one row in
  :data:`MECHANISMS` (the test checks the order).
"""

from __future__ import annotations

import math
import os
from collections import namedtuple
from typing import NamedTuple, get_type_hints

import numpy as np
from numba import njit, prange

from lab.agents.promo_mechanisms import (
    deal_sensitivity,
    price_effect,
    promo_memory,
    stock_after_order,
    trust_after_deal,
)
from lab.kpis import kpi_rows
from lab.plan import DayPlan
from lab.population import STAGES, STATE_SPEC
from lab.rng import u01_scalar

# Threads that finish their chunks sleep instead of spinning (GNU OpenMP spins by default),
# so a busy or shared machine is not slowed by idle spinners; read when numba first
# starts its threads, which is after this import.  A value set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = [
    "CHUNK",
    "KERNEL_KPIS",
    "KERNEL_STREAMS",
    "MECHANISMS",
    "PLAN_GROUPS",
    "Customers",
    "DayOut",
    "K",
    "KernelParams",
    "Mechanism",
    "Plan",
    "StreamKeys",
    "customers_bundle",
    "make_params",
    "plan_bundle",
    "plan_switches",
    "poisson_inverse",
    "step_customers",
    "step_population",
    "stream_keys",
]

#: streams the kernel draws from
KERNEL_STREAMS = (
    "purchase",
    "block",
    "dropout_after_purchase",
    "dropout_per_day",
    "referral_share",
    "referral_friends",
    "purchase_clock",
)
#: the random stream keys, by stream name (uint64 each)
StreamKeys = namedtuple("StreamKeys", KERNEL_STREAMS)
#: every customer state array, by name (the columns of ``STATE_SPEC``)
Customers = namedtuple("Customers", tuple(STATE_SPEC))
#: today's plan arrays, by name (``DayPlan`` arrays)
Plan = namedtuple("Plan", tuple(DayPlan.ARRAYS))


class KernelParams(NamedTuple):
    """The kernel's parameters, by name (switches are bools, the rest floats)."""

    fatigue_on: bool
    fatigue_keep: float  # share of fatigue kept from one day to the next
    fatigue_gain_promo_day: float  # fatigue gain of a 20%-off promotion day
    fatigue_damping: float  # how much fatigue damps price and contact lifts
    refprice_on: bool
    refprice_learn: float  # step of the reference price towards a price seen
    refprice_recover: float  # daily step back towards list price without an offer
    annoy_on: bool
    load_keep: float  # share of the contact load kept from one day to the next
    load_to_week: float  # steady-state load -> contacts per week
    block_hazard: float  # block chance per contact and unit of excess load
    promo_lift: float
    full_price_penalty: float
    blocked_factor: float  # purchase rate multiplier once the account is blocked
    trust_gain: float  # trust gained per order, share of the gap to 1
    habit_on: bool
    habit_orders: float  # orders to a full habit
    habit_lift: float
    habit_dropout_reduction: float
    first_order_on: bool
    action_cost: float
    trial_on: bool
    trial_uptake: float
    trial_trust_gain: float
    drop_purchase_on: bool
    drop_day_on: bool
    referral_on: bool
    share_factor: float
    friends_per_share: float
    days_to_silent: float
    days_to_sleeping: float
    days_to_churned: float
    # promotion response (lab/configs/promotion.py)
    cond_on: bool
    cond_keep: float  # share of deal conditioning kept from one day to the next
    cond_gain: float  # conditioning gain of a 20%-off promotion day
    cond_lift: float  # extra deal sensitivity at full conditioning
    cond_anchor: float  # extra reference-price learning at full conditioning, x learn rate
    stock_on: bool
    stock_keep: float  # share of the promotion stock left the next day
    stock_pull: float  # rate removed right after an order at a 20% cut
    loss_on: bool
    loss_aversion: float  # loss / gain coefficient of the reference-price effect
    first_deal_on: bool
    first_deal_gain: float  # share of missing trust a 20%-off order adds before the habit
    carry_on: bool  # contact carry-over (lab/contact_wear.py)
    carry_keep: float  # share of the contact stock kept from one day to the next
    timing_erlang: bool  # Erlang-k inter-purchase clock instead of Poisson
    timing_k: float  # stages of the clock
    referred_on: bool
    referred_retention: float  # share of the daily dropout hazard removed while the referrer stays
    referred_boost: float  # extra purchase rate of a referred customer on joining
    referred_boost_log_keep: float  # log of the share of the boost kept per day of tenure
    season_on: bool  # calendar of demand multipliers (lab/configs/calendar.py)
    season_mult: float  # today's multiplier of the purchase hazard (set each day)
    burst_on: bool  # early-life burst after the first order (lab/configs/purchase.py)
    burst_boost: float  # beta tau (1 - e^(-1/tau)): the burst's mean over the first day
    burst_inv_tau: float  # 1 / tau, 1/day: how fast the burst fades with the age
    # today's plan arrays a strategy wrote, by group (:data:`PLAN_GROUPS`, set each day
    # from :meth:`lab.plan.DayPlan.written`): the loop reads an unwritten group's arrays
    # as their default (which they hold at every slot) without touching them
    plan_contacts: bool
    plan_offers: bool
    plan_standing: bool
    plan_purchase: bool
    plan_dropout: bool
    plan_referral: bool


#: the day plan's arrays by group, each group under its switch in :class:`KernelParams`:
#: a switch is off on a day no array of its group was written (:func:`plan_switches`)
PLAN_GROUPS: dict[str, tuple[str, ...]] = {
    "plan_contacts": ("n_contacts", "contact_lift", "contact_fatigue", "contact_load"),
    "plan_offers": ("offer_depth",),
    "plan_standing": ("standing_depth", "standing_response"),
    "plan_purchase": ("purchase_mult",),
    "plan_dropout": ("dropout_mult",),
    "plan_referral": ("share_mult", "friends_mult"),
}


def plan_switches(written: frozenset[str] | set[str] | None) -> dict[str, bool]:
    """The :data:`PLAN_GROUPS` switches: on for each group with an array in ``written``.

    Parameters
    ----------
    written : set of str or None
        Names of the plan arrays written today (:meth:`lab.plan.DayPlan.written`);
        None: not known, every switch on (the loop reads every array).

    Returns
    -------
    dict of str to bool
        Switch name -> whether the loop reads that group's arrays today.
    """
    if written is None:
        return dict.fromkeys(PLAN_GROUPS, True)
    return {name: not written.isdisjoint(arrays) for name, arrays in PLAN_GROUPS.items()}


#: the KPIs the kernel counts: the kernel rows of the KPI table, then two sums
KERNEL_KPIS: tuple[str, ...] = (
    *(k.name for k in kpi_rows("kernel")),
    "fatigue_sum",
    "ref_price_sum",
)
#: slot of each kernel KPI in ``DayOut.kpi``, by name: ``kpi[K.orders]``
K = namedtuple("KernelKpiIndex", KERNEL_KPIS)(*range(len(KERNEL_KPIS)))
# stage codes index the stage counters: prospect, active, ... must be consecutive
assert KERNEL_KPIS[K.prospect : K.prospect + len(STAGES)] == STAGES


class DayOut(NamedTuple):
    """What the kernel hands back for one day (buffers sized to the population)."""

    buy_slot: np.ndarray  # int32, slots of today's buyers
    buy_price: np.ndarray  # float32, price paid as a share of list price
    buy_trial: np.ndarray  # bool, the order is a trial product
    share_slot: np.ndarray  # int32, slots of today's sharers
    share_friends: np.ndarray  # int32, friends each sharer reached
    kpi: np.ndarray  # float64, the day's aggregates (slots ``K``)


def make_params(values: dict[str, float]) -> KernelParams:
    """Build the kernel's parameters from a name -> value dict (every name needed).

    Switches become ``bool`` and the rest ``float``, so the kernel compiles once.
    """
    missing = set(KernelParams._fields) - set(values)
    if missing:
        raise KeyError(f"missing kernel parameters: {sorted(missing)}")
    kinds = get_type_hints(KernelParams)  # the annotations are strings (ForwardRef)
    return KernelParams(**{n: (bool if kinds[n] is bool else float)(values[n]) for n in kinds})


def stream_keys(key_of) -> StreamKeys:
    """The kernel's stream keys; ``key_of(name)`` gives a stream's key."""
    return StreamKeys(*(np.uint64(key_of(name)) for name in KERNEL_STREAMS))


def customers_bundle(pop) -> Customers:
    """The population's state arrays as one named bundle (views, no copies)."""
    return Customers(*(getattr(pop, name) for name in Customers._fields))


def plan_bundle(plan: DayPlan) -> Plan:
    """Today's plan arrays as one named bundle (views, no copies)."""
    return Plan(*(getattr(plan, name) for name in Plan._fields))


def new_day_out(capacity: int) -> DayOut:
    """Output buffers for a population of up to ``capacity`` customers."""
    return DayOut(
        buy_slot=np.zeros(capacity, dtype=np.int32),
        buy_price=np.zeros(capacity, dtype=np.float32),
        buy_trial=np.zeros(capacity, dtype=np.bool_),
        share_slot=np.zeros(capacity, dtype=np.int32),
        share_friends=np.zeros(capacity, dtype=np.int32),
        kpi=np.zeros(len(KERNEL_KPIS), dtype=np.float64),
    )


# --------------------------------------------------------------------------- helpers
@njit(cache=True, inline="always")
def _stage(days_since, has_ordered, t_silent, t_sleep, t_churn):
    # the first stage whose bound is not reached, as selects rather than branches (the
    # stages of neighbouring slots follow no pattern a branch predictor could learn)
    st = 3 if days_since < t_churn else 4
    st = 2 if days_since < t_sleep else st
    st = 1 if days_since < t_silent else st
    return st if has_ordered else 0


@njit(cache=True, inline="always")
def _poisson_from_uniform(mu, u):
    """Inverse-CDF Poisson draw (means up to ~20; capped at 60)."""
    k = 0
    p = math.exp(-mu)
    c = p
    while u > c and k < 60:
        k += 1
        p *= mu / k
        c += p
    return k


@njit(cache=True)
def poisson_inverse(u, mu):
    """Poisson(mu) draws from uniforms ``u`` by inversion (vectorised twin of the kernel's)."""
    out = np.empty(u.size, dtype=np.int32)
    for i in range(u.size):
        out[i] = _poisson_from_uniform(mu, u[i])
    return out


# --------------------------------------------------------------------------- mechanisms
# A mechanism takes one customer's values and returns the new ones; the loop reads and
# writes the bundles.  (Numba runs a bundle handed to an inlined function and used in
# one of its branches 20-50x slower, so bundles stay in the loop and values travel.)
@njit(cache=True, inline="always")
def decay(f, ld, p):
    """Fatigue and the remembered contact load decay (one day of exponential decay)."""
    if p.fatigue_on:
        f *= p.fatigue_keep
    if p.annoy_on:
        ld = ld * p.load_keep
    return f, ld


@njit(cache=True, inline="always")
def exposure(f, r, depth, promo, contact_fatigue, p):
    """Offers and contacts raise fatigue; the reference price moves to the price seen.

    ``depth`` is the price cut paid today, ``promo`` the part of it that is a promotion
    (a standing member price is not one, see :meth:`lab.plan.DayPlan.offer`): only
    promotions tire.  Without a price cut the reference price recovers towards list price.
    """
    if p.fatigue_on:
        if promo > 0.0:
            f += min(p.fatigue_gain_promo_day * promo / 0.2, 1.0) * (1.0 - f)  # deeper tires more
        if contact_fatigue > 0.0:
            f += min(contact_fatigue, 1.0) * (1.0 - f)
    if p.refprice_on:
        if depth > 0.0:
            r += p.refprice_learn * ((1.0 - depth) - r)
        else:
            r += p.refprice_recover * (1.0 - r)
    return f, r


@njit(cache=True, inline="always")
def annoyance(ld, nc, blocked, tolerance, p, keys, day, rk):
    """Above tolerance, each of today's contacts may get the brand blocked/deleted.

    ``ld`` is the load with today's contacts; returns True if the customer blocks today.
    """
    if nc > 0 and not blocked:
        excess = ld * p.load_to_week / tolerance - 1.0
        if excess > 0.0:
            p_one = min(p.block_hazard * excess, 1.0)
            p_block = 1.0 - (1.0 - p_one) ** nc
            return u01_scalar(keys.block, day, rk) < p_block
    return False


@njit(cache=True, inline="always")
def carryover(stock, lift_today, p):
    """Contact carry-over: yesterday's stock decays, today's contacts add their lift.

    Returns the stock, which is the contact lift acting on today's purchase rate.
    Stocks below 0.1% of lift are dropped.
    """
    s = stock * p.carry_keep + lift_today
    return s if s >= 1e-3 else 0.0


@njit(cache=True, inline="always")
def habit(n_orders, p):
    """Habit strength 0..1 from the orders placed so far (0 when habit is off)."""
    if p.habit_on:
        return min(n_orders, p.habit_orders) / p.habit_orders
    return 0.0


@njit(cache=True, inline="always")
def referred_bond(referrer, tenure, referrer_dropout_day, day, p, bound=False):
    """A referred customer's (purchase-rate, dropout) multipliers; 1, 1 for others.

    The early boost decays with tenure; the bond removes a share of the daily dropout
    hazard until the day after the referrer dropped out (Van den Bulte et al. 2018).
    ``bound=True`` gives the boost's upper bound ``1 + boost`` without the ``exp`` (when
    the decay factor is at most 1 and the boost not negative), the same bond.
    """
    if not p.referred_on or referrer < 0:
        return 1.0, 1.0
    x = p.referred_boost_log_keep * tenure
    if bound and x <= 0.0 and p.referred_boost >= 0.0:
        boost = 1.0 + p.referred_boost
    else:
        boost = 1.0 + p.referred_boost * math.exp(x)
    if referrer_dropout_day < 0 or referrer_dropout_day >= day:
        return boost, 1.0 - p.referred_retention
    return boost, 1.0


@njit(cache=True, inline="always")
def early_burst(age, p):
    """Purchase-rate multiplier of the day at ``age`` days since the first order.

    The mean of ``1 + beta exp(-s / tau)`` over the day's ages ``(age - 1, age]``:
    ``1 + b exp(-(age - 1) / tau)`` with ``b = beta tau (1 - e^(-1/tau))``
    (``p.burst_boost``, the first day's mean, set by the model), the convention of the
    calibration's fit.  The day of the first order itself (age 0, a known customer
    joining with its first order booked) counts as the first day.  An unknown first
    purchase (``first_purchase`` -2**31) makes the age billions of days, so the
    multiplier is 1.  Past 50 e-foldings it is 1 without the ``exp`` (``b <= beta``, and
    ``beta e^-50`` is below 1e-20 for beta <= 20: ``1 + b e^-x`` rounds to 1.0).
    """
    x = max(age - 1, 0) * p.burst_inv_tau
    if x > 50.0:
        return 1.0
    return 1.0 + p.burst_boost * math.exp(-x)


@njit(cache=True, inline="always")
def purchase_rates(
    base, deal, contact_lift, blocked, first, trial_open, depth, f, r, p, bound=False
):
    """Today's order rates (full order, trial product), 1/day.

    ``base`` = propensity x strategy multiplier x trust x habit (x stock left); then
    the price effect (:func:`lab.agents.promo_mechanisms.price_effect`: today's price
    against list and reference price; ``deal`` is the conditioned deal sensitivity),
    the contact lift (both damped by fatigue), the blocked factor, and before the
    first order the action cost, when a trial product may be taken instead.

    ``bound=True``: upper bounds of both rates, from the price effect's bound (no
    ``exp``) and a ``base`` that is itself one.  Rounding is monotone, so a product of
    non-negative factors cannot fall when a factor grows; where a factor is negative
    (or NaN) the bound is ``inf``, which decides nothing.

    A factor that does not apply is 1 (``x * 1.0`` is ``x``, bit for bit), chosen by a
    select, not a branch: whether it applies changes from one customer to the next.
    """
    damp = 1.0 - p.fatigue_damping * f if p.fatigue_on else 1.0
    m = price_effect(deal, depth, damp, r, p, bound)
    lift = 1.0 + contact_lift * damp if contact_lift > 0.0 else 1.0
    blocking = p.blocked_factor if blocked else 1.0
    barrier = 1.0 - p.action_cost if first and p.first_order_on else 1.0
    lam = base * m * lift * blocking * barrier
    lam_trial = 0.0
    if first and p.first_order_on and p.trial_on and trial_open:
        lam_trial = lam * p.trial_uptake
    if bound and not (
        (base >= 0.0) & (m >= 0.0) & (lift >= 0.0) & (blocking >= 0.0) & (barrier >= 0.0)
    ):
        return math.inf, 0.0
    return lam, lam_trial


@njit(cache=True, inline="always")
def standing_response(deal, depth, f, r, share, p):
    """Factor that keeps ``share`` of a standing price's purchase response (headroom).

    The rates of :func:`purchase_rates` carry the price effect ``m`` of today's price
    (the standing one, e.g. a member price); this turns ``m`` into ``1 + share x (m -
    1)``.  A strategy sets ``share`` per customer (:meth:`lab.plan.DayPlan.
    standing_price_response`); 1 leaves the rate as it was.
    """
    damp = 1.0 - p.fatigue_damping * f if p.fatigue_on else 1.0
    m = price_effect(deal, depth, damp, r, p)
    if m <= 0.0:
        return 1.0
    return (1.0 + share * (m - 1.0)) / m


#: margin above the rate within which :func:`purchase` computes ``1 - exp(-rate)`` (its
#: rounding error is below 1e-15; ``1 - exp(-x) < x`` for every x > 0)
_EXP_MARGIN = 1e-12


@njit(cache=True, inline="always")
def surely_no_order(lam_bound, lam_trial_bound, keys, day, rk):
    """True if :func:`purchase` decides "no order" at any rates up to these bounds.

    Its first test (``u >= rate + margin`` without a trial rate) holds for the bound,
    so it holds for the rate (rounding is monotone); a trial rate bounded by 0 is 0.
    """
    return lam_trial_bound == 0.0 and u01_scalar(keys.purchase, day, rk) >= lam_bound + _EXP_MARGIN


@njit(cache=True, inline="always")
def purchase(lam, lam_trial, keys, day, rk):
    """Order today with P = 1 - exp(-rate): 0 none, 1 a full order, 2 a trial product."""
    u = u01_scalar(keys.purchase, day, rk)
    if lam_trial == 0.0 and u >= lam + _EXP_MARGIN:
        return 0  # u >= rate > 1 - exp(-rate): no order, without computing the exp
    p_full = 1.0 - math.exp(-lam)
    if u < p_full:
        return 1
    if lam_trial != 0.0:  # without a trial rate P(trial) is 0 (one exp fewer, same result)
        p_trial = (1.0 - math.exp(-lam_trial)) * (1.0 - p_full)
        if u < p_full + p_trial:
            return 2
    return 0


@njit(cache=True, inline="always")
def purchase_clock(lam, lam_trial, phase, p, keys, day, rk):
    """Erlang-k clock: order when ``k`` stages (each at rate ``k x rate``) are done.

    The mean rate is kept (an order per ``k`` stages) but an order right after the
    last one is unlikely.  Returns (0 none / 1 full order / 2 trial product, phase).
    """
    total = lam + lam_trial
    phase += _poisson_from_uniform(p.timing_k * total, u01_scalar(keys.purchase_clock, day, rk))
    if phase < p.timing_k:
        return 0, phase
    phase = min(phase - p.timing_k, p.timing_k - 1.0)  # at most one order a day
    if u01_scalar(keys.purchase, day, rk) * total < lam:
        return 1, phase
    return 2, phase


@njit(cache=True, inline="always")
def trust_after_order(t, bought, p):
    """Trust after an order (a trial product builds extra trust first)."""
    if bought == 2:
        t += p.trial_trust_gain * (1.0 - t)
    return t + p.trust_gain * (1.0 - t)


@njit(cache=True, inline="always")
def dropout_after_purchase(p_drop, mult, n_orders, p, keys, day, rk):
    """After a full order the customer may leave for good (BG/NBD); habit protects."""
    if not p.drop_purchase_on:
        return False
    hd = min(n_orders, p.habit_orders) / p.habit_orders if p.habit_on else 0.0
    p_dp = p_drop * mult * (1.0 - p.habit_dropout_reduction * hd)
    return u01_scalar(keys.dropout_after_purchase, day, rk) < p_dp


@njit(cache=True, inline="always")
def referral(propensity, friends_mult, p, keys, day, rk):
    """A buyer may share with friends (裂变): -1 no share, else the friends reached.

    ``propensity`` includes today's plan multiplier on sharing, ``friends_mult`` scales
    the mean friends per share (both 1 unless referral terms hold for some customers only).
    """
    if p.referral_on and u01_scalar(keys.referral_share, day, rk) < propensity * p.share_factor:
        return _poisson_from_uniform(
            p.friends_per_share * friends_mult, u01_scalar(keys.referral_friends, day, rk)
        )
    return -1


@njit(cache=True, inline="always")
def daily_dropout(p_drop, mult, h, p, keys, day, rk):
    """Constant daily hazard of leaving for good (habit, as of this morning, protects)."""
    if not p.drop_day_on:
        return False
    p_dd = p_drop * mult * (1.0 - p.habit_dropout_reduction * h)
    return u01_scalar(keys.dropout_per_day, day, rk) < p_dd


@njit(cache=True, inline="always")
def lifecycle(day, last_purchase, has_ordered, p):
    """Stage code from days since the last order (活跃/沉默/睡眠/流失; prospect if none)."""
    return _stage(
        day - last_purchase, has_ordered, p.days_to_silent, p.days_to_sleeping, p.days_to_churned
    )


# --------------------------------------------------------------------------- the loop
@njit(cache=True)
def step_customers(lo, hi, day, c, plan, p, keys, out, kpi, sums=None):
    """Advance customers ``lo .. hi-1`` by one day: the mechanisms of :data:`MECHANISMS`.

    One chunk of :func:`step_population`.  Reads and writes the bundles ``c``
    (customers) and ``plan`` at rows ``lo .. hi-1`` only (and reads the referrer's
    dropout day, whose value today does not change the result; a plan array whose
    group is switched off, :data:`PLAN_GROUPS`, is not read); writes the chunk's
    buyers to ``out.buy_*[lo:]`` and sharers to ``out.share_*[lo:]``, adds the
    chunk's counts to ``kpi`` (slots ``K``) and returns the numbers of buyers and
    sharers.  Counts only: a sum of floats goes in :func:`_float_sums`, which adds in
    customer order whatever the chunks; or, when every chunk runs in order on one
    thread, into ``sums`` (2 floats: fatigue, reference price of the customers still
    in the pool) as each customer's day ends: the same additions in the same order,
    without a second pass over the pool.
    """
    nb = lo
    ns = lo
    for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound
        # the brand counts contacts and offers for everyone (it cannot tell who left)
        # (counts without branches: adding 0 changes nothing, and who is contacted today
        # follows no pattern a branch predictor could learn)
        # (a plan array no strategy wrote today holds its default: used, not read)
        nc = plan.n_contacts[i] if p.plan_contacts else np.uint8(0)
        kpi[K.contacts] += nc
        kpi[K.customers_contacted] += nc > 0
        if p.plan_contacts:  # else nothing to add
            c.contacts_received[i] += nc
        depth = plan.offer_depth[i] if p.plan_offers else np.float32(0.0)
        promo = depth  # the promotional part; a standing (member) price is no promotion
        if depth > 0.0:
            kpi[K.offered] += 1.0
        if p.plan_standing and plan.standing_depth[i] > depth:
            depth = plan.standing_depth[i]
        if c.alive[i]:
            rk = c.rkey[i]
            f, ld = decay(c.fatigue[i], c.contact_load[i], p)
            cf = plan.contact_fatigue[i] if p.plan_contacts else np.float32(0.0)
            f, r = exposure(f, c.ref_price[i], depth, promo, cf, p)
            if p.fatigue_on:
                c.fatigue[i] = f
            if p.refprice_on:
                c.ref_price[i] = r
            if p.annoy_on:
                ld = ld + (plan.contact_load[i] if p.plan_contacts else np.float32(0.0))
                c.contact_load[i] = ld
                # (without contacts no block: the tolerance is read only with some)
                if nc > 0 and annoyance(ld, nc, c.blocked[i], c.tolerance[i], p, keys, day, rk):
                    c.blocked[i] = True
                    c.day_blocked[i] = day
                    kpi[K.new_blocks] += 1.0
            lift = plan.contact_lift[i] if p.plan_contacts else np.float32(0.0)
            if p.carry_on:
                lift = carryover(c.contact_stock[i], lift, p)
                c.contact_stock[i] = lift
            no = c.n_orders[i]
            h = habit(no, p)
            # (a customer's referrer and join day are read only where the bond can apply)
            ref = c.referrer[i] if p.referred_on else np.int32(-1)
            tenure = day - c.cohort_day[i] if ref >= 0 else np.int32(0)
            # the bond as if the referrer stays: whether they do is looked up (a read
            # anywhere in memory) only on the rare day the dropout draw depends on it;
            # the boost is first only bounded (below)
            boost, bond = referred_bond(ref, tenure, -1, day, p, True)
            pm = plan.purchase_mult[i] if p.plan_purchase else np.float32(1.0)
            base = c.propensity[i] * pm * c.trust[i] * (1.0 + p.habit_lift * h)
            cond, stock, r = promo_memory(c.deal_cond[i], c.promo_stock[i], r, promo, p)
            if p.stock_on:
                base *= 1.0 - stock
            if p.season_on:
                base *= p.season_mult
            if p.burst_on:  # age from the first order (-2**31 if unknown: no burst)
                base *= early_burst(day - c.first_purchase[i], p)
            deal = deal_sensitivity(c.deal_proneness[i], cond, p)
            blocked, first = c.blocked[i], no == 0
            trial_open = p.trial_on and c.n_trials[i] == 0  # (only read where it can matter)
            standing = (
                p.plan_standing
                and plan.standing_response[i] != 1.0
                and plan.standing_depth[i] > promo
            )
            clock = p.timing_erlang and c.has_ordered[i]
            # most days the uniform is above even an upper bound of the rate, found
            # without the exps of the boost and the price effect: no order, decided as
            # purchase() would decide it; otherwise the exact rates
            lam, lam_trial = purchase_rates(
                base * boost, deal, lift, blocked, first, trial_open, depth, f, r, p, True
            )
            if not standing and not clock and surely_no_order(lam, lam_trial, keys, day, rk):
                bought = 0
            else:
                boost, bond = referred_bond(ref, tenure, -1, day, p)
                lam, lam_trial = purchase_rates(
                    base * boost, deal, lift, blocked, first, trial_open, depth, f, r, p
                )
                if standing:
                    adj = standing_response(deal, depth, f, r, plan.standing_response[i], p)
                    lam *= adj
                    lam_trial *= adj
                if clock:
                    bought, phase = purchase_clock(
                        lam, lam_trial, c.purchase_phase[i], p, keys, day, rk
                    )
                    c.purchase_phase[i] = phase
                else:
                    bought = purchase(lam, lam_trial, keys, day, rk)
            if bought > 0:
                out.buy_slot[nb] = i
                out.buy_price[nb] = 1.0 - depth if bought == 1 else 1.0
                out.buy_trial[nb] = bought == 2
                nb += 1
                kpi[K.orders] += 1.0
                c.last_purchase[i] = day
                if not c.has_ordered[i]:  # the first order the pool sees: the burst's age 0
                    c.first_purchase[i] = day
                c.has_ordered[i] = True
                c.trust[i] = trust_after_order(c.trust[i], bought, p)
                if bought == 1:
                    routine = h if p.habit_on else 1.0
                    stock = stock_after_order(stock, promo, routine, p)
                    c.trust[i] = trust_after_deal(c.trust[i], promo, routine, p)
                    kpi[K.first_orders] += no == 0
                    kpi[K.promo_orders] += promo > 0.0
                    no += 1
                    c.n_orders[i] = no
                    dm = plan.dropout_mult[i] if p.plan_dropout else np.float32(1.0)
                    mult = dm / boost  # boosted orders add no churn
                    if dropout_after_purchase(c.p_drop_purchase[i], mult, no, p, keys, day, rk):
                        c.alive[i] = False
                        c.day_dropout[i] = day
                        kpi[K.dropouts] += 1.0
                else:
                    kpi[K.trial_orders] += 1.0
                    c.n_trials[i] += 1
                sm = plan.share_mult[i] if p.plan_referral else np.float32(1.0)
                fm = plan.friends_mult[i] if p.plan_referral else np.float32(1.0)
                friends = referral(c.referral_propensity[i] * sm, fm, p, keys, day, rk)
                if friends >= 0:
                    kpi[K.shares] += 1.0
                if friends > 0:
                    out.share_slot[ns] = i
                    out.share_friends[ns] = friends
                    ns += 1
                    kpi[K.referred] += friends
            if p.cond_on:
                c.deal_cond[i] = cond
                if p.refprice_on:
                    c.ref_price[i] = r
            if p.stock_on:
                c.promo_stock[i] = stock
            if c.alive[i]:
                # the larger hazard first: only if it drops the customer does the bond matter
                # (a product of non-negative floats never falls when one factor grows)
                dm = plan.dropout_mult[i] if p.plan_dropout else np.float32(1.0)
                gone = daily_dropout(c.p_drop_day[i], dm * max(bond, 1.0), h, p, keys, day, rk)
                if gone and bond != 1.0:
                    _, bond = referred_bond(ref, tenure, c.day_dropout[ref], day, p)
                    gone = daily_dropout(c.p_drop_day[i], dm * bond, h, p, keys, day, rk)
            else:
                gone = False
            if gone:
                c.alive[i] = False
                c.day_dropout[i] = day
                kpi[K.dropouts] += 1.0
        st = lifecycle(day, c.last_purchase[i], c.has_ordered[i], p)
        if c.stage[i] != st:  # mostly unchanged: a line written back only if it changed
            c.stage[i] = st
        kpi[K.prospect + st] += 1.0
        kpi[K.blocked_total] += c.blocked[i]
        kpi[K.alive] += c.alive[i]
        if sums is not None and c.alive[i]:  # as _float_sums adds them
            sums[0] += c.fatigue[i]
            sums[1] += c.ref_price[i]
    return nb - lo, ns - lo


#: customers per chunk of the daily loop: fixed, so results never depend on threads
CHUNK = 4096
#: fewer chunks than this run on the calling thread (a small pool gains nothing from
#: threads and would pay their start-up every day); same chunks, same result
PARALLEL_MIN_CHUNKS = 4
#: floats between the starts of two chunks' KPI rows (:func:`kpi_rows_for_chunks`)
KPI_ROW_STRIDE = 64


@njit(cache=True)
def kpi_rows_for_chunks(n_chunks, n_kpi):
    """Zeroed KPI rows, one per chunk, each on cache lines of its own.

    Every customer's day adds to its chunk's row, and neighbouring chunks run on
    different threads at the same time: rows packed back to back (20 floats, 160 bytes)
    share a 64-byte line, which would then move between the cores at every addition
    (false sharing; a precaution: alone it made no measurable difference).  Rows start
    :data:`KPI_ROW_STRIDE` floats (512 bytes) apart, so at least 352 bytes lie between
    two rows whatever the allocation's alignment.  Returns the ``(n_chunks, stride)``
    array (C-contiguous, so a row is a contiguous array the loop indexes without
    strides); only the first ``n_kpi`` columns are counts.
    """
    stride = max(KPI_ROW_STRIDE, n_kpi + 16)
    return np.zeros((n_chunks, stride), dtype=np.float64)


@njit(cache=True)
def _float_sums(n, c, kpi):
    """Float sums over customers still in the pool, added in customer order."""
    f = 0.0
    r = 0.0
    for i in range(n):
        if c.alive[i]:
            f += c.fatigue[i]
            r += c.ref_price[i]
    kpi[K.fatigue_sum] = f
    kpi[K.ref_price_sum] = r


@njit(cache=True)
def _gather(dst, src, starts, counts):
    """Move each chunk's block ``src[starts[k] : starts[k] + counts[k]]`` to the front, in order."""
    m = 0
    for k in range(starts.size):
        s = starts[k]
        for j in range(counts[k]):
            dst[m + j] = src[s + j]
        m += counts[k]
    return m


@njit(cache=True, parallel=True)
def _chunks_on_threads(n, day, c, plan, p, keys, out, chunk, threads, kpis, starts, n_buy, n_share):
    """Run every chunk, dealt round-robin to ``threads`` threads (the only parallel region).

    Nothing else lives in this function: under ``parallel=True`` numba turns array
    expressions (``np.zeros``, ``kpi[:] = 0.0``, ``kpi += row``) into parallel loops of their
    own, each a start and a wait of the threads; the row sums that followed the chunks
    here made hundreds of them a day (one per chunk), which cost two threads more than
    the second thread gained.  Chunks go round-robin (thread t: chunks t, t + threads,
    ...), not a block each: newer slots hold more live and referred customers, so blocks
    of the pool cost unequal time and a thread would wait for the other.
    """
    n_chunks = starts.size
    for t in prange(threads):
        for k in range(t, n_chunks, threads):
            lo = k * chunk
            starts[k] = lo
            n_buy[k], n_share[k] = step_customers(
                lo, min(lo + chunk, n), day, c, plan, p, keys, out, kpis[k]
            )


@njit(cache=True)
def _end_of_loop(n, c, out, kpis, starts, n_buy, n_share, sums, serial):
    """The day's KPI row, float sums and the buyers and sharers gathered in chunk order."""
    kpi = out.kpi
    kpi[:] = 0.0
    for k in range(starts.size):  # counts: exact in any order, added in chunk order anyway
        kpi += kpis[k, : kpi.size]
    if serial:
        kpi[K.fatigue_sum] = sums[0]
        kpi[K.ref_price_sum] = sums[1]
    else:
        _float_sums(n, c, kpi)
    nb = _gather(out.buy_slot, out.buy_slot, starts, n_buy)
    _gather(out.buy_price, out.buy_price, starts, n_buy)
    _gather(out.buy_trial, out.buy_trial, starts, n_buy)
    ns = _gather(out.share_slot, out.share_slot, starts, n_share)
    _gather(out.share_friends, out.share_friends, starts, n_share)
    return nb, ns


@njit(cache=True)
def step_population(n, day, c, plan, p, keys, out, chunk, threads):
    """Advance customers ``0 .. n-1`` by one day, chunks of ``chunk`` on numba's threads.

    ``threads`` is ``numba.get_num_threads()`` (1: the chunks run on this thread).
    Each chunk runs :func:`step_customers` into its own KPI row and its own stretch
    of the output buffers; the rows are then summed and the buyers and sharers
    gathered in chunk order, and the float sums added in customer order (during the
    loop when it runs on one thread, :func:`_float_sums` after it otherwise).  Every
    draw is keyed on (stream, day, customer), so the result is bit-identical for any
    number of threads (``NUMBA_NUM_THREADS``).  Only the chunk loop runs in a parallel
    region (:func:`_chunks_on_threads`).  Returns the numbers of buyers and sharers,
    which lead ``out.buy_*`` and ``out.share_*``.
    """
    n_chunks = (n + chunk - 1) // chunk
    kpis = kpi_rows_for_chunks(n_chunks, out.kpi.size)
    starts = np.empty(n_chunks, dtype=np.int64)
    n_buy = np.zeros(n_chunks, dtype=np.int64)
    n_share = np.zeros(n_chunks, dtype=np.int64)
    serial = n_chunks < PARALLEL_MIN_CHUNKS or threads < 2  # no thread start-up cost
    sums = np.zeros(2, dtype=np.float64)
    if serial:  # chunks in customer order: the float sums added as the loop goes
        for k in range(n_chunks):
            lo = k * chunk
            starts[k] = lo
            n_buy[k], n_share[k] = step_customers(
                lo, min(lo + chunk, n), day, c, plan, p, keys, out, kpis[k], sums
            )
    else:
        _chunks_on_threads(
            n, day, c, plan, p, keys, out, chunk, threads, kpis, starts, n_buy, n_share
        )
    return _end_of_loop(n, c, out, kpis, starts, n_buy, n_share, sums, serial)


class Mechanism(NamedTuple):
    """One step of a customer's day, bound to the function that runs it."""

    name: str
    what: str
    run: object


#: a customer's day, in order (``lab explain`` prints it with file:line)
MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("decay", "fatigue and remembered contact load decay", decay),
    Mechanism("exposure", "offers and contacts raise fatigue and move the reference price", exposure),
    Mechanism("annoyance", "contacts above tolerance may lead to a block/delete", annoyance),
    Mechanism("contact carry-over", "recent contacts' lift carries over as a decaying stock (worn-out content types add less)", carryover),
    Mechanism("referred bond", "a referred customer's early purchase boost (fades with tenure) and lower dropout while the referrer stays", referred_bond),
    Mechanism("promotion memory", "deal conditioning grows with offers and relaxes; the stock bought on promotion is used up", promo_memory),
    Mechanism("early burst", "a customer buys faster in the first weeks after the first order (fades with the age)", early_burst),
    Mechanism("standing-price headroom", "a standing (member) price lifts purchases only on the share a strategy leaves (membership headroom)", standing_response),
    Mechanism("purchase", "each customer orders with P = 1 - exp(-rate); prospects face the conversion barriers or take the trial", purchase),
    Mechanism("dropout after purchase, referral", "buyers may leave for good (BG/NBD) or share with friends (fission)", dropout_after_purchase),
    Mechanism("daily dropout", "constant hazard of leaving for good", daily_dropout),
    Mechanism("lifecycle", "stage from days since the last order: active, silent, sleeping, churned", lifecycle),
)  # fmt: skip
