"""Latent traits drawn at acquisition, one uniform per trait per customer.

Each trait is the inverse CDF of its distribution applied to a draw of the trait's
own stream keyed by the customer's identity, so the same person has the same
traits in every scenario and seed-paired comparisons stay paired.  Invitees can
share part of their inviter's traits through a Gaussian copula (friends resemble
each other): ``z = rho * z_inviter + sqrt(1 - rho^2) * z_own``, where ``z_inviter`` is
the normal score of the inviter's actual trait within the inviter's own channel, so
the correlation holds along whole referral chains.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import betainc, betaincinv, digamma, gammainc, gammaincinv, ndtr, ndtri

from lab.configs.traits import TraitDist, TraitSpec
from lab.rng import RandomStreams

__all__ = [
    "CORRELATED_TRAITS",
    "cdf",
    "draw_traits",
    "invert",
    "invert_exact",
    "inviter_uniforms",
    "spend_scale",
]

#: traits an invitee may share with the inviter (others are drawn independently)
CORRELATED_TRAITS = ("propensity", "basket", "deal_proneness", "referral_propensity")

_STREAM = {
    "propensity": "trait_propensity",
    "dropout_after_purchase": "trait_dropout_after_purchase",
    "dropout_per_day": "trait_dropout_per_day",
    "basket": "trait_basket_mean",
    "deal_proneness": "trait_deal_proneness",
    "contact_tolerance": "trait_contact_tolerance",
    "referral_propensity": "trait_referral_propensity",
    "trust": "trait_trust",
    "segment": "trait_segment",
}


_Z_GRID = np.linspace(-8.0, 8.0, 8193)  # normal scores; u in [6e-16, 1 - 6e-16]
_U_EPS = 1e-15


@lru_cache(maxsize=512)
def _quantile_table(kind: str, a: float, b: float) -> np.ndarray:
    """Exact quantiles on a grid of normal scores, in a transformed scale.

    Gamma quantiles are tabulated as log(q), beta quantiles as logit(q): both are
    smooth in the normal score z, so linear interpolation on 8193 points is
    accurate to ~1e-6 relative (tests/test_traits.py checks 1e-4) at a tenth of a
    microsecond per draw, where scipy's exact inversion costs over a microsecond.
    """
    u = ndtr(_Z_GRID)
    if kind == "gamma":
        q = gammaincinv(a, u)
        return np.log(np.maximum(q, 1e-300))
    q = np.clip(betaincinv(a, b, u), 1e-300, 1.0 - 1e-16)
    return np.log(q) - np.log1p(-q)


def invert(dist: TraitDist, u: np.ndarray) -> np.ndarray:
    """Map uniforms through the inverse CDF of ``dist`` (tabulated, see above)."""
    if dist.dist == "fixed" or dist.mean == 0:
        return np.full(np.shape(u), dist.mean, dtype=np.float64)
    z = ndtri(np.clip(u, _U_EPS, 1.0 - _U_EPS))
    if dist.dist == "gamma":
        y = np.interp(z, _Z_GRID, _quantile_table("gamma", dist.shape, 0.0))
        return np.exp(y) * (dist.mean / dist.shape)
    a = dist.mean * dist.concentration
    b = (1.0 - dist.mean) * dist.concentration
    y = np.interp(z, _Z_GRID, _quantile_table("beta", a, b))
    return 1.0 / (1.0 + np.exp(-y))


def invert_exact(dist: TraitDist, u: np.ndarray) -> np.ndarray:
    """Exact (slow) inverse CDF, the reference :func:`invert` is tested against."""
    if dist.dist == "fixed" or dist.mean == 0:
        return np.full(np.shape(u), dist.mean, dtype=np.float64)
    if dist.dist == "gamma":
        return gammaincinv(dist.shape, u) * (dist.mean / dist.shape)
    a = dist.mean * dist.concentration
    return betaincinv(a, (1.0 - dist.mean) * dist.concentration, u)


def cdf(dist: TraitDist, x: np.ndarray) -> np.ndarray | None:
    """Exact CDF of ``dist`` at ``x`` (``None`` for a fixed trait, which has no spread)."""
    if dist.dist == "fixed" or dist.mean == 0:
        return None
    if dist.dist == "gamma":
        return gammainc(dist.shape, np.asarray(x) * dist.shape / dist.mean)
    return betainc(dist.mean * dist.concentration, (1 - dist.mean) * dist.concentration, x)


def inviter_uniforms(spec_of: dict[str, TraitSpec], channels: list[str], values: dict) -> dict:
    """Where each inviter's correlated traits sit in their own channel's distribution.

    Parameters
    ----------
    spec_of : dict
        Channel name -> resolved TraitSpec.
    channels : list of str
        Each inviter's acquisition channel.
    values : dict
        Inviters' trait values: ``propensity``, ``deal_proneness``,
        ``referral_propensity`` and ``basket_rate`` arrays.

    Returns
    -------
    dict
        Trait name -> uniform in (0, 1) per inviter (NaN where the trait is fixed).
    """
    out = {name: np.full(len(channels), np.nan) for name in CORRELATED_TRAITS}
    chan = np.asarray(channels)
    for ch in np.unique(chan):
        rows = chan == ch
        spec = spec_of[str(ch)]
        for name, dist, x in (
            ("propensity", spec.propensity_per_day, values["propensity"][rows]),
            ("deal_proneness", spec.deal_proneness, values["deal_proneness"][rows]),
            ("referral_propensity", spec.referral_propensity, values["referral_propensity"][rows]),
        ):
            u = cdf(dist, x)
            if u is not None:
                out[name][rows] = u
        b = spec.basket
        gamma_rate = b.mean_order_value_cny * (b.shape_across_customers - 1) / b.shape_per_order
        if b.ratio_per_rate_doubling != 1.0:  # the inviter's own scale at its rate
            gamma_rate = gamma_rate * spend_scale(spec, values["propensity"][rows])
        out["basket"][rows] = gammainc(
            b.shape_across_customers, values["basket_rate"][rows] * gamma_rate
        )
    return out


def spend_scale(spec: TraitSpec, propensity: np.ndarray) -> np.ndarray:
    """How much more than at the geometric-mean rate customers with ``propensity`` spend
    per order: ``ratio ** log2(lambda / G)`` (``traits.*.basket.ratio_per_rate_doubling``;
    G = exp E[log lambda] of the channel's purchase-rate distribution; 1 for a fixed rate).
    """
    dist = spec.propensity_per_day
    ratio = spec.basket.ratio_per_rate_doubling
    if dist.dist != "gamma" or dist.mean == 0 or ratio == 1.0:
        return np.ones(np.shape(propensity))
    log_g = digamma(dist.shape) + np.log(dist.mean / dist.shape)
    log_rel = np.log(np.maximum(propensity, 1e-300)) - log_g
    return np.exp(np.log(ratio) / np.log(2.0) * log_rel)


def _uniforms(streams, name, keys, parent_u, rho):
    u = streams.uniform(_STREAM[name], 0, keys)
    if parent_u is None or rho <= 0 or name not in CORRELATED_TRAITS:
        return u
    up = parent_u[name]
    eps = 1e-12
    z_own = ndtri(np.clip(u, eps, 1 - eps))
    z_par = ndtri(np.clip(np.nan_to_num(up, nan=0.5), eps, 1 - eps))
    z = np.where(np.isnan(up), z_own, rho * z_par + np.sqrt(1 - rho**2) * z_own)
    return ndtr(z)


def draw_traits(
    spec: TraitSpec,
    streams: RandomStreams,
    keys: np.ndarray,
    segment_codes: dict[str, int],
    parent_u: dict[str, np.ndarray] | None = None,
    rho: float = 0.0,
) -> dict[str, np.ndarray]:
    """Draw every latent trait for customers with identity ``keys``.

    Parameters
    ----------
    spec : TraitSpec
        The channel's resolved trait distributions.
    streams : RandomStreams
        The run's streams.
    keys : numpy.ndarray of uint64
        Customer identity keys.
    segment_codes : dict
        Segment label -> code used in the population arrays.
    parent_u : dict, optional
        For invitees: where their inviter sits in each correlated trait's
        distribution (:func:`inviter_uniforms`), one value per customer.
    rho : float
        Copula correlation with the inviter.

    Returns
    -------
    dict
        Population column name -> values.
    """

    def u(name):
        return _uniforms(streams, name, keys, parent_u, rho)

    basket = spec.basket
    gamma_rate = (
        basket.mean_order_value_cny * (basket.shape_across_customers - 1) / (basket.shape_per_order)
    )
    # nu ~ Gamma(q, rate=gamma): orders of this customer are Gamma(p, rate=nu)
    nu_dist = TraitDist(
        dist="gamma", mean=basket.shape_across_customers, shape=basket.shape_across_customers
    )
    nu = invert(nu_dist, u("basket")) / gamma_rate
    propensity = invert(spec.propensity_per_day, u("propensity"))
    if basket.ratio_per_rate_doubling != 1.0:  # spend follows the purchase rate
        nu = nu / spend_scale(spec, propensity)
    labels = sorted(spec.segments)  # canonical order, so YAML and dict scenarios draw alike
    shares = np.array([spec.segments[s] for s in labels], dtype=np.float64)
    cum = np.cumsum(shares / shares.sum())
    seg_idx = np.minimum(np.searchsorted(cum, u("segment"), side="right"), len(labels) - 1)
    seg = np.array([segment_codes[s] for s in labels], dtype=np.int8)[seg_idx]
    return {
        "propensity": propensity,
        "p_drop_purchase": invert(spec.dropout_after_purchase, u("dropout_after_purchase")),
        "p_drop_day": invert(spec.dropout_per_day, u("dropout_per_day")),
        "basket_rate": np.maximum(nu, 1e-12),
        "deal_proneness": invert(spec.deal_proneness, u("deal_proneness")),
        "tolerance": np.maximum(
            invert(spec.contact_tolerance_per_week, u("contact_tolerance")), 1e-3
        ),
        "referral_propensity": invert(spec.referral_propensity, u("referral_propensity")),
        "trust": invert(spec.trust, u("trust")),
        "segment": seg,
    }
