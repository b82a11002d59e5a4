# %% [markdown]
# # 11 · Products, 满减 coupons and points · 商品、满减与积分
#
# **Question.** The baseline sells "an order" of some value.  What changes when the
# orders are baskets of real products with roles (产品角色), when a spend-threshold
# coupon (满减: 300 − 40) nudges baskets up, and when customers earn points (积分) they
# can spend in a points mall (积分商城)?
#
# | scenario | what the team does on top of the baseline |
# |---|---|
# | `baseline` | monthly 20% off for everyone, 618 and 双11 (no catalogue) |
# | `+ catalogue` | orders are filled with items of a six-product catalogue (strategy `catalogue`) |
# | `+ 满减 300−40` | the catalogue and an always-on coupon: 40 CNY off orders of 300 CNY or more |
# | `+ points` | the coupon and a points program: 1 point per CNY, weekly tasks, a mall item per 500 points, levels |
# | `+ points, no goal gradient` | the same without the goal-gradient lift (目标梯度), to measure it |
#
# Product roles (seed articles 002 and 004): traffic products (引流品) bring new buyers
# in and convert them (first orders draw them 3x as often), profit products (利润品)
# carry the margin, welfare products (福利品) retain (for 30 days after an order with one,
# 20% less dropout hazard), IP products carry the brand, fission products (裂变品) drive
# sharing (for 30 days, a 50% higher chance to share).  The points are accounted like stored value:
# issued points are a cost and a liability (负债); expired points are breakage (沉淀),
# booked back as revenue.  All mechanisms and their sources: `docs/seeds.md`.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import lab
from lab import plots, teaching
from lab.experiments import paired_table

setup = teaching.notebook_setup(SMALL, small_days=150, small_seeds=2)
THRESHOLD, OFF = 300, 40  # 满减: 300 − 40

base = setup.scenario("baseline")
catalogue = teaching.add_strategy(base, {"type": "catalogue"})
coupon = catalogue.with_changes(
    {
        "strategies.catalogue.spend_coupon.enabled": True,
        "strategies.catalogue.spend_coupon.threshold_cny": THRESHOLD,
        "strategies.catalogue.spend_coupon.off_cny": OFF,
    }
)
# points expire 90 days after the last earning, so breakage shows within a short run
points = {"type": "points", "redeem_points": 500, "expiry_days": 90}
scenarios = {
    "baseline": base,
    "+ catalogue": catalogue,
    "+ 满减 300−40": coupon,
    "+ points": teaching.add_strategy(coupon, points),
    "+ points, no goal gradient": teaching.add_strategy(coupon, {**points, "goal_lift": 0}),
}

# %% [markdown]
# ## 1 · Against the baseline, paired by seed · 与基线配对比较
#
# `lab.compare` runs every scenario with the same seeds: the same customers arrive and
# draw the same orders, so each difference (B − baseline) is what the strategies did.
# The 90% intervals are those of the mean paired difference.
#
# Read the catalogue's column with care: the customers draw the same order values, but
# a basket is filled with whole items until it reaches the drawn value, so it overshoots
# by part of an item and baskets are fuller than the baseline's; welfare and fission
# products add a few orders (retention, sharing).  The coupon's and the points' own
# effects are the steps from `+ catalogue` to `+ 满减` and from `+ 满减` to `+ points`.

# %%
cmp = lab.compare(
    scenarios,
    seeds=setup.seeds,
    days=setup.days,
    baseline="baseline",
    workers=setup.workers,
)
metrics = ["orders", "gmv", "discount_cost", "gross_margin", "net_margin"]
t = cmp.table[cmp.table["metric"].isin(metrics)]
t.pivot(index="metric", columns="scenario", values="diff_mean").loc[metrics].round(1)

# %%
t[["scenario", "metric", "diff_low", "diff_high", "verdict"]].sort_values(["metric", "scenario"])

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained")
for ax, name in zip(axes, ["+ catalogue", "+ 满减 300−40", "+ points"], strict=True):
    plots.plot_forest(cmp, ax=ax, scenario=name, metrics=["gmv", "gross_margin", "net_margin"])
plt.show()

# %% [markdown]
# ## 2 · Baskets near the threshold · 满减 拉高客单价
#
# One run of each (same seed, so the same orders): the catalogue alone, then with the
# coupon.  An order a little below 300 CNY (here: within 30%) is topped up to the
# threshold with chance 0.5 (`reach_share`, `stretch_chance`); every order at 300 or
# more gets 40 off.  Baskets pile up just above the threshold and thin out just below it.

# %%
runs = {k: lab.run(scenarios[k], seed=0, days=setup.days) for k in list(scenarios)[1:4]}
below = (1 - 0.3) * THRESHOLD


def baskets(r: lab.RunResult) -> dict:
    """Basket sizes (list value per order) and the coupon's counts of one run."""
    v = r.transactions["list_price"]
    return {
        "orders": len(v),
        "mean basket (CNY)": v.mean(),
        f"share {below:.0f}–{THRESHOLD} CNY": v.between(below, THRESHOLD, inclusive="left").mean(),
        f"share ≥ {THRESHOLD} CNY": (v >= THRESHOLD).mean(),
        "topped up": r.daily["coupon_topups"].sum(),
        "coupon orders": r.daily["coupon_orders"].sum(),
        "gmv": r.daily["gmv"].sum(),
        "gross margin": r.daily["gross_margin"].sum(),
    }


pd.DataFrame({k: baskets(runs[k]) for k in ["+ catalogue", "+ 满减 300−40"]}).round(3)

