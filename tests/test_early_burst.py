"""The early-life purchase burst (``purchase.early_burst``): rate x (1 + beta e^(-age / tau)).

A closed cohort of known customers joins on day 0 with its first order booked (a
calibrated scenario's new customers join so), every other mechanism off but the
BG/NBD dropout after each order: a lab-made BG/NBD log with a known burst.  The
calibration's burst fit (:func:`lab.calibrate.agebump.fit_bgnbd_age`) must find it
again, and find none in the same cohort without it.  Off (``rate_boost`` 0, the
default) the results are the golden ones (``tests/test_golden.py``, unchanged).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import lab
from lab.calibrate.agebump import age_term_test, fit_bgnbd_age, repeat_ages
from lab.calibrate.bgnbd import fit_bgnbd
from lab.calibrate.summary import rfm_summary
from lab.cli import app
from lab.model import PoolModel
from lab.population import NO_FIRST_PURCHASE
from lab.scenario import ScenarioError
from tests.conftest import bare, bgnbd_traits

TESTS = Path(__file__).resolve().parent
BETA, TAU_DAYS = 1.5, 30.0
R, ALPHA_DAYS, A, B = 0.6, 50.0, 0.64, 7.36  # the lab's default traits (test_calibrate_fit_lab)
N, DAYS = 4000, 365


def _cohort(folder: Path, n: int, burst: float, dropout: bool = True) -> dict:
    """``n`` known customers joining on day 0 with their first order booked."""
    path = folder / f"cohort{n}.csv"
    if not path.exists():
        rows = "".join(f"c{i},2026-01-01\n" for i in range(n))
        path.write_text("customer_id,join_date\n" + rows, encoding="utf-8")
    return bare(
        0,
        DAYS,
        acquisition={
            "stock_import": {"enabled": False},
            "known_customers": {"enabled": True, "file": str(path), "book_first_order": True},
        },
        traits={
            "default": {
                **bgnbd_traits(R, ALPHA_DAYS, A, B),
            }
        },
        purchase={"early_burst": {"rate_boost": burst, "tau_days": TAU_DAYS}},
        dropout={"after_purchase": dropout, "per_day": False},
    )


def _fits(res):
    """rfm summary (weeks) of the run's order log and the plain and burst fits.

    The lab's day d after the first order covers the ages (d - 1, d] days (rate lambda
    times g over it) and the log books its order on day d; the ages are whole days, so
    ``fit_bgnbd_age`` credits each repeat with g's mean over its day (the same convention:
    a round trip kernel -> order log -> fit recovers the kernel's beta and tau)."""
    log = res.transactions[["customer_id", "date"]]
    end = pd.Timestamp("2026-01-01") + pd.Timedelta(days=DAYS - 1)
    summary = rfm_summary(log.assign(amount=1.0), end, time_unit_days=7.0)
    ages = repeat_ages(log, summary, time_unit_days=7.0)
    plain = fit_bgnbd(summary, time_unit_days=7.0)
    return summary, plain, fit_bgnbd_age(summary, ages, time_unit_days=7.0, plain=plain)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("burst")


@pytest.fixture(scope="module")
def burst_run(folder):
    return lab.run(_cohort(folder, N, BETA), seed=34)


# --------------------------------------------------------------------- off and validation
def test_off_by_default_and_tau_alone_changes_nothing(folder):
    """rate_boost 0 (the default) keeps the kernel's switch off, whatever tau: the run is
    bit-identical to one without the section (the golden hashes pin the default runs)."""
    sc = lab.scenario_from_dict(_cohort(folder, 300, 0.0))
    assert not PoolModel(sc, seed=1)._kernel_params().burst_on
    from tests.test_golden import table_hash

    a = lab.run(_cohort(folder, 300, 0.0), seed=4, days=60)
    other = _cohort(folder, 300, 0.0)
    other["purchase"]["early_burst"]["tau_days"] = 2.0
    b = lab.run(other, seed=4, days=60)
    for name in ("daily", "transactions", "customers"):
        assert table_hash(getattr(a, name)) == table_hash(getattr(b, name)), name


