"""Kernel mechanisms of promotion response (config: :mod:`lab.configs.promotion`).

Each is an ``@njit(inline="always")`` function on one customer's values, called by
:func:`lab.agents.behaviour.step_customers`; ``p`` is the kernel's ``KernelParams``.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "deal_sensitivity",
    "price_effect",
    "promo_memory",
    "stock_after_order",
    "trust_after_deal",
]


@njit(cache=True, inline="always")
def promo_memory(cond, stock, r, depth, p):
    """A day passes: conditioning relaxes and grows with today's offer; stock is used up.

    A conditioned customer also anchors more on the deal price: the reference price
    takes an extra ``anchoring x cond x learning rate`` step towards today's promotion
    price (customers who learned to expect deals wait for them; Mela, Gupta & Lehmann
    1997).  Returns the new (deal conditioning, promotion stock, reference price).
    """
    if p.cond_on:
        cond *= p.cond_keep
        if depth > 0.0:
            cond += min(p.cond_gain * depth / 0.2, 1.0) * (1.0 - cond)  # deeper conditions more
            if p.refprice_on:
                r += min(p.refprice_learn * p.cond_anchor * cond, 1.0) * ((1.0 - depth) - r)
    if p.stock_on:
        stock *= p.stock_keep
    return cond, stock, r


@njit(cache=True, inline="always")
def deal_sensitivity(deal, cond, p):
    """Deal proneness raised by conditioning: ``deal x (1 + lift x cond)``."""
    if p.cond_on:
        return deal * (1.0 + p.cond_lift * cond)
    return deal


@njit(cache=True, inline="always")
def price_effect(deal, depth, damp, r, p, bound=False):
    """Multiplier of the purchase rate from today's price (share ``1 - depth`` of list).

    Loss aversion on: the promotion lift acts on the cut off list price (damped by
    fatigue), and the reference-price effect is asymmetric: ``exp(g x gap)`` below the
    reference, ``exp(loss x gap)`` above it, with ``g = loss / loss_aversion``.
    Off: the lift acts on the gap below the reference price, the penalty above it.

    ``bound=True`` gives an upper bound without the ``exp`` where one is at most 1 (its
    exponent is not positive and what it multiplies is not negative): the multiplier
    with that factor left out.  The same multiplier otherwise.
    """
    gap = r - (1.0 - depth)
    if p.loss_on:
        m = 1.0
        if depth > 0.0:
            m = 1.0 + p.promo_lift * deal * depth * damp
        if gap > 0.0:
            x = p.full_price_penalty / p.loss_aversion * deal * gap
        elif gap < 0.0:
            x = p.full_price_penalty * deal * gap
        else:
            return m
        if bound and x <= 0.0 and m >= 0.0:
            return m
        return m * math.exp(x)
    if gap > 0.0:
        return 1.0 + p.promo_lift * deal * gap * damp
    if gap < 0.0:
        x = p.full_price_penalty * deal * gap
        if bound and x <= 0.0:
            return 1.0
        return math.exp(x)
    return 1.0


@njit(cache=True, inline="always")
def stock_after_order(stock, depth, h, p):
    """Stock after an order on a promotion: pull-forward x depth/20% x habit strength."""
    if p.stock_on and depth > 0.0:
        stock += min(p.stock_pull * depth / 0.2 * h, 1.0) * (1.0 - stock)
    return stock


@njit(cache=True, inline="always")
def trust_after_deal(t, depth, h, p):
    """A new customer's order on a promotion builds trust (a good first deal).

    Adds ``gain x depth/20% x (1 - habit)`` of the missing trust: customers still
    forming a habit learn the brand is worth coming back to (Anderson & Simester 2004:
    deeper discounts raise first-time customers' future purchases).
    """
    if p.first_deal_on and depth > 0.0:
        t += min(p.first_deal_gain * depth / 0.2 * (1.0 - h), 1.0) * (1.0 - t)
    return t
