"""Scenario schema, loading, validation and hashing.

A scenario is data: a YAML file (or a dict, or the Python objects below) validated
by this schema.  Unknown keys are rejected with the list of valid ones, ranges are
checked, and *all* problems are reported at once, each naming file, field and value.
YAML, dict and objects build identical runs (same :func:`scenario_hash`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    model_validator,
)

from lab.acquisition_terms import pool_projection_problem
from lab.configs.acquisition import (
    Acquisition,
    KnownCustomers,
    PaidAcquisition,
    Referral,
    StaffInvites,
    StockImport,
)
from lab.configs.annoyance import Annoyance
from lab.configs.calendar import Calendar
from lab.configs.contacts import Contacts
from lab.configs.dropout import Dropout
from lab.configs.economics import Economics
from lab.configs.fatigue import Fatigue
from lab.configs.first_order import FirstOrder, Trial
from lab.configs.fission import FissionResponse
from lab.configs.habit import Habit
from lab.configs.lifecycle import Lifecycle
from lab.configs.market import WEIGHTED_CHANNELS, GraphSpec, Market, SeedCustomers, SocialProof
from lab.configs.outside import Competition, PlatformStore
from lab.configs.personas import Personas
from lab.configs.promotion import PromotionResponse
from lab.configs.purchase import Purchase
from lab.configs.reference_price import ReferencePrice
from lab.configs.referred import ReferredCustomers
from lab.configs.traits import Basket, TraitDist, TraitOverride, Traits, TraitSpec
from lab.params import (
    FittedValue,
    P,
    ProblemsError,
    StrictModel,
    provenance_extra,
    setting,
    source_extra,
)
from lab.scenario_paths import ScenarioPathError, deep_merge, loc_text, resolve_param, set_at
from lab.strategies import STRATEGY_CONFIGS
from lab.suggest import did_you_mean

__all__ = [
    "WEIGHTED_CHANNELS",
    "Acquisition",
    "Basket",
    "Contacts",
    "Economics",
    "FirstOrder",
    "GraphSpec",
    "KnownCustomers",
    "Market",
    "PaidAcquisition",
    "Purchase",
    "Referral",
    "Scenario",
    "ScenarioError",
    "SeedCustomers",
    "SocialProof",
    "StaffInvites",
    "StockImport",
    "TraitDist",
    "TraitOverride",
    "TraitSpec",
    "Traits",
    "Trial",
    "deep_merge",
    "dump_scenario",
    "load_scenario",
    "scenario_from_dict",
    "scenario_hash",
]


# --------------------------------------------------------------------------- traits
# ---------------------------------------------------------------------- acquisition
# --------------------------------------------------------------------------- market
# ------------------------------------------------------------------- behaviour
StrategyEntry = Annotated[Any, "strategy"]


class Scenario(StrictModel):
    """A whole scenario: the pool, its customers and the strategies run on it."""

    name: str = P("scenario", "text", "short name used in outputs", source=setting())
    description: str = P("", "text", "what this scenario asks", source=setting())
    days: int = P(365, "days", "length of the run", ge=1, le=3650, source=setting())
    seed: int = P(
        0, "1", "default seed (the CLI --seed overrides)", ge=0, lt=2**63, source=setting()
    )
    start_date: dt.date = P(dt.date(2026, 1, 1), "date", "calendar date of day 0", source=setting())
    max_customers: int = P(
        5_000_000,
        "customers",
        "stop with an error if the pool grows past this (runaway fission)",
        ge=1,
        source=setting("a safety limit"),
    )
    economics: Economics = Field(default_factory=Economics)
    acquisition: Acquisition = Field(default_factory=Acquisition)
    market: Market = Field(default_factory=Market, description="finite market and social graph")
    traits: Traits = Field(default_factory=Traits)
    first_order: FirstOrder = Field(default_factory=FirstOrder)
    purchase: Purchase = Field(default_factory=Purchase)
    habit: Habit = Field(default_factory=Habit)
    reference_price: ReferencePrice = Field(default_factory=ReferencePrice)
    fatigue: Fatigue = Field(default_factory=Fatigue)
    promotion_response: PromotionResponse = Field(default_factory=PromotionResponse)
    annoyance: Annoyance = Field(default_factory=Annoyance)
    contacts: Contacts = Field(default_factory=Contacts)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    dropout: Dropout = Field(default_factory=Dropout)
    referred: ReferredCustomers = Field(
        default_factory=ReferredCustomers, description="referred customers after joining"
    )
    platform_store: PlatformStore = Field(
        default_factory=PlatformStore, description="the brand's platform store beside the pool"
    )
    competition: Competition = Field(
        default_factory=Competition, description="a competitor's price (share of wallet)"
    )
    personas: Personas = Field(default_factory=Personas, description="personas' own behaviour")
    calendar: Calendar = Field(default_factory=Calendar, description="seasonality multipliers")
    fission_response: FissionResponse = Field(default_factory=FissionResponse)
    strategies: list[
        Annotated[STRATEGY_CONFIGS, Field(discriminator="type")]  # type: ignore[valid-type]
    ] = Field(
        default_factory=list,
        description="strategies switched on, by type",
        json_schema_extra=source_extra(setting("the strategies the scenario runs")),
    )
    fitted: dict[str, FittedValue] = Field(
        default_factory=dict,
        description="values fitted to an order log (lab calibrate writes it): parameter "
        "path -> value, data, fit, se; lab explain, the report and robustness name the fit "
        "as the source of each value that still holds its fitted value (a path the "
        "scenario no longer has, or a value set again, is the file's, not the fit's)",
        json_schema_extra=provenance_extra("where fitted values came from, not a parameter"),
        exclude_if=lambda v: not v,  # absent when empty: other scenarios hash as before
    )

    @model_validator(mode="after")
    def _market_segments(self):
        known = self.market.segments or self.traits.default.segments
        for ch, weights in self.market.channel_segment_weights.items():
            bad = [s for s in weights if s not in known]
            if bad:
                raise ValueError(
                    f"market.channel_segment_weights.{ch}: unknown segment {bad[0]!r}; "
                    f"market segments: {', '.join(known)}"
                )
            if sum(weights.get(s, 1.0) for s in known) <= 0:
                raise ValueError(f"market.channel_segment_weights.{ch}: every segment weighs 0")
        return self

    @model_validator(mode="after")
    def _known_customers_in_run(self):
        kc = self.acquisition.known_customers
        if self.market.enabled and kc.enabled and kc.table is not None:
            raise ValueError(
                "acquisition.known_customers cannot be combined with market.size: real "
                "customers from an order log have no place in the simulated social graph; "
                "drop one of the two"
            )
        table = kc.table
        if table is not None and len(table):
            first = table.frame["join_date"].iloc[0]
            if first.date() < self.start_date:
                raise ValueError(
                    f"acquisition.known_customers: customer {table.frame['customer_id'].iloc[0]!r} "
                    f"joins on {first.date()}, before start_date {self.start_date}"
                )
        return self

    @model_validator(mode="after")
    def _strategy_references(self):
        types = [
            s.type for s in self.strategies if s.enabled and getattr(s, "one_per_scenario", False)
        ]
        for t in sorted({t for t in types if types.count(t) > 1}):
            raise ValueError(f"strategies: at most one {t!r} strategy per scenario")
        for i, s in enumerate(self.strategies):
            for ref in getattr(s, "touchpoints_used", lambda: [])():
                if ref not in self.contacts.daily_cap:
                    raise ValueError(
                        f"strategies[{i}] uses touchpoint {ref!r}; "
                        f"known: {', '.join(self.contacts.daily_cap)}"
                    )
            for ref in getattr(s, "contents_used", lambda: [])():
                if ref not in self.contacts.content:
                    raise ValueError(
                        f"strategies[{i}] uses content type {ref!r}; "
                        f"known: {', '.join(self.contacts.content)}"
                    )
        return self

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A validated copy of this scenario with the values at ``changes``' paths replaced.

        Paths are those of ``lab sweep --set`` and ``lab explain`` (resolved by
        :mod:`lab.scenario_paths`): ``"strategies.discount_cadence.depth"``,
        ``"strategies[0].every_days"``, ``"strategies.group plan.reach"``,
        ``"acquisition.referral.reward_cny"``, ``"name"``.  A path may also name a
        section: a mapping given for it is merged key by key (as ``extends:`` does),
        a list replaces it (``"strategies": [...]``).  Every path is resolved
        against this scenario as it is; the original is left unchanged.

        Parameters
        ----------
        changes : mapping
            Path -> new value; strings are read as the field's type, as on the
            command line (``"0.4"``, ``"none"``, ``"yes"``).

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            Listing every unknown path, unusable value and validation problem at
            once, each naming its path and value.

        Examples
        --------
        >>> base = lab.load_scenario("scenarios/baseline.yaml")  # doctest: +SKIP
        >>> weekly = base.with_changes(
        ...     {"name": "weekly", "strategies.discount_cadence.every_days": 7}
        ... )  # doctest: +SKIP
        """
        source = f"{self.name}.with_changes"
        if not isinstance(changes, Mapping):
            raise ScenarioError(
                [f"changes must be a mapping of path -> value, got {type(changes).__name__}"],
                source,
            )
        original = dump_scenario(self)
        data, problems, named = original, [], {}
        for path, value in changes.items():
            try:
                p = resolve_param(self, path, "with_changes", sections=True)
                if p.canonical in named:
                    raise ScenarioPathError(
                        f"with_changes: {path!r} names the same value as {named[p.canonical][0]!r}"
                    )
                named[p.canonical] = (path, _tagged(original, p.loc))
                data = set_at(data, p.loc, p.coerce(value, "with_changes"))
            except ScenarioPathError as exc:
                problems.append(str(exc))
        if problems:
            raise ScenarioError(problems, source)
        try:
            return scenario_from_dict(data, source)
        except ScenarioError as exc:
            raise ScenarioError([_as_written(m, named) for m in exc.problems], source) from None


