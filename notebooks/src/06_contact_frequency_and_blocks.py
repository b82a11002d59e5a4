# %% [markdown]
# # 06 · Contact frequency and blocks · 触达频率与拉黑
#
# **Question.** How many group messages (社群消息) a week maximise net revenue before
# blocks (拉黑/删除) eat the gains?
#
# Every message lifts purchases that day; it also adds to the customer's remembered
# contact load.  Above their tolerance customers start to block or delete the brand
# (seed 001: "too many ads feel like harassment"), and a blocked customer buys far
# less and can no longer be reached.  Platforms cap contacts too: a group at most
# 5 messages a day, Moments 3, the mass-message tool 1.
#
# So net revenue first rises with frequency, then falls: an **interior optimum**.
# We sweep the promotion messages of the baseline's group plan from none to three a
# day (the high end is `scenarios/q3_group_daily_promotions.yaml`).

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt

from lab import plots, teaching

setup = teaching.notebook_setup(SMALL)
FREQUENCIES = [0, 2, 7, 21] if SMALL else [0, 1, 2, 3, 4, 7, 10, 14, 21]

base = setup.scenario("baseline")
print(teaching.weekly_plan(4))  # how a frequency becomes a weekly plan

# %% [markdown]
# ## 1 · The sweep · 频率扫描

# %%
freq = teaching.compare_levels(
    base,
    "messages",
    FREQUENCIES,
    change=lambda n: {"strategies.group plan.weekly": teaching.weekly_plan(n)},
    seeds=setup.seeds,
    days=setup.days,
    workers=setup.workers,
    xlabel="group promotion messages per week · 每周社群促销消息",
)
freq.table(["net_margin", "gmv", "block_rate", "mean_fatigue"]).round(3)

# %%
best = freq.best("net_margin")
print(f"net margin is highest at {best} messages a week")
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
freq.plot("net_margin", ax=axes[0])
freq.plot("block_rate", ax=axes[1], lang="zh", kind="level")
plt.show()

# %% [markdown]
# ## 2 · Blocks over time · 拉黑走势
#
# Cumulative blocks per frequency (median and band over the seeds).  Blocks are
# permanent: every week of over-contact shrinks the reachable pool for good.

# %%
plots.plot_kpi(freq.comparison, "blocked_total")
plt.show()

# %% [markdown]
# ## 3 · Why the optimum · 最优点从何而来
#
# The paired difference to *no messages* splits the story: GMV gains from each extra
# message shrink while blocks keep growing.  Mean fatigue even falls at the highest
# frequencies — not because customers are happier but because those who blocked are
# no longer reached.

# %%
t = freq.table(["gmv", "net_margin", "block_rate", "mean_fatigue"])
t.pivot(index="value", columns="metric", values="diff_mean").round(3)

# %% [markdown]
# ## Try · 试一试
#
# * Mix the content: `teaching.weekly_plan(n, ("promotion", "interaction", "value"))` —
#   value content (干货) and interaction annoy less.  Where is the optimum now?
# * Target only active and silent customers: add `target={"stages": ["active", "silent"]}`
#   to the changes: `"strategies.group plan.target": {"stages": ["active", "silent"]}`.

# %% [markdown]
# ## Exercise · 练习
#
# Mix the content.  At 14 messages a week, compare a group plan of promotions only
# (`teaching.weekly_plan(14)`) with a mix of promotion, interaction and value content
# (`teaching.weekly_plan(14, ("promotion", "interaction", "value"))`), one run each with
# the same seed.  Which plan blocks fewer customers?  Which earns more net margin?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# Value content (干货) and interaction annoy customers less than promotions, so the
# mixed plan builds less contact load: fewer customers block the account and mean
# fatigue is lower at the same number of messages.  The customers who stay reachable
# keep buying when the promotions do come, so in our run the mixed plan earns more GMV
# *and* more net margin than fourteen promotions a week.  Try the mix at other
# frequencies with `teaching.compare_levels` as in section 1.
# </details>

# %% tags=["solution"]
import pandas as pd

import lab
from lab import analysis

plans = {
    "14 promotions": teaching.weekly_plan(14),
    "14 mixed": teaching.weekly_plan(14, ("promotion", "interaction", "value")),
}
mixed = {
    name: lab.run(
        base.with_changes({"strategies.group plan.weekly": plan}), seed=0, days=setup.days
    )
    for name, plan in plans.items()
}
keys = ["gmv", "net_margin", "block_rate", "mean_fatigue"]
pd.DataFrame({n: analysis.headline_metrics(r) for n, r in mixed.items()}).loc[keys].round(3)
