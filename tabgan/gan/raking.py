"""Rows drawn from the generator, reweighted to the fit's marginals, then resampled.

The generator's draws come within a few points of the fit's one- and two-way marginals of
the softmax spans (a category, a numeric column's bin or spike, a null slot), never onto
them. Sampling closes the rest: it draws a pool of ``pool`` times the rows asked for,
gives every pool row a weight by raking (iterative proportional fitting: span after span,
then pair after pair of spans, each row's weight is multiplied by its cell's target share
over the pool's weighted share, sweep after sweep), caps every weight so that no row is
expected twice (and none below a fiftieth of the uniform weight), and keeps the rows
asked for by systematic resampling. Each row kept is a row the generator drew, unchanged:
the raking moves how often rows of a kind are kept, never a value.

The targets are the ones the fit trained towards (:mod:`tabgan.gan.marginals`): the
encoded rows' marginals without DP, the released ones under DP, so that under DP the
raking is post-processing of released statistics and costs no privacy.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tabgan.encoding.layout import SpanIndex

__all__ = ["Targets", "RakedPool", "span_codes", "rake", "cap", "systematic", "FLOOR",
           "MAX_PAIRS", "SWEEPS", "TOLERANCE"]

SWEEPS = 10  # raking sweeps at most
TOLERANCE = 1e-3  # a sweep whose cells lie this close to their targets (mean TV) ends it
MAX_PAIRS = 256  # pairs of spans raked, the farthest from their targets first
FLOOR = 0.02  # the smallest weight, as a share of the uniform one
_GAP_ROWS = 16384  # pool rows that rank the pairs


@dataclass
class Targets:
    """The fit's target marginals, in :class:`SpanIndex` order of the softmax positions:
    ``marginals (P,)`` (each span's summing to 1, or all zero where it has none) and
    ``pairs (P, P)`` (each two spans' block summing to 1, zero within a span), or None."""

    marginals: torch.Tensor
    pairs: torch.Tensor | None = None

    def to(self, device) -> Targets:
        return Targets(self.marginals.to(device),
                       None if self.pairs is None else self.pairs.to(device))


def span_codes(scores: torch.Tensor, index: SpanIndex) -> torch.Tensor:
    """``(B, S)`` long: the softmax position (in :class:`SpanIndex` order) of the largest
    score of every span of the rows ``scores (B, dim)``."""
    soft = scores[:, index.soft_index]
    segment = index.soft_segment.expand(soft.shape[0], -1)
    top = soft.new_full((soft.shape[0], index.n_segments), float("-inf"))
    top = top.scatter_reduce(1, segment, soft, "amax", include_self=True)
    hot = soft == top.gather(1, segment)
    position = torch.arange(soft.shape[1], device=soft.device).expand_as(soft)
    codes = torch.full((soft.shape[0], index.n_segments), -1, dtype=torch.long,
                       device=soft.device)
    return codes.scatter_reduce(1, segment, torch.where(hot, position, -1), "amax",
                                include_self=True)


class RakedPool:
    """The cells of a pool's rows and their targets: ``codes (N, S)``, the position of
    each row's draw in every span (:func:`span_codes`); the spans and pairs of spans that
    have a target, with their local codes and target shares."""

    def __init__(self, codes: torch.Tensor, index: SpanIndex, targets: Targets):
        segment = index.soft_segment
        first = torch.zeros(index.n_segments, dtype=torch.long, device=codes.device)
        first = first.scatter_reduce(0, segment, torch.arange(len(segment), device=segment.device),
                                     "amin", include_self=False)
        width = torch.bincount(segment, minlength=index.n_segments)
        self.local = codes - first.to(codes.dtype)  # (N, S) the code within each span
        self.width = width.tolist()
        starts = first.tolist()
        marginals = targets.marginals.to(torch.float64)
        self.ones: list[tuple[int, torch.Tensor]] = []
        for s, (a, w) in enumerate(zip(starts, self.width, strict=True)):
            t = marginals[a : a + w]
            if t.sum() > 0:
                self.ones.append((s, t / t.sum()))
        self.pairs: list[tuple[int, int, torch.Tensor]] = []
        if targets.pairs is not None:
            with_target = [s for s, _ in self.ones]
            pairs = targets.pairs.to(torch.float64)
            for i, a in enumerate(with_target):
                for b in with_target[i + 1 :]:
                    block = pairs[starts[a] : starts[a] + self.width[a],
                                  starts[b] : starts[b] + self.width[b]].reshape(-1)
                    if block.sum() > 0:
                        self.pairs.append((a, b, block / block.sum()))
            if len(self.pairs) > MAX_PAIRS:
                self.pairs = self._farthest(self.pairs, MAX_PAIRS)

    def key(self, a: int, b: int, rows: slice | None = None) -> torch.Tensor:
        """Each row's cell of the joint table of spans ``a`` and ``b``."""
        local = self.local if rows is None else self.local[rows]
        return local[:, a] * self.width[b] + local[:, b]

    def _farthest(self, pairs, keep: int):
        """The ``keep`` pairs whose unweighted shares lie farthest from their targets."""
        rows = slice(0, min(len(self.local), _GAP_ROWS))
        gaps = []
        for a, b, target in pairs:
            share = torch.bincount(self.key(a, b, rows), minlength=len(target)).double()
            gaps.append(float((share / share.sum() - target).abs().sum()))
        order = sorted(range(len(pairs)), key=lambda i: -gaps[i])[:keep]
        return [pairs[i] for i in sorted(order)]


def rake(pool: RakedPool, n: int, *, sweeps: int = SWEEPS, tolerance: float = TOLERANCE
         ) -> torch.Tensor:
    """Weights ``(N,)`` of the pool's rows (summing to 1, each at most ``1 / n``) whose
    weighted shares of every span and pair of spans come close to their targets."""
    rows = pool.local.shape[0]
    # float32 in the sweeps (half the memory traffic of float64), float64 for the cut
    w = torch.full((rows,), 1.0 / rows, dtype=torch.float32, device=pool.local.device)
    # Every row's weight stays within [FLOOR, rows / n] times the uniform one: a row is
    # kept at most once, and none is dropped for good, so that targets the pool cannot
    # reach (a cell it never draws, a target of zero) cannot pile the weight on a few rows.
    low, high = FLOOR / rows, 1.0 / max(n, 1)
    cells = [(pool.local[:, s], t.float()) for s, t in pool.ones]
    cells += [(pool.key(a, b), t.float()) for a, b, t in pool.pairs]
    for _ in range(sweeps):
        moved = 0.0
        for key, target in cells:
            share = torch.bincount(key, weights=w, minlength=len(target))
            share = share / share.sum()
            moved += 0.5 * float((share - target).abs().sum())
            reach = target * (share > 0)  # the pool can only match the cells it draws
            if float(reach.sum()) <= 0:
                continue
            ratio = torch.where(share > 0, reach / reach.sum() / share.clamp_min(1e-30), 1.0)
            w.mul_(ratio[key])
            w.div_(w.sum()).clamp_(low, high)
        if not cells or moved / len(cells) < tolerance:
            break
    w = w.double()
    return cap(w / w.sum(), n)


def cap(w: torch.Tensor, n: int) -> torch.Tensor:
    """``w`` (summing to 1) with its largest weights cut to a common level and the whole
    renormalised so that none exceeds ``1 / n``: each row is expected at most once among
    ``n`` draws."""
    rows = len(w)
    if n >= rows:
        return torch.full_like(w, 1.0 / rows)
    if float(w.max()) <= 1.0 / n:
        return w
    ordered, _ = torch.sort(w, descending=True)
    k = torch.arange(rows, device=w.device)
    tail = ordered.flip(0).cumsum(0).flip(0)  # tail[k]: all but the k largest
    # With the k largest cut to a level c: k c + tail[k] = n c, and the cut ones lie
    # above c, the others below it.
    level = tail / (n - k).clamp_min(1).to(w.dtype)
    before = torch.cat([ordered.new_full((1,), float("inf")), ordered[:-1]])
    fits = (k >= 1) & (k < n) & (ordered <= level) & (before >= level)
    first = int(torch.nonzero(fits)[0]) if bool(fits.any()) else n - 1
    out = torch.minimum(w, level[first])
    return out / out.sum()


def systematic(w: torch.Tensor, n: int, rng: torch.Generator) -> torch.Tensor:
    """``n`` row indices drawn by systematic resampling of the weights ``w`` (summing to
    1), in a random order; no row is drawn more often than ``ceil(w * n)`` times."""
    if n == 0:
        return torch.zeros(0, dtype=torch.long, device=w.device)
    u = torch.rand((), generator=rng, device=w.device, dtype=torch.float64)
    points = (u + torch.arange(n, device=w.device, dtype=torch.float64)) / n
    cumulative = torch.cumsum(w, 0)
    cumulative[-1] = 1.0  # against rounding: every point falls in a row
    index = torch.searchsorted(cumulative, points, right=True).clamp_max(len(w) - 1)
    return index[torch.randperm(n, generator=rng, device=w.device)]
