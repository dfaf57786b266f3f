"""``TableLayout``: where every column sits in an encoded row and in the condition vector.

The encoder builds it once, from its fitted columns; the sampler, the networks, the
conditions, the memory estimate and the model file all read this one description. A row
of the encoded table is the columns' spans one after another:

- a numeric column: one ``tanh`` span of width 1 (its alpha) and one ``softmax`` span over
  its mixture modes (plus a null slot when it has nulls);
- a categorical column: one ``softmax`` span over its categories (a null being one more);
- an identifier column: nothing (its values are generated fresh).

The condition vector holds one slot for every category of every categorical column, in
the same order. ``TableLayout.index()`` gives the same layout as index tensors, for the
networks to handle all spans in one vectorized operation. No pandas here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch

__all__ = ["TANH", "SOFTMAX", "Span", "ColumnLayout", "TableLayout", "SpanIndex"]

TANH = "tanh"
SOFTMAX = "softmax"
_COLUMN_KINDS = ("numeric", "categorical", "id")


@dataclass(frozen=True)
class Span:
    """A run of ``dim`` positions from ``start`` that share one activation."""

    start: int
    dim: int
    activation: str  # TANH or SOFTMAX

    @property
    def stop(self) -> int:
        return self.start + self.dim


@dataclass(frozen=True)
class ColumnLayout:
    """One column's place: its spans in the row, and its slots in the condition vector
    (categorical columns only)."""

    name: Any
    kind: str  # "numeric", "categorical" or "id"
    start: int
    spans: tuple[Span, ...]
    cond_start: int | None = None

    @property
    def dim(self) -> int:
        return sum(s.dim for s in self.spans)

    @property
    def stop(self) -> int:
        return self.start + self.dim

    @property
    def slice(self) -> slice:
        """The column's positions in an encoded row."""
        return slice(self.start, self.stop)

    @property
    def softmax(self) -> Span | None:
        """The column's softmax span (modes or categories), if it has one."""
        return next((s for s in self.spans if s.activation == SOFTMAX), None)

    @property
    def n_categories(self) -> int:
        return self.dim if self.kind == "categorical" else 0


