"""Write the tutorial notebooks from the cells below (the single source of truth).

    python notebooks/build.py          # (re)write notebooks/*.ipynb
    python notebooks/build.py --check  # exit 1 if a committed notebook differs

The notebooks are stored without outputs and with null execution counts; the
tests (``tests/test_notebooks.py``) run each one top to bottom in a fresh kernel
with ``SMALL = True`` injected after the cell tagged ``parameters`` (the
papermill convention).  Edit the cells here, run this script, commit both.
Every notebook is a thin client of ``lab``: helpers it needs live in
``lab/teaching.py`` or ``lab/explorer.py``, documented and tested.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

PARAMETERS = """\
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False"""


def md(text: str) -> dict:
    """A markdown cell."""
    return {"kind": "markdown", "source": dedent(text).strip("\n")}


def code(src: str, hidden: bool = False) -> dict:
    """A code cell; ``hidden`` collapses its source in JupyterLab (a solution)."""
    return {"kind": "code", "source": dedent(src).strip("\n"), "hidden": hidden}


def params() -> dict:
    """The cell tagged ``parameters``."""
    return {"kind": "parameters", "source": PARAMETERS}


def notebook(cells: list[dict]) -> nbformat.NotebookNode:
    """Build a notebook with stable cell ids, no outputs and the python3 kernel."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    for i, c in enumerate(cells, start=1):
        cid = f"cell-{i:02d}"
        if c["kind"] == "markdown":
            cell = new_markdown_cell(c["source"], id=cid)
        else:
            cell = new_code_cell(c["source"], id=cid)
            cell.execution_count = None
            cell.outputs = []
            if c["kind"] == "parameters":
                cell.metadata["tags"] = ["parameters"]
            if c.get("hidden"):
                cell.metadata["jupyter"] = {"source_hidden": True}
                cell.metadata["tags"] = ["solution"]
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


# ----------------------------------------------------------------------------- 00
NB00 = [
    md("""
    # 00 · Classroom explorer · 课堂探索器

    Move the levers a private-traffic team (私域运营团队) pulls and watch what a simulated
    pool of about 4 000 customers does over a year: GMV (成交总额), net margin (净利),
    promo fatigue (促销疲劳) and blocks (拉黑/删除).

    | lever · 杠杆 | what it changes |
    |---|---|
    | discount depth · 折扣力度 | how much the recurring promotion takes off the list price (0 = no recurring promotion; 618 and 双11 stay) |
    | days between promotions · 促销间隔 | the promotion cadence (7 = weekly, 30 = monthly) |
    | group messages / week · 每周社群消息 | messages to the group (社群): promotion, interaction, promotion, value, ... in turn |
    | paid membership · 付费会员 | a paid card (会员卡) with member prices and member days, and its annual fee |
    | referral reward · 裂变奖励 | the red envelope (红包) a customer gets for each friend who joins |

    Every update runs the same seed, so the grey dashed lines (the default settings)
    and yours differ only by what you moved: a paired comparison (配对比较).
    One update takes well under two seconds.
    """),
    params(),
    code("""
    from IPython.display import Image, display

    from lab.explorer import ClassroomPool, Explorer, explore, figure_png

    LANG = "zh"  # "en" for English labels
    POOL = ClassroomPool(days=180 if SMALL else 365)
    """),
    md("""
    ## The explorer · 探索器

    Sliders update when you release them.  *Reset · 重置* goes back to the defaults.
    """),
    code("""
    explorer = Explorer(lang=LANG, pool=POOL)
    explorer
    """),
    md("""
    ## Without widgets · 不用控件也可以

    The widget only wires sliders to one pure function, `explore(params)`, which you can
    call yourself, e.g. to prepare a slide or check a student's answer.
    """),
    code("""
    flood = explore({"messages_per_week": 14}, pool=POOL, lang="en")
    flood.table()
    """),
    code("""
    display(Image(figure_png(flood.figure)))
    print(f"one update: {flood.seconds:.2f} s")
    """),
    md("""
    ## Questions for the class · 课堂问题

    1. Raise *group messages / week* from 4 to 14.  Blocks (拉黑) rise; does GMV rise too?
       Where does net margin peak?  (Notebook 06 answers it with uncertainty.)
    2. Make the promotion weekly (7 days) instead of monthly (30).  What happens to
       promo fatigue (促销疲劳) and to the discount cost (折扣成本)?
    3. Make the discount deeper at the monthly cadence.  Which numbers move?
       (Fatigue grows with how often *and* how deeply customers see promotions; depth
       also lowers the reference price 参考价格 and raises the discount cost.)
    4. Switch the paid membership on and move the fee from 49 to 199 yuan.
       Who joins, and what happens to net margin?
    5. Set the referral reward to 0, then to 60.  How many customers join by referral (裂变)?
    """),
    code("""
    # The same questions, answered by the pure function (used by the tests too)
    base = explore(pool=POOL, figure=False)
    for levers in (
        {"messages_per_week": 14},
        {"discount_every_days": 7},
        {"discount_depth": 0.4},
        {"membership": True, "membership_fee_cny": 49},
        {"membership": True, "membership_fee_cny": 199},
        {"referral_reward_cny": 60},
    ):
        r = explore(levers, pool=POOL, figure=False)
        moved = {k: f"{v:+.0%}" for k, v in r.change.items() if k != "members"}
        print(levers, "members:", int(r.metrics["members"]), moved)
    """),
]

