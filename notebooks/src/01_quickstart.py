# %% [markdown]
# # 01 · Quickstart · 快速上手
#
# The lab simulates the customers of a brand's **private traffic pool (私域流量池)**:
# people the brand can reach again for free, through personal WeChat, WeCom
# (企业微信), groups (社群), Moments (朋友圈) and mini programs.  Customers are
# imported from platforms (存量导入), bought with ads (公域拉新), invited by staff
# (全员营销) and by friends (裂变); they buy, rebuy (复购), tire of promotions
# (促销疲劳), block over-eager contacts (拉黑) and drift away (流失).
#
# In this notebook: load the baseline scenario (基线情景), run it, read the KPIs,
# plot them and follow one customer's journey (用户旅程).

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import matplotlib.pyplot as plt

import lab
from lab import plots, teaching

setup = teaching.notebook_setup(SMALL)  # sizes (small for the tests) and the lab's plot style
SEED = 7

# %% [markdown]
# ## 1 · Load a scenario · 加载情景
#
# A scenario is a YAML file: the pool, the customers' behaviour and the strategies
# the team runs.  Every key it leaves out takes a documented default
# (`lab explain scenarios/baseline.yaml` lists them all).

# %%
base = setup.scenario("baseline")  # scenarios/baseline.yaml, its pool scaled to setup.scale
print(base.name, "-", base.description)
for s in base.strategies:
    print(f"  strategy: {s.type:16} {s.label}")

# %% [markdown]
# ## 2 · Run · 运行
#
# The same scenario and seed always give identical results.  One simulated year of
# the full baseline (about 20 000 customers) takes about a second.

# %%
res = lab.run(base, seed=SEED, days=setup.days)
res.summary()

# %% [markdown]
# ## 3 · Read the KPIs · 关键指标
#
# The headline numbers, with their Chinese names (definitions: `docs/metrics.md`).

# %%
teaching.kpi_table(res).round(3)

# %% [markdown]
# The daily table has one row per day: new customers by channel, customers by
# lifecycle stage, orders, GMV, discounts, margin, contacts, blocks, referrals,
# mean promo fatigue and every cost line.

# %%
res.daily[["date", "customers", "orders", "gmv", "net_margin", "new_blocks", "mean_fatigue"]].tail()

# %% [markdown]
# ## 4 · Plot them · 作图
#
# Every plot function takes `lang="en"` or `lang="zh"`.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
plots.plot_kpi(res, "gmv", ax=axes[0])
plots.plot_kpi(res, "mean_fatigue", ax=axes[1], lang="zh")
plt.show()

# %% [markdown]
# ## 5 · Orders and customers · 订单与用户
#
# `res.transactions` is shaped like a real order export; `res.customers` has one row
# per customer with their latent traits and final state.

# %%
res.transactions.head()

# %%
res.customers.groupby("channel", observed=True)[["spend", "n_orders_in_run", "referrals"]].mean()

# %% [markdown]
# ## 6 · One customer's journey · 用户旅程
#
# Pick a customer who ordered several times and brought friends, and read their
# story: how they joined, what they bought at which discount, whom they invited,
# whether they blocked the brand.

# %%
c = res.customers
uid = int(c.sort_values(["referrals", "n_orders_in_run"], ascending=False)["customer_id"].iloc[0])
journey = res.customer(uid)
print(journey)

# %%
journey.orders[["date", "amount", "list_price", "discount", "is_trial"]]

# %% [markdown]
# ## Next · 接下来
#
# * `02_funnel_and_lifecycle` — the funnel, the lifecycle stages and the first purchases
# * `03_promo_fatigue` — weekly vs monthly discounts, with uncertainty
# * `04_membership_vs_stored_value_vs_coupons` — who gains, what it costs
# * `05_fission_economics` — reward levels, K-factor, cost per referred customer
# * `06_contact_frequency_and_blocks` — the message frequency that maximises net revenue
# * `07_shop_guides` — staff capacity, turnover, reassignment
# * `00_classroom_explorer` — sliders for the classroom
