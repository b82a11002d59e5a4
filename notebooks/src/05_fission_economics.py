# %% [markdown]
# # 05 · Fission economics · 裂变经济学
#
# **Question.** What referral reward (邀请奖励) makes fission (裂变) pay back?
#
# The rules from seed article 000: the higher the reward, the more people act; the
# more invites required for one reward, the fewer act; overhyped value disappoints.
# In the lab, after each order a customer shares with a probability that rises with the
# reward (saturating) and falls with the number of invites required; each share brings
# friends, and every joined friend costs the reward (to the inviter) plus a gift (to the
# invitee).
#
# * **K-factor (裂变系数, K 因子)** = referred customers / all customers.
# * **Cost per referred customer (每位被邀请人成本)** = rewards paid / referred customers.
# * What matters for the budget is the **incremental** cost: extra rewards / extra
#   customers compared with no reward, because a reward is also paid to people who
#   would have shared anyway.
#
# The sweep adds a `fission_program` strategy (a referral campaign that replaces the
# standing referral terms) to the baseline and varies its reward.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt
import pandas as pd

import lab
from lab import analysis, teaching

setup = teaching.notebook_setup(SMALL)
REWARDS = [0, 10, 30, 80] if SMALL else [0, 10, 20, 30, 50, 80]

base = setup.scenario("baseline")
campaign = teaching.add_strategy(
    base, {"type": "fission_program", "reward_cny": 0, "invitee_reward_cny": 5}
)

# %% [markdown]
# ## 1 · Reward levels · 奖励档位

# %%
rewards = teaching.compare_levels(
    campaign,
    "strategies.fission_program.reward_cny",
    REWARDS,
    seeds=setup.seeds,
    days=setup.days,
    workers=setup.workers,
    xlabel="reward per invite · 邀请奖励 (CNY)",
)
rewards.table(["k_factor", "cost_per_referred", "customers", "net_margin"]).round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
rewards.plot("k_factor", ax=axes[0], lang="zh", kind="level")
rewards.plot("net_margin", ax=axes[1], relative=True)
plt.show()
print("net margin is highest at a reward of", rewards.best("net_margin"), "CNY")

# %% [markdown]
# ## 2 · Incremental cost per referred customer · 边际获客成本
#
# Per seed: extra rewards paid and extra referred customers against reward 0, then
# their ratio.  It is well above the average cost per referred customer: part of every
# reward goes to people who would have shared anyway.

# %%
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

# %% [markdown]
# ## 3 · Invites required · 邀请门槛
#
# Same reward (30 CNY per completed invite), but one reward needs 1, 2 or 3 friends.

# %%
thresholds = teaching.compare_levels(
    campaign.with_changes({"strategies.fission_program.reward_cny": 30}),
    "strategies.fission_program.invites_required",
    [1, 2, 3],
    seeds=setup.seeds,
    days=setup.days,
    workers=setup.workers,
    xlabel="invites required per reward · 每份奖励所需邀请数",
)
thresholds.table(["k_factor", "cost_per_referred", "net_margin"]).round(3)

# %% [markdown]
# ## 4 · CAC and payback by channel · 分渠道获客成本与回本周期
#
# In one run at a 30-yuan reward: the referral channel against paid acquisition
# (公域拉新).  Stock import books no acquisition cost in the model.

# %%
r30 = lab.run(
    campaign.with_changes({"strategies.fission_program.reward_cny": 30}), seed=0, days=setup.days
)
analysis.unit_economics(r30, horizon_days=min(180, setup.days // 2)).round(2)

# %% [markdown]
# ## Try · 试一试
#
# * Raise the invitee's gift (`invitee_reward_cny`) instead of the inviter's reward.
# * Cap the campaign: `budget_cny=20000` and an `end_day` (see `scenarios/q4_referral_reward_50.yaml`).

# %% [markdown]
# ## Exercise · 练习
#
# Instead of paying the inviter more, give the friend who joins a bigger gift: keep
# the inviter's reward at 30 yuan and raise `invitee_reward_cny` from 5 to 30 (same
# seed as section 4).  Do more friends join?  What does each referred customer cost,
# and what happens to the K-factor and to net margin?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# In this lab, whether a customer shares depends on *their own* reward (the inviter's);
# the friend's gift is paid to every friend who joins but does not change who joins.
# With the same seed the same friends join, so the K-factor and the referred customers
# are unchanged and each referred customer costs 25 yuan more: the gift is a pure cost
# here.  Whether a bigger gift makes friends accept more often in your market is an
# assumption to test, not something this model claims.
# </details>

# %% tags=["solution"]
gift = lab.run(
    campaign.with_changes(
        {
            "strategies.fission_program.reward_cny": 30,
            "strategies.fission_program.invitee_reward_cny": 30,
        }
    ),
    seed=0,
    days=setup.days,
)
keys = ["k_factor", "cost_per_referred", "net_margin"]
both = {"invitee gift 5": r30, "invitee gift 30": gift}
answer = pd.DataFrame({n: analysis.headline_metrics(r) for n, r in both.items()}).loc[keys]
answer.loc["referred customers"] = [r.daily["referred"].sum() for r in both.values()]
answer.round(2)
