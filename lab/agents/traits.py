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
from itertools import pairwise

import numpy as np
from numba import njit
from scipy.special import betainc, betaincinv, digamma, gammainc, gammaincinv, ndtr, ndtri

from lab.configs.traits import TraitDist, TraitSpec
from lab.rng import RandomStreams, u01_scalar

__all__ = [
    "CORRELATED_TRAITS",
    "TraitDrawer",
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


def inviter_uniforms(
    spec_of: dict[str, TraitSpec], channels: list[str] | np.ndarray, values: dict
) -> dict:
    """Where each inviter's correlated traits sit in their own channel's distribution.

    Parameters
    ----------
    spec_of : dict
        Channel name -> resolved TraitSpec.
    channels : list of str or numpy.ndarray of int
        Each inviter's acquisition channel: its name, or its position in ``spec_of``
        (codes, as the population stores them; no list of names to build per call).
    values : dict
        Inviters' trait values: ``propensity``, ``deal_proneness``,
        ``referral_propensity`` and ``basket_rate`` arrays.

    Returns
    -------
    dict
        Trait name -> uniform in (0, 1) per inviter (NaN where the trait is fixed).
    """
    out = {name: np.full(len(channels), np.nan) for name in CORRELATED_TRAITS}
    if isinstance(channels, np.ndarray) and channels.dtype.kind in "iu":  # codes of ``names``
        chan, names = channels, list(spec_of)
    else:
        chan, names = np.asarray(channels), None
    for ch in np.unique(chan):
        rows = chan == ch
        spec = spec_of[str(ch) if names is None else names[ch]]
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


# --------------------------------------------------------------------------- compiled draws
#: the columns :func:`draw_traits` returns (trust and segment included), in its order
_COLUMNS = (
    "propensity",
    "p_drop_purchase",
    "p_drop_day",
    "basket_rate",
    "deal_proneness",
    "tolerance",
    "referral_propensity",
    "trust",
)
_FIXED, _GAMMA, _BETA = 0, 1, 2


#: runs whose stream keys a drawer keeps (more: forgotten and looked up again)
_KEYS_KEPT = 256
#: customers a :meth:`TraitDrawer.draw` takes at a time: a bigger batch goes block by
#: block through scratch arrays that stay in cache (a million customers' uniforms,
#: normal scores and traits would be ~200 MB of fresh memory)
DRAW_BLOCK = 16384


class TraitDrawer:
    """:func:`draw_traits` for one channel's spec, its per-run constants computed once.

    Every number is the one :func:`draw_traits` draws, bit for bit: the uniforms are
    the same counter-based draws, the normal scores the same ``scipy.special.ndtri``
    and the exponentials the same ``numpy.exp`` (one call each over all traits), the
    table interpolation the arithmetic of ``numpy.interp`` (compiled, in one pass), and
    the scaling, bounds and segment lookup the same IEEE operations.  What it saves is
    the per-call Python of some sixty small NumPy calls and a schema object per call:
    acquisition adds a handful of customers a day through several channels, so that
    fixed cost, not the customers, was the price of a small pool's day.

    Parameters
    ----------
    spec : TraitSpec
        The channel's resolved trait distributions.
    segment_codes : dict
        Segment label -> code used in the population arrays.
    """

    def __init__(self, spec: TraitSpec, segment_codes: dict[str, int]) -> None:
        basket = spec.basket
        gamma_rate = (
            basket.mean_order_value_cny
            * (basket.shape_across_customers - 1)
            / (basket.shape_per_order)
        )
        nu_dist = TraitDist(
            dist="gamma", mean=basket.shape_across_customers, shape=basket.shape_across_customers
        )
        # column -> (trait name of its stream, distribution, divisor or None, floor or None)
        rows = (
            ("propensity", spec.propensity_per_day, None, None),
            ("dropout_after_purchase", spec.dropout_after_purchase, None, None),
            ("dropout_per_day", spec.dropout_per_day, None, None),
            # the floor comes after the spend scale when spend follows the rate (draw_traits)
            ("basket", nu_dist, gamma_rate, None if self._scales_spend(spec) else 1e-12),
            ("deal_proneness", spec.deal_proneness, None, None),
            ("contact_tolerance", spec.contact_tolerance_per_week, None, 1e-3),
            ("referral_propensity", spec.referral_propensity, None, None),
            ("trust", spec.trust, None, None),
        )
        self._spec = spec
        self.names = tuple(r[0] for r in rows)
        kinds, consts, tables = [], [], []
        for _, dist, _, _ in rows:
            if dist.dist == "fixed" or dist.mean == 0:
                kinds.append(_FIXED)
                consts.append(float(dist.mean))
            elif dist.dist == "gamma":
                kinds.append(_GAMMA)
                consts.append(dist.mean / dist.shape)  # the scale invert() multiplies by
                tables.append(_quantile_table("gamma", dist.shape, 0.0))
            else:
                kinds.append(_BETA)
                consts.append(0.0)
                a = dist.mean * dist.concentration
                b = (1.0 - dist.mean) * dist.concentration
                tables.append(_quantile_table("beta", a, b))
        self._kind = np.array(kinds, dtype=np.int64)
        self._const = np.array(consts, dtype=np.float64)
        self._divide = np.array([r[2] is not None for r in rows], dtype=np.bool_)
        self._div = np.array([1.0 if r[2] is None else r[2] for r in rows], dtype=np.float64)
        self._has_floor = np.array([r[3] is not None for r in rows], dtype=np.bool_)
        self._floor = np.array([0.0 if r[3] is None else r[3] for r in rows], dtype=np.float64)
        self._drawn = np.flatnonzero(self._kind != _FIXED)  # rows with a spread
        self._negate = self._kind[self._drawn] == _BETA  # beta: exp(-y)
        #: the streams of the drawn rows, then the segment's
        self._streams = (*(_STREAM[self.names[r]] for r in self._drawn), _STREAM["segment"])
        self._correlated = tuple(
            (r, self.names[d])
            for r, d in enumerate(self._drawn)
            if self.names[d] in CORRELATED_TRAITS
        )
        #: per run (id of its streams): the streams and their keys of this drawer's rows
        self._keys_of: dict[int, tuple[RandomStreams, np.ndarray]] = {}
        #: the runs of the last :meth:`draw_many` and their stream keys
        self._table_of: tuple[list[RandomStreams], np.ndarray] | None = None
        self._tables = np.array(tables, dtype=np.float64).reshape(-1, _Z_GRID.size)
        labels = sorted(spec.segments)  # canonical order, as draw_traits
        shares = np.array([spec.segments[s] for s in labels], dtype=np.float64)
        self._cum = np.cumsum(shares / shares.sum())
        self._seg_code = np.array([segment_codes[s] for s in labels], dtype=np.int8)

    def draw(
        self,
        streams: RandomStreams,
        keys: np.ndarray,
        parent_u: dict[str, np.ndarray] | None = None,
        rho: float = 0.0,
    ) -> dict[str, np.ndarray]:
        """Every latent trait of customers with identity ``keys``, as :func:`draw_traits`.

        Parameters
        ----------
        streams : RandomStreams
            The run's streams.
        keys : numpy.ndarray of uint64
            Customer identity keys.
        parent_u : dict, optional
            For invitees, where the inviter sits in each correlated trait's
            distribution (:func:`inviter_uniforms`).
        rho : float
            Copula correlation with the inviter.

        Returns
        -------
        dict
            Population column name -> values (the columns and order of :func:`draw_traits`).
        """
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        n = keys.size
        stream_keys = self._stream_keys(streams)
        if n <= DRAW_BLOCK:
            u = np.empty((len(self._streams), n), dtype=np.float64)
            _uniform_rows(stream_keys, keys, u)
            return self._from_uniforms(u, parent_u, rho)
        # a big batch (a stock import's first day): block by block through scratch
        # arrays that stay in cache, every customer's numbers those of one call
        out = np.empty((len(_COLUMNS), n), dtype=np.float64)
        segment = np.empty(n, dtype=np.int8)
        rows = len(self._streams)
        u_buf = np.empty(rows * DRAW_BLOCK, dtype=np.float64)
        y_buf = np.empty((rows - 1) * DRAW_BLOCK, dtype=np.float64)
        o_buf = np.empty(len(_COLUMNS) * DRAW_BLOCK, dtype=np.float64)
        for lo in range(0, n, DRAW_BLOCK):
            hi = min(lo + DRAW_BLOCK, n)
            b = hi - lo
            u = u_buf[: rows * b].reshape(rows, b)
            _uniform_rows(stream_keys, keys[lo:hi], u)
            parent = None if parent_u is None else {k: v[lo:hi] for k, v in parent_u.items()}
            ob = o_buf[: len(_COLUMNS) * b].reshape(len(_COLUMNS), b)
            self._traits_into(u, parent, rho, y_buf[: (rows - 1) * b].reshape(rows - 1, b), ob,
                              segment[lo:hi])  # fmt: skip
            out[:, lo:hi] = ob
        return self._traits_dict(out, segment)

    def draw_many(
        self,
        streams: list[RandomStreams],
        keys: list[np.ndarray],
        parent_u: list[dict[str, np.ndarray]] | None = None,
        rho: float = 0.0,
    ) -> list[dict[str, np.ndarray]]:
        """:meth:`draw` for several runs of one scenario at once (a batch of seeds).

        Run ``j`` draws customers ``keys[j]`` from its own ``streams[j]`` (and, for
        invitees, ``parent_u[j]``); every step after the uniforms works customer by
        customer, so each run's traits are those :meth:`draw` gives it alone.

        Returns
        -------
        list of dict
            Per run, as :meth:`draw` returns.
        """
        sizes = [int(np.size(k)) for k in keys]
        ids = np.ascontiguousarray(np.concatenate(keys), dtype=np.uint64)
        owner = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
        table = self._stream_table(streams)
        u = np.empty((len(self._streams), ids.size), dtype=np.float64)
        _uniform_rows_many(table, owner, ids, u)
        joined = None
        if parent_u is not None:
            joined = {k: np.concatenate([p[k] for p in parent_u]) for k in parent_u[0]}
        traits = self._from_uniforms(u, joined, rho)
        bounds = np.cumsum([0, *sizes])
        return [{k: v[lo:hi] for k, v in traits.items()} for lo, hi in pairwise(bounds)]

    def _stream_table(self, streams: list[RandomStreams]) -> np.ndarray:
        """:meth:`_stream_keys` of several runs, one row each (the last table kept)."""
        last = self._table_of
        if (
            last is None
            or len(last[0]) != len(streams)
            or any(a is not b for a, b in zip(last[0], streams, strict=True))
        ):
            last = self._table_of = (
                list(streams),
                np.stack([self._stream_keys(s) for s in streams]),
            )
        return last[1]

    def _stream_keys(self, streams: RandomStreams) -> np.ndarray:
        """The keys of the drawn rows' streams, then the segment's, in ``streams``."""
        cached = self._keys_of.get(id(streams))
        if cached is None or cached[0] is not streams:
            keys = np.array([streams.key(name) for name in self._streams], dtype=np.uint64)
            if len(self._keys_of) > _KEYS_KEPT:
                self._keys_of.clear()
            cached = self._keys_of[id(streams)] = (streams, keys)
        return cached[1]

    def _from_uniforms(
        self, u: np.ndarray, parent_u: dict[str, np.ndarray] | None, rho: float
    ) -> dict[str, np.ndarray]:
        """The traits of customers whose uniforms (one row per drawn trait, then the
        segment's) are ``u``."""
        n = u.shape[1]
        out = np.empty((len(_COLUMNS), n), dtype=np.float64)
        segment = np.empty(n, dtype=np.int8)
        y = np.empty((u.shape[0] - 1, n), dtype=np.float64)
        self._traits_into(u, parent_u, rho, y, out, segment)
        return self._traits_dict(out, segment)

    def _traits_into(
        self,
        u: np.ndarray,
        parent_u: dict[str, np.ndarray] | None,
        rho: float,
        y: np.ndarray,
        out: np.ndarray,
        segment: np.ndarray,
    ) -> None:
        """The traits (before the spend scale) of customers whose uniforms are ``u``, into
        ``out`` (one row per column) and ``segment``; ``y`` is scratch of ``u``'s shape
        less one row.  Every step is element by element, so a block of customers gets
        the numbers it gets in a bigger call."""
        if parent_u is not None and rho > 0:
            for r, name in self._correlated:
                u[r] = _copula(u[r], parent_u[name], rho)
        np.clip(u[:-1], _U_EPS, 1.0 - _U_EPS, out=y)
        ndtri(y, out=y)
        _interp_rows(y, _Z_GRID, self._tables, self._negate)
        np.exp(y, out=y)
        _finish(
            y, self._drawn, self._kind, self._const, self._divide, self._div, self._has_floor,
            self._floor, u[-1], self._cum, self._seg_code, out, segment,
        )  # fmt: skip

    def _traits_dict(self, out: np.ndarray, segment: np.ndarray) -> dict[str, np.ndarray]:
        """Population column name -> values, from :meth:`_traits_into`'s arrays."""
        traits = dict(zip(_COLUMNS, out, strict=True))
        traits["segment"] = segment
        if self._scales_spend(self._spec):  # spend follows the purchase rate (draw_traits)
            scale = spend_scale(self._spec, traits["propensity"])
            traits["basket_rate"] = np.maximum(traits["basket_rate"] / scale, 1e-12)
        return traits

    @staticmethod
    def _scales_spend(spec: TraitSpec) -> bool:
        return spec.basket.ratio_per_rate_doubling != 1.0


def _copula(u: np.ndarray, up: np.ndarray, rho: float) -> np.ndarray:
    """The invitee's uniform given the inviter's (the copula of :func:`_uniforms`)."""
    eps = 1e-12
    z_own = ndtri(np.clip(u, eps, 1 - eps))
    z_par = ndtri(np.clip(np.nan_to_num(up, nan=0.5), eps, 1 - eps))
    z = np.where(np.isnan(up), z_own, rho * z_par + np.sqrt(1 - rho**2) * z_own)
    return ndtr(z)


@njit(cache=True)
def _uniform_rows(stream_keys, ids, out):
    """``out[r] = uniform(stream_keys[r], 0, ids)`` for every row ``r``."""
    for r in range(stream_keys.size):
        for i in range(ids.size):
            out[r, i] = u01_scalar(stream_keys[r], 0, ids[i])


@njit(cache=True)
def _uniform_rows_many(stream_keys, owner, ids, out):
    """``out[r, i] = uniform(stream_keys[owner[i], r], 0, ids[i])``: each customer from
    the streams of their own run."""
    for r in range(stream_keys.shape[1]):
        for i in range(ids.size):
            out[r, i] = u01_scalar(stream_keys[owner[i], r], 0, ids[i])


@njit(cache=True)
def _interp_rows(z, grid, tables, negate):
    """In place: ``z[r] = numpy.interp(z[r], grid, tables[r])``, negated where ``negate[r]``.

    The arithmetic of NumPy's ``interp`` (``compiled_base.c``): the interval
    ``grid[j] <= x < grid[j + 1]`` (of a strictly increasing grid; found from the
    even grid's step rather than by bisection, the same interval), ``slope * (x -
    grid[j]) + fp[j]`` with ``slope = (fp[j+1] - fp[j]) / (grid[j+1] - grid[j])``,
    the ends and exact grid points taken as they are, and the same fallbacks for a NaN.
    """
    m = grid.size
    per_step = (m - 1) / (grid[m - 1] - grid[0])  # the grid is even: a first guess of j
    for r in range(z.shape[0]):
        fp = tables[r]
        for i in range(z.shape[1]):
            x = z[r, i]
            if np.isnan(x):
                y = x
            elif x > grid[m - 1]:
                y = fp[m - 1]
            elif x < grid[0]:
                y = fp[0]
            else:
                # the last j with grid[j] <= x (the interval bisection finds): guessed,
                # then moved until it holds, so the guess's rounding does not matter
                j = min(max(int((x - grid[0]) * per_step), 0), m - 1)
                while j > 0 and grid[j] > x:
                    j -= 1
                while j < m - 1 and grid[j + 1] <= x:
                    j += 1
                if j == m - 1 or grid[j] == x:
                    y = fp[j]
                else:
                    slope = (fp[j + 1] - fp[j]) / (grid[j + 1] - grid[j])
                    y = slope * (x - grid[j]) + fp[j]
                    if np.isnan(y):
                        y = slope * (x - grid[j + 1]) + fp[j + 1]
                        if np.isnan(y) and fp[j] == fp[j + 1]:
                            y = fp[j]
            z[r, i] = -y if negate[r] else y


@njit(cache=True)
def _finish(e, drawn, kind, const, divide, div, has_floor, floor, u_seg, cum, codes, out, seg):
    """Traits from the exponentials ``e`` (rows ``drawn``), then divisors and floors;
    segment codes from their uniforms (``searchsorted(cum, u, "right")``, capped)."""
    n = out.shape[1]
    for r in range(out.shape[0]):
        if kind[r] == 0:
            for i in range(n):
                out[r, i] = const[r]
    for d in range(drawn.size):
        r = drawn[d]
        for i in range(n):
            if kind[r] == 1:
                out[r, i] = e[d, i] * const[r]
            else:
                out[r, i] = 1.0 / (1.0 + e[d, i])
    for r in range(out.shape[0]):
        for i in range(n):
            v = out[r, i]
            if divide[r]:
                v = v / div[r]
            if has_floor[r] and v < floor[r]:
                v = floor[r]
            out[r, i] = v
    last = cum.size - 1
    for i in range(n):
        k = 0
        while k < cum.size and cum[k] <= u_seg[i]:
            k += 1
        seg[i] = codes[min(k, last)]