# ----------------------------------------------------------------------------- 01
NB01 = [
    md("""
    # 01 · Quickstart · 快速上手

    The lab simulates the customers of a brand's **private traffic pool (私域流量池)**:
    people the brand can reach again for free, through personal WeChat, WeCom
    (企业微信), groups (社群), Moments (朋友圈) and mini programs.  Customers are
    imported from platforms (存量导入), bought with ads (公域拉新), invited by staff
    (全员营销) and by friends (裂变); they buy, rebuy (复购), tire of promotions
    (促销疲劳), block over-eager contacts (拉黑) and drift away (流失).

    In this notebook: load the baseline scenario (基线情景), run it, read the KPIs,
    plot them and follow one customer's journey (用户旅程).
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt

    import lab
    from lab import plots, teaching

    SCALE = 0.15 if SMALL else 1.0  # share of the baseline's acquisition volumes
    DAYS = 120 if SMALL else 365
    SEED = 7
    """),
    md("""
    ## 1 · Load a scenario · 加载情景

    A scenario is a YAML file: the pool, the customers' behaviour and the strategies
    the team runs.  Every key it leaves out takes a documented default
    (`lab explain scenarios/baseline.yaml` lists them all).
    """),
    code("""
    base = lab.load_scenario(teaching.scenario_path("baseline"))
    base = teaching.scale_pool(base, SCALE)
    print(base.name, "-", base.description)
    for s in base.strategies:
        print(f"  strategy: {s.type:16} {s.label}")
    """),
    md("""
    ## 2 · Run · 运行

    The same scenario and seed always give identical results.  One simulated year of
    the full baseline (about 20 000 customers) takes about a second.
    """),
    code("""
    res = lab.run(base, seed=SEED, days=DAYS)
    res.summary()
    """),
    md("""
    ## 3 · Read the KPIs · 关键指标

    The headline numbers, with their Chinese names (definitions: `docs/metrics.md`).
    """),
    code("""
    teaching.kpi_table(res).round(3)
    """),
    md("""
    The daily table has one row per day: new customers by channel, customers by
    lifecycle stage, orders, GMV, discounts, margin, contacts, blocks, referrals,
    mean promo fatigue and every cost line.
    """),
    code("""
    res.daily[["date", "customers", "orders", "gmv", "net_margin", "new_blocks", "mean_fatigue"]].tail()
    """),
    md("""
    ## 4 · Plot them · 作图

    Every plot function takes `lang="en"` or `lang="zh"`.
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    plots.plot_kpi(res, "gmv", ax=axes[0])
    plots.plot_kpi(res, "mean_fatigue", ax=axes[1], lang="zh")
    plt.show()
    """),
    md("""
    ## 5 · Orders and customers · 订单与用户

    `res.transactions` is shaped like a real order export; `res.customers` has one row
    per customer with their latent traits and final state.
    """),
    code("""
    res.transactions.head()
    """),
    code("""
    res.customers.groupby("channel", observed=True)[["spend", "n_orders_in_run", "referrals"]].mean()
    """),
    md("""
    ## 6 · One customer's journey · 用户旅程

    Pick a customer who ordered several times and brought friends, and read their
    story: how they joined, what they bought at which discount, whom they invited,
    whether they blocked the brand.
    """),
    code("""
    c = res.customers
    uid = int(c.sort_values(["referrals", "n_orders_in_run"], ascending=False)["customer_id"].iloc[0])
    journey = res.customer(uid)
    print(journey)
    """),
    code("""
    journey.orders[["date", "amount", "list_price", "discount", "is_trial"]]
    """),
    md("""
    ## Next · 接下来

    * `02_funnel_and_lifecycle` — the funnel, the lifecycle stages and the first purchases
    * `03_promo_fatigue` — weekly vs monthly discounts, with uncertainty
    * `04_membership_vs_stored_value_vs_coupons` — who gains, what it costs
    * `05_fission_economics` — reward levels, K-factor, cost per referred customer
    * `06_contact_frequency_and_blocks` — the message frequency that maximises net revenue
    * `07_shop_guides` — staff capacity, turnover, reassignment
    * `00_classroom_explorer` — sliders for the classroom
    """),
]

# ----------------------------------------------------------------------------- 02
NB02 = [
    md("""
    # 02 · The funnel and the lifecycle · 漏斗与生命周期

    A private pool works like a funnel with a loop (seed article 001):

    **traffic in (引流) → operate (运营) → convert (转化) → fission (裂变) → repurchase (回购)**

    * **Traffic in · 引流**: people are added to the pool — moved from platforms
      (存量导入), bought with ads (公域拉新), invited by staff (员工邀请) or by friends (裂变).
    * **Operate · 运营**: the team reaches them with content, activities and offers
      through touchpoints (触点): private chat (私聊), group chat (群聊), Moments (朋友圈),
      mass messages (群发).
    * **Convert · 转化**: the first order (首单).  Barriers: understanding, motivation,
      trust and the action cost; a good welcome message (欢迎语) and a cheap trial
      product (体验品) lower them.
    * **Fission · 裂变**: buyers invite friends for a reward (奖励: gift 礼品, red envelope 红包).
    * **Repurchase · 回购/复购**: the point of the whole pool.

    After the first order a customer moves through the **lifecycle (生命周期)** by the days
    since their last order: **active 活跃期 → silent 沉默期 → sleeping 睡眠期 → churned 流失期**.
    Each stage wants a different play: keep contact and show value while active, small
    promotions when silent, a bigger win-back offer when sleeping, and only the big sales
    once churned.

    And **the first 3–5 purchases decide stickiness**: each early order makes the next
    one likelier (a habit forms), the first three matter most.
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt
    import pandas as pd

    import lab
    from lab import analysis, plots, teaching
    from lab.i18n import label

    plt.rcParams.update(plots.house_rc("zh"))  # the lab's style and CJK font for our own plots too
    SCALE = 0.15 if SMALL else 1.0
    DAYS = 150 if SMALL else 365
    SEED = 7

    base = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("baseline")), SCALE)
    res = lab.run(base, seed=SEED, days=DAYS)
    """),
    md("""
    ## 1 · The funnel · 漏斗

    Each stage counts customers; its rate is over the stage named in `of`.  Fission and
    repurchase are both measured over converted customers: the two things a buyer goes
    on to do.
    """),
    code("""
    f = analysis.funnel(res)
    f.assign(en=[label(s, "en") for s in f["stage"]], zh=[label(s, "zh") for s in f["stage"]])
    """),
    code("""
    plots.plot_funnel(f, lang="zh")
    plt.show()
    """),
    md("""
    Channels convert differently: imported customers (存量导入) already bought on a
    platform, paid ones (公域拉新) are strangers, referred ones (裂变) come with a
    friend's trust.
    """),
    code("""
    by_channel = analysis.funnel(res, by="channel")
    by_channel.pivot(index="group", columns="stage", values="rate")[list(analysis.FUNNEL_STAGES)[1:]]
    """),
    md("""
    ## 2 · The lifecycle · 生命周期

    Stages follow the days since the last order; the thresholds are in the scenario.
    Prospects (加了未下单) were added but never ordered.
    """),
    code("""
    lc = base.lifecycle
    print(
        f"active -> silent after {lc.days_to_silent} days, -> sleeping after "
        f"{lc.days_to_sleeping}, -> churned after {lc.days_to_churned}"
    )
    stages = ["prospect", "active", "silent", "sleeping", "churned"]
    fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    ax.stackplot(
        res.daily["day"],
        [res.daily[s] for s in stages],
        labels=[f"{label(s, 'en')} · {label(s, 'zh')}" for s in stages],
        alpha=0.85,
    )
    ax.set_xlabel("day · 天")
    ax.set_ylabel("customers · 用户数")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Customers by lifecycle stage · 各生命周期阶段用户数")
    plt.show()
    """),
    md("""
    How long do buyers keep buying?  Kaplan–Meier curves (留存曲线) of the share of
    first-time buyers not yet lapsed (no order for 90 days), per channel.
    """),
    code("""
    curves = analysis.survival_curves(res, by="channel", event="lapse")
    plots.plot_survival(curves)
    plt.show()
    """),
    md("""
    ## 3 · The first 3–5 purchases · 前 3–5 次购买

    The purchase ladder (购买阶梯): how many customers reach their 1st, 2nd, ... 5th
    order in the pool, and the step rate P(≥ k | ≥ k−1).  The step rate climbs over the
    first orders, for two reasons: each order makes the next likelier (a habit forms),
    and those who get that far are the frequent buyers to begin with (selection).  The
    exercise below separates the two.
    """),
    code("""
    ladder = analysis.purchase_ladder(res, max_order=5)
    ladder
    """),
    code("""
    fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
    ax.bar(ladder["order_number"], ladder["step_rate"], color="#1f5a96")
    ax.set_xlabel("order number k · 第 k 次购买")
    ax.set_ylabel("P(≥ k | ≥ k−1)")
    ax.set_title("Step rate of the purchase ladder · 购买阶梯转化率")
    plt.show()
    """),
    md("""
    ## 4 · Layering · 用户分层 (RFM)

    For larger pools, teams layer buyers by recency (最近一次消费), frequency (消费频率)
    and monetary value (消费金额) over the last 90 days, and act per class: exclusive
    offers for important-value customers (重要价值), frequency boosters for
    important-development ones (重要发展), cheap re-activation for general-retention
    ones (一般挽留).
    """),
    code("""
    plots.plot_rfm_grid(analysis.rfm_table(res), lang="zh")
    plt.show()
    """),
    md("""
    ## Exercise · 练习

    1. Switch habit formation off (`habit.enabled = False`) with
       `teaching.with_changes(base, {...})` and run it **with the same seed**.  How do
       the step rates of the purchase ladder change?  Which step changes most?
    2. Make the welcome message (欢迎语) perfect (`first_order.welcome_quality = 1.0`).
       What happens to the conversion rate (转化率)?

    Write your code in the cell below, then compare with the solution (the hidden cell
    after it; click to expand).
    """),
    code("""
    # your code here · 在这里写代码
    """),
    md("""
    <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>

    Without habit formation every step after the first is lower, and the later steps
    (to the 3rd, 4th and 5th order) lose the most: that is the habit the seed article
    means by "the first 3–5 purchases decide stickiness".  The step rates still climb a
    little without habit: customers who reach a later order are the frequent buyers to
    begin with (selection).  A perfect welcome message raises trust at the first contact,
    so more prospects place a first order.  Both runs use the same seed, so the
    differences are the mechanism, not luck.
    </details>
    """),
    code(
        """
    no_habit = lab.run(teaching.with_changes(base, {"habit": {"enabled": False}}), seed=SEED, days=DAYS)
    steps = pd.DataFrame(
        {
            "habit on": ladder.set_index("order_number")["step_rate"],
            "habit off": analysis.purchase_ladder(no_habit, 5).set_index("order_number")["step_rate"],
        }
    )
    print(steps.assign(change=steps["habit off"] - steps["habit on"]).round(3))

    welcome = lab.run(
        teaching.with_changes(base, {"first_order": {"welcome_quality": 1.0}}), seed=SEED, days=DAYS
    )
    print(
        "conversion rate:",
        round(analysis.purchase_ladder(res, 1)["share_of_customers"].iloc[0], 3),
        "->",
        round(analysis.purchase_ladder(welcome, 1)["share_of_customers"].iloc[0], 3),
    )
    """,
        hidden=True,
    ),
    md("""
    ## Glossary · 术语表

    | English | 中文 |
    |---|---|
    | private traffic (pool) | 私域流量 (池) |
    | public traffic | 公域流量 |
    | stock import / public acquisition | 存量导入 / 公域拉新 |
    | fission / referral | 裂变 |
    | conversion / first order | 转化 / 首单 |
    | repurchase, repurchase rate | 复购 / 回购, 复购率 |
    | active, silent, sleeping, churned | 活跃期, 沉默期, 睡眠期, 流失期 |
    | promo fatigue | 促销疲劳 |
    | block / delete | 拉黑 / 删除 |
    | layering (RFM) | 用户分层 |
    | lifetime value (LTV) | 用户生命周期价值 |
    """),
]

