"""Condition vectors and real batches, drawn on the device with no loop over rows.

Training-by-sampling (CTGAN): pick a categorical column uniformly, a category of it with
probability proportional to its log-frequency, then a real row uniformly among the rows
that hold that category. Row indices of every category are built once, as one sorted
index tensor per column plus segment starts and counts, so a batch is a few gathers.

At generation time, categories are drawn by their plain frequency, so that the conditioned
generator reproduces the marginals. The category counts can be given instead of read from
the data (the private mode passes noisy counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tabgan.encoding.encoded import DenseRows, EncodedTable, as_rows
from tabgan.encoding.layout import TableLayout

__all__ = ["Condition", "RowIndex", "ConditionalSampler"]


@dataclass
class Condition:
    """A batch of conditions: which column and category each row is conditioned on."""

    vector: torch.Tensor  # (B, cond_dim) one-hot of the chosen category
    column: torch.Tensor  # (B,) index of the chosen categorical column
    category: torch.Tensor  # (B,) category index within that column
    # (B,) importance weight of each row: the category's plain frequency over the
    # probability it was drawn with, so that weighted batch means estimate the table's
    # unconditional ones (None: weights of 1).
    weight: torch.Tensor | None = None


class RowIndex:
    """The real rows, indexed by category: for every categorical column, its category code
    of every row and the row indices sorted by category, with each category's segment."""

    def __init__(self, data: EncodedTable | torch.Tensor, layout: TableLayout):
        data = as_rows(data)
        discrete = layout.discrete
        width = max((c.n_categories for c in discrete), default=1)
        index_dtype = torch.int32 if len(data) < 2**31 else torch.long
        codes = torch.zeros(len(discrete), len(data), dtype=index_dtype, device=data.device)
        rows = torch.zeros_like(codes)
        counts = torch.zeros(len(discrete), width, device=data.device)
        for i, column in enumerate(discrete):  # a column at a time: small temporaries
            code = data.codes(column)
            codes[i] = code
            counts[i, : column.n_categories] = torch.bincount(
                code, minlength=column.n_categories).float()
            rows[i] = torch.argsort(code, stable=True)
        self.data: EncodedTable | DenseRows = data
        self.n_rows = len(data)
        self.counts = counts  # (C, W) category counts, padded with zeros
        self.codes = codes  # (C, n) category of every row in every categorical column
        self.rows = rows  # (C, n) row indices sorted by category
        self.seg_count = counts.long()  # (C, W)
        self.seg_start = torch.cumsum(self.seg_count, dim=1) - self.seg_count


