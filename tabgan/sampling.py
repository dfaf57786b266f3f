"""Sampling from the fitted parts of a model: generator output for a batch of conditions,
decoded to rows, and rows filtered until every condition and constraint holds. Without
conditions, a model that has target marginals draws ``pool`` times the rows asked for and
keeps the rows that its raking weights select (:mod:`tabgan.gan.raking`)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch

from tabgan.fitting import Fitted
from tabgan.gan.raking import RakedPool, rake, span_codes, systematic
from tabgan.settings import check_count
from tabgan.table.conditions import ConditionSet

__all__ = ["DEFAULT_POOL", "generate_matrix", "iter_rows", "raked_matrix", "resolved_pool"]

# Rows drawn for every row kept by raking, when ``sample_pool`` is None and the model is not
# private. Under DP the default is 1: the released two-way marginals fall back to
# independence wherever the noise hides a cell, and raking towards them cost TSTR in every
# measured fit (docs/benchmarks.md).
DEFAULT_POOL = 8

_CHUNK_FLOATS = 1 << 24  # scores of the pool held at a time (64 MiB of float32)


def generate_matrix(fitted: Fitted, n: int, rng: torch.Generator, condition=None, *,
                    fixed=None, chunk: int = 8192) -> torch.Tensor:
    """Generator output ``(n, D)`` ready to decode: alphas, and span scores whose argmax
    is a draw from the generator's distribution. ``condition`` is a batch of size ``n``;
    ``fixed=(column, category)`` conditions every row on one category; with neither,
    conditions are drawn by category frequency. Rows are made ``chunk`` at a time into one
    preallocated matrix, so the temporaries stay small."""
    generator = fitted.generator
    was_training = generator.training  # a callback may sample in the middle of a fit
    generator.eval()
    out = torch.empty(n, fitted.layout.dim, device=fitted.device)
    with torch.no_grad():
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            z = torch.randn(m, fitted.config.embedding_dim, generator=rng, device=fitted.device)
            if fitted.sampler.n_columns:
                if condition is not None:
                    vector = condition.vector[start : start + m]
                elif fixed is not None:
                    vector = fitted.sampler.fixed_condition(m, *fixed).vector
                else:
                    vector = fitted.sampler.sample_condition(m, rng).vector
                z = torch.cat([z, vector], dim=1)
            raw = generator.infer(z)
            out[start : start + m] = fitted.activation.sample_scores(raw, rng, generator.chain)
    generator.train(was_training)
    return out


def resolved_pool(sample_pool: int | None, epsilon) -> int:
    """The pool ``sample`` rakes from: ``sample_pool``, or by default ``DEFAULT_POOL``
    without DP and 1 (no raking) under DP."""
    if sample_pool is None:
        return 1 if epsilon is not None else DEFAULT_POOL
    check_count("sample_pool", sample_pool)
    return int(sample_pool)


def raked_matrix(fitted: Fitted, n: int, pool: int, rng: torch.Generator, *,
                 chunk: int | None = None) -> torch.Tensor:
    """Generator output ``(n, D)`` of ``n`` rows kept out of ``pool * n`` drawn, by raking
    weights that bring the kept rows' one- and two-way marginals to the fit's targets
    (:mod:`tabgan.gan.raking`). The pool is held as each row's draw in every span and its
    alphas, not as scores, so that its memory stays a small multiple of the rows'."""
    index = fitted.activation.layout
    chunk = chunk or max(1024, _CHUNK_FLOATS // max(fitted.layout.dim, 1))
    codes, alphas = [], []
    for start in range(0, pool * n, chunk):
        scores = generate_matrix(fitted, min(chunk, pool * n - start), rng)
        codes.append(span_codes(scores, index).int())  # half the memory of long
        alphas.append(scores[:, index.tanh_index])
        del scores
    codes, alphas = torch.cat(codes), torch.cat(alphas)
    weights = rake(RakedPool(codes, index, fitted.targets), n)
    keep = systematic(weights, n, rng)
    out = torch.zeros(n, fitted.layout.dim, device=fitted.device)
    out[:, index.tanh_index] = alphas[keep]
    out.scatter_(1, index.soft_index[codes[keep].long()], 1.0)
    return out


def _rows(fitted: Fitted, n: int, conds: ConditionSet, rng, np_rng, pool: int = 1
          ) -> pd.DataFrame:
    if n == 0:
        matrix = torch.zeros(0, fitted.layout.dim)
    elif pool > 1 and fitted.targets is not None and not conds:
        matrix = raked_matrix(fitted, n, pool, rng)
    else:
        matrix = generate_matrix(fitted, n, rng, fixed=conds.condition_target())
    return fitted.transformer.inverse_transform(matrix, random_state=int(np_rng.integers(2**62)))


def iter_rows(fitted: Fitted, n: int, conds: ConditionSet, *, seed: int, batch_size: int,
              max_tries: int, pool: int = 1) -> Iterator[pd.DataFrame]:
    """Exactly ``n`` rows in chunks of at most ``batch_size``, each satisfying ``conds`` and
    every constraint; an error once ``max_tries`` batches more than ``n`` needs at full
    acceptance have been drawn. Without conditions each chunk is raked out of ``pool``
    times its rows (1: every row drawn is kept)."""
    sieve = fitted.constraints.sieve(conds)  # undoes the transforms, checks every row
    rng = torch.Generator(device=fitted.device).manual_seed(int(seed))
    np_rng = np.random.default_rng(int(seed))
    limit = max_tries + math.ceil(n / batch_size)
    have = tries = 0
    yielded = False
    while have < n:
        if tries >= limit:
            raise sieve.unsatisfiable(have, n, tries * batch_size)
        frame = sieve.filter(_rows(fitted, sieve.want(n - have, batch_size), conds, rng, np_rng,
                                   pool))
        tries += 1
        if len(frame):
            frame = frame.iloc[: n - have].reset_index(drop=True)
            have += len(frame)
            yielded = True
            yield frame
    if not yielded:
        yield sieve.filter(_rows(fitted, 0, conds, rng, np_rng))
