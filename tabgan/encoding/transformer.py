"""``TableTransformer``: a DataFrame to the encoded rows the GAN trains on, and back.

Numeric columns get mode-specific normalization (:mod:`tabgan.encoding.numeric`),
categorical columns one-hot codes (:mod:`tabgan.encoding.categorical`), identifier columns
no place at all (:mod:`tabgan.encoding.identifier`). The transformer is fitted from
:class:`~tabgan.encoding.statistics.ColumnStatistics`, read from the data as it is
(``fit``) or released under differential privacy (``fit_statistics``): one fit either way.
It describes the encoded row once, as ``layout_`` (a
:class:`~tabgan.encoding.layout.TableLayout`).

The fitted state is plain JSON-able values (``state_dict``), never pickled objects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from tabgan.encoding.categorical import OTHER, CategoricalCodec
from tabgan.encoding.codecs import make_codec
from tabgan.encoding.encoded import EncodedTable
from tabgan.encoding.exact_statistics import exact_statistics
from tabgan.encoding.identifier import IdentifierCodec
from tabgan.encoding.layout import TableLayout
from tabgan.encoding.mixture import Mixture, fit_mixtures
from tabgan.encoding.numeric import MixtureCodec, NumericCodec, grid_mixture
from tabgan.encoding.quantile import DEFAULT_BINS
from tabgan.encoding.statistics import ColumnStatistics
from tabgan.errors import ColumnMismatchError, MetadataError, not_fitted
from tabgan.table.checks import check_table
from tabgan.table.conditions import CategoryMatch, TrainedRange
from tabgan.table.metadata import Metadata

__all__ = ["TableTransformer"]

STATE_VERSION = 1
_LAYOUT_KIND = {"continuous": "numeric", "integer": "numeric", "datetime": "numeric",
                "categorical": "categorical", "id": "id"}


class TableTransformer:
    """Mode-specific normalization and one-hot encoding of a whole table.

    Parameters
    ----------
    numeric_encoding:
        How numeric and datetime columns are encoded: ``"quantile"`` (bins of equal
        probability of the column's quantile function, frequent exact values in bins of
        their own; see :mod:`tabgan.encoding.quantile`) or ``"mixture"`` (CTGAN's
        mode-specific normalization through a Gaussian mixture).
    numeric_bins:
        Bins per numeric column with ``"quantile"``.
    max_modes:
        Most mixture modes per numeric column with ``"mixture"``.
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

    Attributes
    ----------
    metadata_:
        The :class:`~tabgan.table.metadata.Metadata` the encoding was fitted for.
    layout_:
        The :class:`~tabgan.encoding.layout.TableLayout` of an encoded row.

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
        numeric_encoding: str = "quantile",
        numeric_bins: int = DEFAULT_BINS,
        max_modes: int = 10,
        weight_prior: float = 1e-3,
        weight_threshold: float = 5e-3,
        max_fit_rows: int = 20_000,
        n_threads: int | None = None,
        max_categories: int | None = None,
        random_state: int | None = None,
    ):
        self.numeric_encoding = numeric_encoding
        self.numeric_bins = numeric_bins
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
        inferred = Metadata.infer(data, discrete_columns=discrete_columns, metadata=metadata)
        return self.fit_exact(data, inferred)

    def fit_exact(self, data: pd.DataFrame, metadata: Metadata) -> TableTransformer:
        """Fit from ``data`` as it is, for ``metadata`` that gives every column's kind:
        :func:`~tabgan.encoding.exact_statistics.exact_statistics`, then
        :meth:`fit_statistics`."""
        rng = np.random.default_rng(self.random_state)
        sample_rng = np.random.default_rng(rng.integers(2**63))
        statistics = exact_statistics(data, metadata, rng=sample_rng,
                                      max_rows=self.max_fit_rows,
                                      max_categories=self._checked_max_categories())
        return self.fit_statistics(metadata, statistics, rng=rng)

    def fit_statistics(self, metadata: Metadata, statistics: list[ColumnStatistics], *,
                       rng: np.random.Generator | None = None) -> TableTransformer:
        """Fit from statistics without reading data: ranges, null rates and categories as
        given, mixtures fitted to the support values and their weights (for all numeric
        columns at once). Statistics released under DP (``exact=False``) make ``encode``
        coerce what they did not release (unseen categories become missing) rather than
        refuse it. ``rng`` is the generator that encoding and decoding draw from (default:
        a fresh one from ``random_state``)."""
        self.metadata_ = metadata
        self._rng = rng if rng is not None else np.random.default_rng(self.random_state)
        # Released statistics: encode reads values by rule and refuses none (see check_table)
        self._private = not all(s.exact for s in statistics)
        self._codecs = self._make_codecs(metadata)
        by_name = {s.name: s for s in statistics}
        fitted, support, weights = [], [], []
        for codec in self._codecs:
            if isinstance(codec, IdentifierCodec):
                continue
            stat = by_name[codec.meta.name]
            codec.fit_statistics(stat)
            if isinstance(codec, MixtureCodec):
                if stat.support is None:  # public bounds only: evenly spaced modes
                    codec.mixture = grid_mixture(codec.low, codec.high, self.max_modes)
                else:
                    fitted.append(codec)
                    support.append(stat.support)
                    weights.append(None if stat.counts is None else stat.counts)
        mixtures = fit_mixtures(
            support,
            weights=weights,
            n_components=self.max_modes,
            weight_concentration_prior=self.weight_prior,
            weight_threshold=self.weight_threshold,
        )
        for codec, mixture in zip(fitted, mixtures, strict=True):
            codec.mixture = mixture
        self._build_layout()
        return self

    def _checked_max_categories(self) -> int | None:
        limit = self.max_categories
        if limit is not None and not (isinstance(limit, int | np.integer) and limit >= 2):
            raise MetadataError(
                f"max_categories must be an integer of at least 2, or None; got {limit!r}."
            )
        return limit

    def _make_codecs(self, metadata: Metadata, encodings: list[str] | None = None) -> list:
        """One codec per column; ``encodings`` gives each numeric column's encoding (a
        saved state's), else ``numeric_encoding``."""
        limit = self._checked_max_categories()
        encodings = encodings or [self.numeric_encoding] * len(metadata.columns)
        return [make_codec(meta, encoding, n_bins=self.numeric_bins, max_categories=limit)
                for meta, encoding in zip(metadata.columns, encodings, strict=True)]

    def _build_layout(self) -> None:
        self.layout_ = TableLayout.build(
            [(c.meta.name, _LAYOUT_KIND[c.meta.kind], c.spans) for c in self._codecs]
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "_codecs"):
            raise not_fitted(
                "this TableTransformer is not fitted yet; call fit(data) or load_state_dict()."
            )

    # ------------------------------------------------------------------ transform
    def transform(self, data: pd.DataFrame) -> torch.Tensor:
        """Encode ``data`` as a float32 tensor ``[n, layout_.dim]``."""
        return self.encode(data).dense()

    def encode(self, data: pd.DataFrame) -> EncodedTable:
        """Encode ``data`` compactly: the alphas and the hot position of every softmax span,
        written column by column into one preallocated :class:`~tabgan.encoding.encoded.
        EncodedTable` (``transform(data)`` is ``encode(data).dense()``). Training reads this
        form; it takes a few bytes per column of a row, however many categories a column
        has."""
        self._check_fitted()
        check_table(data, allow_all_null=True, private=getattr(self, "_private", False))
        self.metadata_.check_columns(data)
        layout = self.layout_
        table = EncodedTable.empty(len(data), layout)
        alpha_of = {p: i for i, p in enumerate(layout.alpha_positions)}
        slot_of = {p: i for i, p in enumerate(layout.softmax_starts)}
        rngs = self._rng.spawn(len(self._codecs))

        def work(i: int) -> None:
            codec, place = self._codecs[i], layout.columns[i]
            if isinstance(codec, IdentifierCodec):
                return
            series = data[codec.meta.name]
            soft = place.softmax
            if isinstance(codec, NumericCodec):
                alphas, codes = codec.encode(series, rngs[i])
                table.alphas[:, alpha_of[place.start]] = torch.from_numpy(alphas)
            else:
                codes = codec.codes(series)
            table.slots[:, slot_of[soft.start]] = torch.from_numpy(codes + soft.start)

        self._run(work, len(self._codecs))
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
        if matrix.ndim != 2 or matrix.shape[1] != self.layout_.dim:
            raise ColumnMismatchError(
                f"expected a matrix with {self.layout_.dim} columns, got shape {matrix.shape}."
            )
        n = matrix.shape[0]
        rng = np.random.default_rng(random_state) if random_state is not None else self._rng
        out: dict[Any, pd.Series] = {}
        for codec, place in zip(self._codecs, self.layout_.columns, strict=True):
            if isinstance(codec, IdentifierCodec):
                out[codec.meta.name] = codec.generate(n, rng)
            else:
                out[codec.meta.name] = codec.decode(matrix[:, place.start : place.stop], rng)
        frame = pd.DataFrame({i: s.reset_index(drop=True) for i, s in enumerate(out.values())})
        # The dtype pandas gives these names (object under pandas 2, str under 3 for text).
        frame.columns = pd.Index(list(out.keys()), tupleize_cols=False)
        return frame

    # ------------------------------------------------------------------ columns
    def _codec(self, name: Any, kind: type | None = None):
        self._check_fitted()
        for codec in self._codecs:
            if codec.meta.name == name:
                if kind is not None and not isinstance(codec, kind):
                    what = {CategoricalCodec: "categorical",
                            MixtureCodec: "numeric with a mixture encoding"}.get(kind, "numeric")
                    raise MetadataError(f"column {name!r} is not {what}.")
                return codec
        raise KeyError(name)

    def column_slice(self, name: Any) -> slice:
        """The positions of column ``name`` in an encoded row (see ``layout_``)."""
        self._check_fitted()
        return self.layout_.column(name).slice

    def categories(self, name: Any) -> list:
        """The slots of categorical column ``name`` (``OTHER`` for the pooled ones)."""
        return list(self._codec(name, CategoricalCodec).categories)

    def pooled_categories(self, name: Any) -> tuple[list, list[float]]:
        """The categories pooled in ``name``'s bucket slot and their shares (see
        ``max_categories``); empty when nothing was pooled."""
        codec = self._codec(name, CategoricalCodec)
        return list(codec.members), list(codec.member_weights)

    def output_metadata(self) -> Metadata:
        """The metadata of decoded tables: ``metadata_`` with every categorical column's
        fitted categories (pooled ones included), so that a writer knows each column's type
        before it sees a value (see :func:`tabgan.table.writer.arrow_schema`)."""
        self._check_fitted()
        columns = []
        for codec in self._codecs:
            meta = codec.meta
            if isinstance(codec, CategoricalCodec) and meta.categories is None:
                known = [c for c in [*codec.categories, *codec.members]
                         if c is not None and c is not OTHER]
                meta = replace(meta, categories=known or None)
            columns.append(meta)
        return Metadata(columns)

    def mixture(self, name: Any) -> Mixture:
        """The fitted mixture of numeric column ``name`` (encoded with ``"mixture"``)."""
        return self._codec(name, MixtureCodec).mixture

    def condition_match(self, name: Any, wanted: Any, counts: torch.Tensor) -> CategoryMatch:
        """Where the category ``wanted`` of column ``name`` sits in the condition vector,
        and its weight among ``counts`` (the condition counts, one row per categorical
        column)."""
        value, slot, share = self._codec(name, CategoricalCodec).match(wanted)
        position = self.layout_.discrete_index(name)
        return CategoryMatch(value, position, slot, float(counts[position, slot]) * share)

    def trained_range(self, name: Any) -> TrainedRange:
        """What numeric column ``name`` can decode to: values in its fitted range (epoch
        seconds for datetimes), and nulls if it had a null slot."""
        codec = self._codec(name, NumericCodec)
        return TrainedRange(codec.low, codec.high, codec.nullable)

    def slot_marginals(self, statistics: list[ColumnStatistics]) -> list[np.ndarray | None]:
        """For every softmax span, in order, its one-way marginal from ``statistics``: the
        category counts of a categorical column; the mode weights (of the fitted mixture)
        and the null share of a numeric one. None where no values are known (public
        bounds only)."""
        by_name = {s.name: s for s in statistics}
        return [codec.slot_marginal(by_name[codec.meta.name]) for codec in self._codecs
                if not isinstance(codec, IdentifierCodec)]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """The fitted state as JSON-able values."""
        self._check_fitted()
        return {
            "version": STATE_VERSION,
            "params": self.get_params(),
            "metadata": self.metadata_.to_dict(),
            "columns": [codec.state_dict() for codec in self._codecs],
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
        encodings = [c.get("encoding", "mixture") for c in state["columns"]]
        self._codecs = self._make_codecs(self.metadata_, encodings)
        for codec, codec_state in zip(self._codecs, state["columns"], strict=True):
            codec.load_state_dict(codec_state)
        self._rng = np.random.default_rng(int(state["rng"]))
        self._build_layout()
        return self

    def get_params(self) -> dict:
        return {
            "numeric_encoding": self.numeric_encoding,
            "numeric_bins": self.numeric_bins,
            "max_modes": self.max_modes,
            "weight_prior": self.weight_prior,
            "weight_threshold": self.weight_threshold,
            "max_fit_rows": self.max_fit_rows,
            "n_threads": self.n_threads,
            "max_categories": self.max_categories,
            "random_state": self.random_state,
        }
