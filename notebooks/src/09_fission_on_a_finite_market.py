# %% [markdown]
# # 09 · Fission that saturates: a finite market on a social graph · 有限市场与社交网络上的裂变
#
# **Question.** How far can fission (裂变) really take the pool?
#
# On an unlimited market a referral forecast grows exponentially.  Real friends
# overlap, neighbourhood groups fill up and the addressable market runs out, and ads
# get dearer as the easy customers are taken.  Scenario `q8_fission_saturation`
# declares a market of 40,000 people in communities of about 200 (小区/兴趣圈/同事),
# 70% of each person's ties inside their community, a generous reward and 30 seed
# customers (KOC, the best-connected people).  Invitations travel along ties; a friend
# who is already a customer, or declined, is not invited again.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt
import pandas as pd

import lab
from lab import analysis, plots, teaching

LANG = "zh"  # "en" for English labels
# the pool is scaled down for the tests; the market shrinks with it
setup = teaching.notebook_setup(SMALL, small_days=240, lang=LANG)

q8 = setup.scenario("q8_fission_saturation")
res = lab.run(q8, seed=1, days=setup.days)
cols = [
    "customers",
    "market_remaining",
    "market_reached_share",
    "invitations",
    "invitations_accepted",
    "paid_cac_multiplier",
]
res.daily.set_index("day")[cols].iloc[:: setup.days // 8].round(3)

# %% [markdown]
# ## 1 · The market runs out · 市场饱和
#
# Left: the share of the market reached, and the part won by referral.  Right: the
# referral cascade (who invited whom), coloured by depth; stars are KOC.  The K-factor
# by fortnight falls as each customer's friends are taken.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
plots.plot_market_reach(res, ax=axes[0], lang=LANG)
plots.plot_referral_cascade(res, ax=axes[1], lang=LANG)
plt.show()
analysis.k_factor_by_period(res, period_days=14)[["first_day", "k_cohort", "invitations"]].round(3)

# %%
# how much of the fission flows through the seed customers (KOC)?
pd.Series(analysis.koc_reach(res)).round(3)

# %% [markdown]
# ## 2 · Word of mouth on a clustered vs a random graph · 口碑扩散: 社区聚集 vs 随机网络
#
# Switch off every paid and imported channel; 10 seed customers talk to friends
# every day (word of mouth, 口碑).  With a tiny organic rate this is Bass diffusion
# with p = organic rate and q = talks per day × acceptance.  On a clustered graph the
# same referral strength spreads more slowly: friends of friends are the same people.
# Both curves level off below the Bass curve, which assumes everyone mixes with
# everyone: people with few or no friends among the customers are left to the small
# organic rate.

# %%
talk_only = {
    "acquisition.stock_import.enabled": False,
    "acquisition.paid.enabled": False,
    "acquisition.staff_invite.enabled": False,
    "acquisition.referral.enabled": False,
    "market.word_of_mouth_per_day": 0.1,
    "market.external_adoption_per_day": 0.0002,
    "market.seed_customers.count": 10,
}
reach = {}
for kind in ["clustered", "random"]:
    sc = q8.with_changes({**talk_only, "market.graph.kind": kind, "name": kind})
    reach[kind] = lab.run(sc, seed=1, days=setup.days)

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained", sharey=True)
bass = (0.0002, 0.1 * q8.market.acceptance)  # (p, q) of the Bass curve
for ax, (kind, r) in zip(axes, reach.items(), strict=True):
    plots.plot_market_reach(r, ax=ax, lang=LANG, bass=bass)
    ax.set_title(kind)
plt.show()

# %% [markdown]
# ## 3 · Groups on the graph's communities · 社群与死群
#
# A `community_groups` strategy fills WeChat groups (社群) with members of one
# community each.  Groups whose messages are mostly ads go quiet (死群) and stop
# working as a touchpoint; content-first groups stay alive.  Compare the two q9
# scenarios.

# %%
pair = {name: setup.scenario(name) for name in ["q9_group_content_first", "q9_group_ad_share"]}
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained", sharey=True)
group_runs = {}
for ax, (name, sc) in zip(axes, pair.items(), strict=True):
    group_runs[name] = lab.run(sc, seed=1, days=min(setup.days, 120))
    plots.plot_group_health(group_runs[name], ax=ax, lang=LANG)
    ax.set_title(name)
plt.show()
pd.DataFrame(
    {n: r.daily[["groups_active", "groups_quiet"]].iloc[-1] for n, r in group_runs.items()}
)

# %% [markdown]
# ## Try it · 动手试试
#
# * Set `market.graph.within_community_share` to 0.95: how much slower is the spread?
# * Give the seed customers `referral_propensity: 0.2`: what share of fission did they carry?
# * Add `social_proof: {strength: 3}`: friends join more easily once many of their
#   friends are customers; when does the curve take off?
# * `docs/market.md` explains every market parameter.

# %% [markdown]
# ## Exercise · 练习
#
# Strengthen social proof: friends accept an invitation more easily the more of their
# friends are already customers.  Set `market.social_proof.strength` to 3 (it is 1) and
# run with the seed of section 1 (`seed=1`).  Compare the share of the market reached
# and the customers who joined by referral over time with the run of section 1.  When
# does the difference appear, and why then?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# In the first weeks the two runs hardly differ: few friends of anyone are customers
# yet, so there is little proof to be social about.  As the pool grows, each invitation
# lands on people who already know several customers, and stronger social proof makes
# them accept more often: referrals pull ahead and the share of the market reached
# takes off sooner and ends higher.  A feedback loop: more customers make the next ones
# easier to win, until the market runs out of people to reach.
# </details>

# %% tags=["solution"]
proof = lab.run(q8.with_changes({"market.social_proof.strength": 3.0}), seed=1, days=setup.days)
both = {"strength 1 (as shipped)": res, "strength 3": proof}
table = pd.concat(
    {
        "market reached": pd.DataFrame(
            {n: r.daily["market_reached_share"] for n, r in both.items()}
        ),
        "joined by referral": pd.DataFrame(
            {n: r.daily["referred"].cumsum() for n, r in both.items()}
        ),
    },
    axis=1,
)
days_shown = [d for d in (30, 60, 120, 180, 240, 365) if d < len(table)]
table.iloc[[*days_shown, len(table) - 1]].round(3)
