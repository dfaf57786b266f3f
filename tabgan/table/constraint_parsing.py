"""Constraints read from what a user writes: a constraint object, its dict form, or a
string.

>>> parse_constraint("start_date <= end_date")
Inequality(low='start_date', high='end_date', strict=False)
>>> parse_constraint("0 <= age <= 120")
Bounded(column='age', low=0, high=120, strict=False)
>>> parse_constraint({"type": "formula", "column": "total", "expression": "price * quantity"})
Formula(column='total', expression='price * quantity')

The strings: ``"a <= b"`` (or ``<``, ``>=``, ``>``) between two columns is an
:class:`~tabgan.table.constraints.Inequality`; a column compared with constants
(``"price > 0"``, ``"0 <= age <= 120"``) a :class:`~tabgan.table.constraints.Bounded` (or
:class:`~tabgan.table.constraints.Positive`); ``"total = price * quantity"`` a
:class:`~tabgan.table.constraints.Formula`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from tabgan.errors import ConstraintError
from tabgan.table.constraints import (
    Bounded,
    Constraint,
    FixedCombinations,
    Formula,
    Inequality,
    Positive,
)
from tabgan.table.formula import parse_comparison, split_formula

__all__ = ["CONSTRAINTS", "parse_constraint", "parse_constraints"]

CONSTRAINTS: dict[str, type] = {
    c.type: c for c in (Inequality, FixedCombinations, Bounded, Positive, Formula)
}


def parse_constraint(spec: Any) -> Constraint:
    """A constraint from a constraint object, its dict form or a string."""
    if isinstance(spec, Constraint):
        return spec
    if isinstance(spec, str):
        return _from_string(spec)
    if not isinstance(spec, Mapping):
        raise ConstraintError(
            f"a constraint must be a constraint object, a dict with a 'type', or a string "
            f"such as 'start_date <= end_date'; got {type(spec).__name__}."
        )
    kind = spec.get("type")
    cls = CONSTRAINTS.get(kind)
    if cls is None:
        raise ConstraintError(
            f"unknown constraint type {kind!r}; use one of {', '.join(CONSTRAINTS)}."
        )
    known = {f.name for f in fields(cls) if f.init} | {"type"}
    if cls is Positive:
        known = {"type", "column", "strict"}
    unknown = set(spec) - known
    if unknown:
        raise ConstraintError(
            f"a {kind} constraint has no field(s) {sorted(unknown)}; its fields are "
            f"{sorted(known - {'type'})}."
        )
    args = {k: v for k, v in spec.items() if k != "type"}
    try:
        return cls(**args)
    except TypeError as exc:
        raise ConstraintError(f"a {kind} constraint: {exc}.") from None


def parse_constraints(specs: Any) -> list[Constraint]:
    """A list of constraints from None, one constraint, or a list of them; repeated
    constraints are kept once."""
    if specs is None:
        return []
    if isinstance(specs, Constraint | str | Mapping):
        specs = [specs]
    if not isinstance(specs, Iterable):
        raise ConstraintError(f"constraints must be a list, got {type(specs).__name__}.")
    out: list[Constraint] = []
    for spec in specs:
        constraint = parse_constraint(spec)
        if constraint not in out:
            out.append(constraint)
    return out


def _from_string(text: str) -> Constraint:
    formula = split_formula(text)
    if formula is not None:
        return Formula(*formula)
    parsed = parse_comparison(text)
    if parsed is None:
        raise ConstraintError(
            f"{text!r} is not a constraint; write 'a <= b', 'total = price * quantity' or "
            "'0 <= age <= 120'."
        )
    operands, ops = parsed
    if len(ops) == 1 and all(o.is_column for o in operands):
        left, right = (o.name for o in operands)
        if ops[0] in (">", ">="):
            left, right = right, left
        return Inequality(left, right, strict=ops[0] in ("<", ">"))
    return _bound_from(text, operands, ops)


def _bound_from(text: str, operands, ops: list[str]) -> Bounded:
    columns = [o for o in operands if o.is_column]
    strict = {op in ("<", ">") for op in ops}
    if len(columns) != 1 or len(strict) != 1 or len(set(op[0] for op in ops)) != 1:
        raise ConstraintError(
            f"{text!r}: a bound compares one column with constants in one direction, as in "
            "'0 <= age <= 120'; a comparison of two columns is 'a <= b'."
        )
    values = [o for o in operands]
    if ops[0].startswith(">"):
        values = values[::-1]
    at = values.index(columns[0])
    if at > 1 or len(values) - at > 2:
        raise ConstraintError(f"{text!r} compares the column with too many constants.")
    low = values[at - 1].value if at == 1 else None
    high = values[at + 1].value if at + 1 < len(values) else None
    if low == 0 and high is None:
        return Positive(columns[0].name, strict=strict.pop())
    return Bounded(columns[0].name, low=low, high=high, strict=strict.pop())