# ----------------------------------------------------------------------------- 03
NB03 = [
    md("""
    # 03 · Promo fatigue: weekly vs monthly discounts · 促销疲劳: 每周折扣 vs 每月折扣

    **Question.** Weekly 20% off (two days a week) or monthly 30% off (three days a month):
    which gives more GMV and margin over 12 months, and how tired of promotions
    (促销疲劳) do customers get?

    Two mechanisms work against frequent promotions:

    * **promo fatigue (促销疲劳)**: every promotion day a customer sees tires them a
      little; tired customers respond less to offers and messages; fatigue fades
      slowly between promotions;
    * **reference price (参考价格)**: customers learn prices from the discounts they
      see; after many promotions the list price feels expensive and full-price
      purchases fall.

    Both scenarios come with the lab: `scenarios/q1_weekly_20off.yaml` and
    `scenarios/q1_monthly_30off.yaml`.  `lab.compare` runs them with the same seeds and
    takes the difference **per seed first** (common random numbers, 共同随机数), then
    its 90% interval: the uncertainty of the answer, not of one run.
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt

    import lab
    from lab import analysis, plots, teaching
    from lab.experiments import interval_widths

    SCALE = 0.15 if SMALL else 1.0
    DAYS = 120 if SMALL else 365
    SEEDS = range(3) if SMALL else range(12)
    WORKERS = 1 if SMALL else None  # processes (None = all cores)

    monthly = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("q1_monthly_30off")), SCALE)
    weekly = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("q1_weekly_20off")), SCALE)
    """),
    md("""
    ## 1 · Paired comparison · 配对比较

    A = monthly 30% off, B = weekly 20% off.  `diff_low`/`diff_high` bound the mean
    paired difference B − A (90%); the verdict says whether the interval excludes 0.
    """),
    code("""
    cmp = lab.compare(
        {"monthly 30% off": monthly, "weekly 20% off": weekly},
        seeds=SEEDS,
        days=DAYS,
        workers=WORKERS,
    )
    metrics = [
        "gmv",
        "gross_margin",
        "net_margin",
        "discount_cost",
        "share_on_discount",
        "mean_fatigue",
        "fatigue_index",
        "block_rate",
    ]
    t = cmp.table.set_index("metric").loc[metrics]
    t[["a_median", "b_median", "diff_mean", "diff_low", "diff_high", "verdict"]]
    """),
    code("""
    plots.plot_forest(cmp, lang="zh")
    plt.show()
    """),
    md("""
    ## 2 · Over time · 走势

    Median and 10–90% band over the seeds.  Weekly promotions keep fatigue high all year;
    the monthly plan lets it fade between promotions.
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    plots.plot_kpi(cmp, "cum_net_margin", ax=axes[0])
    plots.plot_kpi(cmp, "mean_fatigue", ax=axes[1])
    plt.show()
    """),
    md("""
    ## 3 · Inside one run · 单次运行细看

    Week by week: the share of orders on discount (折扣订单占比), mean fatigue and blocks
    per 1000 reachable customers.  Customers of the weekly plan learn to wait for the
    next promotion.
    """),
    code("""
    runs = {
        name: lab.run(sc, seed=0, days=DAYS) for name, sc in (("monthly", monthly), ("weekly", weekly))
    }
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained", sharey=True)
    for ax, (name, r) in zip(axes, runs.items(), strict=True):
        plots.plot_fatigue(analysis.fatigue_over_time(r, period_days=7), ax=ax)
        ax.set_title(name)
    plt.show()
    """),
    md("""
    The fatigue index (促销疲劳指数) is computed on the order log alone, so it works on a
    real shop's export too: 1 − (response to the last promotions) / (response to the
    first ones), like-for-like promotions only.
    """),
    code("""
    for name, r in runs.items():
        resp = analysis.promo_response(r)
        print(f"{name}: {len(resp)} promotions, fatigue index {analysis.fatigue_index(r):.2f}")
    analysis.promo_response(runs["weekly"]).head(8)
    """),
    md("""
    ## 4 · Why pair the seeds? · 为什么要配对

    The runs of one seed share every random draw where the scenarios agree, so the
    per-seed differences are far less noisy than the runs themselves.  The paired
    interval is a fraction of the unpaired (Welch) one on the same runs:
    """),
    code("""
    {m: round(interval_widths(cmp, m)["ratio"], 2) for m in ("gmv", "net_margin", "mean_fatigue")}
    """),
    md("""
    ## Try · 试一试

    * Change the depth of the weekly plan: `teaching.set_strategy(weekly, "discount_cadence", depth=0.1)`.
    * Switch fatigue off (`teaching.with_changes(weekly, {"fatigue": {"enabled": False}})`):
      how much of the gap was fatigue, how much the reference price?
    """),
]

