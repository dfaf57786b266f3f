"""What every section shares: the fitted encoder, the prepared tables, seeds and samples."""

from __future__ import annotations

import zlib
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from tabgan.evaluate.columns import ColumnSpec
from tabgan.evaluate.encoding import PreparedTable, TableEncoder
from tabgan.evaluate.neighbors import nearest_both_ways
from tabgan.evaluate.options import EvaluationOptions

__all__ = ["Context", "PrivacySample"]


class PrivacySample:
    """The rows the privacy section attacks, and their distance embeddings.

    ``members`` are train rows, ``non_members`` holdout rows, equally many of each (the
    smaller table's size, capped by ``privacy_rows``), so that 0.5 means "no signal" for
    every share and AUC that compares them.
    """

    def __init__(self, ctx: Context) -> None:
        rng = ctx.rng("privacy-sample")
        opts = ctx.options
        n_real = ctx.real.n_rows
        n_hold = ctx.holdout.n_rows if ctx.holdout is not None else n_real
        n = min(n_real, n_hold, opts.privacy_rows)
        self.member_rows = np.sort(rng.choice(n_real, size=n, replace=False))
        self.members = ctx.real.take(self.member_rows, "train sample")
        self.non_members = None
        if ctx.holdout is not None:
            rows = np.sort(rng.choice(ctx.holdout.n_rows, size=n, replace=False))
            self.non_members = ctx.holdout.take(rows, "holdout sample")
        n_syn = min(ctx.synthetic.n_rows, opts.synthetic_rows)
        syn_rows = np.sort(rng.choice(ctx.synthetic.n_rows, size=n_syn, replace=False))
        self.synthetic = ctx.synthetic.take(syn_rows, "synthetic sample")
        self.emb_members, self.slices = ctx.encoder.embed(self.members)
        self.emb_synthetic, _ = ctx.encoder.embed(self.synthetic)
        self.emb_non_members = (
            ctx.encoder.embed(self.non_members)[0] if self.non_members is not None else None
        )
        self._k = ctx.options.density_neighbors

    @cached_property
    def cross(self) -> tuple[tuple[np.ndarray, np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
        """One pass over the (members + non-members) x synthetic distances, read both ways:
        the ``density_neighbors`` nearest synthetic rows of every target, and for every
        synthetic row its two nearest members and its two nearest non-members."""
        n = self.members.n_rows
        targets = [self.emb_members]
        groups = [(0, n)]
        if self.emb_non_members is not None:
            targets.append(self.emb_non_members)
            groups.append((n, 2 * n))
        return nearest_both_ways(
            np.concatenate(targets), self.emb_synthetic, self._k, groups=tuple(groups), k_groups=2
        )


class Context:
    """The inputs of one evaluation, read once and shared by every step."""

    def __init__(
        self,
        real: pd.DataFrame,
        synthetic: pd.DataFrame,
        holdout: pd.DataFrame | None,
        *,
        specs: list[ColumnSpec],
        target: Any,
        positive_class: Any,
        options: EvaluationOptions,
        seed: int,
    ) -> None:
        self.specs = specs
        self.names = [s.name for s in specs]
        self.target = target
        self.positive_class = positive_class
        self.options = options
        self.seed = seed
        self.notes: list[str] = []
        self.encoder = TableEncoder(
            specs,
            n_bins=options.n_bins,
            coverage_bins=options.coverage_bins,
            max_onehot=options.max_onehot,
        ).fit(real)
        self.real: PreparedTable = self.encoder.prepare(real, "real")
        self.holdout: PreparedTable | None = (
            self.encoder.prepare(holdout, "holdout") if holdout is not None else None
        )
        self.synthetic: PreparedTable = self.encoder.prepare(synthetic, "synthetic")

    def spec(self, name: Any) -> ColumnSpec:
        return self.encoder.spec_[name]

    def rng(self, purpose: str) -> np.random.Generator:
        """A generator of its own for each purpose, so that what one step draws does not
        depend on which other steps ran."""
        return np.random.default_rng([self.seed, zlib.crc32(purpose.encode("utf-8"))])

    def others(self) -> list[tuple[str, PreparedTable]]:
        """The tables compared with the real one: synthetic, then holdout if given."""
        out = [("synthetic", self.synthetic)]
        if self.holdout is not None:
            out.append(("holdout", self.holdout))
        return out

    @cached_property
    def privacy(self) -> PrivacySample:
        return PrivacySample(self)