@dataclass(frozen=True)
class TableLayout:
    """The columns of an encoded table, in order."""

    columns: tuple[ColumnLayout, ...]

    @classmethod
    def build(cls, columns: Sequence[tuple[Any, str, Sequence[tuple[int, str]]]]) -> TableLayout:
        """From ``(name, kind, [(dim, activation), ...])`` for every column in order."""
        out, start, cond = [], 0, 0
        for name, kind, spans in columns:
            if kind not in _COLUMN_KINDS:
                raise ValueError(f"unknown column kind {kind!r}")
            placed = []
            for dim, activation in spans:
                if activation not in (TANH, SOFTMAX):
                    raise ValueError(f"unknown activation {activation!r}")
                placed.append(Span(start + sum(s.dim for s in placed), int(dim), activation))
            column = ColumnLayout(name, kind, start, tuple(placed),
                                  cond if kind == "categorical" else None)
            if kind == "categorical":
                if len(placed) != 1 or placed[0].activation != SOFTMAX:
                    raise ValueError("a categorical column is one softmax span")
                cond += column.dim
            out.append(column)
            start = column.stop
        return cls(tuple(out))

    # ------------------------------------------------------------------ sizes
    @cached_property
    def dim(self) -> int:
        """Width of an encoded row."""
        return self.columns[-1].stop if self.columns else 0

    @cached_property
    def cond_dim(self) -> int:
        """Width of the condition vector."""
        return sum(c.n_categories for c in self.discrete)

    @cached_property
    def spans(self) -> tuple[Span, ...]:
        return tuple(s for c in self.columns for s in c.spans)

    @cached_property
    def discrete(self) -> tuple[ColumnLayout, ...]:
        """The categorical columns: the ones the condition vector refers to."""
        return tuple(c for c in self.columns if c.kind == "categorical")

    @cached_property
    def alpha_positions(self) -> tuple[int, ...]:
        """Row positions of the numeric columns' alphas."""
        return tuple(s.start for s in self.spans if s.activation == TANH)

    @cached_property
    def softmax_starts(self) -> tuple[int, ...]:
        """Row position of the first slot of every softmax span."""
        return tuple(s.start for s in self.spans if s.activation == SOFTMAX)

    @cached_property
    def softmax_positions(self) -> tuple[int, ...]:
        """Row positions of every softmax slot, in row order (``SpanIndex.soft_index``)."""
        return tuple(p for s in self.spans if s.activation == SOFTMAX
                     for p in range(s.start, s.stop))

    def column(self, name: Any) -> ColumnLayout:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def discrete_index(self, name: Any) -> int:
        """The index of categorical column ``name`` among the categorical columns."""
        for i, column in enumerate(self.discrete):
            if column.name == name:
                return i
        raise KeyError(name)

    # ------------------------------------------------------------------ tensors
    def index(self, device: torch.device | str | None = None) -> SpanIndex:
        """The layout as index tensors on ``device`` (see :class:`SpanIndex`)."""
        return SpanIndex.from_layout(self, device)

    def position_marginals(self, per_span: Sequence) -> torch.Tensor:
        """One value per softmax position ``(P,)``, in :class:`SpanIndex` order, from one
        vector per softmax span (None: zeros); each span's vector is scaled to sum to 1."""
        out = []
        for span, weights in zip((s for s in self.spans if s.activation == SOFTMAX),
                                 per_span, strict=True):
            if weights is None:
                out.append(torch.zeros(span.dim))
                continue
            w = torch.as_tensor(weights, dtype=torch.float32)
            out.append(w / w.sum().clamp_min(1e-12))
        return torch.cat(out) if out else torch.zeros(0)

    def discrete_rows(self, per_span: Sequence) -> torch.Tensor:
        """The categorical columns' vectors ``(C, W)``, padded with zeros, picked from one
        vector per softmax span (in span order)."""
        soft = [s.start for s in self.spans if s.activation == SOFTMAX]
        by_start = dict(zip(soft, per_span, strict=True))
        width = max((c.n_categories for c in self.discrete), default=1)
        out = torch.zeros(len(self.discrete), width)
        for i, column in enumerate(self.discrete):
            out[i, : column.n_categories] = torch.as_tensor(by_start[column.start],
                                                            dtype=torch.float32)
        return out

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return {"columns": [
            {"name": c.name, "kind": c.kind, "spans": [[s.dim, s.activation] for s in c.spans]}
            for c in self.columns
        ]}

    @classmethod
    def from_dict(cls, data: dict) -> TableLayout:
        return cls.build([(c["name"], c["kind"], [tuple(s) for s in c["spans"]])
                          for c in data["columns"]])


@dataclass
class SpanIndex:
    """Index tensors that let every span be handled in one vectorized operation.

    Softmax spans are segments of one flat vector, never padded to a common width, so that
    one column of thousands of categories costs its own width and no more.
    """

    tanh_index: torch.Tensor  # (T,) positions of alpha columns
    soft_index: torch.Tensor  # (P,) positions of softmax entries, in row order
    soft_segment: torch.Tensor  # (P,) the softmax span of each of those entries
    inverse_perm: torch.Tensor  # (dim,) puts [tanh | softmax] back in row order
    disc_segment: torch.Tensor  # (C,) the softmax span of each categorical column
    disc_start: torch.Tensor  # (C,) row position of each categorical column's first entry
    dim: int
    n_segments: int

    @classmethod
    def from_layout(cls, layout: TableLayout, device=None) -> SpanIndex:
        tanh, soft, segment, segment_of = [], [], [], {}
        for span in layout.spans:
            positions = list(range(span.start, span.stop))
            if span.activation == TANH:
                tanh.extend(positions)
            else:
                segment_of[span.start] = len(segment_of)
                soft.extend(positions)
                segment.extend([segment_of[span.start]] * span.dim)
        inverse = torch.empty(layout.dim, dtype=torch.long)
        inverse[torch.tensor(tanh + soft, dtype=torch.long)] = torch.arange(layout.dim)

        def long(values) -> torch.Tensor:
            return torch.tensor(list(values), dtype=torch.long, device=device)

        starts = [c.start for c in layout.discrete]
        return cls(
            tanh_index=long(tanh),
            soft_index=long(soft),
            soft_segment=long(segment),
            inverse_perm=inverse.to(device),
            disc_segment=long(segment_of[s] for s in starts),
            disc_start=long(starts),
            dim=layout.dim,
            n_segments=len(segment_of),
        )