# ----------------------------------------------------------------------------- 04
NB04 = [
    md("""
    # 04 · Membership vs stored value vs coupons · 付费会员 vs 储值 vs 优惠券

    **Question.** A 99-yuan annual membership card (付费会员), a top-up offer (储值:
    pay 500, get 600) or monthly coupons (优惠券): which raises lifetime value (LTV) more,
    for whom, and what does each cost?

    | scenario | what the team does |
    |---|---|
    | `baseline` | monthly 20% off for everyone (sitewide), 618 and 双11 |
    | `q2_monthly_coupons` | a 15% coupon each month to every customer the brand can still reach, plus the big sales |
    | `q2_membership_99` | a 99-yuan card: 5% member price, a monthly member day (会员日) at 15%, free shipping; big sales only |
    | `q7_stored_value` | the baseline's promotions plus a top-up: pay 500, get 600 to spend within a year |

    Membership and stored value both **bind future spending** (锁客): members buy more
    often; a customer with a balance buys more often and is less likely to leave until
    it is spent.  Their costs are booked as lines of their own: member benefits
    (shipping), the stored-value bonus, and the revenue lines: membership fees,
    breakage (沉淀资金: balances that expire unspent).
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt

    import lab
    from lab import plots, teaching

    plt.rcParams.update(plots.house_rc("zh"))  # the lab's style and CJK font for our own plots too
    SCALE = 0.15 if SMALL else 1.0
    DAYS = 120 if SMALL else 365
    SEEDS = range(3) if SMALL else range(10)
    WORKERS = 1 if SMALL else None
    HORIZON = min(180, DAYS // 2)  # LTV horizon (days)

    names = {
        "baseline": "baseline",
        "coupons": "q2_monthly_coupons",
        "membership 99": "q2_membership_99",
        "stored value": "q7_stored_value",
    }
    scenarios = {
        k: teaching.scale_pool(lab.load_scenario(teaching.scenario_path(f)), SCALE)
        for k, f in names.items()
    }
    """),
    md("""
    ## 1 · Against the baseline, with uncertainty · 与基线比较

    Paired differences (B − baseline) and their 90% intervals, per scenario.
    `ltv_margin` is the mean discounted gross-margin LTV per acquired customer.
    """),
    code("""
    cmp = lab.compare(scenarios, seeds=SEEDS, days=DAYS, baseline="baseline", workers=WORKERS)
    metrics = ["gmv", "net_margin", "discount_cost", "ltv_margin", "repurchase_rate", "mean_fatigue"]
    t = cmp.table[cmp.table["metric"].isin(metrics)]
    t.pivot(index="metric", columns="scenario", values="diff_mean").loc[metrics]
    """),
    code("""
    t[["scenario", "metric", "diff_low", "diff_high", "verdict"]].sort_values(["metric", "scenario"])
    """),
    code("""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained")
    for ax, name in zip(axes, ["coupons", "membership 99", "stored value"], strict=True):
        plots.plot_forest(cmp, ax=ax, scenario=name, metrics=metrics)
    plt.show()
    """),
    md("""
    ## 2 · What it costs · 成本

    One run of each (same seed): every booked cost and revenue line over the run, in CNY.
    Discounts are the price of coupons and promotions; the membership costs shipping
    benefits and earns fees; stored value costs the bonus share of what is spent and
    earns breakage.
    """),
    code("""
    runs = {k: lab.run(sc, seed=0, days=DAYS) for k, sc in scenarios.items()}
    teaching.money_lines(runs, lang="en").round(0)
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
    m = runs["membership 99"].daily
    axes[0].plot(m["day"], m["members"], label="members · 会员数")
    axes[0].plot(m["day"], m["member_joins"].cumsum(), label="joins (cumulative) · 累计入会")
    axes[0].set_title("Membership · 付费会员")
    axes[0].legend()
    s = runs["stored value"].daily
    axes[1].plot(s["day"], s["stored_value_liability"], color="#d9822b")
    axes[1].set_title("Stored-value liability (CNY) · 储值负债 (元)")
    for ax in axes:
        ax.set_xlabel("day · 天")
    plt.show()
    """),
    md("""
    ## 3 · Who gains · 谁受益

    Mean gross-margin LTV over the horizon per segment (用户分层) and per acquisition
    channel (渠道), one column per scenario, and the difference to the baseline.
    Same seed: the same people, so the differences are what each strategy did to them
    (plus who was acquired).  LTV here counts the margin of orders; the membership fee
    and breakage are separate revenue lines (section 2).
    """),
    code("""
    seg = teaching.ltv_by_scenario(runs, by="segment", horizon_days=HORIZON, lang="en")
    seg
    """),
    code("""
    seg.drop(columns="customers").sub(seg["baseline"], axis=0).drop(columns="baseline").round(1)
    """),
    code("""
    ch = teaching.ltv_by_scenario(runs, by="channel", horizon_days=HORIZON, lang="zh")
    ch.drop(columns="customers").sub(ch["baseline"], axis=0).drop(columns="baseline").round(1)
    """),
    md("""
    ## Try · 试一试

    * A cheaper card: `teaching.set_strategy(scenarios["membership 99"], "membership", fee_cny=49)`.
    * A richer top-up bonus: `teaching.set_strategy(scenarios["stored value"], "stored_value", get_cny=650)`.
    * Members only get the monthly coupon:
      `teaching.set_strategy(scenarios["coupons"], "discount_cadence", target={"members": True})`
      after adding a membership with `teaching.add_strategy`.
    """),
]

