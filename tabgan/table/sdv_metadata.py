"""SDV's single-table metadata, read into tabgan's column metadata and written from it.

Both of SDV's specs are read: version 1 (``"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1"``,
what SDV 1's ``SingleTableMetadata.to_dict()`` and ``save_to_json`` write, and ``"V1"``,
SDV 1's ``Metadata`` with the table under ``"tables"``) and version 2 (``"SINGLE_TABLE_V2"``
and ``"V2"``, SDV 2's ``Metadata``), for one table, or the one asked for. ``to_sdv`` writes
version 1 by default (SDV 1 and SDV 2 both read it) and version 2 on request.

=============================================  ============================================
SDV                                            tabgan
=============================================  ============================================
numerical, ``computer_representation`` Int*    integer
or UInt*, or ``decimal_places`` 0
numerical otherwise                            continuous
``range_min`` and ``range_max`` (version 2)    ``bounds``
categorical, ``range_values`` (version 2)      categorical, ``categories``
ordinal (v2), categorical with ``order`` (v1)  categorical, ``categories``, ``ordered``
boolean                                        categorical, ``categories`` [false, true]
                                               (or a bool dtype)
datetime, ``datetime_format``                  datetime, ``datetime_format``
id, and the ``primary_key``                    id, and ``primary_key``
a PII sdtype (email, phone_number, ...) or     id: fresh values, nothing learned
unknown, ``pii`` true (SDV's default)
a PII sdtype or unknown, ``pii`` false         categorical: the real values are reused
``range_is_nullable`` (version 2)              ``nullable``
=============================================  ============================================

What does not map: the width of ``computer_representation`` (tabgan restores the dtype the
data had at fit time, and writes that dtype's representation); ``decimal_places`` other
than 0; ``order_by``, ``high_cardinality``, ``regex_format``, ``alternate_keys``,
``column_relationships`` and a one-sided range (left out); which PII sdtype a column had
(tabgan's fresh ids are random strings or numbers, not fake e-mail addresses).
``sequence_key`` and ``sequence_index`` describe sequences, which tabgan does not model: a
file with them is refused. Version 1 has no field for tabgan's ``bounds``, ``nullable`` or
the categories of an unordered column; they are left out of it.

>>> columns, key = from_sdv({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1",
...     "columns": {"id": {"sdtype": "id"}, "age": {"sdtype": "numerical",
...     "computer_representation": "Int64"}}, "primary_key": "id"})
>>> [(c.name, c.kind) for c in columns], key
([('id', 'id'), ('age', 'integer')], 'id')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import MetadataError
from tabgan.table.columns import ColumnMetadata

__all__ = ["VERSIONS", "is_sdv", "from_sdv", "to_sdv"]

# Each spec version and the SDV version it belongs to; the multi-table specs ("V1", "V2")
# hold their tables under "tables".
VERSIONS = {"SINGLE_TABLE_V1": 1, "V1": 1, "SINGLE_TABLE_V2": 2, "V2": 2}
_INTEGERS = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64")
_FLOATS = ("Float", "Float32", "Float64")
_NULLABLE = {"range_is_nullable"}
# The keys each sdtype takes besides "sdtype", in either version; any other sdtype (a PII
# one) takes "pii".
_KEYS = {
    "numerical": {"computer_representation", "decimal_places", "range_min", "range_max"},
    "categorical": {"order", "order_by", "range_values", "high_cardinality"},
    "ordinal": {"range_values", "high_cardinality"},
    "boolean": set(),
    "datetime": {"datetime_format", "range_min", "range_max"},
    "id": {"regex_format"},
}
_TABLE_KEYS = {"columns", "primary_key", "alternate_keys", "sequence_key", "sequence_index",
               "column_relationships", "METADATA_SPEC_VERSION"}


def is_sdv(data: Any) -> bool:
    """Whether ``data`` is an SDV metadata dict (it names its spec version)."""
    return isinstance(data, Mapping) and "METADATA_SPEC_VERSION" in data


def _table_of(data: Mapping, table: str | None) -> Mapping:
    version = data["METADATA_SPEC_VERSION"]
    if version not in VERSIONS:
        raise MetadataError(f"SDV metadata of spec version {version!r} is not one tabgan reads "
                            f"({', '.join(VERSIONS)}).")
    if version.startswith("SINGLE_TABLE"):
        return data
    tables = data.get("tables") or {}
    if table is None and len(tables) == 1:
        table = next(iter(tables))
    if table not in tables:
        raise MetadataError(
            f"the SDV metadata describes the tables {sorted(tables)}; tabgan synthesizes one "
            "table: name it (Metadata.from_sdv(data, table=...))."
        )
    return {**tables[table], "METADATA_SPEC_VERSION": version}


def _iso(name: str, value: Any, datetime_format: str | None) -> Any:
    """A datetime range value as tabgan's ISO bound."""
    if datetime_format is None or not isinstance(value, str):
        return value
    try:
        return dt.datetime.strptime(value, datetime_format).isoformat()
    except ValueError as exc:
        raise MetadataError(f"SDV column {name!r}: the range value {value!r} is not in its "
                            f"datetime_format {datetime_format!r}.") from exc


