"""A small, safe expression language over columns: the right-hand side of a formula
constraint (``total = price * quantity``) and the shorthand ``"start_date <= end_date"``.

Text is parsed by Python's :mod:`ast` and evaluated by a walk over a short list of allowed
nodes, on numpy arrays; nothing is ever passed to ``eval``. Allowed:

- numbers (``2``, ``0.5``, ``1e3``) and column names: a Python identifier (``price``) or
  any name in backticks (```hours-per-week```);
- ``+ - * / // % **``, unary ``-`` and ``+``, and parentheses;
- the functions ``abs``, ``round`` (``round(x)`` or ``round(x, 2)``), ``min``, ``max``,
  ``sqrt``, ``exp``, ``log``, ``floor`` and ``ceil``.

Anything else (attributes, subscripts, other calls, comparisons inside a formula, strings)
is refused with a :class:`~tabgan.errors.ConstraintError` that names it. Arithmetic is in
float64; a result that is not finite (a division by zero, the log of a negative number) is
null.

>>> import numpy as np
>>> Expression("round(price * `unit count`, 1)").evaluate(
...     {"price": np.array([1.25, 2.0]), "unit count": np.array([3.0, 4.0])}, 2).tolist()
[3.8, 8.0]
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tabgan.errors import ConstraintError

__all__ = ["FUNCTIONS", "Expression", "Operand", "parse_comparison", "split_formula"]

MAX_LENGTH = 2000  # characters; a formula is a line, not a program

_BINARY: dict[type, Callable] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
    ast.Pow: np.power,
}
_UNARY: dict[type, Callable] = {ast.USub: np.negative, ast.UAdd: np.positive}
FUNCTIONS: dict[str, Callable] = {
    "abs": np.abs,
    "round": lambda x, digits=0.0: np.round(x, int(digits)),
    "min": lambda *xs: _reduce(np.minimum, xs),
    "max": lambda *xs: _reduce(np.maximum, xs),
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "floor": np.floor,
    "ceil": np.ceil,
}
_ARITY = {"round": (1, 2), "min": (2, 32), "max": (2, 32)}  # the others take one argument
_COMPARISONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_PLACEHOLDER = "__col{}__"
_TARGET = re.compile(r"^\s*(`[^`]+`|[^\W\d]\w*)\s*=(?!=)(.*)$", re.DOTALL)


def _reduce(function: Callable, values: tuple) -> np.ndarray:
    out = values[0]
    for value in values[1:]:
        out = function(out, value)
    return out


def _quote(text: str) -> tuple[str, dict[str, str]]:
    """``text`` with every backticked name replaced by a placeholder identifier, and the
    names those placeholders stand for."""
    if not isinstance(text, str) or not text.strip():
        raise ConstraintError(f"an expression must be a non-empty string, got {text!r}.")
    if len(text) > MAX_LENGTH:
        raise ConstraintError(f"an expression is limited to {MAX_LENGTH} characters.")
    parts = text.split("`")
    if len(parts) % 2 == 0:
        raise ConstraintError(f"unbalanced backticks in {text!r}; quote a name as `name`.")
    names: dict[str, str] = {}
    source = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            source.append(part)
        else:
            if not part:
                raise ConstraintError(f"empty backticks in {text!r}.")
            key = _PLACEHOLDER.format(len(names))
            names[key] = part
            source.append(f" {key} ")
    return "".join(source), names


def _parse(text: str) -> tuple[ast.expr, dict[str, str]]:
    source, names = _quote(text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ConstraintError(
            f"{text!r} is not an expression tabgan reads: {exc}. Write arithmetic over "
            "columns, such as price * quantity; quote a name that is not an identifier in "
            "backticks (`hours-per-week`)."
        ) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith("__") and node.id not in names:
            raise ConstraintError(
                f"in {text!r}: write the name {node.id!r} in backticks (`{node.id}`)."
            )
    return tree.body, names


class Expression:
    """A parsed arithmetic expression over columns; ``columns`` are the names it reads, in
    the order they first appear."""

    def __init__(self, text: str):
        self.text = text
        self._tree, self._names = _parse(text)
        found: list[str] = []
        self._check(self._tree, found)
        self.columns: tuple[str, ...] = tuple(dict.fromkeys(found))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def _refuse(self, node: ast.AST, what: str) -> ConstraintError:
        return ConstraintError(
            f"{self.text!r} uses {what}, which formulas do not allow; use numbers, columns, "
            f"+ - * / // % **, and the functions {', '.join(FUNCTIONS)}."
        )

    def _check(self, node: ast.AST, found: list[str]) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self._refuse(node, f"the constant {node.value!r}")
        elif isinstance(node, ast.Name):
            found.append(self._names.get(node.id, node.id))
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left, found)
            self._check(node.right, found)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self._check(node.operand, found)
        elif isinstance(node, ast.Call):
            self._check_call(node, found)
        else:
            raise self._refuse(node, f"the syntax {ast.unparse(node)!r}")

    def _check_call(self, node: ast.Call, found: list[str]) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS or name in self._names or node.keywords:
            raise self._refuse(node, f"the call {ast.unparse(node)!r}")
        low, high = _ARITY.get(name, (1, 1))
        if not low <= len(node.args) <= high:
            raise ConstraintError(
                f"in {self.text!r}: {name}() takes {low if low == high else f'{low} to {high}'}"
                f" argument(s), got {len(node.args)}."
            )
        if name == "round" and len(node.args) == 2:
            digits = node.args[1]
            if not (isinstance(digits, ast.Constant) and type(digits.value) is int):
                raise ConstraintError(
                    f"in {self.text!r}: round's digits must be a whole number, as in "
                    "round(x, 2)."
                )
        for arg in node.args:
            self._check(arg, found)

    def evaluate(self, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """The expression on ``n`` rows, ``values`` holding each column it reads as float64
        (NaN for nulls); float64 ``(n,)``, NaN where the result is not finite."""
        with np.errstate(all="ignore"):
            out = np.asarray(self._eval(self._tree, values), dtype=np.float64)
        out = np.broadcast_to(out, (n,)).copy()
        out[~np.isfinite(out)] = np.nan
        return out

    def _eval(self, node: ast.AST, values: Mapping[str, np.ndarray]):
        if isinstance(node, ast.Constant):
            return np.float64(node.value)
        if isinstance(node, ast.Name):
            return values[self._names.get(node.id, node.id)]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, values),
                                          self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, values))
        assert isinstance(node, ast.Call)  # _check let nothing else through
        args = [self._eval(a, values) for a in node.args]
        return FUNCTIONS[node.func.id](*args)


class Operand:
    """One side of a comparison: a column (``name``) or a constant (``value``)."""

    def __init__(self, *, name: str | None = None, value: Any = None):
        self.name = name
        self.value = value

    @property
    def is_column(self) -> bool:
        return self.name is not None


def parse_comparison(text: str) -> tuple[list[Operand], list[str]] | None:
    """``"a <= b"``, ``"0 < price"`` or ``"0 <= age <= 120"`` as operands and operators
    (``<``, ``<=``, ``>``, ``>=``); None when ``text`` is not a comparison. An operand is a
    column or a constant (a number, or a string such as a date)."""
    tree, names = _parse(text)
    if not isinstance(tree, ast.Compare):
        return None
    operands = []
    for node in [tree.left, *tree.comparators]:
        if isinstance(node, ast.Name):
            operands.append(Operand(name=names.get(node.id, node.id)))
            continue
        value = _constant(node)
        if value is None:
            raise ConstraintError(
                f"in {text!r}: each side of a comparison must be a column or a constant, not "
                f"{ast.unparse(node)!r}."
            )
        operands.append(Operand(value=value))
    ops = []
    for op in tree.ops:
        if type(op) not in _COMPARISONS:
            raise ConstraintError(
                f"in {text!r}: compare with <, <=, > or >= (a formula is written name = ...)."
            )
        ops.append(_COMPARISONS[type(op)])
    return operands, ops


def _constant(node: ast.AST) -> Any:
    """A number (with its sign) or a string constant; None for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
        if not (isinstance(node, ast.Constant) and isinstance(node.value, int | float)):
            return None
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    if isinstance(node.value, int | float):
        value = sign * node.value
        return value if math.isfinite(value) else None
    return node.value if isinstance(node.value, str) else None


def split_formula(text: str) -> tuple[str, str] | None:
    """``"total = price * quantity"`` as ``("total", "price * quantity")``; None when
    ``text`` is not ``name = expression``."""
    if not isinstance(text, str):
        return None
    match = _TARGET.match(text)
    if match is None:
        return None
    target, expression = match.group(1), match.group(2)
    if target.startswith("`"):
        target = target[1:-1]
    return target, expression.strip()