# ----------------------------------------------------------------------------- 05
NB05 = [
    md("""
    # 05 · Fission economics · 裂变经济学

    **Question.** What referral reward (邀请奖励) makes fission (裂变) pay back?

    The rules from seed article 000: the higher the reward, the more people act; the
    more invites required for one reward, the fewer act; overhyped value disappoints.
    In the lab, after each order a customer shares with a probability that rises with the
    reward (saturating) and falls with the number of invites required; each share brings
    friends, and every joined friend costs the reward (to the inviter) plus a gift (to the
    invitee).

    * **K-factor (裂变系数, K 因子)** = referred customers / all customers.
    * **Cost per referred customer (每位被邀请人成本)** = rewards paid / referred customers.
    * What matters for the budget is the **incremental** cost: extra rewards / extra
      customers compared with no reward, because a reward is also paid to people who
      would have shared anyway.

    The sweep adds a `fission_program` strategy (a referral campaign that replaces the
    standing referral terms) to the baseline and varies its reward.
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt
    import pandas as pd

    import lab
    from lab import analysis, teaching

    SCALE = 0.15 if SMALL else 1.0
    DAYS = 120 if SMALL else 365
    SEEDS = range(3) if SMALL else range(10)
    WORKERS = 1 if SMALL else None
    REWARDS = [0, 10, 30, 80] if SMALL else [0, 10, 20, 30, 50, 80]

    base = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("baseline")), SCALE)
    campaign = teaching.add_strategy(
        base, {"type": "fission_program", "reward_cny": 0, "invitee_reward_cny": 5}
    )
    """),
    md("""
    ## 1 · Reward levels · 奖励档位
    """),
    code("""
    rewards = teaching.sweep(
        campaign,
        "reward",
        REWARDS,
        lambda sc, r: teaching.set_strategy(sc, "fission_program", reward_cny=r),
        seeds=SEEDS,
        days=DAYS,
        workers=WORKERS,
        xlabel="reward per invite · 邀请奖励 (CNY)",
    )
    rewards.table(["k_factor", "cost_per_referred", "customers", "net_margin"]).round(3)
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    rewards.plot("k_factor", ax=axes[0], lang="zh", kind="level")
    rewards.plot("net_margin", ax=axes[1], relative=True)
    plt.show()
    print("net margin is highest at a reward of", rewards.best("net_margin"), "CNY")
    """),
    md("""
    ## 2 · Incremental cost per referred customer · 边际获客成本

    Per seed: extra rewards paid and extra referred customers against reward 0, then
    their ratio.  It is well above the average cost per referred customer: part of every
    reward goes to people who would have shared anyway.
    """),
    code("""
    w = rewards.comparison.replications.totals.pivot_table(
        index=["scenario", "seed"], columns="metric", values="value", observed=True
    ).reset_index()
    w["referred"] = w["k_factor"] * w["customers"]
    w["reward_cost"] = w["cost_per_referred"] * w["referred"]
    ref = w[w["scenario"] == rewards.names[0]].set_index("seed")
    rows = []
    for name, value in zip(rewards.names[1:], rewards.values[1:], strict=True):
        b = w[w["scenario"] == name].set_index("seed")
        extra = (b["reward_cost"] - ref["reward_cost"]).sum() / (b["referred"] - ref["referred"]).sum()
        rows.append(
            {
                "reward": value,
                "extra referred per seed": (b["referred"] - ref["referred"]).mean(),
                "average cost / referred": b["cost_per_referred"].mean(),
                "incremental cost / extra referred": extra,
            }
        )
    pd.DataFrame(rows).round(1)
    """),
    md("""
    ## 3 · Invites required · 邀请门槛

    Same reward (30 CNY per completed invite), but one reward needs 1, 2 or 3 friends.
    """),
    code("""
    thresholds = teaching.sweep(
        teaching.set_strategy(campaign, "fission_program", reward_cny=30),
        "invites",
        [1, 2, 3],
        lambda sc, n: teaching.set_strategy(sc, "fission_program", invites_required=n),
        seeds=SEEDS,
        days=DAYS,
        workers=WORKERS,
        xlabel="invites required per reward · 每份奖励所需邀请数",
    )
    thresholds.table(["k_factor", "cost_per_referred", "net_margin"]).round(3)
    """),
    md("""
    ## 4 · CAC and payback by channel · 分渠道获客成本与回本周期

    In one run at a 30-yuan reward: the referral channel against paid acquisition
    (公域拉新).  Stock import books no acquisition cost in the model.
    """),
    code("""
    r30 = lab.run(teaching.set_strategy(campaign, "fission_program", reward_cny=30), seed=0, days=DAYS)
    analysis.unit_economics(r30, horizon_days=min(180, DAYS // 2)).round(2)
    """),
    md("""
    ## Try · 试一试

    * Raise the invitee's gift (`invitee_reward_cny`) instead of the inviter's reward.
    * Cap the campaign: `budget_cny=20000` and an `end_day` (see `scenarios/q4_referral_reward_50.yaml`).
    """),
]

# ----------------------------------------------------------------------------- 06
NB06 = [
    md("""
    # 06 · Contact frequency and blocks · 触达频率与拉黑

    **Question.** How many group messages (社群消息) a week maximise net revenue before
    blocks (拉黑/删除) eat the gains?

    Every message lifts purchases that day; it also adds to the customer's remembered
    contact load.  Above their tolerance customers start to block or delete the brand
    (seed 001: "too many ads feel like harassment"), and a blocked customer buys far
    less and can no longer be reached.  Platforms cap contacts too: a group at most
    5 messages a day, Moments 3, the mass-message tool 1.

    So net revenue first rises with frequency, then falls: an **interior optimum**.
    We sweep the promotion messages of the baseline's group plan from none to three a
    day (the high end is `scenarios/q3_group_daily_promotions.yaml`).
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt

    import lab
    from lab import plots, teaching

    SCALE = 0.15 if SMALL else 1.0
    DAYS = 120 if SMALL else 365
    SEEDS = range(3) if SMALL else range(10)
    WORKERS = 1 if SMALL else None
    FREQUENCIES = [0, 2, 7, 21] if SMALL else [0, 1, 2, 3, 4, 7, 10, 14, 21]

    base = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("baseline")), SCALE)
    print(teaching.weekly_plan(4))  # how a frequency becomes a weekly plan
    """),
    md("""
    ## 1 · The sweep · 频率扫描
    """),
    code("""
    freq = teaching.sweep(
        base,
        "messages",
        FREQUENCIES,
        lambda sc, n: teaching.set_strategy(sc, "group plan", weekly=teaching.weekly_plan(n)),
        seeds=SEEDS,
        days=DAYS,
        workers=WORKERS,
        xlabel="group promotion messages per week · 每周社群促销消息",
    )
    freq.table(["net_margin", "gmv", "block_rate", "mean_fatigue"]).round(3)
    """),
    code("""
    best = freq.best("net_margin")
    print(f"net margin is highest at {best} messages a week")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    freq.plot("net_margin", ax=axes[0])
    freq.plot("block_rate", ax=axes[1], lang="zh", kind="level")
    plt.show()
    """),
    md("""
    ## 2 · Blocks over time · 拉黑走势

    Cumulative blocks per frequency (median and band over the seeds).  Blocks are
    permanent: every week of over-contact shrinks the reachable pool for good.
    """),
    code("""
    plots.plot_kpi(freq.comparison, "blocked_total")
    plt.show()
    """),
    md("""
    ## 3 · Why the optimum · 最优点从何而来

    The paired difference to *no messages* splits the story: GMV gains from each extra
    message shrink while blocks keep growing.  Mean fatigue even falls at the highest
    frequencies — not because customers are happier but because those who blocked are
    no longer reached.
    """),
    code("""
    t = freq.table(["gmv", "net_margin", "block_rate", "mean_fatigue"])
    t.pivot(index="value", columns="metric", values="diff_mean").round(3)
    """),
    md("""
    ## Try · 试一试

    * Mix the content: `teaching.weekly_plan(n, ("promotion", "interaction", "value"))` —
      value content (干货) and interaction annoy less.  Where is the optimum now?
    * Target only active and silent customers: add `target={"stages": ["active", "silent"]}`
      to the `set_strategy` call.
    """),
]

