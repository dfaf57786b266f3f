"""Exact nearest neighbours by a chunked torch kernel: ``|q|^2 + |r|^2 - 2 q.r`` in float32.

Candidates are picked in float32 (one matrix product per chunk of queries), then their
distances are recomputed in float64 from the coordinates, so an exact copy is at distance
exactly 0 and equal distances compare equal. Nothing is ever materialised beyond one
``(chunk, n_refs)`` block, and no pandas join is involved.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["nearest", "nearest_both_ways", "nearest_leave_one_out"]

_BLOCK_ELEMENTS = 32_000_000  # floats per (chunk, n_refs) distance block: 128 MB
_SPARE = 3  # extra float32 candidates, re-ranked in float64


def _chunk_size(n_refs: int) -> int:
    return max(16, _BLOCK_ELEMENTS // max(n_refs, 1))


def _exact(
    points: np.ndarray, others: np.ndarray, cand: np.ndarray, k: int, banned: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank candidate rows of ``others`` for each row of ``points`` by their float64
    distance; ``banned`` (same shape as ``cand``) marks candidates to drop."""
    diff = others[cand] - points[:, None, :]
    dist = np.einsum("ckd,ckd->ck", diff, diff)  # exact squared distances
    if banned is not None:
        dist[banned] = np.inf
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return np.sqrt(np.take_along_axis(dist, order, axis=1)), np.take_along_axis(cand, order, 1)


def nearest(
    queries: np.ndarray,
    refs: np.ndarray,
    k: int,
    *,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of ``refs`` for every row of ``queries``.

    ``exclude[i]`` is an index of ``refs`` that query ``i`` must skip (itself, when the
    queries are rows of ``refs``), or -1. Returns Euclidean distances ``(n, k)`` (float64,
    ascending) and indices ``(n, k)``; ``k`` is capped at the number of usable refs.
    """
    (dist, idx), _ = nearest_both_ways(queries, refs, k, exclude=exclude)
    return dist, idx


@torch.no_grad()
def nearest_both_ways(
    queries: np.ndarray,
    refs: np.ndarray,
    k: int,
    *,
    groups: tuple[tuple[int, int], ...] = (),
    k_groups: int = 1,
    exclude: np.ndarray | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Nearest neighbours both ways from one pass over the distance matrix.

    Rows: the ``k`` nearest refs of every query, as :func:`nearest`. Columns: for every ref
    and every group (a range ``[start, stop)`` of query rows), its ``k_groups`` nearest
    queries in that group, with indices counted from the group's start. The attacks need
    train and holdout rows against synthetic rows, and the DCR needs the reverse: this is
    the same matrix read both ways.
    """
    n_q, n_r = len(queries), len(refs)
    k = min(k, n_r - (1 if exclude is not None else 0))
    if n_q == 0 or k <= 0:
        empty = (np.zeros((n_q, max(k, 0))), np.zeros((n_q, max(k, 0)), dtype=np.int64))
        return empty, []
    q_all = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    r = torch.from_numpy(np.ascontiguousarray(refs, dtype=np.float32))
    r_sq = (r * r).sum(1).unsqueeze(0)  # (1, n_r)
    q_sq = (q_all * q_all).sum(1).unsqueeze(1)  # (n_q, 1)
    queries64 = np.asarray(queries, dtype=np.float64)
    refs64 = np.asarray(refs, dtype=np.float64)
    n_cand = min(n_r, k + _SPARE + (1 if exclude is not None else 0))
    out_d = np.empty((n_q, k))
    out_i = np.empty((n_q, k), dtype=np.int64)
    best = [(torch.empty((0, n_r)), torch.empty((0, n_r), dtype=torch.int64)) for _ in groups]
    step = _chunk_size(n_r)
    scores = torch.empty((min(step, n_q), n_r))
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        block = scores[: stop - start]
        torch.addmm(r_sq, q_all[start:stop], r.T, alpha=-2.0, out=block)  # |r|^2 - 2 q.r
        cand = torch.topk(block, n_cand, dim=1, largest=False).indices.numpy()
        banned = cand == exclude[start:stop, None] if exclude is not None else None
        out_d[start:stop], out_i[start:stop] = _exact(
            queries64[start:stop], refs64, cand, k, banned
        )
        if not groups:
            continue
        block.add_(q_sq[start:stop])  # full squared distances, comparable down a column
        for g, (g_start, g_stop) in enumerate(groups):
            lo, hi = max(g_start, start), min(g_stop, stop)
            if lo >= hi:
                continue
            kk = min(k_groups + _SPARE, hi - lo)
            top = torch.topk(block[lo - start : hi - start], kk, dim=0, largest=False)
            values = torch.cat([best[g][0], top.values])
            indices = torch.cat([best[g][1], top.indices + (lo - g_start)])
            keep = torch.topk(values, min(k_groups + _SPARE, len(values)), dim=0, largest=False)
            best[g] = (keep.values, torch.gather(indices, 0, keep.indices))
    by_group = []
    for (g_start, g_stop), (_, indices) in zip(groups, best, strict=True):
        cand = indices.T.contiguous().numpy()  # (n_r, candidates)
        size = min(k_groups, g_stop - g_start)
        d_g = np.empty((n_r, size))
        i_g = np.empty((n_r, size), dtype=np.int64)
        for lo in range(0, n_r, 4096):
            hi = min(lo + 4096, n_r)
            d_g[lo:hi], i_g[lo:hi] = _exact(
                refs64[lo:hi], queries64[g_start:g_stop], cand[lo:hi], size, None
            )
        by_group.append((d_g, i_g))
    return (out_d, out_i), by_group


@torch.no_grad()
def nearest_leave_one_out(queries: np.ndarray, refs: np.ndarray, blocks: list[slice]) -> np.ndarray:
    """For every query and every block of columns, the nearest ref ignoring that block.

    This is the attacker of attribute inference: knowing every column but one, find the
    closest synthetic row. Returns indices ``(n_queries, len(blocks))``.
    """
    n_q, n_r = len(queries), len(refs)
    out = np.empty((n_q, len(blocks)), dtype=np.int64)
    if n_q == 0:
        return out
    q_all = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    r = torch.from_numpy(np.ascontiguousarray(refs, dtype=np.float32))
    r_sq = (r * r).sum(1).unsqueeze(0)
    # per block, refs augmented with -|r_b|^2 / 2, so one product gives 2 q_b.r_b - |r_b|^2
    r_blocks = [torch.cat([r[:, b], -(r[:, b] ** 2).sum(1, keepdim=True) / 2], 1).T for b in blocks]
    step = _chunk_size(n_r)
    full = torch.empty((min(step, n_q), n_r))
    without = torch.empty_like(full)
    for start in range(0, n_q, step):
        q = q_all[start : start + step]
        c = len(q)
        torch.addmm(r_sq, q, r.T, alpha=-2.0, out=full[:c])  # |r|^2 - 2 q.r, all columns
        ones = torch.ones((c, 1))
        for j, (block, r_block) in enumerate(zip(blocks, r_blocks, strict=True)):
            q_block = torch.cat([q[:, block], ones], 1)
            # distance without the block: full - (|r_b|^2 - 2 q_b.r_b), up to a row constant
            torch.addmm(full[:c], q_block, r_block, alpha=2.0, out=without[:c])
            out[start : start + c, j] = torch.argmin(without[:c], dim=1).numpy()
    return out
