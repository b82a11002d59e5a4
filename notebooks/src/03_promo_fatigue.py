# %% [markdown]
# # 03 · Promo fatigue: weekly vs monthly discounts · 促销疲劳: 每周折扣 vs 每月折扣
#
# **Question.** Weekly 20% off (two days a week) or monthly 30% off (three days a month):
# which gives more GMV and margin over 12 months, and how tired of promotions
# (促销疲劳) do customers get?
#
# Two mechanisms work against frequent promotions:
#
# * **promo fatigue (促销疲劳)**: every promotion day a customer sees tires them a
#   little; tired customers respond less to offers and messages; fatigue fades
#   slowly between promotions;
# * **reference price (参考价格)**: customers learn prices from the discounts they
#   see; after many promotions the list price feels expensive and full-price
#   purchases fall.
#
# Both scenarios come with the lab: `scenarios/q1_weekly_20off.yaml` and
# `scenarios/q1_monthly_30off.yaml`.  `lab.compare` runs them with the same seeds and
# takes the difference **per seed first** (common random numbers, 共同随机数), then
# its 90% interval: the uncertainty of the answer, not of one run.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt

import lab
from lab import analysis, plots, teaching
from lab.experiments import interval_widths

setup = teaching.notebook_setup(SMALL, seeds=12)

monthly = setup.scenario("q1_monthly_30off")
weekly = setup.scenario("q1_weekly_20off")

# %% [markdown]
# ## 1 · Paired comparison · 配对比较
#
# A = monthly 30% off, B = weekly 20% off.  `diff_low`/`diff_high` bound the mean
# paired difference B − A (90%); the verdict says whether the interval excludes 0.

# %%
cmp = lab.compare(
    {"monthly 30% off": monthly, "weekly 20% off": weekly},
    seeds=setup.seeds,
    days=setup.days,
    workers=setup.workers,
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

# %%
plots.plot_forest(cmp, lang="zh")
plt.show()

# %% [markdown]
# ## 2 · Over time · 走势
#
# Median and 10–90% band over the seeds.  Weekly promotions keep fatigue high all year;
# the monthly plan lets it fade between promotions.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
plots.plot_kpi(cmp, "cum_net_margin", ax=axes[0])
plots.plot_kpi(cmp, "mean_fatigue", ax=axes[1])
plt.show()

# %% [markdown]
# ## 3 · Inside one run · 单次运行细看
#
# Week by week: the share of orders on discount (折扣订单占比), mean fatigue and blocks
# per 1000 reachable customers.  Customers of the weekly plan learn to wait for the
# next promotion.

# %%
runs = {
    name: lab.run(sc, seed=0, days=setup.days)
    for name, sc in (("monthly", monthly), ("weekly", weekly))
}
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained", sharey=True)
for ax, (name, r) in zip(axes, runs.items(), strict=True):
    plots.plot_fatigue(analysis.fatigue_over_time(r, period_days=7), ax=ax)
    ax.set_title(name)
plt.show()

# %% [markdown]
# The fatigue index (促销疲劳指数) is computed on the order log alone, so it works on a
# real shop's export too: 1 − (response to the last promotions) / (response to the
# first ones), like-for-like promotions only.

# %%
for name, r in runs.items():
    resp = analysis.promo_response(r)
    print(f"{name}: {len(resp)} promotions, fatigue index {analysis.fatigue_index(r):.2f}")
analysis.promo_response(runs["weekly"]).head(8)

# %% [markdown]
# ## 4 · Why pair the seeds? · 为什么要配对
#
# The runs of one seed share every random draw where the scenarios agree, so the
# per-seed differences are far less noisy than the runs themselves.  The paired
# interval is a fraction of the unpaired (Welch) one on the same runs:

# %%
{m: round(interval_widths(cmp, m)["ratio"], 2) for m in ("gmv", "net_margin", "mean_fatigue")}

# %% [markdown]
# ## Try · 试一试
#
# * Change the depth of the weekly plan: `weekly.with_changes({"strategies.discount_cadence.depth": 0.1})`.
# * Switch fatigue off (`weekly.with_changes({"fatigue.enabled": False})`):
#   how much of the gap was fatigue, how much the reference price?

# %% [markdown]
# ## Exercise · 练习
#
# Switch promo fatigue off in the weekly plan
# (`weekly.with_changes({"fatigue.enabled": False})`) and run it with the seed of
# section 3 (`seed=0`).  Compare GMV, net margin, the share of orders on discount and
# mean fatigue with the weekly and monthly runs of section 3.  How much net margin does
# fatigue cost the weekly plan, next to the difference between the two plans?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# Without fatigue, mean fatigue stays at 0 and customers answer every weekly promotion
# at full strength: the weekly plan sells more, more of its orders are on discount, and
# its net margin rises.  That rise is what fatigue costs the weekly plan; set it beside
# the difference between the two plans to see how much of the comparison fatigue
# decides.  The reference price and the cost of discounting twice a week remain.  The
# same seed for all three runs makes the differences the mechanism, not luck; for
# intervals, run `lab.compare` as in section 1.
# </details>

# %% tags=["solution"]
import pandas as pd

no_fatigue = lab.run(weekly.with_changes({"fatigue.enabled": False}), seed=0, days=setup.days)
three = {**runs, "weekly, no fatigue": no_fatigue}
keys = ["gmv", "net_margin", "share_on_discount", "mean_fatigue"]
answer = pd.DataFrame({n: analysis.headline_metrics(r) for n, r in three.items()}).loc[keys]
print(answer.round(3))
between = answer.loc["net_margin", "weekly"] - answer.loc["net_margin", "monthly"]
cost = answer.loc["net_margin", "weekly, no fatigue"] - answer.loc["net_margin", "weekly"]
print(f"net margin, weekly − monthly: {between:+,.0f} CNY")
print(f"what fatigue costs the weekly plan: {cost:,.0f} CNY")