# ----------------------------------------------------------------------------- 07
NB07 = [
    md("""
    # 07 · Shop guides: capacity and turnover · 导购: 服务能力与流失

    Shop guides (导购, BA) hold the relationships of a private pool: each serves a book of
    customers 1-to-1 in private chat (私聊).  A chat raises trust and that day's purchase
    rate.  Two things go wrong (seed 002):

    * **capacity**: a guide serves a limited number of chats a day; requests that wait
      too long are dropped;
    * **turnover**: when a guide quits, their customers lose their contact and some
      trust, and drift away — unless they are **reassigned** to a guide with room.

    Scenarios: `q5_guides_turnover.yaml` (8 guides, high turnover, no reassignment) and
    `q5_guides_reassign.yaml` (the same, with reassignment).
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt

    import lab
    from lab import plots, teaching

    plt.rcParams.update(plots.house_rc("zh"))  # the lab's style and CJK font for our own plots too
    SCALE = 0.15 if SMALL else 1.0
    DAYS = 120 if SMALL else 365
    SEEDS = range(3) if SMALL else range(10)
    WORKERS = 1 if SMALL else None
    GUIDES = [1, 2, 4] if SMALL else [1, 2, 4, 8, 12]
    GUIDE_KPIS = ["chats_requested", "chats_served", "chats_dropped", "cost_guide_salaries"]

    turnover = teaching.scale_pool(
        lab.load_scenario(teaching.scenario_path("q5_guides_turnover")), SCALE
    )
    reassign = teaching.scale_pool(
        lab.load_scenario(teaching.scenario_path("q5_guides_reassign")), SCALE
    )
    """),
    md("""
    ## 1 · Capacity: how many guides? · 需要多少导购

    Without turnover, vary the team size.  Books are unlimited, so every targeted customer
    has a guide; what changes is how many chats the team can serve (40 a day per guide;
    on the small test pool the capacity shrinks with the pool).
    """),
    code("""
    steady = teaching.set_strategy(
        reassign,
        "shop_guides",
        quit_rate_per_year=0.0,
        book_size=100_000,
        chats_per_day=40 * SCALE,
    )
    team = teaching.sweep(
        steady,
        "guides",
        GUIDES,
        lambda sc, n: teaching.set_strategy(sc, "shop_guides", guides=n),
        seeds=SEEDS,
        days=DAYS,
        workers=WORKERS,
        xlabel="shop guides · 导购人数",
        extra_daily=GUIDE_KPIS,
    )
    served = team.daily_total("chats_served")[["value", "median"]].rename(columns={"median": "served"})
    dropped = team.daily_total("chats_dropped")["median"].rename("dropped")
    salaries = team.daily_total("cost_guide_salaries")["median"].rename("salaries")
    capacity = served.join(dropped).join(salaries)
    capacity["dropped share"] = capacity["dropped"] / (capacity["served"] + capacity["dropped"])
    capacity.round(2)
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    axes[0].plot(capacity["value"], capacity["dropped share"], marker="o", color="#c23b3b")
    axes[0].set_xlabel("shop guides · 导购人数")
    axes[0].set_ylabel("share of chat requests dropped · 未响应私聊占比")
    axes[0].set_title("Chats dropped vs guides · 导购人数与未响应私聊")
    team.plot("net_margin", ax=axes[1])
    plt.show()
    """),
    md("""
    Does the service pay?  Gross margin (毛利) counts what the chats sell; net margin (净利)
    also pays the salaries.  The paired differences to the smallest team separate the two:
    a team that serves every chat is not automatically the team that pays.
    """),
    code("""
    team.table(["gross_margin", "net_margin"]).pivot(
        index="value", columns="metric", values="diff_mean"
    ).join(salaries.set_axis(capacity["value"])).round(0)
    """),
    md("""
    ## 2 · Turnover and reassignment · 离职与客户再分配

    Each guide quits on average once a year (`quit_rate_per_year: 1.0`) and is replaced
    after 30 days.  Paired comparison: reassigning the departing guide's customers vs not.
    """),
    code("""
    cmp = lab.compare(
        {"no reassignment": turnover, "reassign": reassign},
        seeds=SEEDS,
        days=DAYS,
        workers=WORKERS,
        daily_metrics=[*lab.experiments.DAILY_METRICS, "orphaned_customers", "guides_active"],
    )
    metrics = ["gmv", "net_margin", "orders", "active_end", "repurchase_rate"]
    cmp.table.set_index("metric").loc[metrics][
        ["a_median", "b_median", "diff_mean", "diff_low", "diff_high", "verdict"]
    ]
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    plots.plot_kpi(cmp, "guides_active", ax=axes[0])
    plots.plot_kpi(cmp, "orphaned_customers", ax=axes[1], lang="zh")
    plt.show()
    """),
    md("""
    ## Try · 试一试

    * Longer hiring: `replacement_delay_days=90`.  Does reassignment matter more?
    * Smaller books (`book_size=300`): fewer customers get a guide at all.
    """),
]

