"""Order list values (gamma-gamma) drawn in one compiled pass, as scipy would draw them.

An order's list value is ``F^-1(u) / nu``: the quantile of a gamma distribution with
the channel's shape ``p`` (``traits.basket.shape_per_order``) at the customer's
``basket`` draw ``u``, over the customer's basket rate ``nu``; the model then rounds it
to the cent.  The quantile used to be ``scipy.special.gammaincinv`` per order
(about 1.5 us each, most of the cost of booking orders).  Here it is computed in numba:

* a start from a table per distinct shape (exact quantiles on a grid of ``u``,
  interpolated by cubic Hermite with the exact slope ``1 / density``), refined by two
  Halley steps on ``P(p, x) = u``; in the tails (first and last grid cell) Newton steps
  on ``log P`` or ``log Q`` until they stop moving;
* ``P`` and ``Q = 1 - P`` by their series and continued fraction, each where it is
  accurate.

The result agrees with scipy to about 1e-15 relative, not bit for bit, so a value
whose cents could round the other way (within ``1e-9`` relative of a half cent) or
whose refinement did not settle is recomputed with scipy itself.  The values the
model books (rounded to the cent) are therefore exactly scipy's
(``tests/test_order_values.py`` checks both, and the golden runs pin the orders).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit
from scipy.special import gammaincinv

from lab.rng import u01_scalar, uniform

__all__ = ["OrderValues", "gamma_quantiles"]

#: grid cells of the start table on u in [0, 1]
_CELLS = 16384
#: a table cell whose interpolation error is below this (relative) needs no refinement
_CELL_EXACT = 1e-12
#: relative distance to a half cent within which scipy recomputes the value
_MARGIN = 1e-9
_EPS = 1e-16
_TINY = 1e-300


@njit(cache=True, inline="always")
def _log_front(a, x, lgamma_a):
    """log of x**a e**-x / Gamma(a), the factor in front of P's series and Q's fraction."""
    return a * math.log(x) - x - lgamma_a


@njit(cache=True)
def _lower(a, x, lgamma_a):
    """Regularised lower incomplete gamma P(a, x) by its series (x < a + 1)."""
    term = 1.0 / a
    total = term
    ap = a
    for _ in range(1000):
        ap += 1.0
        term *= x / ap
        total += term
        if term < total * _EPS:
            break
    return total * math.exp(_log_front(a, x, lgamma_a))


@njit(cache=True)
def _upper(a, x, lgamma_a):
    """Regularised upper incomplete gamma Q(a, x) by its continued fraction (x >= a + 1)."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h * math.exp(_log_front(a, x, lgamma_a))


@njit(cache=True)
def _density(a, x, lgamma_a):
    return math.exp((a - 1.0) * math.log(x) - x - lgamma_a)


@njit(cache=True)
def _tail(a, u, x, lgamma_a):
    """Newton on log P (x below a + 1) or log Q until the step stops moving; -1 if not."""
    for _ in range(100):
        if x <= 0.0:
            return -1.0
        f = _density(a, x, lgamma_a)
        if f <= 0.0:
            return -1.0
        if x < a + 1.0:
            pv = _lower(a, x, lgamma_a)
            step = math.log(pv / u) * pv / f
        else:
            q = _upper(a, x, lgamma_a)
            step = -math.log(q / (1.0 - u)) * q / f
        new = x - step
        if new <= 0.0:
            new = x * 0.25
        if abs(new - x) <= 1e-15 * new:
            return new
        x = new
    return -1.0


@njit(cache=True, inline="always")
def _hermite(x0, x1, d0, d1, s):
    """Cubic Hermite between ``x0`` and ``x1`` at ``s`` in [0, 1] (slopes scaled to the cell)."""
    s2 = s * s
    s3 = s2 * s
    return (
        (2 * s3 - 3 * s2 + 1) * x0
        + (s3 - 2 * s2 + s) * d0
        + (-2 * s3 + 3 * s2) * x1
        + (s3 - s2) * d1
    )


@njit(cache=True)
def _halley(a, lgamma_a, u, x):
    """Two Halley steps on P(a, x) - u (or (1 - u) - Q): cubic convergence; -1 if lost."""
    for _ in range(2):
        if x <= 0.0:
            return -1.0
        f = _density(a, x, lgamma_a)
        if x < a + 1.0:
            r = _lower(a, x, lgamma_a) - u
        else:
            r = (1.0 - u) - _upper(a, x, lgamma_a)
        ratio = r / f
        x = x - ratio / (1.0 - 0.5 * ratio * ((a - 1.0) / x - 1.0))
    return x


@njit(cache=True)
def _quantile(a, lgamma_a, lgamma_a1, u, xs, slopes, exact):
    """Gamma(a) quantile at u from the start table; -1 if unsettled.

    The table holds exact quantiles ``xs`` on a grid of ``u`` and their slopes dx/du;
    ``exact[k]`` is True where the interpolation alone is within :data:`_CELL_EXACT`
    relative on cell ``k``; elsewhere two Halley steps refine it.  The first and last
    cells (the tails) are solved by Newton steps until they stop moving.
    """
    if u <= 0.0:
        return 0.0
    if u >= 1.0:  # never drawn ([0, 1) streams); scipy says inf
        return -1.0
    cells = xs.size - 1
    t = u * cells
    k = int(t)
    if k == 0:  # lower tail: P ~ x**a / Gamma(a + 1)
        return _tail(a, u, math.exp((math.log(u) + lgamma_a1) / a), lgamma_a)
    if k >= cells - 1:
        return _tail(a, u, xs[cells - 1], lgamma_a)
    h = 1.0 / cells
    x = _hermite(xs[k], xs[k + 1], h * slopes[k], h * slopes[k + 1], t - k)
    return x if exact[k] else _halley(a, lgamma_a, u, x)


