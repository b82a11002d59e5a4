"""The pieces every stylized fact is made of: the fact record, sizes, scenarios, runs.

A *fact* is one published finding the lab's behaviour should reproduce: a target
range from the literature and a measurement the lab makes on itself.  Several
facts may share one *experiment* (the runs of one seed, e.g. a control pool and a
promoted pool), which returns a dict of named measurements; each fact reads one of
them.  Every run of an experiment uses the same seed for all its arms, so the arms
share every random draw where their scenarios agree (common random numbers) and
the differences measured are the effects of the mechanism, not of noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from lab.model import PoolModel
from lab.scenario import Scenario, deep_merge, scenario_from_dict

__all__ = [
    "INF",
    "STRATEGY_DEFAULTS",
    "Fact",
    "Sim",
    "Size",
    "established_pool",
    "orders_by_slot",
    "paid_joins",
    "promotion",
    "promotions",
    "simulate",
    "with_behaviour",
]

INF = float("inf")


@dataclass(frozen=True)
class Size:
    """How big the experiments are: the quick suite (tests) or the full run (docs).

    Attributes
    ----------
    customers : int
        Customers of an established pool.
    joins_per_day : float
        New customers a day where an experiment acquires a cohort.
    cohort_joins_per_day : float
        New customers a day of the cohort followed for 33 months (referral facts
        need enough referred customers among them).
    bgnbd_customers : int
        Customers of the synthetic BG/NBD order log.
    behaviour : dict
        Scenario sections merged into every scenario the facts build (e.g.
        ``{"reference_price": {"learning_rate": 0.02}}``): how a candidate set of
        behavioural defaults is measured against the facts.  Empty: the lab's defaults.
    """

    customers: int
    joins_per_day: float
    cohort_joins_per_day: float
    bgnbd_customers: int
    behaviour: dict = field(default_factory=dict)


# the cohort is large because referred customers are a few percent of it and their
# margin per customer is heavy-tailed: at 1,000 joins a day ~2,000 referred customers
# join, which puts the month-30 margin gap's seed-to-seed spread at about +-0.04
QUICK = Size(
    customers=3_000, joins_per_day=25.0, cohort_joins_per_day=1_000.0, bgnbd_customers=1_500
)
FULL = Size(
    customers=20_000, joins_per_day=150.0, cohort_joins_per_day=2_000.0, bgnbd_customers=5_000
)


@dataclass(frozen=True)
class Fact:
    """One published finding and how the lab is measured against it.

    Attributes
    ----------
    key : str
        Identifier (``facts.csv`` column ``fact``).
    label : str
        Short English label for the plot.
    experiment : str
        Name of the experiment (registry key) whose measurement this fact reads.
    measure : str
        Key of the measurement in the experiment's result.
    source : str
        Citation of the finding.
    target_low, target_high : float
        The published range (``INF`` / ``-INF`` for a direction only).
    unit : str
        What ``value`` is (ratio, elasticity, share ...).
    finding : str
        The finding in one sentence.
    measured : str
        How the lab measures it, in one sentence.
    label_zh : str
        Short Chinese label for the plot.
    """

    key: str
    label: str
    experiment: str
    measure: str
    source: str
    target_low: float
    target_high: float
    unit: str
    finding: str
    measured: str
    label_zh: str

    def passes(self, band_low: float, band_high: float) -> bool:
        """True when the lab's whole band over seeds lies inside the target range.

        A NaN band edge (no measurement) never passes.
        """
        if np.isnan(band_low) or np.isnan(band_high):
            return False
        return bool(self.target_low <= band_low and band_high <= self.target_high)


#: an experiment: (seed, size) -> named measurements of that seed
Experiment = Callable[[int, Size], dict[str, float]]


def established_pool(name: str, size: Size, days: int, **patch) -> dict:
    """A quiet pool of established customers: all imported on day 0 with a history.

    Only stock import acquires (``size.customers`` customers, 4 orders on average
    before joining, the last within 60 days); paid, staff and referral acquisition
    are off and no strategy runs unless ``patch`` adds one.  Everything else is the
    lab's default behaviour (or ``size.behaviour``), which is what the facts measure.
    """
    base = {
        "name": name,
        "days": days,
        "acquisition": {
            "stock_import": {
                "enabled": True,
                "customers_per_day": float(size.customers),
                "total_customers": size.customers,
                "prior_orders_mean": 4.0,
                "prior_recency_max_days": 60,
            },
            "paid": {"enabled": False},
            "staff_invite": {"enabled": False},
            "referral": {"enabled": False},
        },
        "strategies": [],
    }
    return with_behaviour(deep_merge(base, patch), size)


#: scenario sections an experiment sets up itself (a behaviour patch may not change them)
SETUP_KEYS = ("name", "days", "seed", "acquisition", "strategies", "market")


#: behaviour-patch key for candidate defaults of strategy settings: strategy type ->
#: settings, e.g. ``{"membership": {"lock_in_lift": 0.6}}``; applied beneath the
#: settings of every strategy of that type an experiment builds (a behaviour parameter
#: that lives in a strategy's config, such as the membership's lock-in, is then
#: measured like any other section)
STRATEGY_DEFAULTS = "strategy_defaults"


def check_behaviour(behaviour: dict) -> dict:
    """``behaviour`` if it changes only behaviour sections, else a ValueError naming the key."""
    bad = sorted(k for k in behaviour if k in SETUP_KEYS)
    if bad:
        raise ValueError(
            f"behaviour may not set {', '.join(bad)}: the facts' experiments set up "
            f"{', '.join(SETUP_KEYS)} themselves (candidate strategy settings go in "
            f"{STRATEGY_DEFAULTS!r}: strategy type -> settings)"
        )
    defaults = behaviour.get(STRATEGY_DEFAULTS, {})
    if not isinstance(defaults, dict) or not all(isinstance(v, dict) for v in defaults.values()):
        raise ValueError(
            f"behaviour[{STRATEGY_DEFAULTS!r}] must map a strategy type to its settings, "
            f"got {defaults!r}"
        )
    return behaviour


def with_behaviour(scenario: dict, size: Size) -> dict:
    """``scenario`` with ``size.behaviour`` merged in.

    Its :data:`STRATEGY_DEFAULTS` entry goes beneath each strategy of the named type
    (the experiment's own settings win); every other section is merged in.
    """
    if not size.behaviour:
        return scenario
    sections = dict(size.behaviour)
    defaults = sections.pop(STRATEGY_DEFAULTS, {})
    out = deep_merge(scenario, sections) if sections else scenario
    if defaults and out.get("strategies"):
        out = {
            **out,
            "strategies": [
                deep_merge(defaults.get(st.get("type"), {}), st) for st in out["strategies"]
            ],
        }
    return out


def paid_joins(per_day: float, start_day: int, end_day: int) -> dict:
    """Acquisition patch: ``per_day`` new customers a day in [start_day, end_day], no others.

    Paid acquisition at a flat unit cost (no volume saturation), so the number of
    joiners is set by the budget.  The joiners get the *default* traits (the lab's
    paid channel otherwise has its own lower rate and higher deal proneness): they
    stand for any comparable newly acquired customer.
    """
    return {
        "acquisition": {
            "paid": {
                "enabled": True,
                "daily_budget_cny": 60.0 * per_day,
                "base_cac_cny": 60.0,
                "saturation_customers_per_day": 1e9,
                "start_day": start_day,
                "end_day": end_day,
            }
        },
        "traits": {"by_channel": {"paid": default_traits_override()}},
    }


def default_traits_override() -> dict:
    """A ``traits.by_channel`` entry that sets every field to None: the default traits.

    ``traits.by_channel`` merges onto its default entries (a channel left out keeps
    its default override, :mod:`lab.mapping_defaults`), so leaving the paid channel
    out would keep its own lower rate and higher deal proneness; each field set to
    None inherits ``traits.default`` instead.
    """
    from lab.scenario import TraitOverride

    return {name: None for name in TraitOverride.model_fields}


def promotion(first_day: int, duration_days: int, depth: float, name: str = "promo") -> dict:
    """A one-off sitewide promotion (no announcement message) as a big sale."""
    return {
        "name": name,
        "day": first_day,
        "duration_days": duration_days,
        "depth": depth,
        "yearly": False,
    }


def promotions(*sales: dict) -> dict:
    """A ``discount_cadence`` strategy running only the given one-off promotions."""
    return {
        "type": "discount_cadence",
        "every_days": None,
        "announce": None,
        "big_sales": list(sales),
    }


@dataclass
class Sim:
    """One finished run: the model (arrays), its daily KPIs and snapshots of states."""

    model: PoolModel
    daily: dict[str, np.ndarray]
    snapshots: dict[int, dict[str, np.ndarray]]

    @property
    def n(self) -> int:
        return self.model.pop.n

    def state(self, name: str) -> np.ndarray:
        """A customer state at the end of the run (live slots only)."""
        return getattr(self.model.pop, name)[: self.n]

    def orders(self) -> dict[str, np.ndarray]:
        """The run's order log as arrays (``slot, day, amount, list_price, ...``)."""
        return self.model.orders_arrays()


def simulate(
    scenario: dict | Scenario,
    seed: int,
    snapshot_days: Iterable[int] = (),
    fields: tuple[str, ...] = ("stage",),
) -> Sim:
    """Run a scenario, keeping copies of ``fields`` as they are when day ``d`` starts.

    A snapshot at day ``d`` holds the states strategies see on day ``d`` (after
    day ``d - 1`` ended), for the customers present then.
    """
    sc = scenario if isinstance(scenario, Scenario) else scenario_from_dict(scenario)
    model = PoolModel(sc, seed=seed)
    wanted = set(snapshot_days)
    snaps: dict[int, dict[str, np.ndarray]] = {}
    while model.running and model.day < model.days:
        if model.day in wanted:
            n = model.pop.n
            snaps[model.day] = {f: getattr(model.pop, f)[:n].copy() for f in fields}
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    daily = {c: frame[c].to_numpy(dtype=np.float64) for c in frame.columns}
    return Sim(model, daily, snaps)


def orders_by_slot(
    sim: Sim, first_day: int, end_day: int, n: int | None = None, value: str | None = None
) -> np.ndarray:
    """Per customer: orders (or the sum of ``value``) placed in days [first_day, end_day)."""
    o = sim.orders()
    n = sim.n if n is None else n
    keep = (o["day"] >= first_day) & (o["day"] < end_day) & (o["slot"] < n)
    w = None if value is None else np.asarray(o[value], dtype=np.float64)[keep]
    return np.bincount(o["slot"][keep].astype(np.int64), weights=w, minlength=n)[:n]