def _column(name: str, spec: Any) -> ColumnMetadata:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("sdtype"), str):
        raise MetadataError(f"SDV column {name!r} needs a dict with an 'sdtype'.")
    sdtype = spec["sdtype"]
    extra = set(spec) - {"sdtype"} - _NULLABLE - _KEYS.get(sdtype, {"pii"})
    if extra:
        raise MetadataError(f"SDV column {name!r} of sdtype {sdtype!r} has the unexpected "
                            f"key(s) {sorted(extra)}; SDV itself refuses them.")
    nullable = spec.get("range_is_nullable")
    if nullable is not None and not isinstance(nullable, bool):
        raise MetadataError(f"SDV column {name!r}: range_is_nullable must be true or false.")
    facts: dict[str, Any] = {"nullable": nullable}
    if "range_min" in spec and "range_max" in spec:
        fmt = spec.get("datetime_format")
        facts["bounds"] = (_iso(name, spec["range_min"], fmt), _iso(name, spec["range_max"], fmt))
    if sdtype == "numerical":
        representation = spec.get("computer_representation", "Float")
        if representation not in _INTEGERS + _FLOATS:
            raise MetadataError(f"SDV column {name!r}: computer_representation "
                                f"{representation!r} is not one of "
                                f"{', '.join(_INTEGERS + _FLOATS)}.")
        whole = representation in _INTEGERS or spec.get("decimal_places") == 0
        return ColumnMetadata(name, "integer" if whole else "continuous", **facts)
    if sdtype in ("categorical", "ordinal"):
        values = spec.get("order", spec.get("range_values"))
        if values is not None and (not isinstance(values, list) or not values):
            raise MetadataError(f"SDV column {name!r}: the categories (order, range_values) "
                                "must be a non-empty list.")
        ordered = sdtype == "ordinal" or "order" in spec
        return ColumnMetadata(name, "categorical", categories=values, ordered=ordered, **facts)
    if sdtype == "boolean":
        return ColumnMetadata(name, "categorical", categories=[False, True], **facts)
    if sdtype == "datetime":
        return ColumnMetadata(name, "datetime", datetime_format=spec.get("datetime_format"),
                              **facts)
    if sdtype == "id":
        return ColumnMetadata(name, "id", **facts)
    pii = spec.get("pii", True)
    if not isinstance(pii, bool):
        raise MetadataError(f"SDV column {name!r}: 'pii' must be true or false, got {pii!r}.")
    return ColumnMetadata(name, "id" if pii else "categorical", **facts)


def from_sdv(data: Mapping, table: str | None = None) -> tuple[list[ColumnMetadata], Any]:
    """The columns and the primary key (or None) of an SDV metadata dict."""
    spec = _table_of(data, table)
    unknown = set(spec) - _TABLE_KEYS
    if unknown:
        raise MetadataError(f"SDV metadata has the unknown key(s) {sorted(unknown)}; the keys "
                            f"are {sorted(_TABLE_KEYS)}.")
    if spec.get("sequence_key") or spec.get("sequence_index"):
        raise MetadataError(
            "the SDV metadata has a sequence_key or sequence_index: it describes sequences, "
            "and tabgan models each row on its own; remove them to synthesize rows."
        )
    raw = spec.get("columns") or {}
    if not isinstance(raw, Mapping):
        raise MetadataError("SDV metadata: 'columns' must be a dict from column name to its "
                            "sdtype and keys.")
    key = spec.get("primary_key")
    if isinstance(key, list):
        if len(key) != 1:
            raise MetadataError(f"the SDV primary key {key} has several columns; tabgan takes "
                                "a primary key of one column.")
        key = key[0]
    if key is not None and key not in raw:
        raise MetadataError(f"the SDV primary key {key!r} is not one of its columns.")
    columns = []
    for name, column_spec in raw.items():
        column = _column(name, column_spec)
        if name == key:  # a key is always fresh values in tabgan
            column = ColumnMetadata(name, "id", nullable=column.nullable)
        columns.append(column)
    return columns, key


