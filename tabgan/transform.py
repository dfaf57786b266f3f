"""``TableTransformer``: a DataFrame to the float matrix the GAN trains on, and back.

Numeric columns (continuous, integer, datetime) get mode-specific normalization: a
variational Gaussian mixture per column; a value ``x`` becomes
``alpha = (x - mu_k) / (4 sigma_k)`` clipped to +-0.99 (one ``tanh`` span) plus a one-hot of
its mode ``k`` sampled from the posterior (one ``softmax`` span). A column with nulls has one
more slot in its mode span that marks a null. Categorical columns become one-hot spans, a
null being one more category. Identifier columns take no place in the matrix: fresh unique
values are generated for them on the way back.

The fitted state is plain JSON-able values (``state_dict``), never pickled objects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from tabgan.encoded import EncodedTable
from tabgan.errors import (
    ColumnMismatchError,
    MetadataError,
    NotFittedError,
    UnexpectedNullError,
    UnseenCategoryError,
)
from tabgan.metadata import (
    ColumnMetadata,
    Metadata,
    _to_json_scalar,
    bound_to_float,
    check_table,
)
from tabgan.mixture import Mixture, fit_mixtures, mixture_log_posterior

__all__ = ["Span", "DiscreteInfo", "TableTransformer"]

STATE_VERSION = 1
ALPHA_CLIP = 0.99
_ROW_CHUNK = 65_536
NAT = np.iinfo(np.int64).min
_INT64_FLOAT_MAX = float(np.nextafter(2.0**63, 0.0))
_TICKS_PER_S = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
# Datetime resolutions tried from coarsest to finest, in nanoseconds.
_DATETIME_STEPS = [86_400 * 10**9, 3600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1]


@dataclass(frozen=True)
class Span:
    """A run of output columns that share one activation (``tanh`` or ``softmax``)."""

    dim: int
    activation: str


@dataclass(frozen=True)
class DiscreteInfo:
    """Where a categorical column sits in the data matrix and in the condition vector."""

    name: Any
    data_offset: int
    cond_offset: int
    n_categories: int


# ---------------------------------------------------------------------- columns
class _NumericColumn:
    """Continuous, integer or datetime values through a Gaussian mixture."""

    def __init__(self, meta: ColumnMetadata):
        self.meta = meta
        self.nullable = False
        self.low = self.high = 0.0
        self.step_ns = 1  # datetime rounding step
        self.mixture: Mixture | None = None
        self._unit = _datetime_unit(meta) if meta.kind == "datetime" else "ns"
        self._int_limits = _integer_limits(meta.dtype)

    # values as float64, datetimes as epoch seconds; nulls as NaN
    def to_float(self, series: pd.Series) -> np.ndarray:
        if self.meta.kind != "datetime":
            return series.to_numpy(dtype="float64", na_value=np.nan)
        ticks = _datetime_ticks(series, self.meta, self._unit)
        per_s = _TICKS_PER_S[self._unit]
        return np.where(ticks == NAT, np.nan, ticks.astype("float64") / per_s)

    def fit(self, series: pd.Series, rng: np.random.Generator, max_rows: int) -> np.ndarray:
        values = self.to_float(series)
        finite = values[~np.isnan(values)]
        declared = self.meta.nullable
        self.nullable = bool(declared) if declared is not None else bool(np.isnan(values).any())
        if self.meta.bounds is not None:
            self.low, self.high = (bound_to_float(b, self.meta.kind) for b in self.meta.bounds)
        else:
            self.low, self.high = float(finite.min()), float(finite.max())
        if self.meta.kind == "datetime":
            ticks = _datetime_ticks(series, self.meta, self._unit)
            ticks = ticks[ticks != NAT]
            per_s = _TICKS_PER_S[self._unit]
            # The coarsest step (a whole number of ticks) that every value is a multiple of.
            self.step_ns = next(
                s
                for s in _DATETIME_STEPS
                if (s * per_s) % 10**9 == 0 and np.all(ticks % (s * per_s // 10**9) == 0)
            )
        if len(finite) > max_rows:
            finite = rng.choice(finite, size=max_rows, replace=False)
        return finite

    def fit_statistics(self, stat) -> tuple[np.ndarray, np.ndarray]:
        """Take the range and null rate from private statistics; return the histogram
        (bin centres, noisy counts) the mixture is fitted to."""
        self.nullable = bool(stat.null_count > 0)
        self.low, self.high = (float(b) for b in stat.bounds)
        self.step_ns = 10**9 if self.meta.kind == "datetime" else 1
        self.lenient = True
        if stat.edges is None:
            return None, None
        edges = np.asarray(stat.edges, dtype=np.float64)
        return (edges[:-1] + edges[1:]) / 2, np.asarray(stat.counts, dtype=np.float64)

    @property
    def n_modes(self) -> int:
        return len(self.mixture.weights) + int(self.nullable)

    @property
    def spans(self) -> list[Span]:
        return [Span(1, "tanh"), Span(self.n_modes, "softmax")]

    @property
    def dim(self) -> int:
        return 1 + self.n_modes

    def encode(self, series: pd.Series, rng: np.random.Generator):
        """Alphas ``(n,)`` and mode indices ``(n,)`` of ``series`` (a null's mode is the
        slot after the mixture's modes)."""
        values = self.to_float(series)
        null = np.isnan(values)
        if null.any() and not self.nullable and getattr(self, "lenient", False):
            # Private fit without a null slot: a null becomes the mixture's mean.
            values = np.where(null, float(self.mixture.weights @ self.mixture.means), values)
            null = np.zeros_like(null)
        if null.any() and not self.nullable:
            raise UnexpectedNullError(
                f"column {self.meta.name!r} had no nulls when the transformer was fitted but "
                "has some now; fill them, or declare the column nullable in the metadata."
            )
        mix = self.mixture
        k_modes = len(mix.weights)
        alphas = np.empty(len(values), dtype=np.float32)
        modes = np.empty(len(values), dtype=np.int64)
        for start in range(0, len(values), _ROW_CHUNK):
            x = values[start : start + _ROW_CHUNK]
            nul = null[start : start + _ROW_CHUNK]
            xs = np.where(nul, mix.means[0], x)
            log_post = mixture_log_posterior(mix, xs)
            # Sample a mode from the posterior (Gumbel-max), not the argmax.
            gumbel = -np.log(-np.log(rng.random(log_post.shape).clip(1e-300, 1.0)))
            mode = np.argmax(log_post + gumbel, axis=1)
            alpha = (xs - mix.means[mode]) / (4.0 * mix.stds[mode])
            alpha = np.clip(alpha, -ALPHA_CLIP, ALPHA_CLIP)
            alpha[nul] = 0.0
            mode[nul] = k_modes
            alphas[start : start + len(x)] = alpha
            modes[start : start + len(x)] = mode
        return alphas, modes

    def inverse(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        mix = self.mixture
        alpha = np.clip(block[:, 0].astype(np.float64), -1.0, 1.0)
        mode = np.argmax(block[:, 1 : 1 + self.n_modes], axis=1)
        null = mode >= len(mix.weights)
        mode = np.minimum(mode, len(mix.weights) - 1)
        x = alpha * 4.0 * mix.stds[mode] + mix.means[mode]
        x = np.clip(x, self.low, self.high)
        if self.meta.kind == "integer" or self._int_limits is not None:
            x = np.round(x)
        if self._int_limits is not None:
            # float(2**63 - 1) is 2**63, which an int64 cast would wrap to -2**63.
            x = np.clip(x, *self._int_limits)
        x[null] = np.nan
        return self._restore(x)

    def _restore(self, x: np.ndarray) -> pd.Series:
        meta = self.meta
        if meta.kind != "datetime":
            series = pd.Series(x)
            return series.astype(meta.dtype) if meta.dtype else series
        null = np.isnan(x)
        per_s = _TICKS_PER_S[self._unit]
        step = self.step_ns * per_s // 10**9  # in ticks of the column's unit
        ticks = np.round(np.where(null, 0.0, x) * per_s / step) * step
        ticks = np.clip(ticks, -_INT64_FLOAT_MAX, _INT64_FLOAT_MAX).astype(np.int64)
        stamps = pd.Series(ticks.view(f"datetime64[{self._unit}]"))
        stamps[null] = pd.NaT
        if meta.datetime_format is not None:
            text = stamps.dt.strftime(meta.datetime_format).astype(object)
            text[null] = None
            return text.astype(meta.dtype) if meta.dtype else text
        dtype = pd.api.types.pandas_dtype(meta.dtype)
        if getattr(dtype, "tz", None) is not None:
            stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(dtype.tz)
        return stamps.astype(dtype)

    def state_dict(self) -> dict:
        return {
            "nullable": self.nullable,
            "low": self.low,
            "high": self.high,
            "step_ns": self.step_ns,
            "mixture": self.mixture.state_dict(),
        }

    def load_state_dict(self, state: Mapping) -> None:
        self.nullable = bool(state["nullable"])
        self.low, self.high = float(state["low"]), float(state["high"])
        self.step_ns = int(state["step_ns"])
        self.mixture = Mixture.from_state_dict(state["mixture"])


class _Other:
    """The bucket of rare categories (see ``max_categories``): one slot in the one-hot
    span, whose members come back in proportion to their frequencies."""

    def __repr__(self) -> str:
        return "<other>"


OTHER = _Other()


class _CategoricalColumn:
    """A finite set of values, one-hot encoded; a null is one more category.

    With ``max_categories``, a column with more categories keeps its most frequent
    ``max_categories - 1`` and pools the rest in one bucket (``OTHER`` in ``categories``).
    """

    def __init__(self, meta: ColumnMetadata, max_categories: int | None = None):
        self.meta = meta
        self.max_categories = max_categories
        self.categories: list = []  # JSON scalars, None marks the null category
        self.members: list = []  # the pooled categories, when there is a bucket
        self.member_weights: list[float] = []

    def fit(self, series: pd.Series) -> None:
        if self.meta.categories is not None:
            cats = list(self.meta.categories)
            nullable = self.meta.nullable
            if nullable is None:  # not declared: decided from the data, as for numeric columns
                nullable = bool(series.isna().any())
            if nullable and None not in cats:
                cats.append(None)
        else:
            if isinstance(series.dtype, pd.CategoricalDtype):
                cats = list(series.dtype.categories)
            else:
                # Not pd.unique: its string hash table cuts strings at "\x00", so "" and
                # "\x00" would become one category.
                cats = list(dict.fromkeys(series.dropna().tolist()))
            cats = [_to_json_scalar(c) for c in cats]
            if series.isna().any() or self.meta.nullable:
                cats.append(None)
        self.categories = cats
        self.members, self.member_weights = [], []
        self._build_index()
        if self._needs_bucket():
            counts = np.bincount(self.codes(series), minlength=len(cats))
            self._pool(counts)

    def fit_statistics(self, stat) -> None:
        """Take the (privately released) categories; unreleased values become nulls."""
        self.categories = list(stat.categories)
        self.members, self.member_weights = [], []
        self.lenient = True
        self._build_index()
        if self._needs_bucket():  # pooled by the noisy counts: post-processing
            self._pool(np.asarray(stat.counts, dtype=np.float64))

    def slot_counts(self, categories: list, counts) -> list[float]:
        """Counts of ``categories`` gathered onto this column's slots (the pooled ones
        summed into the bucket's)."""
        by_value = {c: float(w) for c, w in zip(categories, counts, strict=True)}
        pooled = sum(by_value.get(m, 0.0) for m in self.members)
        return [pooled if c is OTHER else by_value.get(c, 0.0) for c in self.categories]

    def _needs_bucket(self) -> bool:
        known = sum(c is not None for c in self.categories)
        return self.max_categories is not None and known > self.max_categories

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
        self._index = pd.Index(values, dtype=object if not values else None)
        self._remap = np.array(codes + [-1], dtype=np.int64)
        self._null_code = self.categories.index(None) if None in self.categories else -1
        self._bucket_code = self.categories.index(OTHER) if OTHER in self.categories else -1
        self._values = np.empty(len(self.categories), dtype=object)
        self._values[:] = self.categories

    @property
    def spans(self) -> list[Span]:
        return [Span(len(self.categories), "softmax")]

    @property
    def dim(self) -> int:
        return len(self.categories)

    def codes(self, series: pd.Series) -> np.ndarray:
        """Category index of every value; raises on unseen values."""
        null = series.isna().to_numpy()
        # get_indexer maps the non-null positions into the known values; _remap takes
        # them to their slot (a pooled value to the bucket's)
        codes = self._remap[self._index.get_indexer(series.astype(object).where(~null, None))]
        unseen = (codes == -1) & ~null
        if unseen.any() and getattr(self, "lenient", False) and self._null_code >= 0:
            null = null | unseen  # suppressed under privacy: encoded as missing
            unseen[:] = False
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

    def encode(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return self.codes(series)

    def inverse(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self.restore_codes(np.argmax(block, axis=1), rng)

    def restore_codes(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        meta = self.meta
        values = self._values[codes]
        if self._bucket_code >= 0:
            pooled = codes == self._bucket_code
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
                "slot": self._bucket_code,
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


class _IdColumn:
    """Fresh unique values in place of an identifier; nothing is learned from the data."""

    spans: list[Span] = []
    dim = 0

    def __init__(self, meta: ColumnMetadata):
        self.meta = meta

    def fit(self, series: pd.Series) -> None:
        pass

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        dtype = self.meta.dtype or "object"
        if pd.api.types.is_numeric_dtype(pd.api.types.pandas_dtype(dtype)):
            return pd.Series(rng.permutation(n)).astype(dtype)
        tokens = rng.integers(0, 2**63, size=n, dtype=np.int64)
        values = pd.Series([f"{t:016x}" for t in tokens], dtype=object)
        while values.duplicated().any():  # astronomically rare
            dup = values.duplicated().to_numpy()
            fresh = rng.integers(0, 2**63, size=int(dup.sum()), dtype=np.int64)
            values[dup] = [f"{t:016x}" for t in fresh]
        return values.astype(dtype)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: Mapping) -> None:
        pass


_COLUMN_TYPES = {
    "continuous": _NumericColumn,
    "integer": _NumericColumn,
    "datetime": _NumericColumn,
    "categorical": _CategoricalColumn,
    "id": _IdColumn,
}


# ---------------------------------------------------------------------- the table
class TableTransformer:
    """Mode-specific normalization and one-hot encoding of a whole table.

    Parameters
    ----------
    max_modes:
        Most mixture modes per numeric column.
    weight_prior:
        Dirichlet-process concentration prior of the mixture weights.
    weight_threshold:
        Modes lighter than this are dropped after the fit.
    max_fit_rows:
        The mixture of each column is fitted on a reproducible subsample of at most this
        many values; min, max and categories still come from every row.
    n_threads:
        Threads that transform columns side by side (``None``: up to 4, one per core).
    max_categories:
        Most one-hot slots per categorical column (``None``: no limit). A column with more
        categories keeps its ``max_categories - 1`` most frequent ones and pools the rest
        in one slot; a generated pooled value is one of the pooled categories, drawn in
        proportion to their frequencies.
    random_state:
        Seed of the subsample and of the posterior mode sampling.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.5, 2.0, 2.5, 9.0] * 5, "c": list("abab") * 5})
    >>> tt = TableTransformer(random_state=0).fit(df)
    >>> matrix = tt.transform(df)
    >>> matrix.shape[0], matrix.dtype
    (20, torch.float32)
    >>> back = tt.inverse_transform(matrix)
    >>> back["c"].tolist() == df["c"].tolist()
    True
    """

    def __init__(
        self,
        *,
        max_modes: int = 10,
        weight_prior: float = 1e-3,
        weight_threshold: float = 5e-3,
        max_fit_rows: int = 20_000,
        n_threads: int | None = None,
        max_categories: int | None = None,
        random_state: int | None = None,
    ):
        self.max_modes = max_modes
        self.weight_prior = weight_prior
        self.weight_threshold = weight_threshold
        self.max_fit_rows = max_fit_rows
        self.n_threads = n_threads
        self.max_categories = max_categories
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data: pd.DataFrame,
        metadata: Metadata | Mapping | str | os.PathLike | None = None,
        *,
        discrete_columns: Iterable | None = None,
    ) -> TableTransformer:
        """Learn the encoding of ``data``; kinds come from ``metadata`` or are inferred."""
        self.metadata_ = Metadata.infer(data, discrete_columns=discrete_columns, metadata=metadata)
        self._rng = np.random.default_rng(self.random_state)
        self._columns = self._make_columns(self.metadata_)
        samples = []
        fit_rng = np.random.default_rng(self._rng.integers(2**63))
        for col in self._columns:
            series = data[col.meta.name]
            if isinstance(col, _NumericColumn):
                samples.append(col.fit(series, fit_rng, self.max_fit_rows))
            else:
                col.fit(series)
        numeric = [c for c in self._columns if isinstance(c, _NumericColumn)]
        mixtures = fit_mixtures(
            samples,
            n_components=self.max_modes,
            weight_concentration_prior=self.weight_prior,
            weight_threshold=self.weight_threshold,
        )
        for col, mixture in zip(numeric, mixtures, strict=True):
            col.mixture = mixture
        self._layout()
        return self

    def fit_private(self, metadata: Metadata, statistics: list) -> TableTransformer:
        """Fit from private statistics (see :mod:`tabgan.privacy`) without reading data:
        ranges, null rates and categories as released, mixtures fitted to noisy histograms.
        Values the statistics did not release are encoded as missing by ``transform``."""
        self.metadata_ = metadata
        self._rng = np.random.default_rng(self.random_state)
        self._columns = self._make_columns(metadata)
        by_name = {s.name: s for s in statistics}
        centres, counts, fitted = [], [], []
        for col in self._columns:
            if isinstance(col, _IdColumn):
                continue
            stat = by_name[col.meta.name]
            if isinstance(col, _NumericColumn):
                c, w = col.fit_statistics(stat)
                if c is None:  # public bounds only: evenly spaced modes over the range
                    col.mixture = _grid_mixture(col.low, col.high, self.max_modes)
                else:
                    centres.append(c)
                    counts.append(w)
                    fitted.append(col)
            else:
                col.fit_statistics(stat)
        numeric = fitted
        mixtures = fit_mixtures(
            centres,
            weights=counts,
            n_components=self.max_modes,
            weight_concentration_prior=self.weight_prior,
            weight_threshold=self.weight_threshold,
        )
        for col, mixture in zip(numeric, mixtures, strict=True):
            col.mixture = mixture
        self._layout()
        return self

    def _make_columns(self, metadata: Metadata) -> list:
        limit = self.max_categories
        if limit is not None and not (isinstance(limit, int | np.integer) and limit >= 2):
            raise MetadataError(
                f"max_categories must be an integer of at least 2, or None; got {limit!r}."
            )
        return [
            _CategoricalColumn(m, limit) if m.kind == "categorical" else _COLUMN_TYPES[m.kind](m)
            for m in metadata.columns
        ]

    def _layout(self) -> None:
        self.spans_: list[Span] = []
        self.discrete_: list[DiscreteInfo] = []
        self._offsets: list[int] = []
        offset = cond_offset = 0
        for col in self._columns:
            self._offsets.append(offset)
            if isinstance(col, _CategoricalColumn):
                self.discrete_.append(DiscreteInfo(col.meta.name, offset, cond_offset, col.dim))
                cond_offset += col.dim
            self.spans_.extend(col.spans)
            offset += col.dim
        self.output_dim_ = offset
        self.cond_dim_ = cond_offset

    def _check_fitted(self) -> None:
        if not hasattr(self, "_columns"):
            raise NotFittedError(
                "this TableTransformer is not fitted yet; call fit(data) or load_state_dict()."
            )

    # ------------------------------------------------------------------ transform
    def transform(self, data: pd.DataFrame) -> torch.Tensor:
        """Encode ``data`` as a float32 tensor ``[n, output_dim_]``."""
        return self.encode(data).dense()

    def encode(self, data: pd.DataFrame) -> EncodedTable:
        """Encode ``data`` compactly: the alphas and the hot position of every softmax span,
        written column by column into one preallocated :class:`~tabgan.encoded.EncodedTable`
        (``transform(data)`` is ``encode(data).dense()``). Training reads this form; it
        takes a few bytes per column of a row, however many categories a column has."""
        self._check_fitted()
        check_table(data, allow_all_null=True)
        self.metadata_.check_columns(data)
        alpha_pos, span_starts, where = [], [], []
        for col, start in zip(self._columns, self._offsets, strict=True):
            if isinstance(col, _NumericColumn):
                where.append((len(alpha_pos), len(span_starts)))
                alpha_pos.append(start)
                span_starts.append(start + 1)
            elif isinstance(col, _CategoricalColumn):
                where.append((None, len(span_starts)))
                span_starts.append(start)
            else:
                where.append(None)
        table = EncodedTable.empty(len(data), alpha_pos, span_starts, self.output_dim_)
        rngs = self._rng.spawn(len(self._columns))

        def work(i: int) -> None:
            col = self._columns[i]
            if where[i] is None:
                return
            a, s = where[i]
            first = span_starts[s]
            if a is None:
                codes = col.encode(data[col.meta.name], rngs[i])
            else:
                alphas, codes = col.encode(data[col.meta.name], rngs[i])
                table.alphas[:, a] = torch.from_numpy(alphas)
            table.slots[:, s] = torch.from_numpy(codes + first)

        self._run(work, len(self._columns))
        return table

    def _run(self, work, count: int) -> None:
        threads = self.n_threads or min(4, os.cpu_count() or 1)
        if threads <= 1 or count <= 1:
            for i in range(count):
                work(i)
            return
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(work, i) for i in range(count)]:
                future.result()

    def fit_transform(self, data: pd.DataFrame, metadata=None, *, discrete_columns=None):
        return self.fit(data, metadata, discrete_columns=discrete_columns).transform(data)

    def inverse_transform(
        self, matrix: torch.Tensor | np.ndarray, *, random_state: int | None = None
    ) -> pd.DataFrame:
        """Decode generator output (alphas and mode / category scores) to a DataFrame.

        Scores are read by argmax within each softmax span, so raw logits, probabilities or
        one-hot rows all work. Columns come back with their names, order and dtypes.
        """
        self._check_fitted()
        if isinstance(matrix, torch.Tensor):
            matrix = matrix.detach().to("cpu", torch.float32).numpy()
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.output_dim_:
            raise ColumnMismatchError(
                f"expected a matrix with {self.output_dim_} columns, got shape {matrix.shape}."
            )
        n = matrix.shape[0]
        rng = np.random.default_rng(random_state) if random_state is not None else self._rng
        out: dict[Any, pd.Series] = {}
        for col, start in zip(self._columns, self._offsets, strict=True):
            if isinstance(col, _IdColumn):
                out[col.meta.name] = col.generate(n, rng)
            else:
                out[col.meta.name] = col.inverse(matrix[:, start : start + col.dim], rng)
        frame = pd.DataFrame({i: s.reset_index(drop=True) for i, s in enumerate(out.values())})
        frame.columns = pd.Index(list(out.keys()), dtype=object)
        return frame

    # ------------------------------------------------------------------ helpers for the GAN
    def column_slice(self, name: Any) -> slice:
        """The columns of ``name`` in the data matrix."""
        self._check_fitted()
        for col, start in zip(self._columns, self._offsets, strict=True):
            if col.meta.name == name:
                return slice(start, start + col.dim)
        raise KeyError(name)

    def category_codes(self, name: Any, values: pd.Series) -> np.ndarray:
        """Category indices of ``values`` in the categorical column ``name``."""
        col = self._column(name)
        if not isinstance(col, _CategoricalColumn):
            raise MetadataError(f"column {name!r} is not categorical.")
        return col.codes(pd.Series(values))

    def categories(self, name: Any) -> list:
        col = self._column(name)
        if not isinstance(col, _CategoricalColumn):
            raise MetadataError(f"column {name!r} is not categorical.")
        return list(col.categories)

    def pooled_categories(self, name: Any) -> tuple[list, list[float]]:
        """The categories pooled in ``name``'s bucket slot and their shares (see
        ``max_categories``); empty when nothing was pooled."""
        col = self._column(name)
        if not isinstance(col, _CategoricalColumn):
            raise MetadataError(f"column {name!r} is not categorical.")
        return list(col.members), list(col.member_weights)

    def pooled_slot(self, name: Any) -> int | None:
        """The slot of ``name``'s pooled categories, or None."""
        col = self._column(name)
        return col._bucket_code if getattr(col, "_bucket_code", -1) >= 0 else None

    def mixture(self, name: Any) -> Mixture:
        col = self._column(name)
        if not isinstance(col, _NumericColumn):
            raise MetadataError(f"column {name!r} is not numeric.")
        return col.mixture

    def _column(self, name: Any):
        self._check_fitted()
        for col in self._columns:
            if col.meta.name == name:
                return col
        raise KeyError(name)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """The fitted state as JSON-able values."""
        self._check_fitted()
        return {
            "version": STATE_VERSION,
            "params": self.get_params(),
            "metadata": self.metadata_.to_dict(),
            "columns": [col.state_dict() for col in self._columns],
            "rng": int(np.random.default_rng(self.random_state).integers(2**63)),
        }

    def load_state_dict(self, state: Mapping) -> TableTransformer:
        version = state.get("version")
        if version != STATE_VERSION:
            raise MetadataError(
                f"transformer state version {version!r} is not readable by this tabgan "
                f"(version {STATE_VERSION}); refit the transformer."
            )
        for key, value in state["params"].items():
            setattr(self, key, value)
        self.metadata_ = Metadata.from_dict(state["metadata"])
        self._columns = self._make_columns(self.metadata_)
        for col, col_state in zip(self._columns, state["columns"], strict=True):
            col.load_state_dict(col_state)
        self._rng = np.random.default_rng(int(state["rng"]))
        self._layout()
        return self

    def get_params(self) -> dict:
        return {
            "max_modes": self.max_modes,
            "weight_prior": self.weight_prior,
            "weight_threshold": self.weight_threshold,
            "max_fit_rows": self.max_fit_rows,
            "n_threads": self.n_threads,
            "max_categories": self.max_categories,
            "random_state": self.random_state,
        }


def _grid_mixture(low: float, high: float, modes: int) -> Mixture:
    """A data-free encoding of [low, high]: ``modes`` equal modes, evenly spaced, each
    covering its share of the range within +-2 standard deviations."""
    if high <= low:
        return Mixture(np.ones(1), np.array([low]), np.array([max(abs(low) * 1e-6, 1e-6)]))
    width = (high - low) / modes
    means = low + width * (np.arange(modes) + 0.5)
    return Mixture(np.full(modes, 1.0 / modes), means, np.full(modes, width / 2))


def _datetime_unit(meta: ColumnMetadata) -> str:
    """The unit a datetime column is read and restored in: its dtype's, else ``ns``.

    Working in the column's own unit keeps ``datetime64[s]`` values outside the
    nanosecond range (years before 1677 or after 2262, like 9999-12-31) intact.
    """
    if meta.datetime_format is None and meta.dtype is not None:
        try:
            dtype = pd.api.types.pandas_dtype(meta.dtype)
        except TypeError:
            return "ns"
        if isinstance(dtype, pd.DatetimeTZDtype):
            return dtype.unit
        if isinstance(dtype, np.dtype) and dtype.kind == "M":
            unit = np.datetime_data(dtype)[0]
            if unit in _TICKS_PER_S:
                return unit
    return "ns"


def _datetime_ticks(series: pd.Series, meta: ColumnMetadata, unit: str) -> np.ndarray:
    """Ticks of ``unit`` since the epoch (UTC for aware values); NaT as int64 min."""
    if meta.datetime_format is not None:
        stamps = pd.to_datetime(series, format=meta.datetime_format, errors="raise")
    else:
        stamps = series
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy(dtype=f"datetime64[{unit}]").view(np.int64)


def _integer_limits(dtype_name: str | None) -> tuple[float, float] | None:
    """The float range that casts safely to an integer dtype; None for other dtypes."""
    if dtype_name is None:
        return None
    try:
        dtype = pd.api.types.pandas_dtype(dtype_name)
    except TypeError:
        return None
    dtype = getattr(dtype, "numpy_dtype", dtype)
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iu":
        return None
    info = np.iinfo(dtype)
    high = float(info.max)
    if high > info.max:
        high = float(np.nextafter(high, -np.inf))
    return float(info.min), high


def datetime_ns(series: pd.Series, meta: ColumnMetadata) -> np.ndarray:
    """Nanoseconds since the epoch (UTC for aware values); NaT as int64 min."""
    if meta.datetime_format is not None:
        stamps = pd.to_datetime(series, format=meta.datetime_format, errors="raise")
    else:
        stamps = series
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)
