"""The run's order log, kept compact: a day's orders in 13 bytes each, not 29.

Each day's orders are one chunk: the day once (not once per order), the customers'
slots, and the paid and list amounts as whole cents in ``int32`` where that is exact
(every amount the model books is rounded to the cent, so ``cents / 100`` gives back
the very same float64; a chunk where it would not, e.g. an amount beyond 21 million
CNY or a catalogue's unrounded list value, keeps its float64).  At 1M customers x
365 days (11.65M orders) the log takes ~150 MB instead of ~340 MB.

The full columns (:meth:`OrderLog.arrays`) and any run of rows
(:meth:`OrderLog.rows`) come back exactly as they were booked.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

__all__ = ["OrderLog"]

_CENTS_MAX = 2**31 - 1


def _as_cents(values: np.ndarray) -> np.ndarray:
    """``values`` as int32 cents when ``cents / 100`` is bitwise the same float64, else as is.

    One compiled pass (:func:`_cents_into`) decides it and fills the cents; it gives the
    very result of ``rint(values * 100)`` checked by the round trip ``cents / 100``.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    stored = np.empty(values.shape, np.int32)
    return stored if _cents_into(values.reshape(-1), stored.reshape(-1)) else values


@numba.njit(cache=True)
def _cents_into(values, out):  # pragma: no cover - compiled
    """``out[i] = rint(values[i] * 100)`` as int32; False (``out`` partly filled) as soon as a
    value's cents are beyond int32 (or NaN) or ``cents / 100`` is not that value's bits
    (an unrounded amount, or -0.0, whose cents give back +0.0)."""
    for i in range(values.size):
        v = values[i]
        c = np.rint(v * 100.0)
        if not (abs(c) <= _CENTS_MAX):  # NaN lands here too
            return False
        k = np.int32(c)
        back = np.float64(k) / 100.0  # exactly what the log will give back
        if back != v or (v == 0.0 and np.signbit(v)):  # NaN ruled out above
            return False
        out[i] = k
    return True


def _from_cents(stored: np.ndarray) -> np.ndarray:
    if stored.dtype == np.float64:
        return stored
    return stored.astype(np.float64) / 100.0


def _from_cents_into(stored: np.ndarray, out: np.ndarray) -> None:
    """:func:`_from_cents` written into ``out`` (float64): the same bits, no temporary."""
    if stored.dtype == np.float64:
        out[...] = stored
    else:
        np.divide(stored, 100.0, out=out)  # int32 -> float64 exactly, then / 100 as above


class _Chunk(NamedTuple):
    day: int
    slot: np.ndarray
    amount: np.ndarray  # int32 cents or float64 CNY
    list_price: np.ndarray
    is_trial: np.ndarray


class OrderLog:
    """Orders appended day by day (days in order), stored compactly."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []
        self._starts = [0]  # first row of each chunk, then the total

    def __len__(self) -> int:
        return self._starts[-1]

    def append(
        self,
        day: int,
        slots: np.ndarray,
        amount: np.ndarray,
        list_price: np.ndarray,
        is_trial: np.ndarray,
    ) -> None:
        """Log one day's orders (slots, paid and list amounts in CNY, trial flags)."""
        if not len(slots):
            return
        self._chunks.append(
            _Chunk(
                int(day),
                np.asarray(slots),
                _as_cents(amount),
                _as_cents(list_price),
                np.asarray(is_trial, dtype=np.bool_),
            )
        )
        self._starts.append(self._starts[-1] + len(slots))

    def recent(self, day: int, window_days: int) -> tuple[np.ndarray, np.ndarray]:
        """Slots (int64) and paid amounts of the orders of the ``window_days`` days before ``day``."""
        chunks = []
        for c in reversed(self._chunks):  # newest last
            if c.day < day - window_days:
                break
            if c.day < day:
                chunks.append(c)
        if not chunks:
            return np.zeros(0, np.int64), np.zeros(0)
        return (
            np.concatenate([c.slot for c in chunks]).astype(np.int64),
            np.concatenate([_from_cents(c.amount) for c in chunks]),
        )

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Rows ``start .. stop-1`` of the log: slot, day, amount, list_price, is_trial.

        Each column is allocated once at its final size and filled chunk by chunk (the
        same values and dtypes as concatenating the chunks' pieces, without the pieces).
        """
        stop = min(stop, len(self))
        first = int(np.searchsorted(self._starts, start, side="right")) - 1
        pieces = []  # (chunk, a, b): rows a .. b-1 of the chunk
        k = max(first, 0)
        while k < len(self._chunks) and self._starts[k] < stop:
            c, lo = self._chunks[k], self._starts[k]
            pieces.append((c, max(start - lo, 0), min(stop - lo, c.slot.size)))
            k += 1
        if not pieces:
            return _empty()
        total = sum(b - a for _, a, b in pieces)
        out = {
            "slot": np.empty(total, np.result_type(*(c.slot for c, _, _ in pieces))),
            "day": np.empty(total, np.int32),
            "amount": np.empty(total, np.float64),
            "list_price": np.empty(total, np.float64),
            "is_trial": np.empty(total, np.bool_),
        }
        at = 0
        for c, a, b in pieces:
            to = slice(at, at + b - a)
            out["slot"][to] = c.slot[a:b]
            out["day"][to] = c.day
            _from_cents_into(c.amount[a:b], out["amount"][to])
            _from_cents_into(c.list_price[a:b], out["list_price"][to])
            out["is_trial"][to] = c.is_trial[a:b]
            at += b - a
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """Every order: slot, day, amount, list_price, is_trial (as booked)."""
        return self.rows(0, len(self))


def _empty() -> dict[str, np.ndarray]:
    return {
        "slot": np.zeros(0, np.int64),
        "day": np.zeros(0, np.int32),
        "amount": np.zeros(0),
        "list_price": np.zeros(0),
        "is_trial": np.zeros(0, bool),
    }