@njit(cache=True)
def _list_values(
    key, day, slots, rkey, channel, rate, table_of, shapes, lgam, lgam1, xs, sl, ex, out
):
    """Unrounded list values of orders ``slots``; returns how many need scipy (flagged -1).

    The customers' keys, tables and rates are gathered first, in a loop of independent
    loads (in a pool of millions each is a cache miss, and there many are in flight at
    once), then each order's value is computed from them.
    """
    n = slots.size
    ids = np.empty(n, np.uint64)
    tbs = np.empty(n, np.int64)
    rates = np.empty(n)
    for i in range(n):
        s = slots[i]
        ids[i] = rkey[s]
        tbs[i] = table_of[channel[s]]
        rates[i] = rate[s]
    flagged = 0
    cells = xs.shape[1] - 1
    h = 1.0 / cells
    for i in range(n):
        u = u01_scalar(key, day, ids[i])
        tb = tbs[i]
        t = u * cells
        k = int(t)
        if 0 < k < cells - 1 and ex[tb, k]:  # most orders: the table alone
            x = _hermite(xs[tb, k], xs[tb, k + 1], h * sl[tb, k], h * sl[tb, k + 1], t - k)
        else:
            x = _quantile(shapes[tb], lgam[tb], lgam1[tb], u, xs[tb], sl[tb], ex[tb])
        v = x / rates[i]
        y = v * 100.0
        if x < 0.0 or abs(y - math.floor(y) - 0.5) <= _MARGIN * y:
            out[i] = -1.0
            flagged += 1
        else:
            out[i] = v
    return flagged


@functools.lru_cache(maxsize=32)
def _table(shape: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start table of the Gamma(``shape``) quantile: values, slopes dx/du, exact cells.

    A cell counts as exact when its interpolation error at the cell's middle (where a
    cubic Hermite's error peaks) is below :data:`_CELL_EXACT` relative.
    """
    grid = np.arange(_CELLS + 1) / _CELLS
    x = gammaincinv(shape, grid)
    x[-1] = x[-2]  # u = 1 (x = inf) is never drawn nor read
    slopes = np.zeros(_CELLS + 1)
    inner = slice(1, _CELLS)
    slopes[inner] = np.exp(x[inner] - (shape - 1.0) * np.log(x[inner]) + math.lgamma(shape))
    mid = gammaincinv(shape, (np.arange(_CELLS) + 0.5) / _CELLS)
    h = 1.0 / _CELLS  # cubic Hermite at a cell's middle: (x0 + x1) / 2 + h (d0 - d1) / 8
    guess = 0.5 * (x[:-1] + x[1:]) + 0.125 * h * (slopes[:-1] - slopes[1:])
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(guess - mid) / mid
    exact = err < _CELL_EXACT
    exact[[0, -2, -1]] = False  # the tail cells are never interpolated
    for arr in (x, slopes, exact):
        arr.setflags(write=False)
    return x, slopes, exact


def gamma_quantiles(shape: float, u: np.ndarray) -> np.ndarray:
    """Gamma(``shape``) quantiles at ``u`` by the compiled inverse (-1 where unsettled).

    For checking the inverse against scipy; the model uses :class:`OrderValues`.
    """
    xs, slopes, exact = _table(float(shape))
    lg, lg1 = math.lgamma(shape), math.lgamma(shape + 1.0)
    u = np.asarray(u, dtype=np.float64)
    return np.array([_quantile(shape, lg, lg1, float(v), xs, slopes, exact) for v in u])


class OrderValues:
    """Unrounded order list values for a run's channels (one start table per shape).

    Parameters
    ----------
    shapes : numpy.ndarray of float
        Gamma shape of order values per channel code.
    """

    def __init__(self, shapes: np.ndarray) -> None:
        shapes = np.asarray(shapes, dtype=np.float64)
        self.channel_shapes = shapes
        unique, table_of = np.unique(shapes, return_inverse=True)
        self._table_of = table_of.astype(np.int64)
        self._shapes = unique
        self._lgam = np.array([math.lgamma(a) for a in unique])
        self._lgam1 = np.array([math.lgamma(a + 1.0) for a in unique])
        tables = [_table(float(a)) for a in unique]
        self._xs, self._slopes, self._exact = (np.stack(col) for col in zip(*tables, strict=True))

    def draw(
        self,
        key: np.uint64,
        day: int,
        slots: np.ndarray,
        rkey: np.ndarray,
        channel: np.ndarray,
        rate: np.ndarray,
    ) -> np.ndarray:
        """List values (unrounded, CNY) of orders by customers ``slots`` on ``day``.

        ``key`` is the ``basket`` stream's key; a value equals
        ``gammaincinv(shape[channel], u) / rate`` to the cent, and exactly where
        its cents are in doubt (computed by scipy there).
        """
        slots = np.ascontiguousarray(slots, dtype=np.int64)
        out = np.empty(slots.size)
        flagged = _list_values(
            np.uint64(key),
            np.uint64(day),
            slots,
            rkey,
            channel,
            rate,
            self._table_of,
            self._shapes,
            self._lgam,
            self._lgam1,
            self._xs,
            self._slopes,
            self._exact,
            out,
        )
        if flagged:
            bad = np.flatnonzero(out == -1.0)
            s = slots[bad]
            u = uniform(np.uint64(key), day, rkey[s])
            out[bad] = gammaincinv(self.channel_shapes[channel[s]], u) / rate[s]
        return out
