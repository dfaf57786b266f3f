"""One-hot codes of categorical columns, with rare categories pooled in one slot.

A null is one more category. With ``max_categories``, a column with more categories keeps
its ``max_categories - 1`` most frequent ones and pools the rest in one bucket (``OTHER`` in
``categories``); a generated pooled value is one of the pooled categories, drawn in
proportion to their frequencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabgan.encoding.layout import SOFTMAX
from tabgan.encoding.statistics import ColumnStatistics
from tabgan.errors import ConditionError, UnexpectedNullError, UnseenCategoryError
from tabgan.table.columns import ColumnMetadata
from tabgan.table.conditions import match_category

__all__ = ["OTHER", "CategoricalCodec", "count_values"]


class _Other:
    """The bucket of rare categories (see ``max_categories``): one slot in the one-hot
    span, whose members come back in proportion to their frequencies."""

    def __repr__(self) -> str:
        return "<other>"


OTHER = _Other()


def _value_index(values: list) -> pd.Index:
    return pd.Index(values, dtype=object if not values else None)


def _as_objects(series: pd.Series, null: np.ndarray) -> pd.Series:
    return series.astype(object).where(~null, None)


def _is_scalar(value: Any) -> bool:
    """A value a category can hold: a string, bool or number (numpy ones included)."""
    return isinstance(value, str | bool | int | float | np.generic) or value is None


def count_values(series: pd.Series, categories: list) -> np.ndarray:
    """How many rows of ``series`` hold each of ``categories`` (None counts the nulls)."""
    null = series.isna().to_numpy(copy=True)
    known = [c for c in categories if c is not None]
    codes = _value_index(known).get_indexer(_as_objects(series, null))
    counts = np.bincount(codes[codes >= 0], minlength=len(known)).astype(np.float64)
    by_value = iter(counts)
    return np.array([float(null.sum()) if c is None else next(by_value) for c in categories])


class CategoricalCodec:
    """A finite set of values, one-hot encoded; a null is one more category."""

    def __init__(self, meta: ColumnMetadata, max_categories: int | None = None):
        self.meta = meta
        self.max_categories = max_categories
        self.categories: list = []  # JSON scalars, None marks the null category
        self.members: list = []  # the pooled categories, when there is a bucket
        self.member_weights: list[float] = []
        # False when the categories were released under DP: a value that was not released
        # is then encoded as missing rather than refused.
        self.strict = True
        self.fallback_slot = 0

    def fit_statistics(self, stat: ColumnStatistics) -> None:
        """Take the categories (and pool the rare ones by their counts)."""
        self.categories = list(stat.categories)
        self.members, self.member_weights = [], []
        self.strict = bool(stat.exact)
        self._build_index()
        if self._needs_bucket():
            self._pool(np.asarray(stat.counts, dtype=np.float64))
        # The slot that missing values of a non-null column take under DP: the most
        # frequent one by the released counts.
        slots = self.slot_counts(stat.categories, stat.counts) if stat.counts is not None \
            else [0.0] * len(self.categories)
        self.fallback_slot = int(np.argmax(slots)) if slots else 0

    def needs_counts(self, n_categories: int) -> bool:
        """Whether a column of ``n_categories`` known categories will be pooled."""
        return self.max_categories is not None and n_categories > self.max_categories

    def slot_counts(self, categories: list, counts) -> list[float]:
        """Counts of ``categories`` gathered onto this column's slots (the pooled ones
        summed into the bucket's)."""
        by_value = {c: float(w) for c, w in zip(categories, counts, strict=True)}
        pooled = sum(by_value.get(m, 0.0) for m in self.members)
        return [pooled if c is OTHER else by_value.get(c, 0.0) for c in self.categories]

    def slot_marginal(self, stat: ColumnStatistics) -> np.ndarray:
        """The slots' counts, from released ``stat``."""
        return np.asarray(self.slot_counts(stat.categories, stat.counts))

    def _needs_bucket(self) -> bool:
        return self.needs_counts(sum(c is not None for c in self.categories))

    def _pool(self, counts: np.ndarray) -> None:
        """Keep the ``max_categories - 1`` most frequent categories; pool the others."""
        counts = np.clip(np.asarray(counts, dtype=np.float64), 0.0, None)
        known = [i for i, c in enumerate(self.categories) if c is not None]
        order = sorted(known, key=lambda i: -counts[i])  # stable: ties keep first seen
        keep = set(order[: self.max_categories - 1])
        pooled = [i for i in known if i not in keep]
        self.members = [self.categories[i] for i in pooled]
        weights = counts[pooled]
        if weights.sum() <= 0:
            weights = np.ones(len(pooled))
        self.member_weights = (weights / weights.sum()).tolist()
        kept = [c for i, c in enumerate(self.categories) if i in keep or c is None]
        null = [None] if None in kept else []
        self.categories = [c for c in kept if c is not None] + [OTHER] + null
        self._build_index()

    def _build_index(self) -> None:
        values = [c for c in self.categories if c is not None and c is not OTHER]
        codes = [i for i, c in enumerate(self.categories) if c is not None and c is not OTHER]
        if self.members:
            values += list(self.members)
            codes += [self.categories.index(OTHER)] * len(self.members)
        self._index = _value_index(values)
        self._remap = np.array(codes + [-1], dtype=np.int64)
        self._null_code = self.categories.index(None) if None in self.categories else -1
        self._values = np.empty(len(self.categories), dtype=object)
        self._values[:] = self.categories

    @property
    def bucket_slot(self) -> int | None:
        """The slot of the pooled categories, or None."""
        return self.categories.index(OTHER) if OTHER in self.categories else None

    @property
    def spans(self) -> list[tuple[int, str]]:
        return [(len(self.categories), SOFTMAX)]

    def codes(self, series: pd.Series) -> np.ndarray:
        """Category index of every value; raises on unseen values.

        Under DP (categories released, not read) nothing is refused, by rule: a value that
        was not released, or has a type no category holds, is encoded as missing; in a
        column without a null slot (declared non-null), missing values take the slot of
        the most frequent released category."""
        if not self.strict and pd.api.types.is_object_dtype(series):
            series = series.map(lambda v: v if _is_scalar(v) else None)
        null = series.isna().to_numpy(copy=True)
        # get_indexer maps the non-null positions into the known values; _remap takes
        # them to their slot (a pooled value to the bucket's)
        codes = self._remap[self._index.get_indexer(_as_objects(series, null))]
        unseen = (codes == -1) & ~null
        if unseen.any() and not self.strict:
            null = null | unseen  # suppressed under privacy: encoded as missing
            unseen[:] = False
        if null.any() and not self.strict and self._null_code < 0:
            codes[null] = self.fallback_slot
            null[:] = False
        if unseen.any():
            bad = pd.unique(series[unseen])[:5]
            names = [c for c in self.categories if c is not OTHER] + list(self.members)
            known = f"{names[:20]}{' ...' if len(names) > 20 else ''}"
            if self.meta.categories is not None:
                raise UnseenCategoryError(
                    f"column {self.meta.name!r} holds value(s) {list(bad)} that its categories "
                    f"list in the metadata lacks; the listed categories are {known}. Add them "
                    "to the list, or fix the data."
                )
            raise UnseenCategoryError(
                f"column {self.meta.name!r} holds value(s) {list(bad)} that were not seen at "
                f"fit time; the known categories are {known}. Refit on data that has them, "
                "or list every category in the metadata."
            )
        if null.any():
            if self._null_code < 0:
                raise UnexpectedNullError(
                    f"column {self.meta.name!r} had no nulls at fit time but has some now; "
                    "fill them, or declare the column nullable in the metadata."
                )
            codes[null] = self._null_code
        return codes

    def match(self, wanted: Any) -> tuple[Any, int, float]:
        """The stored value, slot and share of the slot of the category ``wanted``
        (a pooled category takes the bucket's slot with its share of it)."""
        index = match_category(wanted, self.categories)
        if index is not None and self.categories[index] is not OTHER:
            return self.categories[index], index, 1.0
        j = match_category(wanted, self.members)
        if j is not None:
            return self.members[j], self.bucket_slot, self.member_weights[j]
        valid = [c for c in self.categories if c is not OTHER] + list(self.members)
        shown = f"{valid[:30]}" + (f" ... ({len(valid)} in all)" if len(valid) > 30 else "")
        raise ConditionError(
            f"{wanted!r} is not a category of column {self.meta.name!r}; the valid values "
            f"are {shown}."
        )

    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self.restore_codes(np.argmax(block, axis=1), rng)

    def restore_codes(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        meta = self.meta
        values = self._values[codes]
        bucket = self.bucket_slot
        if bucket is not None:
            pooled = codes == bucket
            if pooled.any():
                members = np.empty(len(self.members), dtype=object)
                members[:] = self.members
                values[pooled] = members[
                    rng.choice(len(members), size=int(pooled.sum()), p=self.member_weights)
                ]
        if meta.dtype == "category":
            cats = [c for c in self.categories if c is not None and c is not OTHER]
            if self.members:
                cats = list(dict.fromkeys(cats + list(self.members)))
            return pd.Series(pd.Categorical(values, categories=cats, ordered=meta.ordered))
        series = pd.Series(values, dtype=object)
        if meta.dtype and meta.dtype != "object":
            series = series.astype(meta.dtype)
        return series

    def state_dict(self) -> dict:
        state = {"categories": [None if c is OTHER else c for c in self.categories]}
        if self.members:
            state["other"] = {
                "slot": self.bucket_slot,
                "members": list(self.members),
                "weights": list(self.member_weights),
            }
        return state

    def load_state_dict(self, state: Mapping) -> None:
        self.categories = list(state["categories"])
        other = state.get("other")
        self.members, self.member_weights = [], []
        if other:
            self.categories[int(other["slot"])] = OTHER
            self.members = list(other["members"])
            self.member_weights = [float(w) for w in other["weights"]]
        self._build_index()
