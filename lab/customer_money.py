"""Per-customer money ledger: every non-order revenue and cost booked *for* a customer.

Orders carry their own money (the order log).  Everything else a run books goes on the
daily ledger (``revenue_<kind>``, ``cost_<kind>``); when a booking belongs to customers
(a membership fee, a stored-value bonus or breakage, a referral reward, a gift, a
contact), the model also credits each of those customers here, so a customer's lifetime
value can count all of their money (:func:`lab.analysis.customer_ltv` with
``value="net"``).  Costs booked without customers (paid acquisition budget, staff
invite bonuses, guide salaries) belong to no one: they are acquisition or fixed costs,
compared with LTV as CAC, not part of it.

The invariant (tested to the cent): over a run, the customers' order gross margin plus
their ``net_other`` equals the run's net margin plus the unattributed costs.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

__all__ = ["NET_COLUMN", "PV_COLUMN", "CustomerMoney"]

#: customers-table column: attributed revenues minus attributed costs, CNY, undiscounted
NET_COLUMN = "net_other"
#: customers-table column: the same, discounted to the customer's joining day
PV_COLUMN = "net_other_pv"


class CustomerMoney:
    """Growable per-customer totals of attributed revenues and costs, by ledger column.

    Parameters
    ----------
    annual_discount_rate : float
        Rate used for :data:`PV_COLUMN` (the scenario's ``economics.annual_discount_rate``).
    """

    def __init__(self, annual_discount_rate: float) -> None:
        # the daily rate of lab.analysis.money.daily_discount_rate (not imported: that
        # package sits above the model)
        self._keep = (1.0 + annual_discount_rate) ** (-1.0 / 365)
        self.columns: dict[str, np.ndarray] = {}
        self.net = np.zeros(0)
        self.pv = np.zeros(0)
        #: ledger columns booked at least once without customers (``cost_<kind>``)
        self.unattributed: set[str] = set()
        #: ``keep ** age`` for ages 0, 1, ... (grown as days pass): the same numbers as
        #: one ``np.power`` per credited customer, looked up instead of recomputed daily
        self._discount = np.ones(0)
        # scratch arrays of the dense credits (ages, amounts discounted)
        self._age = np.zeros(0, np.int64)
        self._scratch = np.zeros(0)

    def _fit(self, arr: np.ndarray, n: int) -> np.ndarray:
        if arr.size >= n:
            return arr
        out = np.zeros(max(n, int(arr.size * 1.5) + 1024))
        out[: arr.size] = arr
        return out

    def add(
        self,
        column: str,
        slots: np.ndarray | slice,
        each: float | np.ndarray,
        day: int,
        cohort_day: np.ndarray,
    ) -> None:
        """Credit ``each`` CNY (one amount or one per slot) to customers ``slots``.

        ``column`` is a daily ledger column (``revenue_<kind>`` or ``cost_<kind>``);
        costs count negatively in :data:`NET_COLUMN`.  ``cohort_day`` is the pool's
        joining day array (for the discounting of :data:`PV_COLUMN`).  ``slots`` may be
        ``slice(0, n)`` with ``each`` one amount per customer ``0 .. n-1``, zeros for
        those not concerned (the daily contact costs): dense arrays are added whole,
        with the same sums as crediting only the non-zero slots, and far faster.
        """
        if isinstance(slots, slice):
            self._add_dense(column, np.asarray(each, dtype=np.float64), day, cohort_day)
            return
        slots = np.ascontiguousarray(slots, dtype=np.int64)
        if slots.size == 0:
            return
        amount = _per_slot(each, slots.shape)
        cost, day = column.startswith("cost_"), int(day)
        arr = self.columns.get(column)
        if arr is not None:  # usually every array is large enough: checked and credited
            low, high, last = _credit_if_fits(  # in one call (nothing moves if not)
                slots, amount, cost, day, cohort_day, self._discount, arr, self.net, self.pv
            )
            if last < 0:
                return
        else:
            arr = np.zeros(0)
            low, high, last = _age_range(day, cohort_day, slots)
        self._check_age_range(low, high)  # before anything moves
        n = last + 1
        arr = self.columns[column] = self._fit(arr, n)
        self.net = self._fit(self.net, n)
        self.pv = self._fit(self.pv, n)
        # slot by slot in order: the sums of np.add.at (and, for slots without repeats,
        # of fancy-indexed +=), with net and pv as -amount and -amount * keep**age
        _credit(slots, amount, cost, day, cohort_day, self._discount, arr, self.net, self.pv)

    def _add_dense(self, column: str, each: np.ndarray, day: int, cohort_day: np.ndarray) -> None:
        """Credit ``each[i]`` CNY to customer ``i`` for every ``i < each.size``.

        In place, through scratch arrays kept between days (fresh arrays of the pool's
        size every day would cost more than the sums).  A customer not credited adds
        0.0 (or -0.0): their sums do not move.
        """
        n = each.size
        if n == 0:
            return
        self._age = _grow(self._age, n, np.int64)
        self._scratch = _grow(self._scratch, n, np.float64)
        age, part = self._age[:n], self._scratch[:n]
        np.subtract(day, cohort_day[:n], out=age)
        self._check_ages(age)  # before anything moves
        np.take(self._discount, age, out=part, mode="clip")  # ages checked: clip is no-op
        part *= each
        arr = self._fit(self.columns.get(column, np.zeros(0)), n)
        self.columns[column] = arr
        arr[:n] += each
        self.net = self._fit(self.net, n)
        self.pv = self._fit(self.pv, n)
        # costs: net - x is net + (-x) exactly, as the sparse path adds -amount
        combine = np.subtract if column.startswith("cost_") else np.add
        combine(self.net[:n], each, out=self.net[:n])
        combine(self.pv[:n], part, out=self.pv[:n])

    def add_dense_products(
        self,
        column: str,
        counts: tuple[np.ndarray, ...],
        prices: tuple[float, ...],
        day: int,
        cohort_day: np.ndarray,
    ) -> None:
        """Credit customer ``i`` with ``sum_k counts[k][i] * prices[k]`` CNY, for every ``i``.

        The same numbers as :meth:`add` with ``slices(0, n)`` and ``each`` built as
        ``counts[0] * prices[0] + counts[1] * prices[1] + ...`` (added in that order),
        in one compiled pass instead of a dozen passes of NumPy over the pool (the
        daily contact costs: counts are each touchpoint's contacts per customer).
        """
        n = counts[0].size if counts else 0
        if n == 0:
            return
        low, high = _dense_age_range(int(day), cohort_day, n)
        self._check_age_range(low, high)  # before anything moves
        arr = self._fit(self.columns.get(column, np.zeros(0)), n)
        self.columns[column] = arr
        self.net = self._fit(self.net, n)
        self.pv = self._fit(self.pv, n)
        _credit_dense(
            tuple(counts), np.array(prices, dtype=np.float64), column.startswith("cost_"),
            int(day), cohort_day, self._discount, arr, self.net, self.pv, get_num_threads(),
        )  # fmt: skip

    def _check_ages(self, age: np.ndarray) -> None:
        """Refuse a negative age; grow the discount table to cover the oldest."""
        if age.size:
            self._check_age_range(int(age.min()), int(age.max()))

    def _check_age_range(self, low: int, high: int) -> None:
        """:meth:`_check_ages` from the youngest and oldest age."""
        if low < 0:
            raise ValueError("a customer credited before the day they joined")
        if high >= self._discount.size:
            ages = np.arange(max(high + 1, 2 * self._discount.size, 64))
            self._discount = np.power(self._keep, ages.astype(np.float64))

    def _keep_at(self, age: np.ndarray) -> np.ndarray:
        """``keep ** age`` for whole-day ages: the same numbers as ``np.power(keep, age)``,
        looked up in a table grown on demand."""
        self._check_ages(age)
        return self._discount[age]

    def table(self, n: int, kinds: list[str], copy: bool = True) -> dict[str, np.ndarray]:
        """Customers-table columns for slots ``0 .. n-1``: one per ledger column in
        ``kinds`` (zeros if never booked), then :data:`NET_COLUMN` and :data:`PV_COLUMN`.

        ``copy=False`` gives views of the ledger's own arrays (for a result that takes
        over a finished run: no second copy of every column while the model still lives).
        """
        out = {}
        for col in kinds:
            out[col] = self._fit(self.columns.get(col, np.zeros(0)), n)[:n]
        out[NET_COLUMN] = self._fit(self.net, n)[:n]
        out[PV_COLUMN] = self._fit(self.pv, n)[:n]
        return {k: v.copy() for k, v in out.items()} if copy else out


def _per_slot(each: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``each`` broadcast to ``shape`` as a contiguous float64 array (the same values as
    ``np.ascontiguousarray(np.broadcast_to(each, shape))``, without its Python overhead
    for the usual one amount or one per slot)."""
    each = np.asarray(each, dtype=np.float64)
    if each.shape == shape:
        return np.ascontiguousarray(each)
    if each.ndim == 0:
        return np.full(shape, each)
    return np.ascontiguousarray(np.broadcast_to(each, shape))


def _grow(arr: np.ndarray, n: int, dtype: type) -> np.ndarray:
    """``arr`` if it holds ``n`` values, else a larger empty array (contents not kept)."""
    if arr.size >= n:
        return arr
    return np.empty(max(n, int(arr.size * 1.5) + 1024), dtype=dtype)


@njit(cache=True)
def _age_range(day, cohort_day, slots):
    """Youngest and oldest age (``day - cohort_day``) of ``slots``, and the largest slot."""
    low = high = day - np.int64(cohort_day[slots[0]])
    last = slots[0]
    for s in slots:
        age = day - np.int64(cohort_day[s])
        low = min(low, age)
        high = max(high, age)
        last = max(last, s)
    return low, high, last


@njit(cache=True)
def _credit(slots, amount, cost, day, cohort_day, discount, arr, net, pv):
    """Credit ``amount[i]`` to ``slots[i]``, in order (repeated slots add up as np.add.at)."""
    for i in range(slots.size):
        s = slots[i]
        a = amount[i]
        signed = -a if cost else a
        arr[s] += a
        net[s] += signed
        pv[s] += signed * discount[day - np.int64(cohort_day[s])]


@njit(cache=True)
def _credit_if_fits(slots, amount, cost, day, cohort_day, discount, arr, net, pv):
    """:func:`_credit` when every age is in ``discount`` and every slot in the arrays;
    returns ``(low, high, -1)`` then, else :func:`_age_range`'s ``(low, high, last)`` with
    nothing credited."""
    low, high, last = _age_range(day, cohort_day, slots)
    if low < 0 or high >= discount.size or last >= min(arr.size, net.size, pv.size):
        return low, high, last
    _credit(slots, amount, cost, day, cohort_day, discount, arr, net, pv)
    return low, high, -1


@njit(cache=True)
def _dense_age_range(day, cohort_day, n):
    """Youngest and oldest age (``day - cohort_day``) of customers ``0 .. n-1``."""
    low = high = day - np.int64(cohort_day[0])
    for i in range(n):
        age = day - np.int64(cohort_day[i])
        low = min(low, age)
        high = max(high, age)
    return low, high


#: customers per block of :func:`_credit_dense`, and the blocks from which they are
#: dealt to the engine's threads (as the contact delivery, :data:`lab.plan._BLOCK`)
DENSE_BLOCK = 2048
DENSE_PARALLEL_MIN_BLOCKS = 8


@njit(cache=True)
def _credit_dense(counts, prices, cost, day, cohort_day, discount, arr, net, pv, threads):
    """Customer by customer: ``each = counts[0] * prices[0] (+ counts[k] * prices[k]...)``
    credited as :meth:`CustomerMoney._add_dense` credits it (net and pv as -each and
    -each * keep**age for a cost).

    Every customer's credit touches only their own slots, so with ``threads`` >= 2 and
    at least :data:`DENSE_PARALLEL_MIN_BLOCKS` blocks the blocks are dealt to the
    threads (:func:`_credit_dense_on_threads`): the same numbers on any thread count.
    """
    n = counts[0].size
    # one flat tuple, the counts last (a parallel region takes no tuple of tuples)
    args = (prices, cost, day, cohort_day, discount, arr, net, pv, *counts)
    n_blocks = (n + DENSE_BLOCK - 1) // DENSE_BLOCK
    if threads >= 2 and n_blocks >= DENSE_PARALLEL_MIN_BLOCKS:
        _credit_dense_on_threads(n, n_blocks, threads, args)
    else:
        _credit_dense_range(0, n, args)


@njit(cache=True, parallel=True)
def _credit_dense_on_threads(n, n_blocks, threads, args):
    """:func:`_credit_dense`'s blocks, dealt round-robin to ``threads`` threads (the
    parallel region holds the loop only, see :func:`lab.plan._deliver_on_threads`)."""
    for t in prange(threads):
        for b in range(t, n_blocks, threads):
            start = b * DENSE_BLOCK
            _credit_dense_range(start, min(start + DENSE_BLOCK, n), args)


@njit(cache=True)
def _credit_dense_range(start, stop, args):
    """:func:`_credit_dense` for customers ``start .. stop - 1``: ``args`` holds
    ``prices, cost, day, cohort_day, discount, arr, net, pv`` and then the counts."""
    prices, cost, day, cohort_day, discount, arr, net, pv = args[:8]
    counts = args[8:]
    for i in range(start, stop):
        each = np.float64(counts[0][i]) * prices[0]
        for k in range(1, len(counts)):
            each += np.float64(counts[k][i]) * prices[k]
        part = discount[day - np.int64(cohort_day[i])] * each
        arr[i] += each
        if cost:
            net[i] = net[i] - each
            pv[i] = pv[i] - part
        else:
            net[i] = net[i] + each
            pv[i] = pv[i] + part
