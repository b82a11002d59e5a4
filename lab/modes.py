"""Operating modes, monetisation roles and growth stages: starting scenarios (运营模式).

Seed article 004 diagnoses a brand's private pool along three dimensions, 2 × 2 × 3 = 12
operating modes (12种运营模式):

* **company** (企业类型): a *channel* company sells through its own terminal (supermarket,
  vertical e-commerce, live commerce, community group buying) and may use many discounts
  ("多快好省"); a *brand* company must protect its brand tone (品牌调性), so discounts are
  rarer and shallower and loyalty comes from membership;
* **content** (内容属性): *IP* brands keep a persona that publishes value and interaction
  content continuously (李子柒, 故宫); *non-IP* brands borrow content from KOC/KOL posts
  and lean on offers;
* **distribution** (分销): *self*-operated (every touchpoint run by the company, e.g.
  完美日记's 小完子), *guide* (BA: shop assistants own the relationships, 导购, seed 002)
  or *KOC* (seed customers given a lower price to spread the word, which widens reach but
  can disturb prices).

It then names three monetisation roles (变现角色): the *shopping assistant* (购物助手:
one-to-many, frequent cheap purchases), the *topic expert* (话题专家: interest
communities) and the *private partner* (私人伙伴: one-to-one, high-ticket VVIP), and four
growth stages with stepped goals (初创期 → 成长期 → 成熟期 → 扩张期): conversion and
fans first, then sales, then lifetime value, then new channels and markets.

Each choice here is a scenario fragment: the strategies a team in that mode would
start from, and where the seed implies it, a setting of the business (the category's
basket for high-ticket partners, the paid budget of a growth push). No behavioural
parameter of the customers is changed: the modes say what the team does, not how
customers respond. :func:`starting_scenario` merges one choice per dimension into a
complete scenario that validates; ``lab new`` writes it with a header that explains
every choice and names the seed it comes from.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

__all__ = [
    "DIMENSIONS",
    "Choice",
    "choices",
    "describe",
    "parse_mode",
    "picked_choices",
    "starting_scenario",
]


@dataclass(frozen=True)
class Choice:
    """One option of one dimension: its key, bilingual name, source and fragment.

    Attributes
    ----------
    key : str
        Name used on the command line (``brand``, ``ip``, ``guide``...).
    en, zh : str
        What the option means, in English and Chinese.
    source : str
        The seed article (and its claim) the option rests on.
    fragment : dict
        Scenario keys the option sets; ``strategies`` entries are appended.
    goal : str
        For growth stages: the objective to compare and optimise on.
    """

    key: str
    en: str
    zh: str
    source: str
    fragment: dict = field(default_factory=dict)
    goal: str = ""


_MONTHLY_BIG_SALES = [
    {"name": "618", "date": "2026-06-16", "duration_days": 3, "depth": 0.3},
    {"name": "双11", "date": "2026-11-09", "duration_days": 3, "depth": 0.35},
]


def _discounts(label: str, every_days: int, depth: float, big_depth_extra: float) -> dict:
    sales = [{**s, "depth": round(s["depth"] + big_depth_extra, 2)} for s in _MONTHLY_BIG_SALES]
    return {
        "type": "discount_cadence",
        "label": label,
        "every_days": every_days,
        "first_day": 7,
        "duration_days": 3,
        "depth": depth,
        "kind": "sitewide",
        "announce": "mass_message",
        "big_sales": sales,
    }


def _plan(label: str, touchpoint: str, weekly: dict, reach: float) -> dict:
    return {
        "type": "contact_plan",
        "label": label,
        "touchpoint": touchpoint,
        "weekly": weekly,
        "reach": reach,
    }


COMPANY = (
    Choice(
        "channel",
        "channel company: many offers, the terminal competes on price and convenience",
        "渠道类企业: 多快好省, 营销策略更多 (联合营销、多种折扣)",
        "seed 004: channel companies can use more marketing tactics and discounts",
        {"strategies": [_discounts("fortnightly 15% off", 14, 0.15, 0.05)]},
    ),
    Choice(
        "brand",
        "brand company: rare, shallow discounts to keep the brand tone; loyalty by membership",
        "品牌类企业: 保证品牌调性, 折扣少而浅, 以会员绑定忠诚",
        "seed 004: a brand must protect its tone; seed 001/000: membership binds spending",
        {
            "strategies": [
                _discounts("monthly 10% off", 30, 0.1, 0.0),
                {"type": "membership", "label": "paid membership", "fee_cny": 99.0},
            ]
        },
    ),
)

CONTENT = (
    Choice(
        "ip",
        "IP content: a persona publishes value and interaction content every day",
        "IP型: 人格化IP持续输出内容、情感与趣味",
        "seed 004: IP is the soul, content the flesh (IP为灵魂, 内容为血肉)",
        {
            "strategies": [
                _plan(
                    "IP group plan",
                    "group",
                    {
                        "mon": ["value"],
                        "tue": ["interaction"],
                        "wed": ["value"],
                        "thu": ["interaction"],
                        "fri": ["value"],
                        "sat": ["promotion"],
                        "sun": [],
                    },
                    0.5,
                ),
                _plan(
                    "IP moments",
                    "moments",
                    {
                        "mon": ["value"],
                        "tue": ["interaction"],
                        "wed": ["value"],
                        "fri": ["value"],
                        "sun": ["interaction"],
                    },
                    0.35,
                ),
            ]
        },
    ),
    Choice(
        "non-ip",
        "non-IP content: KOC/KOL posts and offers carry the pool",
        "非IP型: 借助KOC/KOL内容与优惠",
        "seed 004: non-IP brands (完美日记) use KOC or paid KOL content",
        {
            "strategies": [
                _plan(
                    "offer group plan",
                    "group",
                    {
                        "mon": ["promotion"],
                        "tue": [],
                        "wed": ["value"],
                        "thu": [],
                        "fri": ["promotion"],
                        "sat": ["promotion"],
                        "sun": [],
                    },
                    0.5,
                ),
                _plan("KOC moments", "moments", {"tue": ["value"], "sat": ["promotion"]}, 0.3),
            ]
        },
    ),
)

DISTRIBUTION = (
    Choice(
        "self",
        "self-operated: the company's own accounts run every touchpoint",
        "自营: 所有运营节点由企业自己运营",
        "seed 004: 小完子 is self-operated, controlled content from the middle office",
        {"acquisition": {"staff_invite": {"staff": 10, "invites_per_staff_per_day": 0.8}}},
    ),
    Choice(
        "guide",
        "shop guides (BA) hold the relationships one to one",
        "BA导购: 店员导购一对一维护顾客",
        "seed 004: 西贝's store managers as private IPs; seed 002: when a guide quits, "
        "their customers drift away",
        {
            "strategies": [
                {
                    "type": "shop_guides",
                    "label": "shop guides",
                    "guides": 6,
                    "book_size": 500,
                    "target": {"channels": ["stock_import", "staff_invite"]},
                },
            ]
        },
    ),
    Choice(
        "koc",
        "KOC distribution: seed customers get a better price to spread the word",
        "KOC分销: 赋能种子客户, 以较低价格引导传播与裂变",
        "seed 004: KOCs extend reach at a lower price, but can disturb prices",
        {
            "strategies": [
                {
                    "type": "fission_program",
                    "label": "KOC referral",
                    "reward_cny": 40.0,
                    "invitee_reward_cny": 10.0,
                    "invites_required": 1,
                },
            ]
        },
    ),
)

ROLE = (
    Choice(
        "assistant",
        "shopping assistant: one to many, frequent cheap purchases",
        "购物助手: 一对多, 高频低价",
        "seed 004: the shopping-assistant role suits frequent, low-ticket categories",
        {"strategies": [{"type": "newcomer", "label": "newcomer coupon"}]},
    ),
    Choice(
        "expert",
        "topic expert: interest communities around a subject",
        "话题专家: 兴趣社群",
        "seed 004: topic experts run interest communities (社群)",
        {"strategies": [{"type": "community_groups", "label": "interest communities"}]},
    ),
    Choice(
        "partner",
        "private partner: one to one for high-ticket VVIP customers",
        "私人伙伴: 一对一服务高客单VVIP",
        "seed 004: private partners serve the VVIP of luxury, education and fitness",
        {
            "traits": {"default": {"basket": {"mean_order_value_cny": 900.0}}},
            "strategies": [
                {"type": "rfm_playbook", "label": "VVIP care"},
            ],
        },
    ),
)

STAGE = (
    Choice(
        "startup",
        "start-up: prove conversion and win the first fans",
        "初创期: 先做转化率与拉粉",
        "seed 004: goals step up with the growth stage, conversion or fans first",
        {"first_order": {"trial": {"enabled": True}}},
        goal="conversion",
    ),
    Choice(
        "growth",
        "growth: sales volume, with a larger paid budget",
        "成长期: 做销量, 加大公域投放",
        "seed 004: stepped goals (初创期—成长期—成熟期—扩张期)",
        {"acquisition": {"paid": {"daily_budget_cny": 4000}}},
        goal="gmv",
    ),
    Choice(
        "mature",
        "mature: lifetime value, a playbook per lifecycle stage",
        "成熟期: 提升LTV, 分阶段运营",
        "seed 001: a different play in each lifecycle stage; seed 004: stepped goals",
        {"strategies": [{"type": "lifecycle_playbook", "label": "four-stage playbook"}]},
        goal="ltv_margin",
    ),
    Choice(
        "expansion",
        "expansion: new customers through staff and referral at scale",
        "扩张期: 全员营销与裂变扩大规模",
        "seed 004: stepped goals; seed 000: fission is the cheapest acquisition",
        {"acquisition": {"staff_invite": {"staff": 25}, "referral": {"reward_cny": 30}}},
        goal="customers",
    ),
)

#: the dimensions in the order a mode is written: ``company/content/distribution``
DIMENSIONS: dict[str, tuple[Choice, ...]] = {
    "company": COMPANY,
    "content": CONTENT,
    "distribution": DISTRIBUTION,
    "role": ROLE,
    "stage": STAGE,
}

_BASE: dict = {
    "days": 365,
    "start_date": "2026-01-01",
    "acquisition": {
        "stock_import": {"customers_per_day": 40, "total_customers": 6000},
        "paid": {"daily_budget_cny": 2000, "base_cac_cny": 60},
        "staff_invite": {"staff": 10, "invites_per_staff_per_day": 0.8},
        "referral": {"reward_cny": 20, "invitee_reward_cny": 5},
    },
    "strategies": [],
}


def choices(dimension: str) -> tuple[Choice, ...]:
    """The options of one dimension (``company``, ``content``, ``distribution``, ``role``, ``stage``)."""
    try:
        return DIMENSIONS[dimension]
    except KeyError:
        raise ValueError(
            f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}"
        ) from None


def _pick(dimension: str, key: str) -> Choice:
    from lab.suggest import did_you_mean

    options = choices(dimension)
    for c in options:
        if c.key == key:
            return c
    keys = [c.key for c in options]
    raise ValueError(
        f"{dimension} {key!r} is not one of {', '.join(keys)}{did_you_mean(key, keys)}"
    )


def parse_mode(mode: str) -> dict[str, str]:
    """Split ``"brand/ip/guide"`` into its company, content and distribution keys.

    Raises
    ------
    ValueError
        Not three parts, or a part that names no option (with the closest one).
    """
    parts = [p.strip() for p in mode.replace(",", "/").split("/")]
    if len(parts) != 3:
        raise ValueError(f"mode {mode!r} must be company/content/distribution, e.g. brand/ip/guide")
    picked = dict(zip(("company", "content", "distribution"), parts, strict=True))
    for dim, key in picked.items():
        _pick(dim, key)
    return picked


def _merge(into: dict, fragment: dict) -> None:
    for k, v in fragment.items():
        if k == "strategies":
            into.setdefault("strategies", []).extend(copy.deepcopy(v))
        elif isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = copy.deepcopy(v)


def picked_choices(
    company: str = "brand",
    content: str = "ip",
    distribution: str = "self",
    role: str = "assistant",
    stage: str = "growth",
) -> list[tuple[str, Choice]]:
    """The chosen option of each dimension, validated, in dimension order."""
    keys = {
        "company": company,
        "content": content,
        "distribution": distribution,
        "role": role,
        "stage": stage,
    }
    return [(dim, _pick(dim, keys[dim])) for dim in DIMENSIONS]


def starting_scenario(
    company: str = "brand",
    content: str = "ip",
    distribution: str = "self",
    role: str = "assistant",
    stage: str = "growth",
    name: str | None = None,
) -> dict:
    """A complete starting scenario (as a dict) for one mode, role and stage.

    Parameters
    ----------
    company, content, distribution : str
        The operating mode: ``channel|brand``, ``ip|non-ip``, ``self|guide|koc``.
    role : str
        Monetisation role: ``assistant``, ``expert`` or ``partner``.
    stage : str
        Growth stage: ``startup``, ``growth``, ``mature`` or ``expansion``.
    name : str, optional
        Scenario name; default ``company-content-distribution-role-stage``.

    Returns
    -------
    dict
        Scenario keys; ``lab.Scenario.model_validate`` accepts it.

    Raises
    ------
    ValueError
        An option that does not exist (with the closest valid one).
    """
    picked = picked_choices(company, content, distribution, role, stage)
    sc = copy.deepcopy(_BASE)
    for _, choice in picked:
        _merge(sc, choice.fragment)
    label = "-".join(c.key for _, c in picked)
    sc["name"] = name or label
    sc["description"] = "; ".join(c.en.split(":")[0] for _, c in picked)
    return {"name": sc.pop("name"), "description": sc.pop("description"), **sc}


def describe(
    company: str = "brand",
    content: str = "ip",
    distribution: str = "self",
    role: str = "assistant",
    stage: str = "growth",
) -> list[str]:
    """One line per dimension: the choice in English and Chinese and its source."""
    lines = []
    for dim, c in picked_choices(company, content, distribution, role, stage):
        goal = f" Goal to compare on: {c.goal}." if c.goal else ""
        lines.append(f"{dim}: {c.en} ({c.zh}). Source: {c.source}.{goal}")
    return lines
