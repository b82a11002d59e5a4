"""Suggestions for mistyped names ("did you mean ..."): the valid names closest to one.

Used where a scenario file, a ``--set``/``--params`` path or an API call names a key
or a strategy type that does not exist.  The ground floor: standard library only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]

#: how alike (difflib ratio, 0..1) a valid name must be to be suggested: 0.6 pairs
#: ``dpth``/``depth`` and ``daily_budgt_cny``/``daily_budget_cny``, not ``days``/``kind``
CUTOFF = 0.6


def closest(word: object, valid: Iterable[object], n: int = 3) -> list[str]:
    """The (at most ``n``) valid names most like ``word``, best first.

    Alike by spelling (:func:`difflib.get_close_matches`, case ignored), or else the
    names that contain ``word``.

    Parameters
    ----------
    word : object
        The name as given (a key read from a file may be any YAML scalar).
    valid : iterable
        The names allowed there.
    n : int
        How many suggestions at most.

    Returns
    -------
    list of str
        Empty when nothing is alike, or when ``word`` is not short text (a whole line
        of a file given by mistake is never echoed back as a suggestion's source).
    """
    if not isinstance(word, str) or not word or len(word) > 80:
        return []
    names = [str(v) for v in valid]
    by_case = {name.lower(): name for name in names}
    near = difflib.get_close_matches(word.lower(), list(by_case), n=n, cutoff=CUTOFF)
    if not near and len(word) >= 3:  # a part of the name: budget -> daily_budget_cny
        near = [name for name in by_case if word.lower() in name][:n]
    return [by_case[name] for name in near]


def did_you_mean(word: object, valid: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` or `` (did you mean 'x' or 'y'?)``, or ``""`` when nothing is alike.

    >>> did_you_mean("dpth", ["depth", "kind", "every_days"])
    " (did you mean 'depth'?)"
    >>> did_you_mean("zzz", ["depth"])
    ''
    """
    near = closest(word, valid)
    if not near:
        return ""
    return f" (did you mean {' or '.join(repr(name) for name in near)}?)"