def _tagged(data: dict, loc: tuple) -> str:
    """``loc`` as validation messages write it: a strategy's type follows its position."""
    out: list = []
    node: Any = data
    for key in loc:
        node = node.get(key) if isinstance(node, dict) else node[key]  # .get: derived keys
        out.append(key)
        if isinstance(key, int) and isinstance(node, dict) and "type" in node:
            out.append(node["type"])
    return loc_text(out)


def _as_written(problem: str, named: Mapping[str, tuple[str, str]]) -> str:
    """A validation problem with the path as the caller wrote it, if it was one of theirs."""
    for canonical, (path, tagged) in sorted(named.items(), key=lambda kv: -len(kv[1][1])):
        rest = problem[len(tagged) :]
        if problem.startswith(tagged) and rest[:1] in ("", " ", ".", "["):
            shown = path if path == canonical else f"{path} ({canonical})"
            return f"{shown}{rest}"
    return problem


# ------------------------------------------------------------------- errors
class ScenarioError(ProblemsError):
    """Every problem found in a scenario, each naming file, field and value."""

    subject = "the scenario"


def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _key_name(part)
    return out or "<top level>"


_NAME = re.compile(r"^[\w.\- ]{1,40}$")


def _key_name(key: Any) -> str:
    """A key from a file as text, or a placeholder when it is not a plain name.

    A file given by mistake (a password file, a log) becomes a mapping whose keys are
    whole lines; those are never printed.
    """
    text = str(key)
    return text if _NAME.match(text) else f"<a key of {len(text)} characters>"


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_repr(value: Any, limit: int = 60) -> str:
    """A bounded repr: never more than ``limit`` characters, built without repr-ing it all.

    Containers are described by their size only (a huge or alias-expanded value
    must not cost time and memory to print, nor echo a file's contents).
    """
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else repr(value[: limit - 5]) + "..."
    if isinstance(value, Mapping):
        return f"<a mapping of {len(value)} key(s)>"
    if isinstance(value, list | tuple | set | frozenset):
        return f"<a list of {len(value)} item(s)>"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an integer of {len(str(value))} digits>"
    return _clip(repr(value), limit)


