# %% [markdown]
# # 10 · Sweeps, sensitivity and search · 参数扫描、敏感性分析与方案搜索
#
# Strategists ask "which cadence and depth?", "which parameters matter?", "what is
# the best plan under a block-rate limit?".  Each answer takes many runs; `lab.sweep`,
# `lab.sensitivity` and `lab.optimize` run them on the local cores (or a dask cluster
# with `cluster="tcp://HOST:8786"`), stream each run to disk as it finishes and
# resume an interrupted experiment without redoing finished runs.  Every candidate
# is run on the same seeds (common random numbers), so differences are fair.

# %% tags=["parameters"]
# Parameters (papermill convention): the tests run this notebook with SMALL = True,
# a pool of a few thousand customers, fewer days and fewer seeds.
SMALL = False

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import lab
from lab import plots, teaching

LANG = "zh"  # "en" for English labels
setup = teaching.notebook_setup(SMALL, seeds=8, small_seeds=2, lang=LANG)
OUT = Path(tempfile.mkdtemp(prefix="lab-experiments-"))  # or a folder you keep

base = setup.scenario("baseline")

# %% [markdown]
# ## 1 · A grid: discount cadence × depth · 促销频率 × 力度

# %%
grid = lab.sweep(
    base,
    grid={
        "strategies.discount.every_days": [7, 14, 28],
        "strategies.discount.depth": [0.1, 0.2, 0.3],
    },
    seeds=setup.seeds,
    days=setup.days,
    out=OUT / "grid",
    workers=setup.workers,
)
table = grid.summary()
table.pivot(
    index="strategies.discount.every_days", columns="strategies.discount.depth", values="net_margin"
).round(0)

# %% [markdown]
# ## 2 · Which parameters matter? · 哪些参数最重要 (Morris)

# %%
sens = lab.sensitivity(
    base,
    {
        "strategies.discount.depth": (0.05, 0.4),
        "strategies.discount.every_days": (7, 42),
        "acquisition.referral.reward_cny": (0, 60),
    },
    method="morris",
    samples=4 if SMALL else 12,
    seeds=setup.seeds,
    days=setup.days,
    out=OUT / "morris",
    workers=setup.workers,
    lang=LANG,
)
fig, axes = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
plots.plot_sensitivity(sens, "net_margin", ax=axes[0], lang=LANG)
plots.plot_sensitivity(sens, "mean_fatigue", ax=axes[1], lang=LANG)
plt.show()

# %% [markdown]
# ## 3 · The best plan under a block-rate limit · 拉黑率约束下的最优方案 (optuna)

# %%
search = lab.optimize(
    base,
    {"strategies.discount.depth": (0.05, 0.4), "strategies.discount.every_days": (7, 42)},
    objective="net_margin",
    constraints=["block_rate<=0.05"],
    trials=8 if SMALL else 40,
    batch=4,
    seeds=setup.seeds,
    days=setup.days,
    out=OUT / "search",
    workers=setup.workers,
    lang=LANG,
)
plots.plot_optimization_history(search, lang=LANG)
plt.show()
print("best plan:", search.best["params"], "net margin", round(search.best["objective"]))
print("written as a scenario:", OUT / "search" / "best.yaml")

# %% [markdown]
# ## Try it · 动手试试
#
# * The same from the command line: `lab sweep scenarios/baseline.yaml --set
#   strategies.discount.every_days=7,14,28 --seeds 8`; `lab sensitivity ... --method
#   sobol`; `lab optimize ... --constraint "block_rate<=0.05" --trials 60`.
# * Interrupt a long sweep and run the same command again: finished runs are kept.
# * docs/experiments.md ("On a dask cluster") shows how to start a dask cluster.

# %% [markdown]
# ## Exercise · 练习
#
# Use the grid of section 1 (`table`, the mean over seeds of every point).  Which
# cadence × depth gives the highest net margin, and which the highest GMV?  Are they
# the same plan?  Why not?
#
# Write your code in the cell below, then compare with the solution (the hidden cell
# after it; click to expand).

# %%
# your code here · 在这里写代码

# %% [markdown]
# <details><summary><b>Solution · 参考答案</b> (expand the hidden cell below)</summary>
#
# GMV counts what customers pay, so frequent and deep promotions, which bring more
# orders, look good on it.  Net margin subtracts the cost of goods and the discounts
# themselves (and, over time, promotions wear customers out and lower the reference
# price), so its best plan promotes less often or less deeply.  A team that chases
# GMV pays for it in margin: choose the objective before the plan.
# </details>

# %% tags=["solution"]
import pandas as pd

cols = ["strategies.discount.every_days", "strategies.discount.depth"]
shown = [*cols, "gmv", "net_margin", "discount_cost"]
pd.DataFrame(
    {
        "highest net margin": table.loc[table["net_margin"].idxmax(), shown],
        "highest GMV": table.loc[table["gmv"].idxmax(), shown],
    }
)
