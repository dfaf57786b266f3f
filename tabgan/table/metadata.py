"""``Metadata``: the ordered column metadata of one table, read from JSON or inferred.

Kinds are inferred from a DataFrame (see :mod:`tabgan.table.inference`), and the user can
override any of it with ``discrete_columns=[...]`` or a metadata dict / JSON file. That
file can also carry *public* facts (numeric ``bounds`` and ``categories`` lists), which,
when given, are used instead of reading them from the data: the differentially private
mode relies on this. See :mod:`tabgan.table.columns` for the kinds.

SDV's single-table metadata JSON is read and written too (``Metadata.from_sdv``,
``Metadata.to_sdv``; ``from_dict`` and ``from_json`` take either format): see
:mod:`tabgan.table.sdv_metadata` for how its sdtypes map to tabgan's kinds. A ``"constraints"``
list declares rules every synthetic row obeys (see :mod:`tabgan.table.constraints`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tabgan.errors import ColumnMismatchError, MetadataError
from tabgan.table import sdv_metadata
from tabgan.table.checks import check_table
from tabgan.table.columns import KINDS, NUMERIC_KINDS, ColumnMetadata
from tabgan.table.constraint_parsing import parse_constraints
from tabgan.table.constraints import Constraint
from tabgan.table.inference import (
    DEFAULT_MAX_DISCRETE_VALUES,
    check_declared,
    check_declared_schema,
    complete,
    infer_column,
    schema_column,
)

__all__ = ["KINDS", "NUMERIC_KINDS", "ColumnMetadata", "Metadata", "coerce_metadata"]

SCHEMA_VERSION = 2  # 2 added "constraints"; a file without them is written as version 1


@dataclass
class Metadata:
    """The ordered list of column metadata for one table, its constraints, and its
    primary key (a column of kind ``id``) when one is declared."""

    columns: list[ColumnMetadata] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    primary_key: Any = None

    def __post_init__(self) -> None:
        key = self.primary_key
        if key is not None and (key not in self or self[key].kind != "id"):
            raise MetadataError(
                f"the primary key {key!r} must be a column of kind 'id' (fresh unique values); "
                "declare it {\"kind\": \"id\"}, or name another column."
            )

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
        out = {"schema_version": SCHEMA_VERSION if self.constraints else 1,
               "columns": [c.to_dict() for c in self.columns]}
        if self.constraints:
            out["constraints"] = [c.to_dict() for c in self.constraints]
        if self.primary_key is not None:
            out["primary_key"] = self.primary_key
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> Metadata:
        """Read ``{"columns": [...]}`` or ``{"columns": {name: {...}}}``, or SDV's metadata
        (a dict with ``"METADATA_SPEC_VERSION"``, see :meth:`from_sdv`)."""
        if sdv_metadata.is_sdv(data):
            return cls.from_sdv(data)
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
        constraints = data.get("constraints", [])
        if not isinstance(constraints, list):
            raise MetadataError('"constraints" must be a list of constraints.')
        return cls(columns, parse_constraints(constraints), primary_key=data.get("primary_key"))

    @classmethod
    def from_sdv(cls, data: Mapping, table: str | None = None) -> Metadata:
        """Read SDV's single-table metadata (``SingleTableMetadata.to_dict()``, or the
        file ``save_to_json`` writes), or one ``table`` of SDV's ``Metadata``."""
        columns, primary_key = sdv_metadata.from_sdv(data, table)
        return cls(columns, primary_key=primary_key)

    def to_sdv(self, table: str | None = None, *, version: int = 1) -> dict:
        """SDV's single-table metadata dict, spec ``version`` 1 (what SDV 1's
        ``SingleTableMetadata.to_dict`` gives; SDV 1 and 2 read it) or 2 (SDV 2's, which
        also carries bounds, categories and nullability); with ``table``, the dict of SDV's
        ``Metadata`` holding this one table."""
        return sdv_metadata.to_sdv(self.columns, self.primary_key, table, version)

    def to_json(self, path: str | os.PathLike | None = None, *, format: str = "tabgan") -> str:
        """The metadata as JSON text, also written (atomically) to ``path`` when given;
        ``format="sdv"`` (or ``"sdv2"``) writes SDV's single-table metadata of spec version
        1 (or 2) instead of tabgan's."""
        versions = {"sdv": 1, "sdv2": 2}
        if format != "tabgan" and format not in versions:
            raise MetadataError(f"format must be 'tabgan', 'sdv' or 'sdv2', got {format!r}.")
        data = self.to_dict() if format == "tabgan" else self.to_sdv(version=versions[format])
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if path is not None:
            from tabgan.table.atomic import atomic_write_text

            atomic_write_text(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> Metadata:
        """Read metadata from a JSON file path or a JSON string, in tabgan's format or
        SDV's."""
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
        No value is read: no date format is guessed (a datetime column of strings needs
        its ``datetime_format``), and the checks of the table that read values (a column
        all null, infinite values, mixed types) are left to rules of the private
        statistics, since a refusal decided by one record would reveal it.
        """
        check_table(data, private=schema_only)
        given = coerce_metadata(metadata)
        if given is not None:
            given.check_names_in(data)
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
                column = complete(declared, series, schema_only=schema_only)
            elif name in discrete:
                column = complete(ColumnMetadata(name, "categorical"), series,
                                  schema_only=schema_only)
            elif schema_only:
                column = schema_column(name, series)
            else:
                column = infer_column(name, series, max_discrete_values)
            if schema_only:
                check_declared_schema(column, series)
            else:
                check_declared(column, series)
            columns.append(column)
        return cls(columns, list(given.constraints) if given is not None else [],
                   primary_key=given.primary_key if given is not None else None)

    def check_names_in(self, data: pd.DataFrame, table: str = "the table") -> None:
        """Raise unless every column this metadata names is a column of ``data``."""
        unknown = [n for n in self.names if n not in data.columns]
        if unknown:
            raise ColumnMismatchError(
                f"the metadata names column(s) {unknown} that {table} lacks; the table has "
                f"{list(data.columns)}."
            )

    def check_columns(self, data: pd.DataFrame) -> None:
        """Raise unless ``data`` has exactly this metadata's columns (in any order)."""
        expected, got = self.names, list(data.columns)
        if sorted(map(repr, expected)) != sorted(map(repr, got)):
            missing = [c for c in expected if c not in got]
            extra = [c for c in got if c not in expected]
            raise ColumnMismatchError(
                f"the table's columns do not match: missing {missing}, unexpected {extra}."
            )


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
