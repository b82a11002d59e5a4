"""Text cells a spreadsheet will not run as formulas (CSV and XLSX outputs).

Ground floor of the writers: :mod:`lab.io` (pandas frames) and :mod:`lab.csv_arrow`
(arrow tables) both neutralise text through here.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["neutralise_frame", "neutralise_text", "unneutralise_text"]

#: characters that make a spreadsheet read a text cell as a formula (plus the escape)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise_text(value):
    """A text value a spreadsheet will not run as a formula (other values unchanged).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'``; so does text already starting with ``'``, which keeps the rule
    reversible (strip one leading ``'``).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def unneutralise_text(value):
    """Undo :func:`neutralise_text` (for the lab reading its own CSV files)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised; numeric columns are untouched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(neutralise_text)
    out.columns = [neutralise_text(str(c)) for c in out.columns]
    return out
