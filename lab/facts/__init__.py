"""Stylized facts (典型事实): the lab measured against published marketing evidence.

Each fact is a published finding (a citation and a target range, from
``shared/EVIDENCE.md``) and a small experiment the lab runs on itself, defined
next to its source in one module per theme:

* :mod:`lab.facts.promotions`: promotional elasticity, post-promotion dip, deal
  conditioning, deep discounts for new vs established customers;
* :mod:`lab.facts.contacts`: one message's conversion lift, wear-out of identical
  messages, blocks vs frequency;
* :mod:`lab.facts.cohort`: referred customers' value, margin and retention; the
  first purchases deciding stickiness;
* :mod:`lab.facts.membership`: naive vs causal membership effect; light vs heavy
  buyers;
* :mod:`lab.facts.customer_base`: BG/NBD parameter recovery; the Bass closed form.

The package itself can be called: ``lab.facts(...)`` is :func:`facts`.

>>> import lab
>>> table = lab.facts(quick=True)          # doctest: +SKIP
>>> table[["fact", "value", "band_low", "band_high", "pass"]]   # doctest: +SKIP
"""

from __future__ import annotations

import sys
import types

import pandas as pd

from lab.facts.base import FULL, QUICK, Fact, Size
from lab.facts.output import OutputRefused, save_facts
from lab.facts.suite import COLUMNS, EXPERIMENTS, FACTS, FactsRun, run_facts

__all__ = [
    "COLUMNS",
    "EXPERIMENTS",
    "FACTS",
    "FULL",
    "QUICK",
    "Fact",
    "FactsRun",
    "OutputRefused",
    "Size",
    "facts",
    "run_facts",
    "save_facts",
]


def facts(
    quick: bool = False,
    seeds: int | None = None,
    first_seed: int = 1,
    workers: int | None = 1,
    only: list[str] | None = None,
    behaviour: dict | None = None,
) -> pd.DataFrame:
    """The stylized-facts table: one row per fact (see :data:`COLUMNS`).

    Parameters
    ----------
    quick : bool
        Small pools and 3 seeds (about a minute on one core); otherwise the full
        size and 10 seeds.
    seeds : int, optional
        Number of seeds (default 3 quick, 10 full).
    first_seed : int
        Seeds are ``first_seed, first_seed + 1, ...``; the same seeds give the same table.
    workers : int, optional
        Worker processes (1: this process; None: the local cores).
    only : list of str, optional
        Fact keys to run.
    behaviour : dict, optional
        Scenario sections merged into every scenario the facts build, e.g.
        ``{"reference_price": {"learning_rate": 0.02}}`` (see :func:`run_facts`).

    Returns
    -------
    pandas.DataFrame
        ``fact, source, target_low, target_high, value, band_low, band_high, pass, ...``;
        ``value`` is the median over seeds, the band its 10-90% range, and a fact
        passes when the whole band lies inside the target range.
    """
    return run_facts(
        quick=quick,
        seeds=seeds,
        first_seed=first_seed,
        workers=workers,
        only=only,
        behaviour=behaviour,
    ).table


class _CallablePackage(types.ModuleType):
    """``lab.facts`` is this package and, called, the :func:`facts` table."""

    def __call__(self, *args, **kwargs) -> pd.DataFrame:
        return facts(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
