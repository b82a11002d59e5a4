"""How customers respond each day: one fused numba loop over the population.

For every customer, in this order (``lab explain`` prints the same list):

1. **decay**: fatigue and the remembered contact load decay;
2. **exposure**: today's offer and contacts raise fatigue (促销疲劳) and move the
   reference price (参考价格) towards the price seen, or back towards list price;
3. **annoyance**: contacts on a load above the customer's tolerance may make them
   block or delete the account (拉黑/删除); blocked customers cannot be reached;
4. **purchase**: rate = propensity x trust x habit x price effect x contact lift x
   strategy multiplier (x blocked factor; x (1 - action cost) before the first
   order, when a trial product may be taken instead); P(order today) = 1 - exp(-rate);
5. **dropout after purchase** (BG/NBD) and **referral sharing** (裂变) by buyers;
6. **daily dropout hazard** (永久流失);
7. **lifecycle stage** from days since the last order (活跃/沉默/睡眠/流失).

All randomness is :func:`lab.rng.u01_scalar` on (stream, day, customer key), so the
loop is order-free: the result does not depend on how customers are laid out or
split across threads.  The parameter vector layout is :data:`PARAMS`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from lab.rng import u01_scalar

__all__ = ["KERNEL_STREAMS", "KPI", "PARAMS", "pack_params", "poisson_inverse", "step_customers"]

#: streams the kernel draws from, in the order of its ``keys`` argument
KERNEL_STREAMS = (
    "purchase",
    "block",
    "dropout_after_purchase",
    "dropout_per_day",
    "referral_share",
    "referral_friends",
)

#: names of the kernel's parameter vector, in order
PARAMS = (
    "fatigue_on", "fatigue_keep", "fatigue_gain_promo_day", "fatigue_damping",
    "refprice_on", "refprice_learn", "refprice_recover",
    "annoy_on", "load_keep", "load_to_week", "block_hazard",
    "promo_lift", "full_price_penalty", "blocked_factor", "trust_gain",
    "habit_on", "habit_orders", "habit_lift", "habit_dropout_reduction",
    "first_order_on", "action_cost", "trial_on", "trial_uptake", "trial_trust_gain",
    "drop_purchase_on", "drop_day_on",
    "referral_on", "share_factor", "friends_per_share",
    "days_to_silent", "days_to_sleeping", "days_to_churned",
)  # fmt: skip
_P = {name: i for i, name in enumerate(PARAMS)}

#: daily aggregates the kernel returns, in order
KPI = (
    "prospect", "active", "silent", "sleeping", "churned",
    "alive", "blocked_total", "new_blocks", "dropouts",
    "orders", "trial_orders", "promo_orders", "first_orders",
    "shares", "referred", "fatigue_sum", "ref_price_sum",
    "contacts", "customers_contacted", "offered",
)  # fmt: skip
_K = {name: i for i, name in enumerate(KPI)}


def pack_params(values: dict[str, float]) -> np.ndarray:
    """Build the kernel's parameter vector from a name -> value dict (all names needed)."""
    missing = set(PARAMS) - set(values)
    if missing:
        raise KeyError(f"missing kernel parameters: {sorted(missing)}")
    return np.array([float(values[name]) for name in PARAMS], dtype=np.float64)


@njit(cache=True, inline="always")
def _stage(days_since, has_ordered, t_silent, t_sleep, t_churn):
    if not has_ordered:
        return 0
    if days_since < t_silent:
        return 1
    if days_since < t_sleep:
        return 2
    if days_since < t_churn:
        return 3
    return 4


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


