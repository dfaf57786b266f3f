"""The transformed table as training reads it, without its one-hot zeros.

A row of the transformed table holds an alpha for every numeric column and exactly one
hot entry in every softmax span (a mixture mode, a category, a null slot). Stored densely,
a table of a million rows and a few wide categorical columns runs to gigabytes of zeros.
``EncodedTable`` keeps the alphas ``(n, T)`` and the position of each span's hot entry
``(n, S)`` instead, and expands only the rows of a batch, with one scatter.

``DenseRows`` gives an already dense matrix the same interface, so that the sampler and
the trainer accept either.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tabgan.encoding.layout import ColumnLayout, TableLayout

__all__ = ["EncodedTable", "DenseRows", "as_rows"]


def _index_dtype(dim: int) -> torch.dtype:
    return torch.int16 if dim < 2**15 else torch.int32


@dataclass
class EncodedTable:
    """Alphas and hot positions of ``n`` transformed rows of width ``dim``.

    ``alphas[:, j]`` belongs at data position ``alpha_positions[j]``; ``slots[:, s]`` is
    the data position of the hot entry of softmax span ``s``, whose first position is
    ``span_starts[s]``.
    """

    alphas: torch.Tensor  # (n, T) float32
    slots: torch.Tensor  # (n, S) int16 or int32: data positions
    alpha_positions: torch.Tensor  # (T,) long
    span_starts: torch.Tensor  # (S,) long
    dim: int

    @classmethod
    def empty(cls, n: int, layout: TableLayout) -> EncodedTable:
        """A table of ``n`` rows laid out as ``layout``, to be filled column by column."""
        alpha_positions = torch.tensor(layout.alpha_positions, dtype=torch.long)
        span_starts = torch.tensor(layout.softmax_starts, dtype=torch.long)
        return cls(
            alphas=torch.zeros(n, len(alpha_positions), dtype=torch.float32),
            slots=torch.zeros(n, len(span_starts), dtype=_index_dtype(layout.dim)),
            alpha_positions=alpha_positions,
            span_starts=span_starts,
            dim=layout.dim,
        )

    def __len__(self) -> int:
        return self.alphas.shape[0]

    @property
    def device(self) -> torch.device:
        return self.alphas.device

    @property
    def nbytes(self) -> int:
        return (self.alphas.element_size() * self.alphas.nelement()
                + self.slots.element_size() * self.slots.nelement())

    def to(self, device: torch.device | str) -> EncodedTable:
        return EncodedTable(
            self.alphas.to(device), self.slots.to(device), self.alpha_positions.to(device),
            self.span_starts.to(device), self.dim,
        )

    def dense(self, rows: torch.Tensor | None = None) -> torch.Tensor:
        """The dense rows ``(B, dim)`` (all rows when ``rows`` is None)."""
        alphas = self.alphas if rows is None else self.alphas[rows]
        slots = self.slots if rows is None else self.slots[rows]
        out = alphas.new_zeros(alphas.shape[0], self.dim)
        out[:, self.alpha_positions] = alphas
        out.scatter_(1, slots.long(), 1.0)
        return out

    def codes(self, column: ColumnLayout) -> torch.Tensor:
        """The category index of every row in categorical ``column``."""
        offset = column.start
        span = int(torch.nonzero(self.span_starts == offset).flatten()[0])
        return self.slots[:, span].long() - offset

    def column_means(self, chunk: int = 1 << 20) -> torch.Tensor:
        """Share of rows hot at every data position ``(dim,)``; alpha positions hold 0."""
        counts = torch.zeros(self.dim, dtype=torch.float64, device=self.device)
        for start in range(0, len(self), chunk):
            flat = self.slots[start : start + chunk].reshape(-1).long()
            counts += torch.bincount(flat, minlength=self.dim).double()
        return (counts / max(len(self), 1)).float()

    def co_occurrence(self, positions, chunk: int = 1 << 16) -> torch.Tensor:
        """Share of rows hot at both of every two of ``positions`` ``(P, P)``: the two-way
        marginals of the softmax spans (one block for every two spans)."""
        return _co_occurrence(self, positions, chunk)


def _co_occurrence(rows, positions, chunk: int) -> torch.Tensor:
    positions = torch.as_tensor(positions, dtype=torch.long, device=rows.device)
    total = torch.zeros(len(positions), len(positions), dtype=torch.float64,
                        device=rows.device)
    for start in range(0, len(rows), chunk):
        index = torch.arange(start, min(start + chunk, len(rows)), device=rows.device)
        hot = rows.dense(index)[:, positions].double()
        total += hot.T @ hot
    return (total / max(len(rows), 1)).float()


class DenseRows:
    """A dense transformed matrix behind ``EncodedTable``'s interface."""

    def __init__(self, matrix: torch.Tensor):
        self.matrix = matrix
        self.dim = matrix.shape[1]

    def __len__(self) -> int:
        return self.matrix.shape[0]

    @property
    def device(self) -> torch.device:
        return self.matrix.device

    @property
    def nbytes(self) -> int:
        return self.matrix.element_size() * self.matrix.nelement()

    def dense(self, rows: torch.Tensor | None = None) -> torch.Tensor:
        return self.matrix if rows is None else self.matrix[rows]

    def codes(self, column: ColumnLayout) -> torch.Tensor:
        return self.matrix[:, column.start : column.stop].argmax(dim=1)

    def column_means(self, chunk: int = 65536) -> torch.Tensor:
        total = self.matrix.new_zeros(self.dim, dtype=torch.float64)
        for start in range(0, len(self), chunk):
            total += self.matrix[start : start + chunk].double().sum(dim=0)
        return (total / max(len(self), 1)).float()

    def co_occurrence(self, positions, chunk: int = 1 << 16) -> torch.Tensor:
        return _co_occurrence(self, positions, chunk)


def as_rows(data) -> EncodedTable | DenseRows:
    """``data`` as rows the sampler can read: an ``EncodedTable`` as it is, a dense matrix
    wrapped."""
    if isinstance(data, EncodedTable | DenseRows):
        return data
    if isinstance(data, torch.Tensor) and data.ndim == 2:
        return DenseRows(data)
    raise TypeError(f"expected an EncodedTable or a 2-D tensor, got {type(data).__name__}")
