"""Building blocks for scenario schemas: strict models and documented parameters.

Every parameter in a scenario is declared with :func:`P`, which records its unit,
valid range, a one-line description and its **source**: where the default comes
from (a published finding, a seed article, a platform rule, a calibration), or that
it is an assumption, which then carries a plausible range, or a setting (a unit, a
switch, a decision the user makes).  ``lab explain`` and the scenario reference in
``docs/scenario-reference.md`` are generated from these declarations, so the
documentation cannot drift from the code; :func:`parameter_table` lists them for
robustness analyses (paths usable with :meth:`lab.Scenario.with_changes`).
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "REFERENCES",
    "SOURCE_KINDS",
    "FittedValue",
    "P",
    "ProblemsError",
    "StrictModel",
    "assumed",
    "by_key",
    "calibrated",
    "check_names",
    "cited",
    "fitted_range",
    "fitted_text",
    "iter_parameters",
    "parameter_table",
    "platform_rule",
    "provenance_extra",
    "published",
    "references_markdown",
    "seed_article",
    "setting",
    "shown_names",
    "source_extra",
    "source_text",
]

#: kinds of source a parameter's default can have, with what each means
SOURCE_KINDS: dict[str, str] = {
    "published": "a published finding (EVIDENCE.md; citation in the source)",
    "seed": "one of the seed articles on private-traffic operations (docs: DOMAIN.md)",
    "platform": "a rule of the platform (WeChat / WeCom)",
    "calibration": "fitted to data (a published or lab-run fit the default comes from)",
    "fitted": "fitted to the user's own data by lab calibrate (the scenario's fitted section)",
    "assumption": "a judgement default nobody measured, with a plausible range",
    "setting": "not behaviour: a unit, switch, name or decision the scenario makes",
}


class ProblemsError(ValueError):
    """Every problem found in one input, reported at once, each naming its field and value.

    Subclasses set ``subject`` (what was read: "the scenario", "the order data").
    """

    subject = "the input"

    def __init__(self, problems: list[str], source: str = "<dict>") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: {len(problems)} problem(s) in {self.subject}"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in problems))


_PLAIN_NAME = re.compile(r"^[\w.\- ()/%#]{1,40}$")


def shown_names(names: Iterable[Any], limit: int = 12) -> str:
    """Column or key names read from a file, for a message: plain names only, at most ``limit``.

    A file given by mistake (a password file, a log) has whole lines where names
    should be; those are described by their length, never printed.
    """
    names = list(names)
    shown = [
        str(n) if _PLAIN_NAME.match(str(n)) else f"<{len(str(n))} characters>"
        for n in names[:limit]
    ]
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return (", ".join(shown) or "none") + more


class StrictModel(BaseModel):
    """A schema node that rejects unknown keys, non-finite numbers and validates on assignment.

    ``.inf`` and ``.nan`` are refused in every float field (they pass range checks
    such as ``ge=0`` and crash or poison a run later).
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _no_loose_scalars(cls, data: Any) -> Any:
        """Refuse ``true``/``false`` where a number belongs and bytes where text belongs.

        pydantic's lax mode reads ``days: true`` as 1 and ``name: !!binary ...`` as
        text; in a scenario file both are mistakes, not values.
        """
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is None or not isinstance(value, bool | bytes):
                continue
            kinds = _scalar_kinds(field.annotation)
            if isinstance(value, bool) and "bool" not in kinds and kinds & {"int", "float"}:
                raise ValueError(f"{name} = {value!r}: a yes/no value where a number is needed")
            if isinstance(value, bytes) and "bytes" not in kinds and "str" in kinds:
                raise ValueError(f"{name}: binary data where text is needed")
        return data


def _scalar_kinds(annotation: Any) -> set[str]:
    """Names of the plain scalar types an annotation admits (through unions and Optional)."""
    if annotation in (bool, int, float, str, bytes):
        return {annotation.__name__}
    out: set[str] = set()
    for arg in typing.get_args(annotation) if typing.get_origin(annotation) in _UNIONS else ():
        out |= _scalar_kinds(arg)
    return out


_UNIONS = (typing.Union, types.UnionType)