@njit(cache=True)
def step_customers(
    n, day, keys, prm,
    rkey, propensity, p_drop_purchase, p_drop_day, deal, tolerance, referral_prop,
    trust, fatigue, ref_price, load, n_orders, n_trials, last_purchase, has_ordered,
    stage, alive, day_dropout, blocked, day_blocked, contacts_received,
    purchase_mult, dropout_mult,
    offer_depth, c_lift, c_fatigue, c_load, n_contacts,
    buy_slot, buy_price, buy_trial, share_slot, share_friends, kpi,
):  # fmt: skip
    """Advance every customer by one day.  See the module docstring for the order.

    Writes buyers to ``buy_*`` and sharers to ``share_*``; returns their counts.
    ``kpi`` (length ``len(KPI)``) is filled with the day's aggregates.
    """
    k_buy, k_block, k_dp, k_dd, k_share, k_friends = (
        keys[0],
        keys[1],
        keys[2],
        keys[3],
        keys[4],
        keys[5],
    )
    fat_on = prm[0] > 0
    fat_keep = prm[1]
    fat_promo = prm[2]
    fat_damp = prm[3]
    ref_on = prm[4] > 0
    ref_learn = prm[5]
    ref_recover = prm[6]
    annoy_on = prm[7] > 0
    load_keep = prm[8]
    load_to_week = prm[9]
    block_h = prm[10]
    promo_lift = prm[11]
    fp_penalty = prm[12]
    blocked_factor = prm[13]
    trust_gain = prm[14]
    habit_on = prm[15] > 0
    habit_n = prm[16]
    habit_lift = prm[17]
    habit_drop = prm[18]
    fo_on = prm[19] > 0
    action_cost = prm[20]
    trial_on = prm[21] > 0
    trial_uptake = prm[22]
    trial_trust = prm[23]
    dp_on = prm[24] > 0
    dd_on = prm[25] > 0
    refl_on = prm[26] > 0
    share_factor = prm[27]
    friends_mu = prm[28]
    t_silent = prm[29]
    t_sleep = prm[30]
    t_churn = prm[31]

    for j in range(kpi.size):
        kpi[j] = 0.0
    nb = 0
    ns = 0
    for i in range(n):
        # the brand cannot tell who has left: contacts and offers count for everyone
        nc = n_contacts[i]
        if nc > 0:
            kpi[17] += nc
            kpi[18] += 1.0
            contacts_received[i] += nc
        depth = offer_depth[i]
        if depth > 0.0:
            kpi[19] += 1.0
        if not alive[i]:
            st = _stage(day - last_purchase[i], has_ordered[i], t_silent, t_sleep, t_churn)
            stage[i] = st
            kpi[st] += 1.0
            if blocked[i]:
                kpi[6] += 1.0
            continue
        rk = rkey[i]
        # 1-2. decay and exposure
        f = fatigue[i]
        if fat_on:
            f *= fat_keep
            if depth > 0.0:
                f += min(fat_promo * depth / 0.2, 1.0) * (1.0 - f)  # deeper cuts tire more
            cf = c_fatigue[i]
            if cf > 0.0:
                f += min(cf, 1.0) * (1.0 - f)
            fatigue[i] = f
        r = ref_price[i]
        if ref_on:
            if depth > 0.0:
                r += ref_learn * ((1.0 - depth) - r)
            else:
                r += ref_recover * (1.0 - r)
            ref_price[i] = r
        # 3. annoyance
        if annoy_on:
            ld = load[i] * load_keep + c_load[i]
            load[i] = ld
            if nc > 0 and not blocked[i]:
                excess = ld * load_to_week / tolerance[i] - 1.0
                if excess > 0.0:
                    p_one = min(block_h * excess, 1.0)
                    p_block = 1.0 - (1.0 - p_one) ** nc
                    if u01_scalar(k_block, day, rk) < p_block:
                        blocked[i] = True
                        day_blocked[i] = day
                        kpi[7] += 1.0
        # 4. purchase
        no = n_orders[i]
        h = 0.0
        if habit_on:
            h = min(no, habit_n) / habit_n
        lam = propensity[i] * purchase_mult[i] * trust[i] * (1.0 + habit_lift * h)
        damp = 1.0 - fat_damp * f if fat_on else 1.0
        gap = r - (1.0 - depth)
        if gap > 0.0:
            lam *= 1.0 + promo_lift * deal[i] * gap * damp
        elif gap < 0.0:
            lam *= math.exp(fp_penalty * deal[i] * gap)
        if c_lift[i] > 0.0:
            lam *= 1.0 + c_lift[i] * damp
        if blocked[i]:
            lam *= blocked_factor
        lam_trial = 0.0
        if no == 0 and fo_on:
            lam *= 1.0 - action_cost
            if trial_on and n_trials[i] == 0:
                lam_trial = lam * trial_uptake
        p_full = 1.0 - math.exp(-lam)
        p_trial = (1.0 - math.exp(-lam_trial)) * (1.0 - p_full)
        u = u01_scalar(k_buy, day, rk)
        bought = 0
        if u < p_full:
            bought = 1
        elif u < p_full + p_trial:
            bought = 2
        if bought > 0:
            buy_slot[nb] = i
            buy_price[nb] = 1.0 - depth if bought == 1 else 1.0
            buy_trial[nb] = bought == 2
            nb += 1
            kpi[9] += 1.0
            last_purchase[i] = day
            has_ordered[i] = True
            t = trust[i]
            if bought == 1:
                if no == 0:
                    kpi[12] += 1.0
                if depth > 0.0:
                    kpi[11] += 1.0
                no += 1
                n_orders[i] = no
            else:
                kpi[10] += 1.0
                n_trials[i] += 1
                t += trial_trust * (1.0 - t)
            trust[i] = t + trust_gain * (1.0 - t)
            # 5. dropout after purchase (BG/NBD) and referral sharing
            if bought == 1 and dp_on:
                hd = min(no, habit_n) / habit_n if habit_on else 0.0
                p_dp = p_drop_purchase[i] * dropout_mult[i] * (1.0 - habit_drop * hd)
                if u01_scalar(k_dp, day, rk) < p_dp:
                    alive[i] = False
                    day_dropout[i] = day
                    kpi[8] += 1.0
            if refl_on and u01_scalar(k_share, day, rk) < referral_prop[i] * share_factor:
                k = _poisson_from_uniform(friends_mu, u01_scalar(k_friends, day, rk))
                kpi[13] += 1.0
                if k > 0:
                    share_slot[ns] = i
                    share_friends[ns] = k
                    ns += 1
                    kpi[14] += k
        # 6. daily dropout hazard
        if alive[i] and dd_on:
            p_dd = p_drop_day[i] * dropout_mult[i] * (1.0 - habit_drop * h)
            if u01_scalar(k_dd, day, rk) < p_dd:
                alive[i] = False
                day_dropout[i] = day
                kpi[8] += 1.0
        # 7. lifecycle stage
        st = _stage(day - last_purchase[i], has_ordered[i], t_silent, t_sleep, t_churn)
        stage[i] = st
        kpi[st] += 1.0
        if blocked[i]:
            kpi[6] += 1.0
        if alive[i]:
            kpi[5] += 1.0
            kpi[15] += fatigue[i]
            kpi[16] += ref_price[i]
    return nb, ns
