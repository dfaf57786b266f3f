"""The one conversion between datetimes and numbers.

A datetime column is modelled, compared and bounded as float **seconds since the Unix
epoch** (UTC for time-zone-aware values). Exact work, finding the coarsest step every value
is a multiple of and restoring values, uses integer **ticks** in the column's own unit, so
that ``datetime64[s]`` values far outside the nanosecond range (the year 1500 or 2500, or
9999-12-31) stay exact. Strings are parsed with the column's ``datetime_format`` (or
pandas' inference without one); strings outside the nanosecond range are parsed too.

Every module that turns a date into a number, or back, calls this one.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NAT",
    "TICKS_PER_SECOND",
    "column_unit",
    "parse",
    "to_ticks",
    "to_seconds",
    "value_to_seconds",
    "to_iso",
    "step_of",
    "from_seconds",
    "restore",
]

NAT = np.iinfo(np.int64).min  # the int64 view of NaT
TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
# Steps tried from coarsest to finest, in nanoseconds: a day, an hour, a minute, a second,
# a millisecond, a microsecond, a nanosecond.
_STEPS_NS = (86_400 * 10**9, 3600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)
_INT64_FLOAT_MAX = float(np.nextafter(2.0**63, 0.0))
_WIDE_UNIT = "us"  # strings outside the nanosecond range are parsed into this unit


def column_unit(dtype: Any, datetime_format: str | None = None) -> str:
    """The unit a datetime column is read and restored in: its dtype's (``s``, ``ms``,
    ``us`` or ``ns``); ``us`` for strings (wide enough for years 1 to 9999, exact to the
    microsecond); ``ns`` when the dtype says nothing."""
    if datetime_format is not None:
        return _WIDE_UNIT
    if dtype is None:
        return "ns"
    try:
        dtype = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return "ns"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return dtype.unit
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        unit = np.datetime_data(dtype)[0]
        if unit in TICKS_PER_SECOND:
            return unit
    if isinstance(dtype, np.dtype) and dtype == np.dtype(object):
        return _WIDE_UNIT
    return "ns"


def parse(series: pd.Series, datetime_format: str | None = None, *,
          errors: str = "raise") -> pd.Series:
    """``series`` as naive datetime64 values in UTC: datetime64 columns as they are (aware
    ones converted to UTC), strings parsed with ``datetime_format`` (inferred when None).

    With ``errors="coerce"`` unparseable values become NaT; with ``"raise"`` they raise
    ``ValueError``. Dates outside the nanosecond range (before 1677 or after 2262) are
    parsed into microseconds instead of failing or turning into NaT."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series
    else:
        try:
            stamps = pd.to_datetime(series, format=datetime_format, errors=errors)
        except pd.errors.OutOfBoundsDatetime:
            stamps = _parse_wide(series, datetime_format, errors)
        else:
            lost = stamps.isna() & series.notna()
            if errors == "coerce" and lost.any():
                wide = _parse_wide(series[lost], datetime_format, "coerce")
                if wide.notna().any():
                    stamps = _parse_wide(series, datetime_format, "coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _parse_wide(series: pd.Series, datetime_format: str | None, errors: str) -> pd.Series:
    """Parse one value at a time into datetime64[us]: slow, for dates pandas' nanosecond
    parser cannot hold."""
    out = np.full(len(series), np.datetime64("NaT"), dtype=f"datetime64[{_WIDE_UNIT}]")
    for i, value in enumerate(series.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            continue
        try:
            if datetime_format is not None:
                stamp = _dt.datetime.strptime(str(value), datetime_format)
            else:
                stamp = pd.Timestamp(value).to_pydatetime()
        except (ValueError, TypeError, OverflowError):
            if errors == "raise":
                raise ValueError(
                    f"{value!r} is not a date"
                    + (f" in the format {datetime_format!r}" if datetime_format else "")
                ) from None
            continue
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(_dt.UTC).replace(tzinfo=None)
        out[i] = np.datetime64(stamp, _WIDE_UNIT)
    return pd.Series(out, index=series.index)


def to_ticks(series: pd.Series, unit: str, datetime_format: str | None = None) -> np.ndarray:
    """Ticks of ``unit`` since the epoch as int64 (UTC for aware values); ``NAT`` for
    nulls. Values that ``unit`` cannot hold raise ``OverflowError``."""
    stamps = parse(series, datetime_format)
    values = stamps.to_numpy()
    if values.dtype == object:  # all null: an object column of NaT
        return np.full(len(values), NAT, dtype=np.int64)
    source = np.datetime_data(values.dtype)[0]
    ticks = values.view(np.int64)
    if source == unit:
        return ticks.copy()
    null = ticks == NAT
    num, den = _ratio(source, unit)
    if num > 1:  # to a finer unit: multiply, checking the range
        limit = np.iinfo(np.int64).max // num
        if np.any(np.abs(ticks[~null]) > limit):
            raise OverflowError(f"dates outside the range of datetime64[{unit}]")
        out = ticks * num
    else:
        out = np.floor_divide(ticks, den)
    out[null] = NAT
    return out


def _ratio(source: str, target: str) -> tuple[int, int]:
    """(multiplier, divisor) that take ticks of ``source`` to ticks of ``target``."""
    a, b = TICKS_PER_SECOND[source], TICKS_PER_SECOND[target]
    return (b // a, 1) if b >= a else (1, a // b)


def to_seconds(series: pd.Series, datetime_format: str | None = None, *,
               errors: str = "raise") -> np.ndarray:
    """Float seconds since the epoch (UTC for aware values); NaN for nulls (and, with
    ``errors="coerce"``, for values that are not dates). Read in the values' own unit, so
    any date pandas holds converts."""
    stamps = parse(series, datetime_format, errors=errors)
    values = stamps.to_numpy()
    if values.dtype == object:
        return np.full(len(values), np.nan)
    unit = np.datetime_data(values.dtype)[0]
    ticks = values.view(np.int64)
    return np.where(ticks == NAT, np.nan, ticks.astype(np.float64) / TICKS_PER_SECOND[unit])


def value_to_seconds(value: Any) -> float:
    """One date (an ISO 8601 string, a ``Timestamp``, ``datetime``, ``date`` or
    ``np.datetime64``) as float seconds since the epoch; a number is taken as seconds.
    Raises ``ValueError`` for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, np.datetime64):
        unit = np.datetime_data(value.dtype)[0]
        if unit not in TICKS_PER_SECOND:
            value = value.astype("datetime64[s]")
            unit = "s"
        if np.isnat(value):
            raise ValueError("NaT is not a date")
        return float(value.astype(np.int64)) / TICKS_PER_SECOND[unit]
    series = pd.Series([value], dtype=object)
    seconds = to_seconds(series, errors="coerce")[0]
    if np.isnan(seconds):
        raise ValueError(f"{value!r} is not a date")
    return float(seconds)


def to_iso(seconds: float) -> str:
    """Epoch seconds as an ISO 8601 label, to the microsecond (no fraction when whole)."""
    text = str(np.datetime64(int(round(seconds * 1e6)), "us"))
    return text[:-7] if text.endswith(".000000") else text


def step_of(ticks: np.ndarray, unit: str) -> int:
    """The coarsest step, in nanoseconds, that every (non-null) tick of ``unit`` is a
    multiple of: a day for dates, a second for timestamps without fractions, and so on."""
    ticks = ticks[ticks != NAT]
    per_s = TICKS_PER_SECOND[unit]
    return next(
        s for s in _STEPS_NS
        if (s * per_s) % 10**9 == 0 and np.all(ticks % (s * per_s // 10**9) == 0)
    )


def from_seconds(seconds: np.ndarray, unit: str, step_ns: int = 1) -> np.ndarray:
    """Float seconds (NaN for nulls) to ``datetime64[unit]``, rounded to ``step_ns``
    (whole days, seconds, ...) and kept inside the unit's range."""
    seconds = np.asarray(seconds, dtype=np.float64)
    null = np.isnan(seconds)
    per_s = TICKS_PER_SECOND[unit]
    step = max(1, step_ns * per_s // 10**9)  # in ticks of the unit
    with np.errstate(over="ignore", invalid="ignore"):
        ticks = np.round(np.where(null, 0.0, seconds) * per_s / step) * step
    ticks = np.clip(ticks, -_INT64_FLOAT_MAX, _INT64_FLOAT_MAX).astype(np.int64)
    ticks[null] = NAT
    return ticks.view(f"datetime64[{unit}]")


def restore(seconds: np.ndarray, *, unit: str, step_ns: int, dtype: Any,
            datetime_format: str | None) -> pd.Series:
    """Float seconds back to a column like the original: strings in ``datetime_format``,
    or datetime64 values of ``dtype`` (time-zone-aware dtypes converted from UTC)."""
    stamps = pd.Series(from_seconds(seconds, unit, step_ns))
    null = stamps.isna().to_numpy()
    if datetime_format is not None:
        text = stamps.dt.strftime(datetime_format).astype(object)
        text[null] = None
        return text.astype(dtype) if dtype and dtype != "object" else text
    if dtype is None:
        return stamps
    target = pd.api.types.pandas_dtype(dtype)
    if getattr(target, "tz", None) is not None:
        return stamps.dt.tz_localize("UTC").dt.tz_convert(target.tz).astype(target)
    return stamps.astype(target)
