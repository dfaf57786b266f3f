"""The typed errors that every layer of tabgan raises.

Each message names what went wrong and how to fix it. The hierarchy lets callers catch
broadly (``TabGANError``) or narrowly (``UnseenCategoryError``); data errors are also
``ValueError`` so code written against pandas or scikit-learn keeps working.

Where the fix reads differently on the command line (an option or a metadata line instead
of a line of Python), the error also carries that message, ``cli``; the command line shows
:meth:`TabGANError.command_line_message`.

``NotFittedError`` is also scikit-learn's ``sklearn.exceptions.NotFittedError``. Importing
scikit-learn takes about a second, so the class is made on first use (when it is raised,
imported or looked up), not when tabgan is imported.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TabGANError",
    "DataError",
    "EmptyTableError",
    "TooFewRowsError",
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
    "ConstraintError",
    "ConstraintViolationError",
    "ModelFileError",
    "CheckpointError",
    "PrivacyError",
    "EvaluationError",
    "AuditError",
    "NotFittedError",  # noqa: F822  (made on first use, see __getattr__)
    "ParameterError",
    "DeviceError",
    "not_fitted",
    "OutputError",
    "StrayValuesError",
    "MixedDateFormatsError",
    "DecodingError",
    "TabGANWarning",
    "HighCardinalityWarning",
]


class TabGANError(Exception):
    """Base class of every error tabgan raises on purpose.

    ``cli`` is the message for the command line, where it names the fix in the command
    line's terms (an option, a metadata line) instead of Python's; None when the one
    message serves both."""

    def __init__(self, *args: object, cli: str | None = None):
        super().__init__(*args)
        self.cli = cli

    def command_line_message(self) -> str:
        """The message the command line shows."""
        return self.cli if self.cli is not None else str(self)


class DataError(TabGANError, ValueError):
    """The input table cannot be used as it is."""


class EmptyTableError(DataError):
    """The table has no rows or no columns."""


class TooFewRowsError(EmptyTableError):
    """The table has too few rows to learn from: a model of it could only copy them."""


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


class ConstraintError(TabGANError, ValueError):
    """A constraint is malformed, does not fit the table's columns, or cannot be met by
    the rows the model generates."""


class ConstraintViolationError(ConstraintError, DataError):
    """The real table itself breaks a declared constraint."""


class ModelFileError(TabGANError, OSError):
    """A saved model file is truncated, corrupted, or from a newer format."""


class CheckpointError(TabGANError, ValueError):
    """A checkpoint cannot be used: it belongs to another run (other data, metadata or
    parameters), it is unreadable, or a new run would overwrite it."""


class PrivacyError(TabGANError, ValueError):
    """A differential-privacy setting is invalid or cannot be honoured."""


class EvaluationError(TabGANError, ValueError):
    """An evaluation option is invalid, or the tables are too small for what it asks."""


class AuditError(TabGANError, ValueError):
    """An audit report cannot be made from these inputs (no holdout, canaries without the
    training table or model, an unwritable output)."""


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


_NOT_FITTED_DOC = """The estimator was used before ``fit`` (or ``load``). It is scikit-learn's
``NotFittedError`` too (so ``except sklearn.exceptions.NotFittedError`` catches it), and
like that error both a ValueError and an AttributeError."""


def _not_fitted_class() -> type:
    try:
        from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    except ImportError:  # scikit-learn is a dependency; this only guards a broken install
        bases: tuple[type, ...] = (TabGANError, ValueError, AttributeError)
    else:
        bases = (TabGANError, SklearnNotFittedError)
    return type("NotFittedError", bases, {"__module__": __name__, "__doc__": _NOT_FITTED_DOC})


def __getattr__(name: str) -> Any:
    # NotFittedError subclasses scikit-learn's, made (once) on first use: see the module doc.
    if name == "NotFittedError":
        cls = _not_fitted_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def not_fitted(message: str) -> TabGANError:
    """A ``NotFittedError`` with ``message``, for ``raise not_fitted(...)`` in modules that
    must not import scikit-learn when they are imported."""
    cls = globals().get("NotFittedError") or __getattr__("NotFittedError")
    return cls(message)