#: short citations used in sources -> full reference (the published evidence the lab uses)
REFERENCES: dict[str, str] = {
    "Bell & Lattin 2000": "Bell, D. R. & Lattin, J. M. (2000). Looking for loss aversion in "
    "scanner panel data: the confounding effect of price response heterogeneity. "
    "Marketing Science 19(2).",
    "Anderson & Simester 2004": "Anderson, E. T. & Simester, D. I. (2004). Long-run effects "
    "of promotion depth on new versus established customers: three field studies. "
    "Marketing Science 23(1), 4-20.",
    "Defau & Zauner 2023": "Defau, L. & Zauner, A. (2023). Personalized subject lines in "
    "email marketing. Marketing Letters 34(4), Replication Corner (open access): the "
    "first-name-in-subject-line effect of Sahni, Wheeler & Chintagunta (2018) no longer "
    "appeared.",
    "Bijmolt et al. 2005": "Bijmolt, T. H. A., van Heerde, H. J. & Pieters, R. G. M. (2005). "
    "New empirical generalizations on the determinants of price elasticity. Journal of "
    "Marketing Research 42(2), 141-156.",
    "Fader & Hardie 2007": "Fader, P. S. & Hardie, B. G. S. (2007). How to project customer "
    "retention. Journal of Interactive Marketing 21(1).",
    "Fader, Hardie & Lee 2005 (JMR)": "Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM "
    "and CLV: using iso-value curves for customer base analysis. Journal of Marketing "
    "Research 42(4); CDNOW gamma-gamma estimates p 6.25, q 3.74, gamma 15.44 as reported in "
    "Fader & Hardie (2013), The gamma-gamma model of monetary value.",
    "Fader, Hardie & Lee 2005": "Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "
    '"Counting your customers" the easy way: an alternative to the Pareto/NBD model. '
    "Marketing Science 24(2) (BG/NBD on CDNOW).",
    "Hillstrom 2008": "Hillstrom, K. (2008). The MineThatData e-mail analytics and data "
    "mining challenge (64,000-customer e-mail field test).",
    "Jedidi, Mela & Gupta 1999": "Jedidi, K., Mela, C. F. & Gupta, S. (1999). Managing "
    "advertising and promotion for long-run profitability. Marketing Science 18(1), 1-22.",
    "Kalyanaram & Winer 1995": "Kalyanaram, G. & Winer, R. S. (1995). Empirical "
    "generalizations from reference price research. Marketing Science 14(3), G161-G169.",
    "Kivetz, Urminsky & Zheng 2006": "Kivetz, R., Urminsky, O. & Zheng, Y. (2006). The "
    "goal-gradient hypothesis resurrected: purchase acceleration, illusionary goal progress, "
    "and customer retention. Journal of Marketing Research 43(1), 39-58.",
    "Kumar, Zhang & Luo 2014": "Kumar, V., Zhang, X. & Luo, A. (2014). Modeling customer "
    "opt-in and opt-out in a permission-based marketing context. Journal of Marketing "
    "Research 51(4).",
    "Leenheer et al. 2007": "Leenheer, J., van Heerde, H. J., Bijmolt, T. H. A. & Smidts, A. "
    "(2007). Do loyalty programs really enhance behavioral loyalty? International Journal "
    "of Research in Marketing 24(1).",
    "Mela, Gupta & Lehmann 1997": "Mela, C. F., Gupta, S. & Lehmann, D. R. (1997). The "
    "long-term impact of promotion and advertising on consumer brand choice. Journal of "
    "Marketing Research 34(2), 248-261.",
    "Pauwels, Hanssens & Siddarth 2002": "Pauwels, K., Hanssens, D. M. & Siddarth, S. (2002). "
    "The long-term effects of price promotions on category incidence, brand choice, and "
    "purchase quantity. Journal of Marketing Research 39(4), 421-439.",
    "Sahni, Wheeler & Chintagunta 2018": "Sahni, N. S., Wheeler, S. C. & Chintagunta, P. "
    "(2018). Personalization in email marketing: the role of noninformative advertising "
    "content. Marketing Science 37(2).",
    "Schmitt, Skiera & Van den Bulte 2011": "Schmitt, P., Skiera, B. & Van den Bulte, C. "
    "(2011). Referral programs and customer value. Journal of Marketing 75(1).",
    "Sultan, Farley & Lehmann 1990": "Sultan, F., Farley, J. U. & Lehmann, D. R. (1990). A "
    "meta-analysis of applications of diffusion models. Journal of Marketing Research 27(1).",
    "van Heerde & Neslin 2008": "van Heerde, H. J. & Neslin, S. A. (2008). Sales promotion "
    "models. In Handbook of Marketing Decision Models, Springer.",
    "van Heerde, Leeflang & Wittink 2000": "van Heerde, H. J., Leeflang, P. S. H. & Wittink, "
    "D. R. (2000). The estimation of pre- and postpromotion dips with store-level scanner "
    "data. Journal of Marketing Research 37(3), 383-395.",
    "Van den Bulte et al. 2018": "Van den Bulte, C., Bayer, E., Skiera, B. & Schmitt, P. "
    "(2018). How customer referral programs turn social capital into economic capital. "
    "Journal of Marketing Research 55(1).",
    "Liu 2007": "Liu, Y. (2007). The long-term impact of loyalty programs on consumer "
    "purchase behavior and loyalty. Journal of Marketing 71(4).",
}


