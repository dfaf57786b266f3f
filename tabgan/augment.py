"""Class balancing: the real rows plus synthetic rows of the minority classes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from tabgan.encoding.categorical import OTHER
from tabgan.errors import ColumnMismatchError, ConditionError, TargetColumnError
from tabgan.synthesizer import TabGAN
from tabgan.table.conditions import match_category
from tabgan.table.metadata import Metadata

__all__ = ["augment", "parse_class_counts"]


def augment(
    data: pd.DataFrame,
    *,
    target: Any,
    counts: Mapping[Any, int] | None = None,
    model=None,
    discrete_columns: Iterable | None = None,
    metadata: Metadata | Mapping | str | os.PathLike | None = None,
    random_state: int | None = None,
    null_class: bool = False,
    fit_args: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Return ``data`` with synthetic rows of ``target``'s smaller classes appended.

    With ``counts=None`` every class is filled up to the size of the largest; otherwise
    ``counts`` maps a class to the total number of rows it should have. ``model`` is a
    :class:`~tabgan.TabGAN`; an unfitted one (or None, for the defaults) is fitted on
    ``data`` first, with ``target`` as a categorical column, and with ``fit_args`` (more
    arguments of ``TabGAN.fit``: ``callback``, ``checkpoint_dir``, ``resume``, ...).

    The target must hold classes: a numeric or datetime target (one that would not be
    inferred categorical) raises a TargetColumnError unless it is declared categorical in
    ``discrete_columns`` or the metadata. Rows whose target is null are kept but are no
    class: none are added, and they do not count as the largest class, unless
    ``null_class`` is True (then None is a class like any other, and ``counts`` may name it).

    Examples
    --------
    >>> from tabgan import TabGAN
    >>> df = pd.DataFrame({"x": [float(i) for i in range(40)], "y": ["a"] * 30 + ["b"] * 10})
    >>> out = augment(df, target="y", model=TabGAN(epochs=1, batch_size=20, verbose=False,
    ...                                            random_state=0))
    >>> out["y"].value_counts().to_dict()
    {'a': 30, 'b': 30}
    """
    if target not in data.columns:
        raise ColumnMismatchError(
            f"target {target!r} is not a column of the table; the columns are "
            f"{list(data.columns)}."
        )
    model = model if model is not None else TabGAN(random_state=random_state)
    if not hasattr(model, "generator_"):
        discrete = list(discrete_columns or [])
        declared = metadata is not None and target in Metadata.infer(data, metadata=metadata)
        if target not in discrete and not declared:
            _check_holds_classes(data[target], target)
            discrete.append(target)
        model.fit(data, discrete_columns=discrete, metadata=metadata, **(fit_args or {}))
    if model.metadata_[target].kind != "categorical":
        raise TargetColumnError(
            f"target {target!r} must be categorical to balance it; declare it in "
            "discrete_columns or the metadata.",
            cli=f"target {target!r} must be categorical to balance it; declare it with "
                f"--discrete {target} or in the --metadata file.",
        )
    categories = model.constraints_.categories(target)  # a column of fixed combinations
    if categories is None:
        categories = [c for c in model.transformer_.categories(target) if c is not OTHER]
    present = data[target].astype(object).where(data[target].notna(), None)
    have = {c: int((present == c).sum()) if c is not None else int(present.isna().sum())
            for c in categories}
    classes = [c for c in categories if c is not None or null_class]
    if counts is None:
        top = max((have[c] for c in classes), default=0)
        wanted = {c: top for c in classes if have[c] > 0}
    else:
        wanted = {}
        for cls, total in counts.items():
            index = match_category(cls, classes)
            if index is None:
                raise _not_a_class(cls, target, classes, null_class)
            if not isinstance(total, int) or total < 0:
                raise ConditionError(f"the count for class {cls!r} must be a whole number >= 0.")
            wanted[classes[index]] = total
    parts = [data.reset_index(drop=True)]
    for cls, total in wanted.items():
        need = total - have[cls]
        if need > 0:
            rows = model.sample(need, conditions={target: cls})
            parts.append(rows[list(data.columns)])
    return pd.concat(parts, ignore_index=True)


def _check_holds_classes(series: pd.Series, target: Any) -> None:
    """Refuse a target that would not be inferred categorical: its values are quantities
    or dates, and balancing it would make each distinct value a class."""
    kind = Metadata.infer(series.to_frame()).columns[0].kind
    if kind == "categorical":
        return
    what = "dates" if kind == "datetime" else "numbers"
    problem = (f"target {target!r} holds {what} ({series.nunique()} distinct values in "
               f"{len(series)} rows), not classes; balancing it would make every value a "
               "class")
    raise TargetColumnError(
        f"{problem}. Balance a column of classes (bin this one into classes first, e.g. "
        f"with pd.cut), or, if its values are classes, declare it categorical "
        f"(discrete_columns=[{target!r}]).",
        cli=f"{problem}. Balance a column of classes (bin this one into a column of classes "
            f"in the input file), or, if its values are classes, declare it categorical with "
            f"--discrete {target}.",
    )


def _not_a_class(cls: Any, target: Any, classes: list, null_class: bool) -> ConditionError:
    if cls is None and not null_class:
        return ConditionError(
            f"null is not a class of {target!r} unless asked for; pass null_class=True to "
            "balance the rows whose target is null as a class.",
            cli=f"null is not a class of {target!r} unless asked for; add --null-class to "
                "balance the rows whose target is empty as a class.",
        )
    return ConditionError(f"{cls!r} is not a class of {target!r}; the classes are {classes}.")


def parse_class_counts(items: Iterable[str]) -> dict[str | None, int]:
    """``["<=50K=30000", ">50K=30000", "=500"]`` to ``{"<=50K": 30000, ">50K": 30000,
    None: 500}``: each item is CLASS=N, split at its last ``=``; an empty CLASS is the null
    class (see ``null_class``)."""
    wanted: dict[str | None, int] = {}
    for item in items:
        cls, sep, number = item.rpartition("=")
        if not sep or not number.isdigit():
            raise ConditionError(f"the class count {item!r} is not CLASS=N.")
        wanted[cls if cls != "" else None] = int(number)
    return wanted
