"""From a retention curve to the lab's churn heterogeneity (sBG -> ``dropout_per_day``).

For teams that have only retention figures (留存曲线): :func:`lab.calibrate.sbg.fit_sbg`
fits the shifted-beta-geometric model, where each customer churns at the end of a
period with chance theta ~ Beta(alpha, beta).  The lab's ``dropout_per_day`` is a
daily hazard, so a period of P days becomes the daily hazard
``h = 1 - (1 - theta) ** (1 / P)`` per customer; :func:`retention_fragment` gives the
beta distribution with the same mean and variance as h (moment matching; exact for
P = 1) as a scenario fragment to merge with ``extends:``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate, stats

from lab.calibrate.mle import FitResult

__all__ = ["daily_hazard_beta", "read_shares", "retention_fragment", "write_fragment"]

_SHARE_COLUMNS = ("active_share", "share", "retention", "survival", "active", "留存率")


def read_shares(path: str | Path | None = None, text: str | None = None) -> list[float]:
    """The share still active per period, from a CSV file or a comma-separated string.

    The CSV's share column is the first of ``active_share, share, retention, survival,
    active`` (else its last column); rows are ordered by a ``period`` column if there is
    one.  Percentages (a curve starting at 100) are divided by 100.

    Raises
    ------
    ValueError
        Missing file, no numbers, or a value that is not a number (naming it).
    """
    if text is not None:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            values = [float(p.rstrip("%")) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_number(p.rstrip("%")))
            raise ValueError(f"--shares: {bad!r} is not a number") from None
    else:
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"file not found: {p}")
        try:
            df = pd.read_csv(p, comment="#")
        except Exception as exc:
            raise ValueError(f"{p}: cannot read the file: {exc}") from None
        if df.empty:
            raise ValueError(f"{p}: the file has no rows")
        lower = {str(c).strip().lower(): c for c in df.columns}
        col = next((lower[c] for c in _SHARE_COLUMNS if c in lower), df.columns[-1])
        if "period" in lower:
            df = df.sort_values(lower["period"])
        vals = pd.to_numeric(df[col].astype(str).str.rstrip("%"), errors="coerce")
        if vals.isna().any():
            row = int(np.flatnonzero(vals.isna().to_numpy())[0])
            raise ValueError(
                f"{p}: column {col}: {df[col].iloc[row]!r} at row {row + 1} is not a number"
            )
        values = vals.tolist()
    if values and values[0] == 100:
        values = [v / 100 for v in values]
    return values


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def daily_hazard_beta(alpha: float, beta: float, period_days: float) -> tuple[float, float]:
    """Mean and concentration of the beta matching ``1 - (1 - theta)**(1/P)``, theta ~ Beta."""
    dist = stats.beta(alpha, beta)

    def moment(k: int) -> float:
        f = lambda th: (1 - (1 - th) ** (1 / period_days)) ** k * dist.pdf(th)  # noqa: E731
        return integrate.quad(f, 0, 1, limit=200)[0]

    m = moment(1)
    v = max(moment(2) - m * m, 1e-300)
    return m, max(m * (1 - m) / v - 1, 1e-6)


def retention_fragment(fit: FitResult, period_days: float) -> dict:
    """Scenario fragment: daily dropout switched on with the fitted heterogeneity."""
    if fit.model != "sbg":
        raise ValueError(f"need an sBG fit, got {fit.model!r}")
    m, c = daily_hazard_beta(fit.params["alpha"], fit.params["beta"], period_days)
    return {
        "dropout": {"per_day": True},
        "traits": {
            "default": {
                "dropout_per_day": {
                    "dist": "beta",
                    "mean": float(f"{m:.6g}"),
                    "concentration": float(f"{c:.6g}"),
                }
            }
        },
    }


def write_fragment(fragment: dict, fit: FitResult, out: str | Path, source: str) -> Path:
    """Write the fragment as YAML (atomically) with the fit in header comments."""
    import yaml

    from lab.io import atomic_file

    lines = [
        f"sBG churn fit of {source} (cohort {fit.n}):",
        *(
            f"  {k} = {v:.4g} ± {fit.se.get(k, float('nan')):.2g} (SE)"
            for k, v in fit.params.items()
        ),
        "-> traits.default.dropout_per_day (beta, moment-matched daily hazard);",
        "merge into a scenario: put `extends: <your scenario>` above these lines.",
    ]
    text = "".join(f"# {line}\n" for line in lines) + yaml.safe_dump(fragment, sort_keys=False)
    with atomic_file(out, may_replace=_lab_fragment) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(out)


def _lab_fragment(path: Path) -> bool:
    """True when ``path`` is a fragment :func:`write_fragment` wrote (its first line says so)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith("# sBG churn fit of ")
    except OSError:
        return False