def cited(text: str) -> list[str]:
    """The short citations of :data:`REFERENCES` that ``text`` names, longest match first."""
    found, rest = [], text
    for key in sorted(REFERENCES, key=len, reverse=True):
        if key in rest:
            found.append(key)
            rest = rest.replace(key, "")
    return sorted(found)


def references_markdown(text: str) -> list[str]:
    """A markdown "References" section for the citations ``text`` names (empty if none)."""
    keys = cited(text)
    if not keys:
        return []
    return ["", "## References", ""] + [f"- **{k}**: {REFERENCES[k]}" for k in keys]


def _source(kind: str, ref: str, plausible: tuple[float, float] | None) -> dict:
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}; valid: {', '.join(SOURCE_KINDS)}")
    if plausible is not None:
        low, high = plausible
        if not low < high:
            raise ValueError(f"plausible range needs low < high, got {plausible}")
        plausible = [low, high]
    elif kind == "assumption":
        raise ValueError(f"an assumption needs a plausible range: {ref!r}")
    return {"kind": kind, "ref": ref, "plausible": plausible}


def published(ref: str, band: tuple[float, float] | None = None) -> dict:
    """Source: a published finding (short citation as in EVIDENCE.md), with its band if any."""
    return _source("published", ref, band)


def seed_article(article: str, note: str = "", band: tuple[float, float] | None = None) -> dict:
    """Source: a seed article (``"001"``), with what it says."""
    return _source("seed", f"seed {article}" + (f": {note}" if note else ""), band)


def platform_rule(rule: str, band: tuple[float, float] | None = None) -> dict:
    """Source: a platform rule (``"WeCom: 1 mass message a day"``)."""
    return _source("platform", rule, band)


def calibrated(ref: str, band: tuple[float, float] | None = None) -> dict:
    """Source: a calibration to data, with the fitted band if any."""
    return _source("calibration", ref, band)


def assumed(low: float, high: float, note: str = "") -> dict:
    """Source: an assumption; ``(low, high)`` is the range a marketing scientist would accept."""
    return _source("assumption", note or "judgement default", (low, high))


def setting(note: str = "") -> dict:
    """Source: not behaviour (a unit, switch, name, date or a decision of the scenario)."""
    return _source("setting", note, None)


class FittedValue(StrictModel):
    """Where one value of a scenario came from when it was fitted to data (``lab calibrate``).

    A scenario's ``fitted`` section maps parameter paths to these.  While the parameter
    still holds ``value`` (a scenario that ``extends:`` the calibrated one and sets it
    again has its own value, no longer the fit's), :func:`iter_parameters` and
    :func:`parameter_table` name the fit as its source instead of the literature default
    declared in the schema, and a robustness analysis draws it within ``± 2 se`` (or
    holds it at the fit when no standard error is recorded).
    """

    value: float | list[float] = Field(
        description="the fitted value, as the scenario holds it",
        json_schema_extra={"source": setting("written by lab calibrate")},
    )
    data: str = Field(
        description="the data it was fitted to (the order log's file name)",
        json_schema_extra={"source": setting("written by lab calibrate")},
    )
    fit: str = Field(
        description="the fit and what of it gives the value",
        json_schema_extra={"source": setting("written by lab calibrate")},
    )
    se: float | None = Field(
        default=None,
        ge=0,
        description="standard error of the value, if the fit records one",
        json_schema_extra={"source": setting("written by lab calibrate")},
    )