# %%
fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
bins = np.arange(0, 800, 20)
for k in ["+ catalogue", "+ 满减 300−40"]:
    ax.hist(runs[k].transactions["list_price"], bins=bins, histtype="step", lw=2, label=k)
ax.axvline(THRESHOLD, color="grey", ls="--", label=f"threshold · 门槛 {THRESHOLD}")
ax.set_xlabel("basket at list price (CNY) · 客单价 (元)")
ax.set_ylabel("orders · 订单数")
ax.legend()
plt.show()

# %% [markdown]
# ## 3 · Order items by product role · 按产品角色的订单明细
#
# The order log stays one row per order; the item lines are the table `order_items`
# (`order_id`, product, category, role, quantity, unit price), readable as an order
# export.  Per role: lines, units, sales at list price, gross margin at list price
# (from each product's `margin_rate`) and how much of it lands in customers' first orders.

# %%
r = runs["+ 满减 300−40"]
items = r.extra_tables["order_items"]
products = {p.name: p for p in r.scenario.strategies[-1].products}
first = r.transactions.groupby("customer_id").cumcount().eq(0).to_numpy()
lines = items.assign(
    sales=items["quantity"] * items["unit_price"],
    margin=lambda d: d["sales"] * d["product"].map(lambda p: products[p].margin_rate),
    first_order=first[items["order_id"].to_numpy()],
)
by_role = lines.groupby("role").agg(
    lines=("product", "size"),
    units=("quantity", "sum"),
    sales_cny=("sales", "sum"),
    margin_cny=("margin", "sum"),
    share_in_first_orders=("first_order", "mean"),
)
by_role["margin_share"] = by_role["margin_cny"] / by_role["margin_cny"].sum()
by_role.sort_values("sales_cny", ascending=False).round(2)

# %%
items.head(8)

# %% [markdown]
# ## 4 · Points: liability, breakage and the goal gradient · 积分: 负债、沉淀与目标梯度
#
# Every CNY of points issued is redeemed in the mall, expires (breakage) or is still
# owed (the liability), every day.  Levels (等级) by spend give a standing level price
# and more points per CNY.

# %%
d = runs["+ points"].daily
ledger = pd.Series(
    {
        "points issued (cost)": d["cost_points_issued"].sum(),
        "redeemed in the mall": d["points_redeemed"].sum(),
        "expired (breakage revenue)": d["revenue_points_breakage"].sum(),
        "liability at the end": d["points_liability"].iloc[-1],
        "customers above base level": d["level_customers"].iloc[-1],
    }
)
ledger.round(0)

# %%
fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
ax.plot(d["day"], d["cost_points_issued"].cumsum(), label="issued · 累计发放")
ax.plot(d["day"], d["points_redeemed"].cumsum(), label="redeemed · 累计兑换")
ax.plot(d["day"], d["revenue_points_breakage"].cumsum(), label="breakage · 累计过期")
ax.plot(d["day"], d["points_liability"], label="liability · 积分负债", lw=2)
ax.set_xlabel("day · 天")
ax.set_ylabel("CNY · 元")
ax.legend()
plt.show()

# %% [markdown]
# **Goal gradient (目标梯度).** Customers within 20% of a mall item buy more often
# (`goal_lift`; Kivetz, Urminsky & Zheng 2006).  Its effect is the paired difference
# between `+ points` and the same program without the lift, from the runs above.

# %%
_, goal = paired_table(cmp.replications, baseline="+ points, no goal gradient")
goal = goal[(goal["scenario"] == "+ points") & goal["metric"].isin(metrics)]
goal.set_index("metric").loc[metrics, ["a_mean", "b_mean", "diff_mean", "diff_low", "diff_high"]]

# %% [markdown]
# ## Try · 试一试
#
# * A coupon only around the big sales: `"strategies.catalogue.spend_coupon.every_days": 30`
#   with `"strategies.catalogue.spend_coupon.duration_days": 5`.
# * Fewer shoppers who top up: `"strategies.catalogue.spend_coupon.stretch_chance": 0.2`.
# * Cheaper points: `"strategies.points.point_value_cny": 0.005` on `scenarios["+ points"]`.

# %% [markdown]
# ## Exercise · 练习
#
# Raise the bar: a 400 − 60 coupon instead of 300 − 40
# (`"strategies.catalogue.spend_coupon.threshold_cny": 400` and `"...off_cny": 60`),
# run with the seed of section 2 (`seed=0`).  How many orders are topped up, how many
# get the coupon, and what happens to GMV and gross margin against 300 − 40?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# A higher threshold is further from most baskets: fewer orders sit within 30% below
# it, so fewer are topped up and fewer earn the coupon; but each one that does is
# bigger and costs 60 instead of 40.  Whether GMV and margin rise depends on how
# many baskets lie just below 400 in this pool: the table shows it.
# </details>

# %% tags=["solution"]
high = lab.run(
    coupon.with_changes(
        {
            "strategies.catalogue.spend_coupon.threshold_cny": 400,
            "strategies.catalogue.spend_coupon.off_cny": 60,
        }
    ),
    seed=0,
    days=setup.days,
)
pd.DataFrame(
    {
        name: {
            "topped up": res.daily["coupon_topups"].sum(),
            "coupon orders": res.daily["coupon_orders"].sum(),
            "mean basket (CNY)": res.transactions["list_price"].mean(),
            "gmv": res.daily["gmv"].sum(),
            "gross margin": res.daily["gross_margin"].sum(),
        }
        for name, res in {"300 − 40": runs["+ 满减 300−40"], "400 − 60": high}.items()
    }
).round(1)
