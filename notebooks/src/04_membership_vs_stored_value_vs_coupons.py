# %% [markdown]
# # 04 · Membership vs stored value vs coupons · 付费会员 vs 储值 vs 优惠券
#
# **Question.** A 99-yuan annual membership card (付费会员), a top-up offer (储值:
# pay 500, get 600) or monthly coupons (优惠券): which raises lifetime value (LTV) more,
# for whom, and what does each cost?
#
# | scenario | what the team does |
# |---|---|
# | `baseline` | monthly 20% off for everyone (sitewide), 618 and 双11 |
# | `q2_monthly_coupons` | a 15% coupon each month to every customer the brand can still reach, plus the big sales |
# | `q2_membership_99` | a 99-yuan card: 5% member price, a monthly member day (会员日) at 15%, free shipping; big sales only |
# | `q7_stored_value` | the baseline's promotions plus a top-up: pay 500, get 600 to spend within a year |
#
# Membership and stored value both **bind future spending** (锁客): members buy more
# often; a customer with a balance buys more often and is less likely to leave until
# it is spent.  Their costs are booked as lines of their own: member benefits
# (shipping), the stored-value bonus, and the revenue lines: membership fees,
# breakage (沉淀资金: balances that expire unspent).

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt

import lab
from lab import plots, teaching

setup = teaching.notebook_setup(SMALL)
HORIZON = min(180, setup.days // 2)  # LTV horizon (days)

names = {
    "baseline": "baseline",
    "coupons": "q2_monthly_coupons",
    "membership 99": "q2_membership_99",
    "stored value": "q7_stored_value",
}
scenarios = {k: setup.scenario(f) for k, f in names.items()}

# %% [markdown]
# ## 1 · Against the baseline, with uncertainty · 与基线比较
#
# Paired differences (B − baseline) and their 90% intervals, per scenario.
# `ltv_margin` is the mean discounted gross-margin LTV per acquired customer.

# %%
cmp = lab.compare(
    scenarios, seeds=setup.seeds, days=setup.days, baseline="baseline", workers=setup.workers
)
metrics = ["gmv", "net_margin", "discount_cost", "ltv_margin", "repurchase_rate", "mean_fatigue"]
t = cmp.table[cmp.table["metric"].isin(metrics)]
t.pivot(index="metric", columns="scenario", values="diff_mean").loc[metrics]

# %%
t[["scenario", "metric", "diff_low", "diff_high", "verdict"]].sort_values(["metric", "scenario"])

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained")
for ax, name in zip(axes, ["coupons", "membership 99", "stored value"], strict=True):
    plots.plot_forest(cmp, ax=ax, scenario=name, metrics=metrics)
plt.show()

# %% [markdown]
# ## 2 · What it costs · 成本
#
# One run of each (same seed): every booked cost and revenue line over the run, in CNY.
# Discounts are the price of coupons and promotions; the membership costs shipping
# benefits and earns fees; stored value costs the bonus share of what is spent and
# earns breakage.

# %%
runs = {k: lab.run(sc, seed=0, days=setup.days) for k, sc in scenarios.items()}
teaching.money_lines(runs, lang="en").round(0)

# %%
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

# %% [markdown]
# ## 3 · Who gains · 谁受益
#
# Mean gross-margin LTV over the horizon per segment (用户分层) and per acquisition
# channel (渠道), one column per scenario, and the difference to the baseline.
# Same seed: the same people, so the differences are what each strategy did to them
# (plus who was acquired).  LTV here counts the margin of orders; the membership fee
# and breakage are separate revenue lines (section 2).

# %%
seg = teaching.ltv_by_scenario(runs, by="segment", horizon_days=HORIZON, lang="en")
seg

# %%
seg.drop(columns="customers").sub(seg["baseline"], axis=0).drop(columns="baseline").round(1)

# %%
ch = teaching.ltv_by_scenario(runs, by="channel", horizon_days=HORIZON, lang="zh")
ch.drop(columns="customers").sub(ch["baseline"], axis=0).drop(columns="baseline").round(1)

# %% [markdown]
# ## Try · 试一试
#
# * A cheaper card: `scenarios["membership 99"].with_changes({"strategies.membership.fee_cny": 49})`.
# * A richer top-up bonus: `scenarios["stored value"].with_changes({"strategies.stored_value.get_cny": 650})`.
# * Members only get the monthly coupon:
#   `coupons.with_changes({"strategies.monthly coupon.target.members": True})`
#   after adding a membership: `coupons = teaching.add_strategy(scenarios["coupons"], {"type": "membership"})`.

# %% [markdown]
# ## Exercise · 练习
#
# Make the card cheaper: a 49-yuan fee instead of 99
# (`"strategies.membership.fee_cny": 49`), run with the seed of section 2 (`seed=0`).
# How many members are there at the end, how much do the fees bring in, what do the
# member benefits cost, and what happens to net margin?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# A lower fee deters fewer customers, so more join; but each pays half, so the fee
# revenue rises only if membership more than doubles.  More members also means more
# benefits to pay for (free shipping) and more orders at member prices; members buy
# more often, which is what the card is for.  Net margin weighs all of these: the
# table shows which wins on this pool.
# </details>

# %% tags=["solution"]
import pandas as pd

cheap = lab.run(
    scenarios["membership 99"].with_changes({"strategies.membership.fee_cny": 49}),
    seed=0,
    days=setup.days,
)
cards = {"fee 99": runs["membership 99"], "fee 49": cheap}
pd.DataFrame(
    {
        name: {
            "members at end": r.daily["members"].iloc[-1],
            "fee revenue": r.daily["revenue_membership_fees"].sum(),
            "member benefits cost": r.daily["cost_member_benefits"].sum(),
            "gmv": r.daily["gmv"].sum(),
            "net margin": r.daily["net_margin"].sum(),
        }
        for name, r in cards.items()
    }
).round(0)
