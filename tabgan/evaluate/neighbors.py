"""Exact nearest neighbours by a chunked torch kernel: ``|q|^2 + |r|^2 - 2 q.r`` in float32.

Candidates are picked in float32 (one matrix product per chunk of queries), then their
distances are recomputed in float64 from the coordinates, so an exact copy is at distance
exactly 0 and equal distances compare equal. Nothing is ever materialised beyond one
``(chunk, n_refs)`` block, and no pandas join is involved.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["nearest", "nearest_leave_one_out"]

_BLOCK_ELEMENTS = 32_000_000  # floats per (chunk, n_refs) distance block: 128 MB
_SPARE = 3  # extra float32 candidates, re-ranked in float64


def _chunk_size(n_refs: int) -> int:
    return max(16, _BLOCK_ELEMENTS // max(n_refs, 1))


@torch.no_grad()
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
    n_q, n_r = len(queries), len(refs)
    k = min(k, n_r - (1 if exclude is not None else 0))
    if n_q == 0 or k <= 0:
        return np.zeros((n_q, max(k, 0))), np.zeros((n_q, max(k, 0)), dtype=np.int64)
    q_all = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    r = torch.from_numpy(np.ascontiguousarray(refs, dtype=np.float32))
    r_sq = (r * r).sum(1).unsqueeze(0)  # (1, n_r); |q|^2 is constant per row, so left out
    n_cand = min(n_r, k + _SPARE + (1 if exclude is not None else 0))
    out_d = np.empty((n_q, k))
    out_i = np.empty((n_q, k), dtype=np.int64)
    step = _chunk_size(n_r)
    refs64 = np.asarray(refs, dtype=np.float64)
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        q = q_all[start:stop]
        scores = torch.addmm(r_sq, q, r.T, alpha=-2.0)  # (c, n_r) = |r|^2 - 2 q.r
        cand = torch.topk(scores, n_cand, dim=1, largest=False).indices.numpy()
        diff = refs64[cand] - np.asarray(queries[start:stop], dtype=np.float64)[:, None, :]
        dist = np.einsum("ckd,ckd->ck", diff, diff)  # exact squared distances (c, n_cand)
        if exclude is not None:
            dist[cand == exclude[start:stop, None]] = np.inf
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        out_d[start:stop] = np.sqrt(np.take_along_axis(dist, order, axis=1))
        out_i[start:stop] = np.take_along_axis(cand, order, axis=1)
    return out_d, out_i


@torch.no_grad()
def nearest_leave_one_out(queries: np.ndarray, refs: np.ndarray, blocks: list[slice]) -> np.ndarray:
    """For every query and every block of columns, the nearest ref ignoring that block.

    This is the attacker of attribute inference: knowing every column but one, find the
    closest synthetic row. Returns indices ``(n_queries, len(blocks))``.
    """
    n_q = len(queries)
    out = np.empty((n_q, len(blocks)), dtype=np.int64)
    if n_q == 0:
        return out
    q_all = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    r = torch.from_numpy(np.ascontiguousarray(refs, dtype=np.float32))
    r_sq = (r * r).sum(1).unsqueeze(0)
    step = _chunk_size(len(refs))
    for start in range(0, n_q, step):
        q = q_all[start : start + step]
        full = torch.addmm(r_sq, q, r.T, alpha=-2.0)  # |r|^2 - 2 q.r over every column
        for j, block in enumerate(blocks):
            qb, rb = q[:, block], r[:, block]
            part = torch.addmm((rb * rb).sum(1).unsqueeze(0), qb, rb.T, alpha=-2.0)
            out[start : start + step, j] = torch.argmin(full - part, dim=1).numpy()
    return out