def provenance_extra(doc: str) -> dict:
    """``json_schema_extra`` of a scenario's ``fitted`` section (path -> :class:`FittedValue`).

    The section is no parameter: :func:`iter_parameters` and :func:`parameter_table` skip
    it and read it as the source of the values it names.
    """
    return {"provenance": True, "source": setting(doc)}


def fitted_text(fit: Mapping[str, Any]) -> str:
    """One line for a fitted value: ``fitted to orders.csv: BG/NBD fit ... (SE 0.0012)``."""
    se = fit.get("se")
    tail = f" (SE {se:.2g})" if se is not None and se == se else " (no SE recorded)"
    return f"fitted to {fit['data']}: {fit['fit']}{tail}"


def fitted_range(fit: Mapping[str, Any], field=None) -> tuple[float, float] | None:
    """The range a robustness analysis draws a fitted value from: ``value ± 2 SE``.

    Clipped to the field's valid range; None (the value is held at its fit) without a
    standard error, for a list of values, or for a value fixed by its bounds.
    """
    se, value = fit.get("se"), fit.get("value")
    if se is None or not se > 0 or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    low, high = float(value) - 2.0 * se, float(value) + 2.0 * se
    for meta in field.metadata if field is not None else ():
        for attr in ("ge", "gt"):
            bound = getattr(meta, attr, None)
            if bound is not None and low <= bound:
                low = float(bound) if attr == "ge" else math.nextafter(float(bound), math.inf)
        for attr in ("le", "lt"):
            bound = getattr(meta, attr, None)
            if bound is not None and high >= bound:
                high = float(bound) if attr == "le" else math.nextafter(float(bound), -math.inf)
    return (low, high) if low < high else None


def by_key(sources: Mapping[str, dict], rest: dict | None = None) -> dict:
    """Sources of the values *inside* a field, keyed by their path below it.

    For mappings and nested defaults whose entries mean different things
    (``{"moments": platform(...), "group": assumed(...)}``, or a trait's
    ``"mean"`` and ``"shape"``); ``rest`` covers any other path below the field.
    """
    return {"by_key": dict(sources), "rest": rest}


def source_extra(source: dict) -> dict:
    """``json_schema_extra`` declaring ``source`` on a plain pydantic ``Field``."""
    return {"source": source}


def P(default: Any, unit: str, doc: str, *, source: dict | None = None, **constraints: Any) -> Any:
    """Declare a scenario parameter.

    Parameters
    ----------
    default : Any
        Value used when the scenario file does not set it.
    unit : str
        Unit written in every report of the parameter ("days", "CNY", "1/day", "share", ...).
    doc : str
        One-line description.
    source : dict, optional
        Where the default comes from: :func:`published`, :func:`seed_article`,
        :func:`platform_rule`,
        :func:`calibrated`, :func:`assumed` (with a plausible range) or :func:`setting`;
        :func:`by_key` for values inside a mapping.  Stored in the JSON schema.
    **constraints
        Pydantic range constraints such as ``ge=0``, ``le=1``, ``gt=0``.
    """
    extra = {"unit": unit} if source is None else {"unit": unit, "source": source}
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


def check_names(names, valid, what: str):
    """Validator helper: every name must be one of ``valid``; returns ``names`` unchanged.

    Raises
    ------
    ValueError
        Naming the first unknown entry and listing the valid ones.
    """
    if names is None:
        return names
    bad = [k for k in names if k not in valid]
    if bad:
        raise ValueError(f"unknown {what} {bad[0]!r}; valid: {', '.join(valid)}")
    return names


def _range_text(field) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sym} {value}")
    return ", ".join(parts)


