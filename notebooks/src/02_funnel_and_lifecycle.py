# %% [markdown]
# # 02 · The funnel and the lifecycle · 漏斗与生命周期
#
# A private pool works like a funnel with a loop (seed article 001):
#
# **traffic in (引流) → operate (运营) → convert (转化) → fission (裂变) → repurchase (回购)**
#
# * **Traffic in · 引流**: people are added to the pool — moved from platforms
#   (存量导入), bought with ads (公域拉新), invited by staff (员工邀请) or by friends (裂变).
# * **Operate · 运营**: the team reaches them with content, activities and offers
#   through touchpoints (触点): private chat (私聊), group chat (群聊), Moments (朋友圈),
#   mass messages (群发).
# * **Convert · 转化**: the first order (首单).  Barriers: understanding, motivation,
#   trust and the action cost; a good welcome message (欢迎语) and a cheap trial
#   product (体验品) lower them.
# * **Fission · 裂变**: buyers invite friends for a reward (奖励: gift 礼品, red envelope 红包).
# * **Repurchase · 回购/复购**: the point of the whole pool.
#
# After the first order a customer moves through the **lifecycle (生命周期)** by the days
# since their last order: **active 活跃期 → silent 沉默期 → sleeping 睡眠期 → churned 流失期**.
# Each stage wants a different play: keep contact and show value while active, small
# promotions when silent, a bigger win-back offer when sleeping, and only the big sales
# once churned.
#
# And **the first 3–5 purchases decide stickiness**: each early order makes the next
# one likelier (a habit forms), the first three matter most.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt
import pandas as pd

import lab
from lab import analysis, plots, teaching
from lab.i18n import label

setup = teaching.notebook_setup(SMALL, small_days=150)
SEED = 7

base = setup.scenario("baseline")
res = lab.run(base, seed=SEED, days=setup.days)

# %% [markdown]
# ## 1 · The funnel · 漏斗
#
# Each stage counts customers; its rate is over the stage named in `of`.  Fission and
# repurchase are both measured over converted customers: the two things a buyer goes
# on to do.

# %%
f = analysis.funnel(res)
f.assign(en=[label(s, "en") for s in f["stage"]], zh=[label(s, "zh") for s in f["stage"]])

# %%
plots.plot_funnel(f, lang="zh")
plt.show()

# %% [markdown]
# Channels convert differently: imported customers (存量导入) already bought on a
# platform, paid ones (公域拉新) are strangers, referred ones (裂变) come with a
# friend's trust.

# %%
by_channel = analysis.funnel(res, by="channel")
by_channel.pivot(index="group", columns="stage", values="rate")[list(analysis.FUNNEL_STAGES)[1:]]

# %% [markdown]
# ## 2 · The lifecycle · 生命周期
#
# Stages follow the days since the last order; the thresholds are in the scenario.
# Prospects (加了未下单) were added but never ordered.

# %%
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

# %% [markdown]
# How long do buyers keep buying?  Kaplan–Meier curves (留存曲线) of the share of
# first-time buyers not yet lapsed (no order for 90 days), per channel.

# %%
curves = analysis.survival_curves(res, by="channel", event="lapse")
plots.plot_survival(curves)
plt.show()

# %% [markdown]
# ## 3 · The first 3–5 purchases · 前 3–5 次购买
#
# The purchase ladder (购买阶梯): how many customers reach their 1st, 2nd, ... 5th
# order in the pool, and the step rate P(≥ k | ≥ k−1).  The step rate climbs over the
# first orders, for two reasons: each order makes the next likelier (a habit forms),
# and those who get that far are the frequent buyers to begin with (selection).  The
# exercise below separates the two.

# %%
ladder = analysis.purchase_ladder(res, max_order=5)
ladder

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
ax.bar(ladder["order_number"], ladder["step_rate"], color="#1f5a96")
ax.set_xlabel("order number k · 第 k 次购买")
ax.set_ylabel("P(≥ k | ≥ k−1)")
ax.set_title("Step rate of the purchase ladder · 购买阶梯转化率")
plt.show()

# %% [markdown]
# ## 4 · Layering · 用户分层 (RFM)
#
# For larger pools, teams layer buyers by recency (最近一次消费), frequency (消费频率)
# and monetary value (消费金额) over the last 90 days, and act per class: exclusive
# offers for important-value customers (重要价值), frequency boosters for
# important-development ones (重要发展), cheap re-activation for general-retention
# ones (一般挽留).

# %%
plots.plot_rfm_grid(analysis.rfm_table(res), lang="zh")
plt.show()

# %% [markdown]
# ## Exercise · 练习
#
# 1. Switch habit formation off (`habit.enabled = False`) with
#    `base.with_changes({"habit.enabled": False})` and run it **with the same seed**.  How do
#    the step rates of the purchase ladder change?  Which step changes most?
# 2. Make the welcome message (欢迎语) perfect (`first_order.welcome_quality = 1.0`).
#    What happens to the conversion rate (转化率)?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# Without habit formation every step after the first is lower, and the later steps
# (to the 3rd, 4th and 5th order) lose the most: that is the habit the seed article
# means by "the first 3–5 purchases decide stickiness".  The step rates still climb a
# little without habit: customers who reach a later order are the frequent buyers to
# begin with (selection).  A perfect welcome message raises trust at the first contact,
# so more prospects place a first order.  Both runs use the same seed, so the
# differences are the mechanism, not luck.
# </details>

# %% tags=["solution"]
no_habit = lab.run(base.with_changes({"habit.enabled": False}), seed=SEED, days=setup.days)
steps = pd.DataFrame(
    {
        "habit on": ladder.set_index("order_number")["step_rate"],
        "habit off": analysis.purchase_ladder(no_habit, 5).set_index("order_number")["step_rate"],
    }
)
print(steps.assign(change=steps["habit off"] - steps["habit on"]).round(3))

welcome = lab.run(
    base.with_changes({"first_order.welcome_quality": 1.0}), seed=SEED, days=setup.days
)
print(
    "conversion rate:",
    round(analysis.purchase_ladder(res, 1)["share_of_customers"].iloc[0], 3),
    "->",
    round(analysis.purchase_ladder(welcome, 1)["share_of_customers"].iloc[0], 3),
)

# %% [markdown]
# ## Glossary · 术语表
#
# | English | 中文 |
# |---|---|
# | private traffic (pool) | 私域流量 (池) |
# | public traffic | 公域流量 |
# | stock import / public acquisition | 存量导入 / 公域拉新 |
# | fission / referral | 裂变 |
# | conversion / first order | 转化 / 首单 |
# | repurchase, repurchase rate | 复购 / 回购, 复购率 |
# | active, silent, sleeping, churned | 活跃期, 沉默期, 睡眠期, 流失期 |
# | promo fatigue | 促销疲劳 |
# | block / delete | 拉黑 / 删除 |
# | layering (RFM) | 用户分层 |
# | lifetime value (LTV) | 用户生命周期价值 |
