"""Targeting by value (issue 17 item 3): spend and order-count quantiles, order counts.

DOMAIN.md's simple rule: the top 10% of buyers by spend are super users (超级用户);
the top 30% by repurchase count get key care (重点维护).  :class:`lab.strategies.base.Target`
holds the fields (``spend_top_share``, ``orders_top_share``, ``min_orders``,
``max_orders``); :func:`value_mask` applies them.  Quantiles are taken among the
customers who have bought (``n_orders > 0``), alive or not, since the brand cannot
tell who left; customers tied at the cut are all included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from lab.population import Population

__all__ = ["top_share_mask", "value_mask"]


def top_share_mask(values: np.ndarray, eligible: np.ndarray, share: float) -> np.ndarray:
    """Customers among ``eligible`` whose ``values`` are in the top ``share`` of them.

    The cut is the value of the ``ceil(share x eligible)``-th largest; everyone at or
    above it is selected (ties included), and nobody outside ``eligible``.
    """
    pool = values[eligible]
    if pool.size == 0:
        return np.zeros(values.size, dtype=bool)
    k = max(int(np.ceil(share * pool.size)), 1)
    cut = np.partition(pool, pool.size - k)[pool.size - k]
    return eligible & (values >= cut)


def value_mask(target: Any, pop: Population, m: np.ndarray) -> np.ndarray:
    """``m`` narrowed by ``target``'s value fields (each left out means "all")."""
    n = pop.n
    orders = pop.n_orders[:n]
    if target.min_orders is not None:
        m &= orders >= target.min_orders
    if target.max_orders is not None:
        m &= orders <= target.max_orders
    if target.min_level is not None:
        level = getattr(pop, "level", None)
        if level is None:
            raise ValueError("target.min_level needs a points strategy (it keeps the levels)")
        m &= level[:n] >= target.min_level
    if target.spend_top_share is not None:
        m &= top_share_mask(pop.spend[:n], orders > 0, target.spend_top_share)
    if target.orders_top_share is not None:
        m &= top_share_mask(orders, orders > 0, target.orders_top_share)
    return m