class ConditionalSampler:
    """Draws conditions and, when it holds the real rows, matching real rows.

    Parameters
    ----------
    counts:
        Category counts ``(C, W)`` of each categorical column, padded with zeros (they may
        be noisy counts under differential privacy).
    layout:
        The layout of the encoded table: which columns are categorical, and their sizes.
    log_frequency:
        Draw training categories by log-frequency (CTGAN) rather than frequency.
    rows:
        The real rows indexed by category (:class:`RowIndex`), for ``real_batch`` and
        ``anchored_batch``; None for a sampler of conditions only.
    """

    def __init__(
        self,
        counts: torch.Tensor,
        layout: TableLayout,
        *,
        log_frequency: bool = True,
        rows: RowIndex | None = None,
    ):
        sizes = [c.n_categories for c in layout.discrete]
        self.device = counts.device
        self.n_columns = len(sizes)
        self.sizes = torch.tensor(sizes, dtype=torch.long, device=self.device)
        self.cond_dim = layout.cond_dim
        self.cond_offsets = torch.tensor([c.cond_start for c in layout.discrete],
                                         dtype=torch.long, device=self.device)
        self.counts = counts.clamp_min(0).float()
        if self.n_columns:
            train = torch.log1p(self.counts) if log_frequency else self.counts
            self._train_cdf = _cdf(train)
            self._sample_cdf = _cdf(self.counts)
            # Weight of a row drawn for training on (column, category): its plain share
            # over its training share (1 for every row without log-frequency).
            self._train_weight = (_shares(self.counts) / _shares(train).clamp_min(1e-12)
                                  if log_frequency else None)
        self.rows = rows

    @classmethod
    def from_data(
        cls,
        data: EncodedTable | torch.Tensor,
        layout: TableLayout,
        *,
        log_frequency: bool = True,
    ) -> ConditionalSampler:
        """Count categories in the encoded ``data`` (an
        :class:`~tabgan.encoding.encoded.EncodedTable`, or a dense matrix) and index its
        rows by category."""
        rows = RowIndex(data, layout)
        return cls(rows.counts, layout, log_frequency=log_frequency, rows=rows)

    @property
    def data(self) -> EncodedTable | DenseRows:
        return self.rows.data

    @property
    def n_rows(self) -> int:
        return self.rows.n_rows

    # ------------------------------------------------------------------ conditions
    def _condition(self, column: torch.Tensor, category: torch.Tensor,
                   weights: torch.Tensor | None = None) -> Condition:
        vector = torch.zeros(len(column), self.cond_dim, device=self.device)
        vector[torch.arange(len(column), device=self.device),
               self.cond_offsets[column] + category] = 1.0
        weight = None if weights is None else weights[column, category]
        return Condition(vector, column, category, weight)

    def _draw(self, batch: int, cdf: torch.Tensor, generator: torch.Generator | None,
              weights: torch.Tensor | None = None) -> Condition:
        column = torch.randint(
            self.n_columns, (batch,), generator=generator, device=self.device
        )
        u = torch.rand(batch, 1, generator=generator, device=self.device)
        category = (u > cdf[column]).sum(dim=1).clamp_max(cdf.shape[1] - 1)
        # Never a padding slot or a category of zero weight.
        category = torch.minimum(category, self.sizes.to(self.device)[column] - 1)
        return self._condition(column, category, weights)

    def train_condition(self, batch: int, generator: torch.Generator | None = None):
        """Training-by-sampling conditions, or None when the table has no categorical
        column. Under log-frequency each carries its importance weight (``weight``)."""
        if self.n_columns == 0:
            return None
        return self._draw(batch, self._train_cdf, generator, self._train_weight)

    def sample_condition(self, batch: int, generator: torch.Generator | None = None):
        """Conditions by plain category frequency, for generation."""
        if self.n_columns == 0:
            return None
        return self._draw(batch, self._sample_cdf, generator)

    def fixed_condition(self, batch: int, column: int, category: int) -> Condition:
        """Every row conditioned on one category of one column."""
        col = torch.full((batch,), column, dtype=torch.long, device=self.device)
        cat = torch.full((batch,), category, dtype=torch.long, device=self.device)
        return self._condition(col, cat)

    # ------------------------------------------------------------------ private mode
    def anchored_batch(
        self,
        sample_rate: float,
        generator: torch.Generator | None = None,
        *,
        shard: tuple[int, int] = (0, 1),
    ) -> tuple[torch.Tensor, Condition | None]:
        """Poisson sampling: every row joins the batch independently with probability
        ``sample_rate``; each sampled row is conditioned on its own category in a uniformly
        chosen categorical column. Returns the row indices and their conditions. The batch
        size is random (and may be 0), as the privacy analysis assumes.

        ``shard=(k, N)`` draws only among rows ``i`` with ``i mod N == k``: N processes
        with shards 0..N-1 together make one Poisson sample of the whole table."""
        mask = torch.rand(self.n_rows, generator=generator, device=self.device) < sample_rate
        index, count = shard
        if count > 1:
            mask &= torch.arange(self.n_rows, device=self.device) % count == index
        rows = torch.nonzero(mask, as_tuple=False).flatten()
        if self.n_columns == 0:
            return rows, None
        column = torch.randint(
            self.n_columns, (len(rows),), generator=generator, device=self.device
        )
        category = self.rows.codes[column, rows].long()
        return rows, self._condition(column, category)

    # ------------------------------------------------------------------ real rows
    def rows_for(
        self, column: torch.Tensor, category: torch.Tensor, generator: torch.Generator | None
    ) -> torch.Tensor:
        """One uniformly drawn row index holding each (column, category)."""
        index = self.rows
        count = index.seg_count[column, category]
        start = index.seg_start[column, category]
        u = torch.rand(len(column), generator=generator, device=self.device)
        offset = (u * count).long().clamp_max((count - 1).clamp_min(0))
        return index.rows[column, start + offset].long()

    def real_batch(
        self, condition: Condition | None, batch: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Real rows: matching a shuffled copy of ``condition``'s categories, or uniform."""
        if condition is None:
            idx = torch.randint(self.n_rows, (batch,), generator=generator, device=self.device)
            return self.data.dense(idx)
        rows = self.rows_for(condition.column, condition.category, generator)
        return self.data.dense(rows)


def _shares(weights: torch.Tensor) -> torch.Tensor:
    """Row-wise shares of non-negative weights ``(C, W)``."""
    return weights / weights.sum(dim=1, keepdim=True).clamp_min(1e-12)


def _cdf(weights: torch.Tensor) -> torch.Tensor:
    """Row-wise cumulative distribution of non-negative weights ``(C, W)``."""
    return torch.cumsum(_shares(weights), dim=1).clamp_max(1.0)