@pytest.mark.parametrize(
    ("key", "value", "bound"),
    [("rate_boost", -0.5, "greater than or equal to 0"), ("tau_days", 0, "greater than 0")],
)
def test_bad_values_are_refused_naming_field_value_and_file(tmp_path, key, value, bound):
    path = tmp_path / "s.yaml"
    path.write_text(f"purchase:\n  early_burst:\n    {key}: {value}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        lab.load_scenario(path)
    text = str(exc.value)
    assert f"purchase.early_burst.{key}" in text and str(value) in text and str(path) in text
    assert bound in text
    r = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 2, r.output
    assert f"purchase.early_burst.{key}" in r.output and not (tmp_path / "out").exists()


# --------------------------------------------------------------------- the age
def test_age_counts_from_the_first_order_the_pool_sees(folder):
    """Booked on joining without prior orders: the join day; a first order in the run:
    its day; history before the pool (stock import): unknown, so no burst."""
    sc = lab.scenario_from_dict(
        bare(
            200,
            40,
            acquisition={"paid": {"enabled": True}},
            purchase={"early_burst": {"rate_boost": 1.0}},
        )
    )
    model = PoolModel(sc, seed=5)
    model.run_model()
    pop = model.pop
    n = pop.n
    first = pop.first_purchase[:n]
    history = pop.prior_orders[:n] > 0
    assert history.sum() == 200 and (first[history] == NO_FIRST_PURCHASE).all()
    new = ~history & pop.has_ordered[:n]
    assert new.sum() > 20  # paid customers who ordered in the run
    tx = lab.run(sc, seed=5).transactions  # the same run, for its order log
    first_day = tx.groupby("customer_id")["day"].min()
    ids = np.flatnonzero(new)
    assert np.array_equal(first[ids], first_day.reindex(ids).to_numpy())


def test_a_calibrated_table_gives_the_burst_to_new_customers_only(tmp_path):
    """The table ``lab calibrate`` writes: the log's customers join at its end with their
    history (``prior_orders`` >= 1: their burst is folded into their rate, none in the
    kernel), the expected new ones later with their first order booked (age 0 then)."""
    path = tmp_path / "known.csv"
    rows = "customer_id,join_date,prior_orders,last_purchase_date,book_first_order\n"
    rows += "".join(f"h{i},2026-01-01,{1 + i % 3},2025-12-{10 + i % 9},false\n" for i in range(30))
    rows += "".join(f"n{i},2026-01-{2 + i % 20:02d},0,,true\n" for i in range(40))
    path.write_text(rows, encoding="utf-8")
    sc = bare(
        0,
        30,
        acquisition={
            "stock_import": {"enabled": False},
            "known_customers": {"enabled": True, "file": str(path)},
        },
        purchase={"early_burst": {"rate_boost": 1.0}},
    )
    model = PoolModel(lab.scenario_from_dict(sc), seed=2)
    model.run_model()
    pop, n = model.pop, model.pop.n
    history = pop.prior_orders[:n] > 0
    assert history.sum() == 30 and (pop.first_purchase[:n][history] == NO_FIRST_PURCHASE).all()
    assert (~history).sum() == 40
    assert np.array_equal(pop.first_purchase[:n][~history], pop.cohort_day[:n][~history])


# --------------------------------------------------------------------- recovery
def test_a_known_burst_is_recovered_within_two_standard_errors(burst_run):
    """One fixed seed: beta and tau (weeks) within 2 SE of the truth.

    With correct SEs each |z| < 2 has chance 95%; the SEs themselves must be informative
    (below 30% of the value: at 4,000 customers they are about 6% for beta and 8% for
    tau).  Over seeds 30-39 (this test's cohort, `benchmarks/RESULTS_burst_recovery.md`)
    z(beta) ranged -1.4 to 0.6 (mean -0.4) and z(tau) -0.8 to 1.7 (mean 0.6), all within
    2; seed 34 is a typical one (z -0.80, 0.87)."""
    _, plain, fit = _fits(burst_run)
    assert fit.converged, fit.message
    truth = {"beta": BETA, "tau": TAU_DAYS / 7.0}
    for name, value in truth.items():
        est, se = fit.params[name], fit.se[name]
        assert 0 < se < 0.3 * value, (name, est, se)
        assert abs(est - value) < 2 * se, (name, est, se)
    assert age_term_test(plain, fit).use


def test_the_same_cohort_without_the_burst_shows_none(folder):
    _, plain, fit = _fits(lab.run(_cohort(folder, N, 0.0), seed=34))
    test = age_term_test(plain, fit)
    assert not test.use, (test, fit.params)


# --------------------------------------------------------------------- direction
def _window_ratio(on, off, days: range, beta: float) -> tuple[float, float, float]:
    """Orders with / without the burst on ``days``, its expectation and its SE.

    Dropout off, every other mechanism off: customer i orders on day d with chance
    1 - exp(-lambda_i g(d)), g(d) = 1 + beta e^(-d / tau), so the expected counts come
    from the run's own rates.  The counts are sums of independent Bernoullis (variance
    below the mean), so the ratio's SE is at most ratio x sqrt(1 / n_on + 1 / n_off)
    (treating the two runs as independent; they share seeds, which only lowers it)."""
    lam = on.customers["propensity"].to_numpy()
    d = np.array(list(days), float)
    g = 1.0 + beta * np.exp(-d / TAU_DAYS)
    expect_on = (1.0 - np.exp(-np.outer(lam, g))).sum()
    expect_off = (1.0 - np.exp(-np.outer(lam, np.ones_like(g)))).sum() * 1.0
    count = {}
    for name, res in (("on", on), ("off", off)):
        t = res.transactions
        count[name] = int(t["day"].between(days.start, days.stop - 1).sum())
    ratio = count["on"] / count["off"]
    se = ratio * np.sqrt(1 / count["on"] + 1 / count["off"])
    return ratio, expect_on / expect_off, se


def test_burst_raises_early_orders_and_fades_back_to_the_plain_rate(folder):
    on = lab.run(_cohort(folder, 2000, BETA, dropout=False), seed=8)
    off = lab.run(_cohort(folder, 2000, 0.0, dropout=False), seed=8)
    assert np.array_equal(on.customers["propensity"], off.customers["propensity"])
    early, e_early, se_early = _window_ratio(on, off, range(1, 29), BETA)
    late, e_late, se_late = _window_ratio(on, off, range(180, DAYS), BETA)
    assert e_early > 1.8 and abs(e_late - 1) < 0.01  # what the two windows should show
    assert early > 1 + 4 * se_early  # the first four weeks: clearly more repeat orders
    assert abs(early - e_early) < 4 * se_early, (early, e_early, se_early)
    assert abs(late - e_late) < 4 * se_late, (late, e_late, se_late)  # back to the plain rate


# --------------------------------------------------------------------- threads
SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import lab
from lab.model import PoolModel
from test_golden import table_hash

PoolModel.kernel_chunk = 97  # many uneven chunks: threads interleave
sc = lab.load_scenario({scenario!r}).with_changes(
    {{"purchase.early_burst.rate_boost": 1.5, "purchase.early_burst.tau_days": 30}}
)
res = lab.run(sc, seed=3, days=40)
print(*[table_hash(res.daily), table_hash(res.transactions), table_hash(res.customers)])
"""


def test_burst_gives_identical_tables_on_one_and_two_threads():
    scenario = str(TESTS.parent / "scenarios" / "q4_referral_reward_50.yaml")
    code = SCRIPT.format(tests=str(TESTS), scenario=scenario)
    procs = {
        t: subprocess.Popen(
            [sys.executable, "-c", code],
            env=dict(os.environ, NUMBA_NUM_THREADS=str(t)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for t in (1, 2)
    }
    out = {}
    for t, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr.decode()[-2000:]
        out[t] = stdout.decode().split()
    assert out[1] == out[2]
    from tests.test_golden import table_hash

    plain = lab.run(scenario, seed=3, days=40)
    assert out[1][1] != table_hash(plain.transactions)  # the burst changed the orders


def test_a_batch_with_the_burst_equals_its_runs_alone():
    """The batched kernel (several seeds in one call) runs the burst as a run alone does."""
    from lab.batch import run_batch

    sc = lab.load_scenario(TESTS.parent / "scenarios" / "q4_referral_reward_50.yaml")
    sc = sc.with_changes(
        {
            "acquisition.stock_import.total_customers": 400,
            "purchase.early_burst.rate_boost": 1.5,
            "purchase.early_burst.tau_days": 30,
        }
    )
    seeds = [3, 11]
    for res in run_batch(sc, seeds, days=30):
        alone = lab.run(sc, seed=res.seed, days=30)
        for table in ("daily", "transactions", "customers"):
            pd.testing.assert_frame_equal(
                getattr(alone, table), getattr(res, table), check_exact=True
            )
