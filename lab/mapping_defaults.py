"""Partial mappings merge onto their defaults.

Some scenario fields are mappings with a default entry per name: the content types
(``contacts.content``), the per-touchpoint settings (``contacts.channel_weight``,
``daily_cap``, ``cost_per_contact_cny``), the channel trait overrides
(``traits.by_channel``), the lifecycle plays (``plays``) and the RFM actions
(``actions``).  Setting one entry must change that entry only: a scenario that
writes ``contacts: {content: {promotion: {purchase_lift: 1.0}}}`` keeps the default
``value`` and ``interaction`` types and the promotion's default fatigue gain.

:func:`merge_onto_defaults` builds the ``mode="before"`` field validator that does
this for the fields named.  An entry given as a mapping is merged key by key onto
that entry's default (as ``extends:`` merges files); an entry that has no default is
taken as written; every default entry not named is kept.  An empty mapping
(``by_channel: {}``) means none at all, as calibrated scenarios write it.  To
neutralise one default entry set its values (``traits.by_channel.paid.deal_proneness: null`` inherits the
default traits again; a lifecycle play with ``contact_every_days: null`` and
``offer_depth: 0`` does nothing).  A complete mapping, such as a dumped scenario,
passes through unchanged, so dumping and reloading a scenario gives the same one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator

from lab.scenario_paths import deep_merge

__all__ = ["merge_entries", "merge_onto_defaults"]


def _plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def merge_entries(defaults: Mapping | None, given: Any) -> Any:
    """``given`` (a partial mapping) merged entry by entry onto ``defaults``.

    Parameters
    ----------
    defaults : mapping or None
        The field's default entries (models or plain values).
    given : Any
        What the scenario wrote; anything but a mapping is returned unchanged, for
        the field's own validation to judge.

    Returns
    -------
    Any
        A new dict: every default entry, with the entries of ``given`` merged in
        (``given`` itself when it is empty: no entries at all).
    """
    if not isinstance(given, Mapping) or not given or not defaults:
        return given  # an empty mapping means "none of them", e.g. by_channel: {}
    out = {name: _plain(entry) for name, entry in defaults.items()}
    for name, entry in given.items():
        base = out.get(name)
        if isinstance(entry, Mapping) and isinstance(base, dict):
            out[name] = deep_merge(base, entry)
        else:
            out[name] = entry
    return out


def merge_onto_defaults(*fields: str):
    """A pydantic ``before`` validator merging each of ``fields`` onto its default mapping.

    Use in a model body: ``_merge_defaults = merge_onto_defaults("content")``.
    """

    def _merge(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields[info.field_name]
        return merge_entries(field.get_default(call_default_factory=True), value)

    return field_validator(*fields, mode="before")(classmethod(_merge))
