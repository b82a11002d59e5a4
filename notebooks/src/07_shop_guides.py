# %% [markdown]
# # 07 · Shop guides: capacity and turnover · 导购: 服务能力与流失
#
# Shop guides (导购, BA) hold the relationships of a private pool: each serves a book of
# customers 1-to-1 in private chat (私聊).  A chat raises trust and that day's purchase
# rate.  Two things go wrong (seed 002):
#
# * **capacity**: a guide serves a limited number of chats a day; requests that wait
#   too long are dropped;
# * **turnover**: when a guide quits, their customers lose their contact and some
#   trust, and drift away — unless they are **reassigned** to a guide with room.
#
# Scenarios: `q5_guides_turnover.yaml` (8 guides, high turnover, no reassignment) and
# `q5_guides_reassign.yaml` (the same, with reassignment).

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt

import lab
from lab import plots, teaching

setup = teaching.notebook_setup(SMALL)
GUIDES = [1, 2, 4] if SMALL else [1, 2, 4, 8, 12]
GUIDE_KPIS = ["chats_requested", "chats_served", "chats_dropped", "cost_guide_salaries"]

turnover = setup.scenario("q5_guides_turnover")
reassign = setup.scenario("q5_guides_reassign")

# %% [markdown]
# ## 1 · Capacity: how many guides? · 需要多少导购
#
# Without turnover, vary the team size.  Books are unlimited, so every targeted customer
# has a guide; what changes is how many chats the team can serve (40 a day per guide;
# on the small test pool the capacity shrinks with the pool).

# %%
steady = reassign.with_changes(
    {
        "strategies.shop_guides.quit_rate_per_year": 0.0,
        "strategies.shop_guides.book_size": 100_000,
        "strategies.shop_guides.chats_per_day": 40 * setup.scale,
    }
)
team = teaching.compare_levels(
    steady,
    "strategies.shop_guides.guides",
    GUIDES,
    seeds=setup.seeds,
    days=setup.days,
    workers=setup.workers,
    xlabel="shop guides · 导购人数",
    extra_daily=GUIDE_KPIS,
)
served = team.daily_total("chats_served")[["value", "median"]].rename(columns={"median": "served"})
dropped = team.daily_total("chats_dropped")["median"].rename("dropped")
salaries = team.daily_total("cost_guide_salaries")["median"].rename("salaries")
capacity = served.join(dropped).join(salaries)
capacity["dropped share"] = capacity["dropped"] / (capacity["served"] + capacity["dropped"])
capacity.round(2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
axes[0].plot(capacity["value"], capacity["dropped share"], marker="o", color="#c23b3b")
axes[0].set_xlabel("shop guides · 导购人数")
axes[0].set_ylabel("share of chat requests dropped · 未响应私聊占比")
axes[0].set_title("Chats dropped vs guides · 导购人数与未响应私聊")
team.plot("net_margin", ax=axes[1])
plt.show()

# %% [markdown]
# Does the service pay?  Gross margin (毛利) counts what the chats sell; net margin (净利)
# also pays the salaries.  The paired differences to the smallest team separate the two:
# a team that serves every chat is not automatically the team that pays.

# %%
team.table(["gross_margin", "net_margin"]).pivot(
    index="value", columns="metric", values="diff_mean"
).join(salaries.set_axis(capacity["value"])).round(0)

# %% [markdown]
# ## 2 · Turnover and reassignment · 离职与客户再分配
#
# Each guide quits on average once a year (`quit_rate_per_year: 1.0`) and is replaced
# after 30 days.  Paired comparison: reassigning the departing guide's customers vs not.

# %%
cmp = lab.compare(
    {"no reassignment": turnover, "reassign": reassign},
    seeds=setup.seeds,
    days=setup.days,
    workers=setup.workers,
    daily_metrics=[*lab.experiments.DAILY_METRICS, "orphaned_customers", "guides_active"],
)
metrics = ["gmv", "net_margin", "orders", "active_end", "repurchase_rate"]
cmp.table.set_index("metric").loc[metrics][
    ["a_median", "b_median", "diff_mean", "diff_low", "diff_high", "verdict"]
]

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
plots.plot_kpi(cmp, "guides_active", ax=axes[0])
plots.plot_kpi(cmp, "orphaned_customers", ax=axes[1], lang="zh")
plt.show()

# %% [markdown]
# ## Try · 试一试
#
# * Longer hiring: `replacement_delay_days=90`.  Does reassignment matter more?
# * Smaller books (`book_size=300`): fewer customers get a guide at all.

# %% [markdown]
# ## Exercise · 练习
#
# Hiring takes longer: set `strategies.shop_guides.replacement_delay_days` to 90 (it
# is 30) in both scenarios and run each once with the same seed, next to the same two
# runs at 30 days.  Does reassigning the customers of a guide who left matter more
# when a replacement takes three months?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# Without reassignment, the customers of a guide who quit wait without a guide until
# the replacement starts; the longer the wait, the more of them fall silent.
# Reassignment hands them to the remaining guides at once, so its advantage (reassign −
# no reassignment) should grow with the delay.  Read the table with care: on one seed
# and a small pool the change is small next to the noise of a single run (the orders
# may even move the other way); `lab.compare` over many seeds, as in section 2, tells
# whether it is real.
# </details>

# %% tags=["solution"]
import pandas as pd

from lab import analysis

rows = {}
for delay in (30, 90):
    change = {"strategies.shop_guides.replacement_delay_days": delay}
    pair = {
        name: lab.run(sc.with_changes(change), seed=0, days=setup.days)
        for name, sc in (("no reassignment", turnover), ("reassign", reassign))
    }
    m = {name: analysis.headline_metrics(r) for name, r in pair.items()}
    rows[f"delay {delay} days"] = {
        f"{k}: reassign − none": m["reassign"][k] - m["no reassignment"][k]
        for k in ("net_margin", "orders", "active_end")
    }
pd.DataFrame(rows).round(1)