def _node_at(model_cls: type[BaseModel], loc: tuple):
    """The schema class reached by following ``loc`` (for listing valid keys)."""
    import typing

    node: Any = model_cls
    skip_key = False  # the next part is a dict key (a channel, a content type, ...)
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:
            skip_key = False
            continue
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            return None
        field = node.model_fields.get(part)
        if field is None:  # a discriminated-union tag: pick that strategy's config
            node = _strategy_config(part)
            if node is None:
                return None
            continue
        skip_key = typing.get_origin(_strip_optional(field.annotation)) is dict
        node = _unwrap(field.annotation)
    return node


def _strip_optional(annotation):
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (
        typing.Union,
        getattr(__import__("types"), "UnionType", None),
    ):
        return args[0] if len(args) == 1 else annotation
    return annotation


def _unwrap(annotation):
    """Strip Optional/list/dict/Annotated wrappers down to a model class if any."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in typing.get_args(annotation):
        found = _unwrap(a)
        if found is not None:
            return found
    return None


def _strategy_config(tag):
    from lab.strategies import CONFIG_BY_TYPE

    return CONFIG_BY_TYPE.get(tag)


def _format_error(err: dict) -> str:
    loc = tuple(err.get("loc", ()))
    where = _loc_text(loc)
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = _node_at(Scenario, loc[:-1])
        fields = list(parent.model_fields) if isinstance(parent, type) else []
        key = loc[-1]
        plain = isinstance(key, str) and _NAME.match(key)
        shown = f" {key!r}{did_you_mean(key, fields)}" if plain else ""
        return f"{where}: unknown key{shown}; valid keys here: {', '.join(fields) or '?'}"
    if kind == "union_tag_invalid":
        from lab.strategies import CONFIG_BY_TYPE

        tag = (value or {}).get("type") if isinstance(value, dict) else value
        return (
            f"{where}.type: unknown strategy type {_short_repr(tag, 40)}"
            f"{did_you_mean(tag, CONFIG_BY_TYPE)}; "
            f"valid types: {', '.join(CONFIG_BY_TYPE)}"
        )
    if kind == "union_tag_not_found":
        from lab.strategies import CONFIG_BY_TYPE

        return f"{where}: a strategy needs 'type', one of: {', '.join(CONFIG_BY_TYPE)}"
    msg = _clip(str(err.get("msg", "invalid")).splitlines()[0], 200)
    if isinstance(value, dict):
        return f"{where}: {msg}"
    return f"{where} = {_short_repr(value, 80)}: {msg}"


# ------------------------------------------------------------------- loading
#: a scenario file larger than this is not a scenario (the bundled ones are a few KB)
MAX_FILE_BYTES = 2_000_000
#: YAML nodes a scenario file may expand to, each alias counted as a full copy of
#: what it refers to (the bundled scenarios have under 200; an alias bomb has billions)
MAX_YAML_NODES = 100_000


class _YAMLRefused(yaml.YAMLError):
    """A YAML document the scenario loader refuses (duplicate key, alias expansion)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _ScenarioYAMLLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys and alias bombs before building data."""

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return self.construct_document(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        # PyYAML's own constructors fail with bare Python errors on odd tagged values
        # ("!!float" with no value, "!!int abc", "!!timestamp 2026-13-45")
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this {_tag_name(node)} value ({exc})", node.start_mark
            ) from None


def _tag_name(node: yaml.Node) -> str:
    tag = str(node.tag)
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else "tagged"


def _check_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    """Refuse a mapping that states one key twice (merge keys ``<<`` may be overridden)."""
    first_line: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = first_line.get(key)
        except TypeError:
            continue  # unhashable: the safe constructor reports it
        line = key_node.start_mark.line + 1
        if seen is not None:
            shown = repr(key) if isinstance(key, str) and _NAME.match(key) else _key_name(key)
            raise _YAMLRefused(f"duplicate key {shown} at line {line} (first at line {seen})", line)
        first_line[key] = line


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose alias expansion exceeds :data:`MAX_YAML_NODES` (or loops)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                line = node.start_mark.line + 1
                raise _YAMLRefused(
                    f"the document expands to more than {MAX_YAML_NODES:,} values through "
                    f"aliases (*name) by line {line}: refused as an alias bomb",
                    line,
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            line = node.start_mark.line + 1
            raise _YAMLRefused(f"an alias refers to a value containing itself (line {line})", line)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a plain dict into a :class:`Scenario` (all problems at once).

    Raises
    ------
    ScenarioError
        Listing every problem with its field and value.
    """
    if not isinstance(data, dict):
        raise ScenarioError([f"the top level must be a mapping, got {_type_name(data)}"], source)
    if data and not any(isinstance(k, str) and k in Scenario.model_fields for k in data):
        raise ScenarioError(
            [
                f"not a scenario: none of its {len(data)} top-level key(s) is a scenario key "
                f"({', '.join(Scenario.model_fields)})"
            ],
            source,
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_format_error(e) for e in exc.errors(include_url=False)]
        raise ScenarioError(_capped(problems), source) from None
    problems = [*_absurd_numbers(scenario), *_pool_projection(scenario)]
    if problems:
        raise ScenarioError(_capped(problems), source)
    return scenario


