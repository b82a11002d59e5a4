"""Which back-tests of the 60 Erlang-3 logs of RESULTS_regbias2.md refuse without --force?

For each log (``benchmarks/bench_regbias.py``'s design, seeds 5001-5060 by default, the
bench's ``k_max = 5``): the calibration, the back-test's extra fits and the problems of
the fits each method's rows rest on (:func:`lab.calibrate.backtest._row_problems`),
without the simulation runs.  ``refused before``: the plain BG/NBD (+ gamma-gamma)
fit has problems, which stopped every back-test up to commit 0d29912; ``after``: the
lab's own fits have problems (the back-test's decision now).  One line per log, then
the totals::

    PYTHONPATH=$PWD python benchmarks/bench_backtest_refusals.py 5001 5061
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_regbias import START, make_log

from lab.calibrate.ingest import clean_orders
from lab.calibrate.scenario_out import calibrate

B = importlib.import_module("lab.calibrate.backtest")  # the module, not the function


def main(first: int, stop: int) -> None:
    refused_before = refused_after = 0
    flag_counts: dict[str, int] = {}
    t0 = time.time()
    for seed in range(first, stop):
        o = clean_orders(make_log(3, seed))
        end = pd.Timestamp(START) + pd.Timedelta(days=199)
        cal = calibrate(o, end)
        e = int((cal.calibration_end - cal.start_date).days)
        n_days = int((o.last_date - cal.start_date).days) + 1
        actual = B._actual_daily(o, cal, n_days)
        closed_u = B._closed_unconditional(cal, n_days)
        extra = B._extra_fits(o, cal, actual, closed_u, n_days, e, [], None, 5)
        flags = B._row_problems(cal, extra)
        before, after = bool(cal.problems()), bool(flags["lab"])
        refused_before += before
        refused_after += after
        for m, p in flags.items():
            flag_counts[m] = flag_counts.get(m, 0) + bool(p)
        print(seed, "k", extra["regularity"].k, "refused before", before, "after", after,
              {m: bool(p) for m, p in flags.items()}, f"{time.time() - t0:.0f}s", flush=True)  # fmt: skip
    print("refused before", refused_before, "after", refused_after,
          "flagged rows by method", flag_counts)  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