# ----------------------------------------------------------------------------- 08
NB08 = [
    md("""
    # 08 · Calibrate on your orders · 用你的订单标定

    A forecast is trusted when the simulated customers behave like your own.  This
    notebook takes an order export, cleans it with counted rules, fits BG/NBD (purchase
    rate and dropout) and gamma–gamma (spend), writes a **calibrated scenario** whose
    customers are the export's customers, and **back-tests** the forecast on weeks it
    did not see, beside the closed-form BG/NBD forecast.

    The export here is made by the lab itself from known parameters, so we can check the
    fit.  For your own file: `lab calibrate orders.csv --calibration-end DATE` and
    `lab backtest orders.csv --calibration-end DATE` (see `docs/calibration.md`).
    """),
    params(),
    code("""
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt
    import pandas as pd

    import lab
    from lab.plots.calibration import plot_backtest, plot_purchase_histogram

    LANG = "zh"  # "en" for English labels
    N_CUSTOMERS = 800 if SMALL else 3000
    SEEDS = range(3 if SMALL else 20)
    TRUE = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}  # BG/NBD, weeks
    orders = lab.calibrate.synthetic_order_log(TRUE, N_CUSTOMERS, seed=1)
    orders.head()
    """),
    md("""
    ## 1 · A messy export · 脏数据

    Real exports repeat rows, carry returns as negative amounts and write money as
    text.  We add a little of each; every cleaning rule reports the rows it touched.
    """),
    code("""
    first = orders.iloc[0]
    messy = pd.concat(
        [
            orders,
            orders.iloc[:15],  # exported twice
            pd.DataFrame(
                {"customer_id": [first.customer_id], "date": [first.date], "amount": ["-5.00"]}
            ),  # a partial refund
        ]
    )
    messy["amount"] = "¥" + messy["amount"]
    clean = lab.calibrate.clean_orders(messy)
    clean.report.table().query("rows > 0")
    """),
    md("""
    ## 2 · Fit · 拟合

    Calibration period: the first 39 weeks.  The estimates should sit within about two
    standard errors of the truth.
    """),
    code("""
    cal = lab.calibrate.calibrate(clean, "2025-09-30")
    fit = cal.fit.table().assign(truth=[TRUE[k] for k in cal.fit.params])
    fit
    """),
    code("""
    plot_purchase_histogram(cal.histogram(), lang=LANG)
    plt.show()
    """),
    md("""
    ## 3 · The calibrated scenario · 标定情景

    Customers join on their real first-purchase dates with the fitted heterogeneity;
    mechanisms the log cannot identify are off.  Layer strategies on it with `extends:`.
    """),
    code("""
    folder = Path(tempfile.mkdtemp())
    paths = lab.calibrate.write_calibration(cal, folder / "shop.yaml")
    print(paths["scenario"].read_text(encoding="utf-8")[:1400])
    """),
    code("""
    sc = lab.load_scenario(paths["scenario"])
    res = lab.run(sc, seed=1)
    res.summary()
    """),
    md("""
    ## 4 · Back-test · 回测

    Calibrate up to week 39, forecast weeks 40–78 and compare with what happened: the
    lab's simulation (starting each customer from its own posterior) beside the
    closed form.
    """),
    code("""
    bt = lab.calibrate.backtest(clean, "2025-09-30", seeds=SEEDS, workers=1)
    bt.errors.round(2)
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    end = bt.calibration_weeks
    plot_backtest(bt.tracking, "weekly", ax=axes[0], lang=LANG, calibration_week=end)
    plot_backtest(bt.tracking, "cumulative", ax=axes[1], lang=LANG, calibration_week=end)
    plt.show()
    """),
    md("""
    ## Try · 试一试

    * Shorten the calibration to 26 weeks.  How do the standard errors and the holdout
      error change?
    * Only retention figures?  `lab calibrate-retention --shares 1,0.63,0.47,0.38,0.33`
      gives the churn heterogeneity (sBG) as a scenario fragment.
    * With `lifetimes` installed, `lab.calibrate.read_cdnow()` is the classic CDNOW log
      (docs/calibration.md has its back-test).
    """),
]

NB09 = [
    md("""
    # 09 · Fission that saturates: a finite market on a social graph · 有限市场与社交网络上的裂变

    **Question.** How far can fission (裂变) really take the pool?

    On an unlimited market a referral forecast grows exponentially.  Real friends
    overlap, neighbourhood groups fill up and the addressable market runs out, and ads
    get dearer as the easy customers are taken.  Scenario `q8_fission_saturation`
    declares a market of 40,000 people in communities of about 200 (小区/兴趣圈/同事),
    70% of each person's ties inside their community, a generous reward and 30 seed
    customers (KOC, the best-connected people).  Invitations travel along ties; a friend
    who is already a customer, or declined, is not invited again.
    """),
    params(),
    code("""
    import matplotlib.pyplot as plt
    import pandas as pd

    import lab
    from lab import analysis, plots, teaching

    LANG = "zh"  # "en" for English labels
    plt.rcParams.update(plots.house_rc(LANG))
    SCALE = 0.15 if SMALL else 1.0  # the market shrinks with the pool
    DAYS = 240 if SMALL else 365

    q8 = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("q8_fission_saturation")), SCALE)
    res = lab.run(q8, seed=1, days=DAYS)
    cols = [
        "customers",
        "market_remaining",
        "market_reached_share",
        "invitations",
        "invitations_accepted",
        "paid_cac_multiplier",
    ]
    res.daily.set_index("day")[cols].iloc[:: DAYS // 8].round(3)
    """),
    md("""
    ## 1 · The market runs out · 市场饱和

    Left: the share of the market reached, and the part won by referral.  Right: the
    referral cascade (who invited whom), coloured by depth; stars are KOC.  The K-factor
    by fortnight falls as each customer's friends are taken.
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
    plots.plot_market_reach(res, ax=axes[0], lang=LANG)
    plots.plot_referral_cascade(res, ax=axes[1], lang=LANG)
    plt.show()
    analysis.k_factor_by_period(res, period_days=14)[["first_day", "k_cohort", "invitations"]].round(3)
    """),
    code("""
    # how much of the fission flows through the seed customers (KOC)?
    pd.Series(analysis.koc_reach(res)).round(3)
    """),
    md("""
    ## 2 · Word of mouth on a clustered vs a random graph · 口碑扩散: 社区聚集 vs 随机网络

    Switch off every paid and imported channel; 10 seed customers talk to friends
    every day (word of mouth, 口碑).  With a tiny organic rate this is Bass diffusion
    with p = organic rate and q = talks per day × acceptance.  On a clustered graph the
    same referral strength spreads more slowly: friends of friends are the same people.
    Both curves level off below the Bass curve, which assumes everyone mixes with
    everyone: people with few or no friends among the customers are left to the small
    organic rate.
    """),
    code("""
    talk_only = {
        "acquisition": {
            "stock_import": {"enabled": False},
            "paid": {"enabled": False},
            "staff_invite": {"enabled": False},
            "referral": {"enabled": False},
        },
        "market": {
            "word_of_mouth_per_day": 0.1,
            "external_adoption_per_day": 0.0002,
            "seed_customers": {"count": 10},
        },
    }
    reach = {}
    for kind in ["clustered", "random"]:
        sc = teaching.with_changes(q8, talk_only, name=kind)
        sc = teaching.with_changes(sc, {"market": {"graph": {"kind": kind}}}, name=kind)
        reach[kind] = lab.run(sc, seed=1, days=DAYS)

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained", sharey=True)
    bass = (0.0002, 0.1 * q8.market.acceptance)  # (p, q) of the Bass curve
    for ax, (kind, r) in zip(axes, reach.items(), strict=True):
        plots.plot_market_reach(r, ax=ax, lang=LANG, bass=bass)
        ax.set_title(kind)
    plt.show()
    """),
    md("""
    ## 3 · Groups on the graph's communities · 社群与死群

    A `community_groups` strategy fills WeChat groups (社群) with members of one
    community each.  Groups whose messages are mostly ads go quiet (死群) and stop
    working as a touchpoint; content-first groups stay alive.  Compare the two q9
    scenarios.
    """),
    code("""
    pair = {
        name: teaching.scale_pool(lab.load_scenario(teaching.scenario_path(name)), SCALE)
        for name in ["q9_group_content_first", "q9_group_ad_share"]
    }
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained", sharey=True)
    group_runs = {}
    for ax, (name, sc) in zip(axes, pair.items(), strict=True):
        group_runs[name] = lab.run(sc, seed=1, days=min(DAYS, 120))
        plots.plot_group_health(group_runs[name], ax=ax, lang=LANG)
        ax.set_title(name)
    plt.show()
    pd.DataFrame(
        {n: r.daily[["groups_active", "groups_quiet"]].iloc[-1] for n, r in group_runs.items()}
    )
    """),
    md("""
    ## Try it · 动手试试

    * Set `market.graph.within_community_share` to 0.95: how much slower is the spread?
    * Give the seed customers `referral_propensity: 0.2`: what share of fission did they carry?
    * Add `social_proof: {strength: 3}`: friends join more easily once many of their
      friends are customers; when does the curve take off?
    * `docs/market.md` explains every market parameter.
    """),
]