# ---------------------------------------------------------------------- writing
def _integer_representation(dtype: str | None) -> str | None:
    """SDV's name of an integer dtype (int32 and Int32 are both "Int32")."""
    if dtype is None:
        return None
    try:
        resolved = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return None
    if not pd.api.types.is_integer_dtype(resolved):
        return None
    name = np.dtype(getattr(resolved, "numpy_dtype", resolved)).name  # "int32", "uint8"
    return name.replace("uint", "UInt").replace("int", "Int")


def _range(column: ColumnMetadata) -> dict:
    if column.bounds is None:
        return {}
    low, high = column.bounds
    if column.kind == "datetime":  # ISO bounds: in the column's format where it has one
        fmt = column.datetime_format
        low, high = (pd.Timestamp(b).strftime(fmt) if fmt else str(b) for b in (low, high))
    return {"range_min": low, "range_max": high}


def _sdv_column(column: ColumnMetadata, version: int) -> dict:
    kind, out = column.kind, {}
    known = [c for c in (column.categories or []) if c is not None]
    if kind in ("continuous", "integer"):
        out["sdtype"] = "numerical"
        if version == 1:
            representation = _integer_representation(column.dtype)
            if representation is None:
                single = column.dtype in ("float32", "Float32")
                representation = ("Int64" if kind == "integer" else
                                  "Float32" if single else "Float")
            out["computer_representation"] = representation
        else:
            if kind == "integer":
                out["decimal_places"] = 0
            out.update(_range(column))
    elif kind == "categorical":
        # what SDV's boolean sdtype reads as; the bools themselves, as 0 == False in Python
        booleans = (column.categories == [False, True]
                    and all(isinstance(c, bool) for c in column.categories))
        if column.dtype in ("bool", "boolean") or booleans:
            out["sdtype"] = "boolean"
        elif version == 1:
            out["sdtype"] = "categorical"
            if column.ordered and known:
                out["order"] = known
        else:
            out["sdtype"] = "ordinal" if column.ordered else "categorical"
            if known:
                out["range_values"] = known
    elif kind == "datetime":
        out["sdtype"] = "datetime"
        if column.datetime_format is not None:
            out["datetime_format"] = column.datetime_format
        if version == 2:
            out.update(_range(column))
    else:
        out["sdtype"] = "id"
    nullable = True if None in (column.categories or []) else column.nullable
    if version == 2 and nullable is not None:
        out["range_is_nullable"] = bool(nullable)
    return out


def to_sdv(columns: list[ColumnMetadata], primary_key: Any = None, table: str | None = None,
           version: int = 1) -> dict:
    """SDV's single-table metadata dict of these columns, or with ``table`` the dict of
    SDV's ``Metadata`` holding that one table, in spec ``version`` 1 or 2. SDV names
    columns by strings."""
    if version not in (1, 2):
        raise MetadataError(f"SDV's metadata spec version is 1 or 2, got {version!r}.")
    names = [str(c.name) for c in columns]
    if len(set(names)) != len(names):
        raise MetadataError("two columns have the same name as text; SDV names columns by "
                            "strings: rename one first.")
    spec: dict[str, Any] = {"columns": {n: _sdv_column(c, version)
                                        for n, c in zip(names, columns, strict=True)}}
    if primary_key is not None:
        spec["primary_key"] = str(primary_key)
    if table is None:
        return {**spec, "METADATA_SPEC_VERSION": f"SINGLE_TABLE_V{version}"}
    return {"tables": {table: spec}, "relationships": [],
            "METADATA_SPEC_VERSION": f"V{version}"}
