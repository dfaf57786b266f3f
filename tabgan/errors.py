"""The typed errors that every layer of tabgan raises.

Each message names what went wrong and how to fix it. The hierarchy lets callers catch
broadly (``TabGANError``) or narrowly (``UnseenCategoryError``); data errors are also
``ValueError`` so code written against pandas or scikit-learn keeps working.
"""

from __future__ import annotations

__all__ = [
    "TabGANError",
    "DataError",
    "EmptyTableError",
    "DuplicateColumnsError",
    "AllNullColumnError",
    "InfiniteValueError",
    "MixedTypesError",
    "UnsupportedValueError",
    "IdentifierColumnError",
    "UnseenCategoryError",
    "UnexpectedNullError",
    "ColumnMismatchError",
    "TargetColumnError",
    "ColumnTypeMismatchError",
    "MetadataError",
    "ConditionError",
    "ModelFileError",
    "PrivacyError",
    "EvaluationError",
    "AuditError",
    "NotFittedError",
    "ParameterError",
    "DeviceError",
    "OutputError",
    "StrayValuesError",
    "MixedDateFormatsError",
    "DecodingError",
    "TabGANWarning",
    "HighCardinalityWarning",
]


class TabGANError(Exception):
    """Base class of every error tabgan raises on purpose."""


class DataError(TabGANError, ValueError):
    """The input table cannot be used as it is."""


class EmptyTableError(DataError):
    """The table has no rows or no columns."""


class DuplicateColumnsError(DataError):
    """Two or more columns share a name."""


class AllNullColumnError(DataError):
    """A column holds nothing but nulls, so there is nothing to learn from it."""


class InfiniteValueError(DataError):
    """A numeric column holds +inf or -inf."""


class MixedTypesError(DataError):
    """An object column mixes values of different Python types."""


class UnsupportedValueError(DataError):
    """A column holds values of a type tabgan cannot model (lists, dicts, bytes, ...)."""


class IdentifierColumnError(DataError):
    """A column has one distinct value per row, like an identifier."""


class UnseenCategoryError(DataError):
    """A categorical column holds a value that was not seen (or declared) at fit time."""


class UnexpectedNullError(DataError):
    """A column that had no nulls at fit time (and is not declared nullable) has some now."""


class ColumnMismatchError(DataError):
    """The table's columns differ from the ones the model or metadata knows."""


class TargetColumnError(ColumnMismatchError):
    """The target column is missing from one of the tables, or has no usable values."""


class ColumnTypeMismatchError(ColumnMismatchError):
    """A column holds one kind of value in one table and another kind in the other."""


class MetadataError(TabGANError, ValueError):
    """A metadata dict or JSON file is malformed or contradicts the table."""


class ConditionError(TabGANError, ValueError):
    """A sampling condition names an unknown column or value, or cannot be met."""


class ModelFileError(TabGANError, OSError):
    """A saved model file is truncated, corrupted, or from a newer format."""


class PrivacyError(TabGANError, ValueError):
    """A differential-privacy setting is invalid or cannot be honoured."""


class EvaluationError(TabGANError, ValueError):
    """An evaluation option is invalid, or the tables are too small for what it asks."""


class AuditError(TabGANError, ValueError):
    """An audit report cannot be made from these inputs (no holdout, canaries without the
    training table or model, an unwritable output)."""


class NotFittedError(TabGANError, ValueError, AttributeError):
    """The estimator was used before ``fit`` (or ``load``). Like scikit-learn's error of
    the same name, it is both a ValueError and an AttributeError."""


class ParameterError(TabGANError, ValueError):
    """A parameter of the estimator (or of ``sample``) has an invalid value."""


class DeviceError(TabGANError, ValueError):
    """The device asked for is unknown or not available on this machine."""


class OutputError(TabGANError, OSError):
    """An output file cannot be written: the disk is full, the folder is read-only, ..."""


class StrayValuesError(MixedTypesError):
    """A column of numbers or dates holds a few values that are neither (placeholders such
    as ``unknown`` or typos), which would make it categorical."""


class MixedDateFormatsError(MixedTypesError):
    """A column of date strings is not written in one format."""


class DecodingError(DataError):
    """A text file cannot be decoded with its (given or detected) encoding."""


class TabGANWarning(UserWarning):
    """Base class of the warnings tabgan gives on purpose."""


class HighCardinalityWarning(TabGANWarning):
    """A column with many distinct values is treated as categorical: its synthetic values
    are then copies of real ones."""