NB10 = [
    md("""
    # 10 · Sweeps, sensitivity and search · 参数扫描、敏感性分析与方案搜索

    Strategists ask "which cadence and depth?", "which parameters matter?", "what is
    the best plan under a block-rate limit?".  Each answer takes many runs; `lab.sweep`,
    `lab.sensitivity` and `lab.optimize` run them on the local cores (or a dask cluster
    with `cluster="tcp://HOST:8786"`), stream each run to disk as it finishes and
    resume an interrupted experiment without redoing finished runs.  Every candidate
    is run on the same seeds (common random numbers), so differences are fair.
    """),
    params(),
    code("""
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt

    import lab
    from lab import plots, teaching

    LANG = "zh"  # "en" for English labels
    plt.rcParams.update(plots.house_rc(LANG))
    SCALE = 0.15 if SMALL else 1.0
    DAYS = 120 if SMALL else 365
    SEEDS = 2 if SMALL else 8
    WORKERS = 1 if SMALL else None  # None = every core
    OUT = Path(tempfile.mkdtemp(prefix="lab-experiments-"))  # or a folder you keep

    base = teaching.scale_pool(lab.load_scenario(teaching.scenario_path("baseline")), SCALE)
    """),
    md("""
    ## 1 · A grid: discount cadence × depth · 促销频率 × 力度
    """),
    code("""
    grid = lab.sweep(
        base,
        grid={
            "strategies.discount.every_days": [7, 14, 28],
            "strategies.discount.depth": [0.1, 0.2, 0.3],
        },
        seeds=SEEDS,
        days=DAYS,
        out=OUT / "grid",
        workers=WORKERS,
    )
    table = grid.summary()
    table.pivot(
        index="strategies.discount.every_days", columns="strategies.discount.depth", values="net_margin"
    ).round(0)
    """),
    md("""
    ## 2 · Which parameters matter? · 哪些参数最重要 (Morris)
    """),
    code("""
    sens = lab.sensitivity(
        base,
        {
            "strategies.discount.depth": (0.05, 0.4),
            "strategies.discount.every_days": (7, 42),
            "acquisition.referral.reward_cny": (0, 60),
        },
        method="morris",
        samples=4 if SMALL else 12,
        seeds=SEEDS,
        days=DAYS,
        out=OUT / "morris",
        workers=WORKERS,
        lang=LANG,
    )
    fig, axes = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
    plots.plot_sensitivity(sens, "net_margin", ax=axes[0], lang=LANG)
    plots.plot_sensitivity(sens, "mean_fatigue", ax=axes[1], lang=LANG)
    plt.show()
    """),
    md("""
    ## 3 · The best plan under a block-rate limit · 拉黑率约束下的最优方案 (optuna)
    """),
    code("""
    search = lab.optimize(
        base,
        {"strategies.discount.depth": (0.05, 0.4), "strategies.discount.every_days": (7, 42)},
        objective="net_margin",
        constraints=["block_rate<=0.05"],
        trials=8 if SMALL else 40,
        batch=4,
        seeds=SEEDS,
        days=DAYS,
        out=OUT / "search",
        workers=WORKERS,
        lang=LANG,
    )
    plots.plot_optimization_history(search, lang=LANG)
    plt.show()
    print("best plan:", search.best["params"], "net margin", round(search.best["objective"]))
    print("written as a scenario:", OUT / "search" / "best.yaml")
    """),
    md("""
    ## Try it · 动手试试

    * The same from the command line: `lab sweep scenarios/baseline.yaml --set
      strategies.discount.every_days=7,14,28 --seeds 8`; `lab sensitivity ... --method
      sobol`; `lab optimize ... --constraint "block_rate<=0.05" --trials 60`.
    * Interrupt a long sweep and run the same command again: finished runs are kept.
    * README ("Sweeps, sensitivity and search") shows how to start a dask cluster.
    """),
]

NOTEBOOKS: dict[str, list[dict]] = {
    "00_classroom_explorer.ipynb": NB00,
    "01_quickstart.ipynb": NB01,
    "02_funnel_and_lifecycle.ipynb": NB02,
    "03_promo_fatigue.ipynb": NB03,
    "04_membership_vs_stored_value_vs_coupons.ipynb": NB04,
    "05_fission_economics.ipynb": NB05,
    "06_contact_frequency_and_blocks.ipynb": NB06,
    "07_shop_guides.ipynb": NB07,
    "08_calibrate_on_your_orders.ipynb": NB08,
    "09_fission_on_a_finite_market.ipynb": NB09,
    "10_sweeps_sensitivity_search.ipynb": NB10,
}


def render(name: str) -> str:
    """The committed text of notebook ``name``."""
    return nbformat.writes(notebook(NOTEBOOKS[name]), version=4) + "\n"


def main(argv: list[str]) -> int:
    """Write the notebooks, or with ``--check`` report those that differ."""
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python notebooks/build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
