# %% [markdown]
# # 00 · Classroom explorer · 课堂探索器
#
# Move the levers a private-traffic team (私域运营团队) pulls and watch what a simulated
# pool of about 4 000 customers does over a year: GMV (成交总额), net margin (净利),
# promo fatigue (促销疲劳) and blocks (拉黑/删除).
#
# | lever · 杠杆 | what it changes |
# |---|---|
# | discount depth · 折扣力度 | how much the recurring promotion takes off the list price (0 = no recurring promotion; 618 and 双11 stay) |
# | days between promotions · 促销间隔 | the promotion cadence (7 = weekly, 30 = monthly) |
# | group messages / week · 每周社群消息 | messages to the group (社群): promotion, interaction, promotion, value, ... in turn |
# | paid membership · 付费会员 | a paid card (会员卡) with member prices and member days, and its annual fee |
# | referral reward · 裂变奖励 | the red envelope (红包) a customer gets for each friend who joins |
#
# Every update runs the pool with five seeds (随机种子) and shows the median with the
# 10–90% band of the seeds: how much luck alone moves each number.  The default
# settings (grey dashed lines) run with the same five seeds, so yours differ from them
# only by what you moved: a paired comparison (配对比较).  One update takes a few
# seconds; moving a slider back to a setting already seen is instant.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
from IPython.display import Image, display

from lab.explorer import ClassroomPool, Explorer, explore, figure_png

LANG = "en"  # "zh" for Chinese labels (drawn with the lab's own font: no system font needed)
POOL = ClassroomPool(days=120 if SMALL else 365, n_seeds=2 if SMALL else 5)

# %% [markdown]
# ## The explorer · 探索器
#
# Sliders update when you release them.  *Reset · 重置* goes back to the defaults.

# %%
explorer = Explorer(lang=LANG, pool=POOL)
explorer

# %% [markdown]
# ## Without widgets · 不用控件也可以
#
# The widget only wires sliders to one pure function, `explore(params)`, which you can
# call yourself, e.g. to prepare a slide or check a student's answer.

# %%
flood = explore({"messages_per_week": 14}, pool=POOL, lang="en")
flood.table()

# %%
display(Image(figure_png(flood.figure)))
print(f"one update: {flood.seconds:.2f} s")

# %% [markdown]
# ## Questions for the class · 课堂问题
#
# 1. Raise *group messages / week* from 4 to 14.  Blocks (拉黑) rise; does GMV rise too?
#    Where does net margin peak?  (Notebook 06 answers it with uncertainty.)
# 2. Make the promotion weekly (7 days) instead of monthly (30).  What happens to
#    promo fatigue (促销疲劳) and to the discount cost (折扣成本)?
# 3. Make the discount deeper at the monthly cadence.  Which numbers move?
#    (Fatigue grows with how often *and* how deeply customers see promotions; depth
#    also lowers the reference price 参考价格 and raises the discount cost.)
# 4. Switch the paid membership on and move the fee from 49 to 199 yuan.
#    Who joins, and what happens to net margin?
# 5. Set the referral reward to 0, then to 60.  How many customers join by referral (裂变)?

# %%
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
    lo, hi = r.change_bands["net_margin"]
    print(levers, "members:", int(r.metrics["members"]), moved)
    print(f"    net margin change over the seeds: {lo:+.1%} to {hi:+.1%}")
