"""``ConstraintSet``: the constraints of one model, how each is met, and the sieve that checks
every sampled row.

At fit time (:meth:`ConstraintSet.fit`) the constraints are checked against the metadata
(columns and kinds) and against the real table, which must satisfy every one of them (else
a :class:`~tabgan.errors.ConstraintViolationError` says which rule and how many rows). Each
constraint that a transform can build into the learned table gets one
(:mod:`tabgan.table.constraint_transforms`); the transforms are put in an order in which
every column is replaced once, after every transform that reads it, and a constraint whose
transform would break that order is met by rejection instead, as are bounds and
inequalities whose ``low`` column can be null.

After sampling, :class:`Sieve` undoes the transforms, drops every row that breaks any
constraint (built in or not: the check is the same one the real table passed), and applies
the sampling conditions. Under differential privacy a constraint is public knowledge: the
transforms read nothing of the data, and a fixed-combinations constraint must list its
combinations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import ConstraintError, ConstraintViolationError
from tabgan.table.conditions import CategoryMatch, ConditionSet
from tabgan.table.constraint_parsing import parse_constraints
from tabgan.table.constraint_transforms import Transform, transform_for
from tabgan.table.constraint_values import data_combinations
from tabgan.table.constraints import Constraint, FixedCombinations
from tabgan.table.metadata import Metadata

__all__ = ["ConstraintSet", "Sieve"]

STATE_VERSION = 1
_SHOWN_ROWS = 5


class ConstraintSet:
    """The constraints of a fitted model. ``metadata`` describes the table as the user gave
    it (with the declared constraints), ``learned`` the table the GAN is fitted to."""

    def __init__(self, metadata, constraints: list[Constraint], transforms: list[Transform],
                 learned):
        self.metadata = metadata
        self.constraints = constraints  # as checked: data combinations filled in
        self.transforms = transforms  # in the order they are applied
        self.learned = learned

    def __bool__(self) -> bool:
        return bool(self.constraints)

    @classmethod
    def identity(cls, metadata) -> ConstraintSet:
        """No constraint: the learned table is the table."""
        return cls(metadata, [], [], metadata)

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(cls, specs: Any, data: pd.DataFrame, metadata, *, private: bool) -> ConstraintSet:
        """The constraints ``specs`` and those ``metadata`` declares, checked against the
        metadata and the real ``data``, with their transforms fitted."""
        declared = parse_constraints([*metadata.constraints, *parse_constraints(specs)])
        if not declared:
            return cls.identity(metadata)
        for constraint in declared:
            constraint.check_metadata(metadata)
        constraints = [_resolve(c, data, private) for c in declared]
        for constraint in constraints:
            _check_rows(constraint, data, metadata)
        taken = set(metadata.names)
        transforms = _order(constraints, data, metadata, private)
        for transform in transforms:
            transform.fit(data, private=private, taken=taken)
        whole = Metadata(list(metadata.columns), constraints=declared)
        return cls(whole, constraints, transforms, _learned(metadata, transforms))

    # ------------------------------------------------------------------ the table
    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        """``data`` with every transform applied (``data`` itself when there is none)."""
        if not self.transforms:
            return data
        frame = data.copy(deep=False)
        for transform in self.transforms:
            transform.forward(frame)
        return frame

    def reverse(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        """Generated rows of the learned table back in the user's columns, order and dtypes;
        and, per row, the index of the first constraint whose transform could not restore
        it (-1 where all could)."""
        failed = np.full(len(frame), -1, dtype=np.int64)
        if not self.transforms:
            return frame, failed
        frame = frame.copy(deep=False)
        for transform in reversed(self.transforms):
            invalid = transform.reverse(frame)
            if invalid is not None:
                failed[(failed < 0) & invalid] = self.constraints.index(transform.constraint)
        return frame[self.metadata.names], failed

    def built_in(self, constraint: Constraint) -> bool:
        """Whether a transform builds ``constraint`` into the learned table."""
        return any(t.constraint is constraint and t.replaces for t in self.transforms)

    def sieve(self, conditions: ConditionSet) -> Sieve:
        return Sieve(self, conditions)

    def condition_match(self, match: Callable[[Any, Any], CategoryMatch]):
        """``match`` for the columns the GAN learns; a column a transform replaced is not
        in the condition vector, and a condition on it is met by rejection alone."""
        replaced = {name: t for t in self.transforms for name in t.replaces}

        def place(column: Any, wanted: Any) -> CategoryMatch:
            transform = replaced.get(column)
            if transform is None:
                return match(column, wanted)
            return CategoryMatch(transform.match_value(column, wanted), -1, -1, math.inf)

        return place

    def trained_range(self, trained: Callable[[Any], Any]):
        """``trained`` for the columns the GAN learns; None (nothing to check) for a column a
        transform replaced."""
        replaced = {name for t in self.transforms for name in t.replaces}
        return lambda column: None if column in replaced else trained(column)

    def categories(self, column: Any) -> list | None:
        """The values of a column that fixed combinations replaced; None for any other."""
        for transform in self.transforms:
            if column in transform.replaces and hasattr(transform, "values"):
                return transform.values(column)
        return None

    def describe(self) -> list[str]:
        """One line per constraint: the rule, and how it is met."""
        return [f"{c.describe()}: " + ("built into the encoding" if self.built_in(c)
                                       else "met by rejection") for c in self.constraints]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {
            "version": STATE_VERSION,
            "metadata": self.metadata.to_dict(),
            "constraints": [c.to_dict() for c in self.constraints],
            "transforms": [{"constraint": self.constraints.index(t.constraint),
                            "state": t.state_dict()} for t in self.transforms],
        }

    @classmethod
    def from_state(cls, state: Mapping) -> ConstraintSet:
        """Rebuild a fitted set from :meth:`state_dict`."""
        if state.get("version") != STATE_VERSION:
            raise ConstraintError(
                f"constraint state version {state.get('version')!r} is not readable by this "
                f"tabgan (version {STATE_VERSION}); refit the model."
            )
        metadata = Metadata.from_dict(state["metadata"])
        constraints = parse_constraints(state["constraints"])
        transforms = []
        for entry in state["transforms"]:
            transform = transform_for(constraints[entry["constraint"]], None, metadata,
                                      private=False)
            transform.load_state_dict(entry["state"])
            transforms.append(transform)
        return cls(metadata, constraints, transforms, _learned(metadata, transforms))


class Sieve:
    """Generated rows in, rows that satisfy every constraint and condition out; it counts
    what each constraint rejected, to name it when too few rows pass."""

    def __init__(self, constraints: ConstraintSet, conditions: ConditionSet):
        self.constraints = constraints
        self.conditions = conditions
        self.rejected = [0] * len(constraints.constraints)
        self.seen = self.passed = 0

    def want(self, missing: int, batch_size: int) -> int:
        """How many rows to generate for ``missing`` more: a whole batch under conditions;
        otherwise ``missing``, scaled up by the share of rows the constraints rejected so
        far."""
        if self.conditions:
            return batch_size
        if self.passed == self.seen:
            return min(batch_size, missing)
        rate = max(self.passed / self.seen, 1e-3)
        return min(batch_size, math.ceil(missing / rate * 1.1) + 16)

    def filter(self, frame: pd.DataFrame) -> pd.DataFrame:
        rules = self.constraints
        if not rules:
            return self.conditions.filter(frame)
        frame, failed = rules.reverse(frame)
        keep = failed < 0
        for i in np.unique(failed[~keep]):
            self.rejected[i] += int((failed == i).sum())
        for i, constraint in enumerate(rules.constraints):
            bad = constraint.violated(frame, rules.metadata) & keep
            self.rejected[i] += int(bad.sum())
            keep &= ~bad
        self.seen += len(frame)
        self.passed += int(keep.sum())
        if not keep.all():
            frame = frame.loc[keep].reset_index(drop=True)
        return self.conditions.filter(frame)

    def unsatisfiable(self, have: int, n: int, tried: int) -> Exception:
        if not any(self.rejected):
            return self.conditions.unsatisfiable(have, n, tried)
        parts = [f"{c.describe()} rejected {r}"
                 for c, r in zip(self.constraints.constraints, self.rejected, strict=True) if r]
        return ConstraintError(
            f"after {tried} generated rows only {have} of the {n} asked for satisfy every "
            f"constraint{' and condition' if self.conditions else ''} ({'; '.join(parts)}); "
            "the model rarely produces such rows. Train longer, loosen the constraint, or "
            "raise max_tries."
        )


def _resolve(constraint: Constraint, data: pd.DataFrame, private: bool) -> Constraint:
    """A fixed-combinations constraint with its combinations: the declared ones, or those
    of the data (never under DP)."""
    if not isinstance(constraint, FixedCombinations) or constraint.combinations is not None:
        return constraint
    if private:
        raise ConstraintError(
            f"under differential privacy the constraint {constraint.describe()} reads no "
            "data: list the allowed combinations in it (\"combinations\": [[...], ...])."
        )
    return FixedCombinations(constraint.columns, data_combinations(data, constraint.columns))


def _check_rows(constraint: Constraint, data: pd.DataFrame, metadata) -> None:
    """Raise unless every real row satisfies ``constraint``. The message goes to whoever
    holds the data and is never part of a model."""
    bad = np.flatnonzero(constraint.violated(data, metadata))
    if len(bad):
        shown = ", ".join(repr(data.index[i]) for i in bad[:_SHOWN_ROWS])
        more = " ..." if len(bad) > _SHOWN_ROWS else ""
        raise ConstraintViolationError(
            f"{len(bad)} of the table's {len(data)} rows break the constraint "
            f"{constraint.describe()} (rows {shown}{more}); fix those rows, or drop the "
            "constraint."
        )


def _order(constraints: list[Constraint], data, metadata, private: bool) -> list[Transform]:
    """The transforms, in an order that applies: a column is replaced by one transform
    only, after every transform that reads it. A constraint whose transform cannot join
    that order is left to rejection."""
    chosen: list[Transform] = []
    for constraint in constraints:
        transform = transform_for(constraint, data, metadata, private=private)
        if transform is None:
            continue
        replaced = {n for t in chosen for n in t.replaces}
        if replaced & set(transform.replaces):
            continue
        if _sorted([*chosen, transform]) is not None:
            chosen.append(transform)
    return _sorted(chosen)


def _sorted(transforms: list[Transform]) -> list[Transform] | None:
    """A topological order (readers of a column before its replacer, otherwise in the
    given order), or None when there is a cycle."""
    before = {i: {j for j, other in enumerate(transforms)
                  if j != i and set(other.reads) & set(t.replaces)}
              for i, t in enumerate(transforms)}
    order: list[int] = []
    while len(order) < len(transforms):
        ready = [i for i in range(len(transforms))
                 if i not in order and before[i] <= set(order)]
        if not ready:
            return None
        order.append(ready[0])
    return [transforms[i] for i in order]


def _learned(metadata, transforms: list[Transform]):
    """The metadata of the learned table."""
    columns = list(metadata.columns)
    for transform in transforms:
        columns = transform.columns(columns)
    return Metadata(columns)
