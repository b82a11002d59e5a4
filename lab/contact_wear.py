"""How a contact's effect lasts: carry-over for days, and wear-out of identical tactics.

Two mechanisms of the contact response, each with its own switch in the scenario's
``contacts`` section:

* **carry-over** (``contacts.carryover``): a delivered contact adds its purchase lift
  to a per-customer stock (state ``contact_stock``) that decays with a half-life of a
  few days, so a message raises the purchase rate on the days after it too, not only
  on its send day.  The kernel multiplies the rate by ``1 + stock x (1 - fatigue
  damping x fatigue)`` (mechanism ``carryover`` in :mod:`lab.agents.behaviour`).
  Evidence: one e-mail lifts *two-week* conversion 1.5-2.2x (Hillstrom 2008; fact
  ``contact_lift_sleeping``).
* **wear-out** (``contacts.wear_out``): repeated contacts of the same content type
  lose effect.  Each customer remembers, per content type, the recent contacts of
  that type (a count decaying with its own half-life); a contact's lift is divided
  by ``1 + strength x remembered``.  A different content type is fresh, so variety
  keeps its effect while the same tactic repeated wears out, for every content type
  (promotion fatigue, :class:`lab.scenario.Fatigue`, tires promotions in addition).
  Wear-out acts on the purchase lift only; annoyance and blocks are their own
  mechanism.  Evidence: a tactic that worked (Sahni, Wheeler & Chintagunta 2018) no
  longer did in a replication (Defau & Zauner 2023): a direction; fact
  ``contact_wear_out``.

The wear memory is kept per content type in :class:`WearMemory`, owned by the day
plan (content types are whatever the scenario's ``contacts.content`` names, so they
are not fixed customer states); it is decayed lazily, only when a customer is
contacted again, so it costs nothing on days without contacts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from lab.configs.contacts import ContactCarryover, ContactWearOut

__all__ = ["ContactCarryover", "ContactWearOut", "WearMemory"]


class WearMemory:
    """Per customer and content type: recent contacts of that type, decaying.

    Stored lazily as (value, day of the value) per customer, so only customers
    contacted today are touched.

    Parameters
    ----------
    cfg : ContactWearOut
        The scenario's wear-out section.
    """

    def __init__(self, cfg: ContactWearOut) -> None:
        self.enabled = bool(cfg.enabled)
        self.keep = np.float32(0.5 ** (1.0 / cfg.halflife_days))
        self.strength = np.float32(cfg.strength)
        # keep ** age for ages up to 30 half-lives (below 1e-9: forgotten), looked up
        self._decay = self.keep ** np.arange(int(30 * cfg.halflife_days) + 2, dtype=np.float32)
        self._value: dict[str, np.ndarray] = {}
        self._day: dict[str, np.ndarray] = {}

    def _arrays(self, content: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        value = self._value.get(content, np.zeros(0, np.float32))
        when = self._day.get(content, np.zeros(0, np.int32))
        if value.size < n:  # grow geometrically; slots never move
            cap = max(n, int(value.size * 1.5) + 1024)
            value = np.concatenate([value, np.zeros(cap - value.size, np.float32)])
            when = np.concatenate([when, np.zeros(cap - when.size, np.int32)])
            self._value[content], self._day[content] = value, when
        return value, when

    @property
    def decay(self) -> np.ndarray:
        """``keep ** age`` by age in days (float32), 0 beyond the last entry."""
        return self._decay

    def memory(self, content: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The memory of ``content`` (values and their days), grown to ``n`` customers."""
        return self._arrays(content, n)

    def remembered(self, content: str, slots: np.ndarray, day: int) -> np.ndarray:
        """Contacts of ``content`` each customer of ``slots`` remembers on ``day`` (float32)."""
        n = int(slots.max()) + 1 if slots.size else 0
        value, when = self._arrays(content, n)
        age = np.minimum(day - when[slots], self._decay.size - 1)
        return value[slots] * np.where(age < self._decay.size - 1, self._decay[age], 0)

    def factor(self, content: str, dose: np.ndarray, day: int) -> np.ndarray:
        """Wear factor of today's contacts of ``content``, and remember them.

        Parameters
        ----------
        content : str
            Content type of the contacts.
        dose : numpy.ndarray of float32
            Per customer (slots ``0 .. n-1``): how much today's contacts count
            (contacts x touchpoint weight); 0 = not contacted.
        day : int
            Today.

        Returns
        -------
        numpy.ndarray of float32
            ``1 / (1 + strength x remembered)`` per customer (1 where not contacted),
            the memory as it was before today's contacts of this call.
        """
        out = np.ones(dose.size, dtype=np.float32)
        value, when = self._arrays(content, dose.size)
        _wear(value, when, dose, np.int32(day), self._decay, self.strength, out)
        return out


@njit(cache=True)
def _wear(value, when, dose, day, decay, strength, out):
    """One pass over customers: factor from the decayed memory, then remember the dose."""
    last = decay.size - 1
    for i in range(dose.size):
        if dose[i] > 0.0:
            age = day - when[i]
            before = value[i] * decay[age] if age < last else np.float32(0.0)
            out[i] = 1.0 / (1.0 + strength * before)
            value[i] = before + dose[i]
            when[i] = day
