"""Date strings in more than one format: which formats a column is written in, and its
values parsed with them.

A column of dates written partly ``2021-03-04`` and partly ``04/03/2021`` has no one
``datetime_format``. :func:`detect_formats` finds the fewest formats (at most
``MAX_FORMATS``, each with a year) that parse its values, preferring the format that parses
the most of them, so a column of day-first dates is read day-first as a whole;
:func:`parse_formats` parses each value with the first format that fits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tabgan.table import datetimes

__all__ = ["MAX_FORMATS", "detect_formats", "parse_formats"]

MAX_FORMATS = 3
_GUESS_SAMPLE = 200  # distinct values whose format is guessed; all of them are then parsed


def detect_formats(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """The formats that parse ``values`` (strings, no nulls), and a mask of the values that
    none of them parses. No format at all when hardly anything looks like a date."""
    text = values.astype(str).to_numpy()
    distinct = pd.Series(pd.unique(text), dtype=object)
    # A date with a year is at least 6 characters long with 4 digits.
    pool = distinct[((distinct.str.len() >= 6) & (distinct.str.count(r"\d") >= 4)).to_numpy()]
    plausible = pool.tolist()
    if not plausible:
        return [], np.ones(len(text), dtype=bool)
    from pandas.tseries.api import guess_datetime_format

    step = max(1, len(plausible) // _GUESS_SAMPLE)
    candidates = set()
    with warnings.catch_warnings():  # pandas warns when dayfirst does not fit a value
        warnings.simplefilter("ignore", UserWarning)
        for value in plausible[::step][:_GUESS_SAMPLE]:
            for dayfirst in (False, True):
                fmt = guess_datetime_format(value, dayfirst=dayfirst)
                if fmt is not None and ("%Y" in fmt or "%y" in fmt):
                    candidates.add(fmt)
    if not candidates:
        return [], np.ones(len(text), dtype=bool)
    parses = {fmt: datetimes.parse(pool, fmt, errors="coerce").notna().to_numpy()
              for fmt in sorted(candidates)}
    chosen: list[str] = []
    covered = np.zeros(len(pool), dtype=bool)
    while len(chosen) < MAX_FORMATS:
        gains = {fmt: int((ok & ~covered).sum()) for fmt, ok in parses.items()
                 if fmt not in chosen}
        if not gains:
            break
        best = max(gains, key=lambda f: (gains[f], int(parses[f].sum())))
        if gains[best] == 0:
            break
        chosen.append(best)
        covered |= parses[best]
    parsed = pd.Index(pool[covered].tolist(), dtype=object)
    return chosen, parsed.get_indexer(text) < 0


def parse_formats(values: pd.Series, formats: list[str]) -> pd.Series:
    """``values`` as datetimes, each parsed with the first of ``formats`` that fits; NaT
    where none does (and for nulls)."""
    out = None
    for fmt in formats:
        parsed = datetimes.parse(values, fmt, errors="coerce")
        out = parsed if out is None else out.where(out.notna(), parsed)
    if out is None:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    return out
