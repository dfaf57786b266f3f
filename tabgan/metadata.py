"""Column kinds, dtypes and public facts about a table.

``Metadata`` says, for every column, what kind of values it holds and how to restore them:

- ``continuous``: real numbers, modelled by a Gaussian mixture.
- ``integer``: whole numbers (an int dtype, or floats that are all whole), modelled like
  continuous values and rounded on the way back.
- ``categorical``: a finite set of values (strings, bools, pandas categories, and numeric
  columns with few distinct values), one-hot encoded.
- ``datetime``: datetime64 columns, or strings that all parse as dates in one format; they
  are restored in the same dtype or string format.
- ``id``: one distinct value per row. Never one-hot encoded: fresh unique values are
  generated instead.

Kinds are inferred from a DataFrame, and the user can override any of it with
``discrete_columns=[...]`` or a metadata dict / JSON file. That file can also carry
*public* facts (numeric ``bounds`` and ``categories`` lists) which, when given, are used
instead of reading them from the data: the differentially private mode relies on this.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import (
    AllNullColumnError,
    ColumnMismatchError,
    DuplicateColumnsError,
    EmptyTableError,
    IdentifierColumnError,
    InfiniteValueError,
    MetadataError,
    MixedTypesError,
    UnsupportedValueError,
)

__all__ = ["KINDS", "ColumnMetadata", "Metadata", "check_table"]

KINDS = ("continuous", "integer", "categorical", "datetime", "id")
NUMERIC_KINDS = ("continuous", "integer", "datetime")
SCHEMA_VERSION = 1

# A numeric column with at most this many distinct values is treated as categorical.
DEFAULT_MAX_DISCRETE_VALUES = 10
# A categorical column needs at least this many rows before "all distinct" means "identifier".
MIN_ROWS_FOR_IDENTIFIER = 10

_SCALAR_TYPES: tuple[type, ...] = (str, bool, int, float, np.bool_, np.integer, np.floating)


@dataclass
class ColumnMetadata:
    """What tabgan knows about one column.

    ``categories`` and ``bounds`` are public facts: given here, they replace what would
    otherwise be read from the data.
    """

    name: Any
    kind: str
    dtype: str | None = None  # the pandas dtype to restore ("int64", "object", "category", ...)
    nullable: bool | None = None  # None: decided from the data at fit time
    categories: list | None = None  # categorical: every allowed value (None stands for null)
    bounds: tuple[float, float] | None = None  # numeric: public (min, max); datetime: ISO strings
    datetime_format: str | None = None  # datetime parsed from strings: the strftime format
    ordered: bool = False  # categorical with an ordered pandas category dtype

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MetadataError(
                f"column {self.name!r} has kind {self.kind!r}; use one of {', '.join(KINDS)}."
            )
        if self.categories is not None:
            if self.kind != "categorical":
                raise MetadataError(
                    f"column {self.name!r} lists categories but has kind {self.kind!r}; "
                    "only categorical columns take a categories list."
                )
            if len(self.categories) == 0:
                raise MetadataError(f"column {self.name!r} has an empty categories list.")
            self.categories = [_to_json_scalar(v) for v in self.categories]
            keys = [_category_key(v) for v in self.categories]
            if len(set(keys)) != len(keys):
                raise MetadataError(f"column {self.name!r} lists a category twice.")
        if self.bounds is not None:
            if self.kind not in NUMERIC_KINDS:
                raise MetadataError(
                    f"column {self.name!r} has bounds but kind {self.kind!r}; only "
                    "continuous, integer and datetime columns take bounds."
                )
            if len(self.bounds) != 2:
                raise MetadataError(f"column {self.name!r}: bounds must be [min, max].")
            low, high = (bound_to_float(b, self.kind) for b in self.bounds)
            if not (math.isfinite(low) and math.isfinite(high)) or low > high:
                raise MetadataError(
                    f"column {self.name!r}: bounds must be finite with min <= max, got "
                    f"{list(self.bounds)}."
                )
            self.bounds = tuple(self.bounds)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        for f in fields(self):
            if f.name in ("name", "kind"):
                continue
            value = getattr(self, f.name)
            if value is not None and value is not False:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> ColumnMetadata:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise MetadataError(
                f"column {data.get('name')!r}: unknown metadata field(s) {sorted(unknown)}; "
                f"the fields are {sorted(known)}."
            )
        if "kind" not in data:
            raise MetadataError(f"column {data.get('name')!r}: metadata needs a 'kind'.")
        return cls(**data)


def bound_to_float(value: Any, kind: str) -> float:
    """A bound as a float: datetimes (ISO strings or timestamps) become epoch seconds."""
    if kind == "datetime" and not isinstance(value, int | float):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise MetadataError(f"datetime bound {value!r} is not a date; use ISO 8601.") from exc
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.value / 1e9
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"bound {value!r} is not a number.") from exc


@dataclass
class Metadata:
    """The ordered list of column metadata for one table."""

    columns: list[ColumnMetadata] = field(default_factory=list)

    # ------------------------------------------------------------------ access
    @property
    def names(self) -> list:
        return [c.name for c in self.columns]

    def __getitem__(self, name: Any) -> ColumnMetadata:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def __contains__(self, name: Any) -> bool:
        return any(c.name == name for c in self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def of_kind(self, *kinds: str) -> list[ColumnMetadata]:
        return [c for c in self.columns if c.kind in kinds]

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return {"schema_version": SCHEMA_VERSION, "columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, data: Mapping) -> Metadata:
        """Read ``{"columns": [...]}`` or ``{"columns": {name: {...}}}``."""
        if not isinstance(data, Mapping) or "columns" not in data:
            raise MetadataError(
                'metadata must be a dict with a "columns" entry: a list of '
                '{"name": ..., "kind": ...} dicts, or a dict from column name to its fields.'
            )
        version = data.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise MetadataError(
                f"metadata schema_version {version!r} is newer than this tabgan reads "
                f"({SCHEMA_VERSION}); upgrade tabgan."
            )
        raw = data["columns"]
        if isinstance(raw, Mapping):
            items = []
            for name, spec in raw.items():
                if not isinstance(spec, Mapping):
                    raise MetadataError(f"column {name!r}: its metadata must be a dict.")
                items.append({"name": name, **spec})
        elif isinstance(raw, list):
            items = list(raw)
            for spec in items:
                if not isinstance(spec, Mapping) or "name" not in spec:
                    raise MetadataError('each entry of "columns" must be a dict with a "name".')
        else:
            raise MetadataError('"columns" must be a list or a dict.')
        columns = [ColumnMetadata.from_dict(spec) for spec in items]
        names = [c.name for c in columns]
        if len(set(map(repr, names))) != len(names):
            raise MetadataError("metadata names a column twice.")
        return cls(columns)

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            from tabgan.io import atomic_write_text

            atomic_write_text(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> Metadata:
        """Read metadata from a JSON file path or a JSON string."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            try:
                with open(source, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise MetadataError(f"cannot read metadata file {source!r}: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MetadataError(f"metadata is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    # ------------------------------------------------------------------ inference
    @classmethod
    def infer(
        cls,
        data: pd.DataFrame,
        *,
        discrete_columns: Iterable | None = None,
        metadata: Metadata | Mapping | str | os.PathLike | None = None,
        max_discrete_values: int = DEFAULT_MAX_DISCRETE_VALUES,
        schema_only: bool = False,
    ) -> Metadata:
        """Infer every column's kind, keeping whatever ``metadata`` declares.

        ``discrete_columns`` forces those columns to be categorical. ``metadata`` may
        describe some columns only; the rest are inferred. The table is checked first
        (see :func:`check_table`).

        With ``schema_only`` (the differentially private mode) kinds come from the dtypes
        alone, never from the values: bool, category and string columns are categorical,
        integer dtypes integer, float dtypes continuous, datetime64 datetime. Declare
        anything else (a low-cardinality numeric column, date strings) in the metadata.
        """
        check_table(data)
        given = coerce_metadata(metadata)
        if given is not None:
            unknown = [n for n in given.names if n not in data.columns]
            if unknown:
                raise ColumnMismatchError(
                    f"metadata names column(s) {unknown} that the table lacks; the table has "
                    f"{list(data.columns)}."
                )
        discrete = list(discrete_columns or [])
        missing = [c for c in discrete if c not in data.columns]
        if missing:
            raise ColumnMismatchError(
                f"the discrete column(s) {missing} are not in the table; the table has "
                f"{list(data.columns)}."
            )
        columns = []
        for name in data.columns:
            series = data[name]
            declared = given[name] if given is not None and name in given else None
            if declared is not None:
                column = _complete(declared, series)
            elif name in discrete:
                column = _complete(ColumnMetadata(name, "categorical"), series)
            elif schema_only:
                column = _schema_kind(name, series)
            else:
                column = _infer_column(name, series, max_discrete_values)
            if schema_only:
                _check_schema_column(column, series)
            else:
                _check_column(column, series)
            columns.append(column)
        return cls(columns)

    def check_columns(self, data: pd.DataFrame) -> None:
        """Raise unless ``data`` has exactly this metadata's columns (in any order)."""
        expected, got = self.names, list(data.columns)
        if sorted(map(repr, expected)) != sorted(map(repr, got)):
            missing = [c for c in expected if c not in got]
            extra = [c for c in got if c not in expected]
            raise ColumnMismatchError(
                f"the table's columns do not match: missing {missing}, unexpected {extra}."
            )


# ---------------------------------------------------------------------- checks
def check_table(data: pd.DataFrame, *, allow_all_null: bool = False) -> None:
    """Raise a typed error for input no synthesizer can learn from.

    ``allow_all_null`` accepts columns that hold only nulls: a batch to encode with a
    fitted transformer may have them (one row with a null), a table to learn from may not.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(data).__name__}.")
    if data.shape[1] == 0:
        raise EmptyTableError("the table has no columns; pass a DataFrame with at least one.")
    if data.shape[0] == 0:
        raise EmptyTableError("the table has no rows; pass a DataFrame with at least one row.")
    if not data.columns.is_unique:
        dupes = sorted({repr(c) for c in data.columns[data.columns.duplicated()]})
        raise DuplicateColumnsError(
            f"column name(s) {', '.join(dupes)} appear more than once; rename them so every "
            "column has its own name."
        )
    for name in data.columns:
        series = data[name]
        if series.isna().all():
            if allow_all_null:
                continue
            raise AllNullColumnError(
                f"column {name!r} is entirely null, so there is nothing to learn from it; "
                f"drop it (df.drop(columns=[{name!r}]))."
            )
        if _is_numeric(series):
            values = series.to_numpy(dtype="float64", na_value=np.nan)
            if np.isinf(values).any():
                raise InfiniteValueError(
                    f"column {name!r} holds +inf or -inf; replace them with finite values or "
                    "nulls (df.replace([np.inf, -np.inf], np.nan))."
                )
        elif isinstance(series.dtype, pd.CategoricalDtype):
            _check_object_values(name, pd.Series(series.dtype.categories, dtype=object))
        elif _is_object_like(series):
            _check_object_values(name, series)


_INFERRED_FAMILY = {
    "string": "str",
    "boolean": "bool",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
}


def _check_object_values(name: Any, series: pd.Series) -> None:
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in _INFERRED_FAMILY:
        if inferred in ("floating", "mixed-integer-float"):
            if np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).any():
                raise InfiniteValueError(
                    f"column {name!r} holds +inf or -inf; replace them with finite values or "
                    "nulls first."
                )
        return
    # The slow path, only to name the problem precisely.
    types = {type(v) for v in series.dropna()}
    bad = [t for t in types if not issubclass(t, _SCALAR_TYPES)]
    if bad:
        raise UnsupportedValueError(
            f"column {name!r} holds values of type {', '.join(sorted(t.__name__ for t in bad))}, "
            "which tabgan cannot model; convert them to strings (df[col].astype(str)), numbers "
            "or dates (pd.to_datetime) first."
        )
    families = sorted({_type_family(t) for t in types})
    if len(families) <= 1:
        return
    raise MixedTypesError(
        f"column {name!r} mixes value types ({', '.join(families)}); convert it to one type "
        f"first, e.g. df[{name!r}] = df[{name!r}].astype(str)."
    )


def _check_column(column: ColumnMetadata, series: pd.Series) -> None:
    """Raise if a declared kind does not fit the column's values."""
    name = column.name
    if column.kind in ("continuous", "integer") and not _is_numeric(series):
        raise MetadataError(
            f"column {name!r} is declared {column.kind} but holds {series.dtype} values; "
            "declare it categorical, or convert it with pd.to_numeric."
        )
    if column.kind == "datetime" and column.datetime_format is None:
        if not pd.api.types.is_datetime64_any_dtype(series):
            raise MetadataError(
                f"column {name!r} is declared datetime but is neither datetime64 nor strings in "
                "one date format; convert it with pd.to_datetime, or give a datetime_format."
            )
    if column.kind == "categorical":
        n_distinct = series.nunique(dropna=True)
        if column.categories is None and _looks_like_identifier(series, n_distinct):
            raise IdentifierColumnError(
                f"column {name!r} has a distinct value in every row, like an identifier, and "
                "would be one-hot encoded into as many columns as rows. Drop it "
                f"(df.drop(columns=[{name!r}])), or declare it with kind 'id' in the metadata "
                "to generate fresh unique values."
            )


def _looks_like_identifier(series: pd.Series, n_distinct: int) -> bool:
    n = int(series.notna().sum())
    return n >= MIN_ROWS_FOR_IDENTIFIER and n_distinct == n == len(series)


# ---------------------------------------------------------------------- inference
def _schema_kind(name: Any, series: pd.Series) -> ColumnMetadata:
    """A column's kind from its dtype alone."""
    dtype = str(series.dtype)
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnMetadata(name, "datetime", dtype=dtype)
    if _is_numeric(series):
        kind = "integer" if pd.api.types.is_integer_dtype(series) else "continuous"
        return ColumnMetadata(name, kind, dtype=dtype)
    column = ColumnMetadata(name, "categorical", dtype=dtype)
    if isinstance(series.dtype, pd.CategoricalDtype):
        column.ordered = bool(series.dtype.ordered)
    return column


def _check_schema_column(column: ColumnMetadata, series: pd.Series) -> None:
    """The checks of a declared kind that read no values."""
    numeric = _is_numeric(series) or pd.api.types.is_datetime64_any_dtype(series)
    if column.kind in ("continuous", "integer") and not _is_numeric(series):
        raise MetadataError(
            f"column {column.name!r} is declared {column.kind} but holds {series.dtype} values; "
            "declare it categorical, or convert it with pd.to_numeric."
        )
    if column.kind == "datetime" and not numeric and column.datetime_format is None:
        raise MetadataError(
            f"column {column.name!r} is declared datetime but is not datetime64; under "
            "differential privacy its format is not read from the data: give its "
            "datetime_format in the metadata, or convert it with pd.to_datetime."
        )


def _infer_column(name: Any, series: pd.Series, max_discrete_values: int) -> ColumnMetadata:
    dtype = str(series.dtype)
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return _complete(ColumnMetadata(name, "categorical"), series)
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnMetadata(name, "datetime", dtype=dtype)
    if _is_numeric(series):
        values = series.dropna().to_numpy(dtype="float64")
        n_distinct = len(np.unique(values))
        # Few distinct values make a category, unless every row has its own value: then
        # a categorical column would be an identifier, and a numeric one is not.
        if n_distinct <= max_discrete_values and not _looks_like_identifier(series, n_distinct):
            return _complete(ColumnMetadata(name, "categorical"), series)
        if pd.api.types.is_integer_dtype(series) or np.all(values == np.round(values)):
            return ColumnMetadata(name, "integer", dtype=dtype)
        return ColumnMetadata(name, "continuous", dtype=dtype)
    fmt = _string_datetime_format(series)
    if fmt is not None:
        return ColumnMetadata(name, "datetime", dtype=dtype, datetime_format=fmt)
    return _complete(ColumnMetadata(name, "categorical"), series)


def _complete(column: ColumnMetadata, series: pd.Series) -> ColumnMetadata:
    """Fill in the dtype (and the date format) a declared column is restored with."""
    if column.dtype is None:
        column.dtype = str(series.dtype)
    if column.kind == "categorical" and isinstance(series.dtype, pd.CategoricalDtype):
        column.ordered = bool(series.dtype.ordered)
    if (
        column.kind == "datetime"
        and column.datetime_format is None
        and not pd.api.types.is_datetime64_any_dtype(series)
    ):
        column.datetime_format = _string_datetime_format(series)
    return column


def _string_datetime_format(series: pd.Series) -> str | None:
    """The one strftime format every string in ``series`` is written in, if there is one."""
    if not _is_object_like(series):
        return None
    values = series.dropna()
    if len(values) == 0 or not all(isinstance(v, str) for v in values.iloc[:100]):
        return None
    first = values.iloc[0]
    if len(first) < 6 or sum(ch.isdigit() for ch in first) < 4:
        return None
    from pandas.tseries.api import guess_datetime_format

    fmt = guess_datetime_format(first)
    if fmt is None:
        return None
    strings = values.astype(str)
    parsed = pd.to_datetime(strings, format=fmt, errors="coerce")
    if parsed.isna().any():
        return None
    if not (parsed.dt.strftime(fmt) == strings).all():
        return None
    return fmt


def coerce_metadata(metadata: Any) -> Metadata | None:
    """A Metadata from a Metadata, a dict or a JSON file path (None stays None)."""
    if metadata is None or isinstance(metadata, Metadata):
        return metadata
    if isinstance(metadata, Mapping):
        return Metadata.from_dict(metadata)
    if isinstance(metadata, str | os.PathLike):
        return Metadata.from_json(metadata)
    raise MetadataError(
        f"metadata must be a Metadata, a dict or a JSON file path, got {type(metadata).__name__}."
    )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _is_object_like(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return False
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _type_family(t: type) -> str:
    if issubclass(t, bool | np.bool_):
        return "bool"
    if issubclass(t, int | float | np.integer | np.floating):
        return "number"
    return "str"


def _to_json_scalar(value: Any) -> Any:
    """A category value as a plain JSON-able Python scalar (nulls become None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _category_key(value: Any) -> tuple:
    """A hashable key that keeps 1, 1.0 and True apart."""
    return (type(value).__name__, value)
