"""Null tokens, and numbers or dates written among a few stray strings.

pandas reads its standard null strings (``""``, ``NA``, ``N/A``, ``NULL``, ``null``,
``NaN``, ``None``, ``#N/A``, ...) as nulls in every column. Files also mark a missing value
with placeholders such as ``?``, ``-`` or ``unknown``; in a column whose other values are all
numbers or all dates such a placeholder can only mean "no value", so :func:`read_placeholders`
reads it as null there (and only there: in a text column it stays a value). A column of
numbers or dates with other stray strings is caught when its kind is inferred
(:mod:`tabgan.table.inference`), so that it never silently becomes categorical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabgan.table.checks import is_object_like
from tabgan.table.date_formats import detect_formats

__all__ = ["PLACEHOLDERS", "as_numbers", "is_placeholder", "read_placeholders", "text_values"]

# Placeholders for a missing number or date, compared stripped and in lower case.
PLACEHOLDERS = frozenset({
    "", "?", "??", "-", "--", "---", ".", "..", "...", "_", "n.a.", "n.a", "na.", "n/d", "nd",
    "missing", "none", "nil", "null", "nan", "na", "n/a", "unknown", "unk", "empty", "blank",
    "#n/a", "#na", "#value!", "#div/0!", "#ref!", "#num!", "#name?", "#null!",
})


def text_values(series: pd.Series) -> pd.Series | None:
    """The non-null values of an object or string column when they are all strings."""
    if not is_object_like(series):
        return None
    values = series.dropna()
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":
        return None
    return values


def as_numbers(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Strings as floats (with ``decimal`` as the decimal mark); NaN where not a number."""
    text = values.astype(str).str.strip()
    if decimal != ".":
        text = text.str.replace(".", "\x00", regex=False).str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    floats = numbers.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.where(np.isinf(floats), np.nan, floats), index=numbers.index)


def is_placeholder(values: pd.Series) -> np.ndarray:
    """Which of ``values`` (strings) are placeholders for a missing value."""
    distinct = pd.Series(pd.unique(values.astype(str).to_numpy()), dtype=object)
    holders = distinct[distinct.str.strip().str.lower().isin(PLACEHOLDERS).to_numpy()]
    return values.isin(set(holders)).to_numpy()


def read_placeholders(frame: pd.DataFrame, *, decimal: str = ".") -> tuple[pd.DataFrame, list]:
    """``frame`` with placeholders read as nulls in every text column whose other values are
    all numbers (the column becomes numeric) or all dates; and one note per such column."""
    notes = []
    out = frame
    for name in frame.columns:
        values = text_values(frame[name])
        if values is None or len(values) == 0:
            continue
        holder = is_placeholder(values)
        if not holder.any() or holder.all():
            continue
        rest = values[~holder]
        numbers = as_numbers(rest, decimal)
        if numbers.notna().all():
            column = as_numbers(frame[name].where(frame[name].notna(), ""), decimal)
            what = "numbers"
        elif not detect_formats(rest[:100])[1].any() and not detect_formats(rest)[1].any():
            column = frame[name].where(~frame[name].isin(set(values[holder])), None)
            what = "dates"
        else:
            continue
        if out is frame:
            out = frame.copy()
        out[name] = column
        tokens = sorted(set(values[holder]))
        shown = ", ".join(repr(t) for t in tokens[:5]) + (", ..." if len(tokens) > 5 else "")
        notes.append(f"column {name!r}: {int(holder.sum())} placeholder(s) ({shown}) among "
                     f"{what}, read as nulls")
    return out, notes