def _resolve(chain: list[tuple[dict | None, str]]) -> dict | None:
    """The source of a leaf from the sources declared on it and on its ancestors.

    ``chain`` holds, root first, each declared source with the leaf's path below it
    (``""`` for the leaf's own field).  A :func:`by_key` entry naming the leaf wins
    (the nearest ancestor that knows the leaf), then the leaf's own source, then the
    nearest ancestor's blanket source (or its ``rest``).
    """
    for spec, rel in reversed(chain):
        if spec and "by_key" in spec and rel in spec["by_key"]:
            return spec["by_key"][rel]
    own = chain[-1][0] if chain and chain[-1][1] == "" else None
    if own and "kind" in own:
        return own
    for spec, rel in reversed(chain):
        if not spec or (rel == "" and spec is own):
            continue
        if "kind" in spec:
            return spec
        if spec.get("rest"):
            return spec["rest"]
    return None


def source_text(spec: dict | None) -> str:
    """One line for a source: ``"assumption: ... (plausible 0.01–0.2)"``; a mapping per key."""
    if spec is None:
        return ""
    if "by_key" in spec:
        parts = [f"{k}: {source_text(v)}" for k, v in spec["by_key"].items()]
        if spec.get("rest"):
            parts.append(f"others: {source_text(spec['rest'])}")
        return "; ".join(parts)
    text = spec["kind"] if spec["kind"] in ("assumption", "setting") else ""
    ref = spec["ref"]
    if spec["kind"] == "assumption" and ref == "judgement default":
        ref = ""
    text = f"{text}: {ref}" if text and ref else (text or ref)
    if spec["plausible"] is not None:
        low, high = spec["plausible"]
        text += f" (plausible {low:g}–{high:g})"
    return text


def _extra(field) -> dict:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _is_scalar_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(
            (isinstance(v, int | float) and not isinstance(v, bool))
            or (isinstance(v, dict) and _is_scalar_map(v))
            for v in value.values()
        )
    )


def _walk(model: BaseModel, prefix: str, chain: list, set_here: bool, expand_maps: bool):
    """Leaves of ``model``: (path, value, field, chain, set in the file)."""
    for name, field in type(model).model_fields.items():
        if _extra(field).get("provenance"):
            continue  # the sources of other values (FittedValue), not a parameter
        value = getattr(model, name)
        path = f"{prefix}{name}"
        here = set_here and name in model.model_fields_set
        sub = [(spec, f"{rel}.{name}" if rel else name) for spec, rel in chain]
        sub.append((_extra(field).get("source"), ""))
        yield from _walk_value(value, path, field, sub, here, expand_maps)


def _walk_value(value, path, field, chain, here, expand_maps):
    def deeper(seg: str) -> list:
        return [(spec, f"{rel}.{seg}" if rel else seg) for spec, rel in chain]

    if isinstance(value, BaseModel):
        yield from _walk(value, path + ".", chain, here, expand_maps)
    elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
        for i, item in enumerate(value):
            sub = [(spec, f"{rel}[{i}]") for spec, rel in chain]
            yield from _walk(item, f"{path}[{i}].", sub, here, expand_maps)
    elif isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}.", deeper(key), here, expand_maps)
    elif expand_maps and _is_scalar_map(value):
        for key, item in value.items():
            yield from _walk_value(item, f"{path}.{key}", field, deeper(key), here, expand_maps)
    else:
        yield path, value, field, chain, here


def _fitted_values(model: BaseModel) -> dict[str, dict]:
    """The ``fitted`` section of a scenario (path -> :class:`FittedValue` as a dict), or {}."""
    for name, field in type(model).model_fields.items():
        if _extra(field).get("provenance"):
            items = (getattr(model, name) or {}).items()
            return {k: v.model_dump() if isinstance(v, BaseModel) else dict(v) for k, v in items}
    return {}


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or not isinstance(a, numbers) or not isinstance(b, numbers):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def _still_fitted(value: Any, fit: Mapping[str, Any]) -> bool:
    """Whether a parameter still holds the value its fit gave it (not set again since)."""
    want = fit["value"]
    if isinstance(want, list):
        return (
            isinstance(value, list | tuple)
            and len(value) == len(want)
            and all(_same_number(a, b) for a, b in zip(value, want, strict=True))
        )
    return _same_number(value, want)