#: at most this many problems are listed (a file that is not a scenario has hundreds)
MAX_PROBLEMS = 20
#: no float in a scenario is larger than this (CNY, rates, weights); products of
#: larger ones overflow to ``inf`` deep inside a run
MAX_ABS_FLOAT = 1e12
#: integers of fields that declare no upper bound of their own fit the run's
#: 32-bit arrays (day counts, caps, sizes)
MAX_ABS_INT = 2**31 - 1


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more problem(s)"]


def _absurd_numbers(model: BaseModel, prefix: str = "") -> list[str]:
    """Numbers beyond :data:`MAX_ABS_FLOAT` / :data:`MAX_ABS_INT` (or non-finite), by path."""
    out: list[str] = []
    for name, field in type(model).model_fields.items():
        bounded = any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                      for m in field.metadata)  # fmt: skip
        out += _absurd_in(getattr(model, name), f"{prefix}{name}", bounded)
    return out


def _absurd_in(value: Any, path: str, bounded: bool = False) -> list[str]:
    if isinstance(value, BaseModel):
        return _absurd_numbers(value, path + ".")
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _absurd_in(v, f"{path}.{_key_name(k)}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _absurd_in(v, f"{path}[{i}]")]
    if isinstance(value, bool) or bounded:
        return []
    if isinstance(value, float) and not (abs(value) <= MAX_ABS_FLOAT):
        return [f"{path} = {_short_repr(value)}: beyond {MAX_ABS_FLOAT:g} (no scenario value is)"]
    if isinstance(value, int) and abs(value) > MAX_ABS_INT:
        return [f"{path} = {_short_repr(value)}: beyond {MAX_ABS_INT:,} (no scenario value is)"]
    return []


def _pool_projection(scenario: Scenario) -> list[str]:
    """Refuse a scenario whose steady channels alone outgrow ``max_customers``."""
    problem = pool_projection_problem(scenario, scenario.days)
    return [problem] if problem else []


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The YAML file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Missing file, malformed YAML, unknown keys, wrong types, out-of-range values.
    """
    p = Path(path)
    data = _read_with_extends(p, chain=())
    return scenario_from_dict(data, source=str(p))


def _read_yaml(p: Path) -> dict:
    """One scenario file as a mapping, through :class:`_ScenarioYAMLLoader`.

    Messages name the file, the line and the offending value, never more of the
    file's text (a file given by mistake must not be echoed to the terminal).
    """
    src = str(p)
    try:  # a name the system cannot look up (too long, ...) is a message, not a traceback
        is_dir, is_file, exists = p.is_dir(), p.is_file(), p.exists()
    except OSError as exc:
        raise ScenarioError([f"cannot open the file: {exc.strerror or exc}"], src) from None
    if is_dir:
        raise ScenarioError([f"{p} is a folder, not a scenario file"], src)
    if not is_file:
        what = "not a regular file" if exists else "file not found"
        raise ScenarioError([f"{what}: {p}"], src)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                [
                    f"the file has {size:,} bytes, more than any scenario "
                    f"({MAX_FILE_BYTES:,}); is it the right file?"
                ],
                src,
            )
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [f"not UTF-8 text (byte {exc.start}); is it a scenario YAML file?"], src
        ) from None
    except OSError as exc:
        raise ScenarioError([f"cannot read the file: {exc.strerror or exc}"], src) from None
    data = _parse_yaml(text, src)
    if data is None:
        raise ScenarioError(
            [
                "the file is empty (or holds only comments): write {} for the scenario "
                "with every default"
            ],
            src,
        )
    if not isinstance(data, dict):
        raise ScenarioError([f"the top level must be a mapping, got {_type_name(data)}"], src)
    return data


def _parse_yaml(text: str, src: str) -> Any:
    """YAML text as data; every YAML problem as one :class:`ScenarioError`."""
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark written by some editors
    try:
        return yaml.load(text, Loader=_ScenarioYAMLLoader)  # a SafeLoader subclass
    except _YAMLRefused as exc:
        raise ScenarioError([exc.message], src) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = _yaml_problem(exc)
        raise ScenarioError([f"malformed YAML{where}: {problem}"], src) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError(
            [
                f"malformed YAML: unacceptable character #x{exc.character:04x} at position "
                f"{exc.position}"
            ],
            src,
        ) from None
    except yaml.YAMLError:
        raise ScenarioError(["malformed YAML"], src) from None
    except RecursionError:
        raise ScenarioError(["malformed YAML: values nested too deeply"], src) from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem text without its excerpt of the file, at most one short line."""
    problem = (exc.problem or exc.context or "not valid YAML").splitlines()[0]
    return problem if len(problem) <= 120 else problem[:117] + "..."


def _type_name(value: Any) -> str:
    return {str: "text", list: "a list", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _read_with_extends(p: Path, chain: tuple[Path, ...]) -> dict:
    """Read ``p``; if it has ``extends: other.yaml``, deep-merge it onto that file.

    Mappings merge key by key; lists and values replace (so a scenario that changes
    one strategy restates its whole ``strategies`` list).
    """
    resolved = p.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(c) for c in (*chain, resolved))
        raise ScenarioError([f"extends: cycle {cycle}"], str(p))
    data = _read_yaml(p)
    _resolve_paths(data, p.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError([f"extends = {parent!r}: must be a path to a scenario file"], str(p))
    base = _read_with_extends(p.parent / parent, (*chain, resolved))
    return deep_merge(base, data)


def _resolve_paths(data: dict, base_dir: Path) -> None:
    """Make file paths in a scenario file relative to that file (in place)."""
    node = data.get("acquisition")
    node = node.get("known_customers") if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get("file"), str):
        f = Path(node["file"])
        if not f.is_absolute():
            node["file"] = str((base_dir / f).resolve())


def dump_scenario(scenario: Scenario) -> dict:
    """The complete scenario (defaults filled in) as plain JSON-able data."""
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Scenario) -> str:
    """Short SHA-256 of the complete scenario: equal hashes mean identical runs.

    The ``fitted`` section (where fitted values came from) changes no run: it is left out.
    """
    data = dump_scenario(scenario)
    data.pop("fitted", None)
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
