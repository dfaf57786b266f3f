"""Class balancing: the real rows plus synthetic rows of the minority classes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from tabgan.errors import ColumnMismatchError, ConditionError
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
) -> pd.DataFrame:
    """Return ``data`` with synthetic rows of ``target``'s smaller classes appended.

    With ``counts=None`` every class is filled up to the size of the largest; otherwise
    ``counts`` maps a class to the total number of rows it should have. ``model`` is a
    :class:`~tabgan.TabGAN`; an unfitted one (or None, for the defaults) is fitted on
    ``data`` first, with ``target`` as a categorical column.

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
            discrete.append(target)
        model.fit(data, discrete_columns=discrete, metadata=metadata)
    if model.metadata_[target].kind != "categorical":
        raise ConditionError(
            f"target {target!r} must be categorical to balance it; declare it in "
            "discrete_columns or the metadata."
        )
    categories = model.constraints_.categories(target)  # a column of fixed combinations
    if categories is None:
        categories = model.transformer_.categories(target)
    present = data[target].astype(object).where(data[target].notna(), None)
    have = {c: int((present == c).sum()) if c is not None else int(present.isna().sum())
            for c in categories}
    if counts is None:
        top = max(have.values())
        wanted = {c: top for c in categories if have[c] > 0}
    else:
        wanted = {}
        for cls, total in counts.items():
            index = match_category(cls, categories)
            if index is None:
                raise ConditionError(
                    f"{cls!r} is not a class of {target!r}; the classes are {categories}."
                )
            if not isinstance(total, int) or total < 0:
                raise ConditionError(f"the count for class {cls!r} must be a whole number >= 0.")
            wanted[categories[index]] = total
    parts = [data.reset_index(drop=True)]
    for cls, total in wanted.items():
        need = total - have[cls]
        if need > 0:
            rows = model.sample(need, conditions={target: cls})
            parts.append(rows[list(data.columns)])
    return pd.concat(parts, ignore_index=True)


def parse_class_counts(items: Iterable[str]) -> dict[str, int]:
    """``["<=50K=30000", ">50K=30000"]`` to ``{"<=50K": 30000, ">50K": 30000}``: each item
    is CLASS=N, split at its last ``=``."""
    wanted = {}
    for item in items:
        cls, sep, number = item.rpartition("=")
        if not sep or not number.isdigit():
            raise ConditionError(f"the class count {item!r} is not CLASS=N.")
        wanted[cls] = int(number)
    return wanted