def iter_parameters(model: BaseModel, prefix: str = ""):
    """Yield one record per leaf parameter of a validated scenario node.

    A value the scenario's ``fitted`` section names (:class:`FittedValue`, written by
    ``lab calibrate``) and that still holds its fitted value has ``source``
    ``"calibration"``, ``basis`` the fit (:func:`fitted_text`: the data, the fit, the
    SE) and ``basis_kind`` ``"fitted"``: not the literature default the schema
    declares for it.

    Yields
    ------
    dict
        ``path``, ``value``, ``unit``, ``range``, ``doc``, ``source`` (``"file"``
        when the scenario set it, ``"calibration"`` when it holds a value fitted to
        data, ``"default"`` otherwise), ``basis`` (the source of the default as one
        line, see :func:`source_text`, or of the fit), ``basis_kind`` (one of
        :data:`SOURCE_KINDS`, or ``"mixed"`` for a mapping whose entries differ) and
        ``fitted_to`` (the data a fitted value came from, else ``""``).
    """
    fitted = _fitted_values(model)
    for path, value, field, chain, here in _walk(model, prefix, [], True, expand_maps=False):
        own = chain[-1][0] if chain and chain[-1][1] == "" else None
        spec = own if own and "by_key" in own else _resolve(chain)
        rec = {
            "path": path,
            "value": value,
            "unit": _extra(field).get("unit", ""),
            "range": _range_text(field),
            "doc": field.description or "",
            "source": "file" if here else "default",
            "basis": source_text(spec),
            "basis_kind": (spec or {}).get("kind", "mixed" if spec else ""),
            "fitted_to": "",
        }
        fit = fitted.get(path)
        if fit is not None and _still_fitted(value, fit):
            rec.update(
                source="calibration",
                basis=fitted_text(fit),
                basis_kind="fitted",
                fitted_to=fit["data"],
            )
        yield rec


TABLE_COLUMNS = (
    "path", "value", "type", "unit", "set_in", "source_kind", "source",
    "plausible_low", "plausible_high", "valid", "doc",
)  # fmt: skip


def parameter_table(scenario: BaseModel) -> pd.DataFrame:
    """Every parameter of a scenario with the source of its default and its plausible range.

    Mappings of numbers are listed entry by entry (``contacts.daily_cap.group``), so
    every ``path`` can be given to :meth:`lab.Scenario.with_changes` or
    ``lab sweep --set`` as it is.  A robustness analysis draws the assumptions within
    their plausible ranges.  A value the scenario's ``fitted`` section names and still
    holds (``lab calibrate`` writes it) has ``source_kind`` ``"fitted"``, the fit
    as its ``source`` and, as its range, ``value ± 2 SE`` of its own fit
    (:func:`fitted_range`; NaN, held at the fit, without a standard error): never
    the literature's plausible range of the default it replaced.

    Parameters
    ----------
    scenario : Scenario
        The scenario to list (its strategies included).  :func:`lab.parameter_table`
        (in :mod:`lab.api`) defaults it to ``Scenario()``; this module sits below the
        scenario schema and does not import it.

    Returns
    -------
    pandas.DataFrame
        Columns ``path, value, type, unit, set_in`` (``file`` or ``default``),
        ``source_kind`` (one of :data:`SOURCE_KINDS`), ``source``, ``plausible_low``,
        ``plausible_high`` (NaN without a range), ``valid`` and ``doc``.

    Examples
    --------
    >>> t = lab.parameter_table()  # doctest: +SKIP
    >>> t[t.source_kind == "assumption"][["path", "plausible_low", "plausible_high"]]  # doctest: +SKIP
    """
    import pandas as pd

    rows = []
    fitted = _fitted_values(scenario)
    for path, value, field, chain, here in _walk(scenario, "", [], True, expand_maps=True):
        spec = _resolve(chain) or {}
        low, high = spec.get("plausible") or (float("nan"), float("nan"))
        kind, ref = spec.get("kind", ""), spec.get("ref", "")
        fit = fitted.get(path)
        if fit is not None and _still_fitted(value, fit):
            kind, ref = "fitted", fitted_text(fit)
            low, high = fitted_range(fit, field) or (float("nan"), float("nan"))
        rows.append(
            (
                path, value, type(value).__name__, _extra(field).get("unit", ""),
                "file" if here else "default", kind, ref,
                low, high, _range_text(field), field.description or "",
            )
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
