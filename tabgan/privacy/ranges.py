"""A numeric column's range and shape from two noisy histograms.

Everything here after the noise is post-processing of the two releases (and of the noisy
row count); none of it reads a value.

1. **Range** (:func:`coarse_range`): a histogram on a data-independent logarithmic grid,
   ``0`` and ``+-10^(k/r)`` from 1e-3 to 1e15, with ``r = 4`` bins per decade, or ``r = 8``
   when the noisy count is large against the noise (a finer grid only pays when its bins
   still hold many records). Bins whose noisy count clears a threshold that pure noise
   crosses in fewer than 0.1% of fits (over all bins together) mark where the values are
   (and blocks of four bins that clear it, for a tail too spread out for any one bin;
   more than a decade from the others, a bin or block must clear the level that pure
   noise crosses in one release in a million);
   the span grows from them through neighbouring bins above 2.5 noise standard deviations,
   and is widened by a factor 10^(1/4) on each side, so that tails too thin to stand out
   are kept rather than clipped. A lower end more
   than a decade below the upper end (values spread over more than a decade) is taken to
   zero, and likewise for negative values: the log grid cannot see how close to zero such
   values come (datetimes excepted: their zero is an arbitrary epoch).
2. **Shape** (:func:`fine_edges`, :func:`refine`, :func:`denoise`): a histogram of 100
   equal bins over that range (an integer column's bins hold whole integers: one each for
   a small range). :func:`combine` makes an integer column's histogram consistent with
   the range histogram, whose bins that hold exactly the integers of some of its inner
   bins count them a second time (least squares; half the noise variance where a range
   bin holds one integer).
   Its blocks of 1, 2, 5 or 10 bins are found the same way (grown from blocks above the
   0.1% threshold through blocks above 2.5 standard deviations); at the finest block size
   whose blocks hold 97% of the column's released count of values (give or take the
   noise), the range
   shrinks to them (plus a tenth of their span, at least one block, on each side), but not
   inside the span of the coarse histogram's significant bins unless those blocks are
   compact (a tenth of the range or less): a narrow column in a wide coarse range comes
   back narrow, a spread-out one keeps what the coarse release saw. Where no block size
   accounts for 99% of the values, the noise is too large to tell where the tails end, and
   the coarse range stays. The shape the mixture is fitted to
   keeps each bin at the finest scale where the bins of its block that no finer block
   settled stand out together, so that the noise floor of the empty bins does not spread
   synthetic values over the whole range, and a full bin does not lend its mass to empty
   neighbours (which would move the synthetic column's ends past the real ones); beyond
   the outermost kept bins, :func:`extend_tails` adds thin geometric tails for as long as
   the noisy counts agree with them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

__all__ = [
    "HISTOGRAM_BINS",
    "coarse_edges",
    "coarse_range",
    "fine_edges",
    "splits_zero",
    "integer_width",
    "combine",
    "refine",
    "denoise",
    "extend_tails",
    "significance",
]

HISTOGRAM_BINS = 100  # bins of the shape histogram
_DECADES = (-3, 15)  # |x| from 1e-3 to 1e15 (datetimes in seconds are ~1e9)
_FINE_GRID_SNR = 100.0  # noisy rows per noise unit above which the range grid has 8 bins a decade
_BLOCKS = (1, 2, 5, 10)
_COVERED = 0.97  # share of the values the significant blocks must hold for the range to shrink
_COMPACT = 0.1  # significant blocks within this share of the bins may cut into the core
_FALSE_ALARM = 0.05  # chance that pure noise clears a threshold anywhere in a histogram
_SEED_ALARM = 1e-3  # ... for the bins the range grows from
_FAR_ALARM = 1e-6  # ... for those more than a decade from the rest
_GROW = 2.5  # noise standard deviations a neighbouring bin needs to join them
TAIL_DECAY = 0.8  # the slowest a thin tail beyond the kept bins decays, bin to bin
TAIL_AGREE = 2.0  # noise standard deviations the tail's counts may fall below it


def significance(count: int) -> float:
    """Threshold, in noise standard deviations, that ``count`` bins of pure noise all stay
    under except in 5% of releases (the normal's inverse survival function)."""
    return float(-ndtri(_FALSE_ALARM / max(count, 1)))


def coarse_edges(per_decade: int = 4) -> np.ndarray:
    """Data-independent edges: 0 and +-10^(k/per_decade) for |x| from 1e-3 to 1e15."""
    low, high = _DECADES
    k = np.arange(low * per_decade, high * per_decade + 1)
    powers = 10.0 ** (k / per_decade)
    return np.concatenate([-powers[::-1], [0.0], powers])


def coarse_per_decade(n_rows: float, sigma: float) -> int:
    """Bins per decade of the range histogram: 8 when the noisy count is large against
    the noise, else 4."""
    return 8 if math.isfinite(sigma) and n_rows >= _FINE_GRID_SNR * sigma else 4


def coarse_range(noisy: np.ndarray, edges: np.ndarray, sigma: float, per_decade: int, *,
                 to_zero: bool = True) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (low, high) range from the noisy coarse histogram (see the module docstring),
    and its core: the span of the significant bins alone, before widening. ``to_zero=False``
    (datetimes, whose zero is an arbitrary epoch) never takes an end to zero."""
    widen = max(1, per_decade // 4)  # one quarter decade
    # tails spread out over half a decade (a decade on the coarser grid) count too
    first, last = _grown(noisy, sigma, widen, block=4, reach=per_decade)
    core = low, high = float(edges[first]), float(edges[last + 1])
    # An end at zero stays there: the bin [0, 1e-3) holds the zeros, and no negative value
    # stood out below it (likewise for non-positive values).
    if to_zero and 0 <= low <= high / 10:
        low = 0.0
    elif not (to_zero and low == 0):
        low = float(edges[max(first - widen, 0)])
    if to_zero and 0 >= high >= low / 10:
        high = 0.0
    elif not (to_zero and high == 0):
        high = float(edges[min(last + 1 + widen, len(edges) - 1)])
    return (low, high), (max(core[0], low), min(core[1], high))


def _per_bin(sigma, n: int) -> np.ndarray:
    """Each bin's noise standard deviation: ``sigma`` a scalar or one per bin."""
    return np.broadcast_to(np.asarray(sigma, dtype=np.float64), (n,))


def _block_sd(sd: np.ndarray, size: int) -> np.ndarray:
    """The noise standard deviation of each block of ``size`` bins' sum."""
    return np.sqrt(np.add.reduceat(sd**2, np.arange(0, len(sd), size)))


def _grown(noisy: np.ndarray, sigma, gap: int, block: int = 0,
           reach: int | None = None) -> tuple[int, int]:
    """First and last bin of the values: the bins that pure noise clears in fewer than
    0.1% of releases (the seeds; the fullest bin when none does), grown outwards through
    bins above 2.5 noise standard deviations with gaps of at most ``gap`` bins. Thin
    tails next to the values are still seen. With ``block``, blocks of that many bins
    outside this span that clear the same threshold (a tail too spread out for any single
    bin) extend it to their farthest bin above one standard deviation. With ``reach``,
    a seed or block more than ``reach`` bins from the span joins it only if pure noise
    clears its level in fewer than one in a million releases: the one-in-a-thousand
    false alarm would otherwise, once in a thousand releases, stretch the range over
    decades where no value is (and squeeze every value into one bin of the shape
    histogram). ``sigma`` is the noise standard deviation, one for all bins or one per
    bin."""
    sigma = _per_bin(sigma, len(noisy))
    alarm = float(-ndtri(_SEED_ALARM / len(noisy)))
    seeds = np.flatnonzero(noisy > sigma * alarm)
    far = float(-ndtri(_FAR_ALARM / len(noisy)))
    if reach is not None and len(sure := np.flatnonzero(noisy > sigma * far)):
        first, last = _linked(seeds, int(sure[0]), int(sure[-1]), reach)
    elif len(seeds):
        first, last = int(seeds[0]), int(seeds[-1])
    else:
        first = last = int(np.argmax(noisy))
    above = noisy > _GROW * sigma
    while (grow := [i for i in range(max(first - gap - 1, 0), first) if above[i]]):
        first = grow[0]
    while (grow := [i for i in range(last + 1, min(last + gap + 2, len(noisy))) if above[i]]):
        last = grow[-1]
    if block > 1 and block <= len(noisy):
        starts, sums = _blocks(noisy, block)
        block_sd = _block_sd(sigma, block)
        alarm = float(-ndtri(_SEED_ALARM / len(sums)))
        far = float(-ndtri(_FAR_ALARM / len(sums)))
        for start in starts[sums > block_sd * alarm]:
            bins = np.arange(start, min(start + block, len(noisy)))
            if bins[-1] < first or bins[0] > last:  # a tail outside the span
                distance = max(first - bins[-1], bins[0] - last)
                if (reach is not None and distance > reach
                        and sums[start // block] <= block_sd[start // block] * far):
                    continue
                some = bins[noisy[bins] > sigma[bins]]
                some = some if len(some) else bins
                first, last = min(first, int(some[0])), max(last, int(some[-1]))
    return first, last


def _linked(seeds: np.ndarray, first: int, last: int, reach: int) -> tuple[int, int]:
    """[first, last] grown by every seed that a chain of seeds at most ``reach`` bins
    apart links to it."""
    while True:
        near = seeds[(seeds >= first - reach) & (seeds <= last + reach)]
        low, high = int(near.min(initial=first)), int(near.max(initial=last))
        if (low, high) == (first, last):
            return first, last
        first, last = low, high


def fine_edges(kind: str, low: float, high: float) -> np.ndarray:
    """Edges of the shape histogram over [low, high]. An integer column's bins hold whole
    integers, their edges half-way between two (k - 0.5): one integer a bin for a range of
    at most HISTOGRAM_BINS integers, else ceil(span / (HISTOGRAM_BINS - 1)) a bin, which
    keeps the bins at most HISTOGRAM_BINS; every bin holds as many (so that a position
    drawn inside a bin rounds to one of its own integers, never to a neighbour's) and
    starts at a multiple of their number (zero starts a bin: no bin is centred on a
    released zero spike). Any other column: HISTOGRAM_BINS equal bins."""
    if high <= low:
        high = low + 1.0
    if kind == "integer":
        first, last = math.floor(low), math.ceil(high)
        span = last - first + 1
        # bins start at multiples of the width (zero starts one), which can reach one
        # width below ``first``: HISTOGRAM_BINS - 1 widths cover the rest
        width = 1 if span <= HISTOGRAM_BINS else math.ceil(span / (HISTOGRAM_BINS - 1))
        start = first - first % width
        count = math.ceil((last - start + 1) / width)
        return start - 0.5 + width * np.arange(count + 1, dtype=np.float64)
    return np.linspace(low, high, HISTOGRAM_BINS + 1)


def integer_width(edges: np.ndarray) -> int:
    """How many integers each bin of :func:`fine_edges`'s integer layouts holds (edges at
    k - 0.5, a whole number apart); 0 for any other edges."""
    steps = np.diff(edges)
    if (len(steps) == 0 or edges[0] % 1 != 0.5 or not np.all(steps == steps[0])
            or steps[0] % 1 != 0):
        return 0
    return int(steps[0])


def splits_zero(edges: np.ndarray) -> bool:
    """Whether zero lies in the range of ``edges`` inside a bin that can hold other values
    too: every bin but those of :func:`fine_edges`'s one integer each, which hold zero
    alone already."""
    return bool(edges[0] <= 0 <= edges[-1]) and integer_width(edges) != 1


def combine(noisy: np.ndarray, edges: np.ndarray, coarse_noisy: np.ndarray,
            coarse: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The shape histogram ``noisy`` (bins of whole integers) made consistent with the
    range histogram ``coarse_noisy`` (edges ``coarse``), both released with noise
    ``sigma``: every range bin whose integers are exactly those of ``k`` inner bins of the
    shape histogram counts their sum a second time, and least squares over the two
    releases moves each of those bins by ``(range count - their noisy sum) / (k + 1)``,
    which leaves each one's noise at ``sigma * sqrt(k / (k + 1))`` (half the variance
    where a range bin holds one integer, as small integers do on the logarithmic grid).
    The end bins, which also hold the values clipped into them, and every other layout
    are left as they are. Returns the counts and each bin's noise standard deviation;
    post-processing, no value read."""
    out = np.array(noisy, dtype=np.float64)
    sd = np.full(len(out), float(sigma))
    width, m = integer_width(edges), len(out)
    if not width or m < 3:
        return out, sd
    start = int(edges[0] + 0.5)  # the first bin's first integer
    lo = max(int(np.searchsorted(coarse, edges[0], side="right")) - 1, 0)
    hi = min(int(np.searchsorted(coarse, edges[-1], side="right")), len(coarse_noisy))
    for j in range(lo, hi):
        first, last = math.ceil(coarse[j]), math.ceil(coarse[j + 1]) - 1  # its integers
        i0, r0 = divmod(first - start, width)
        i1, r1 = divmod(last + 1 - start, width)  # bins i0 .. i1 - 1
        if last < first or r0 or r1 or i0 < 1 or i1 > m - 1:
            continue
        k = i1 - i0
        out[i0:i1] += (coarse_noisy[j] - out[i0:i1].sum()) / (k + 1)
        sd[i0:i1] = sigma * math.sqrt(k / (k + 1))
    return out, sd


def _blocks(noisy: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    starts = np.arange(0, len(noisy), size)
    return starts, np.add.reduceat(noisy, starts)


def refine(noisy: np.ndarray, edges: np.ndarray, sigma, n_values: float,
           count_sigma: float = 0.0,
           core: tuple[float, float] | None = None) -> tuple[float, float]:
    """The range shrunk to the significant blocks of the shape histogram, at the finest
    block size whose significant blocks hold 97% of ``n_values`` (the released count of
    non-null values, whose noise has standard deviation ``count_sigma``), give or take one
    standard deviation of the noise in that comparison;
    the full range of ``edges`` when no block size does. Unless those blocks are compact
    (a quarter of the range or less: a narrow column in a wide coarse range), the range
    keeps the coarse histogram's ``core``, where values were seen to be: spread-out
    columns, heavy tails above all, lose nothing that the coarse release saw. ``sigma``
    is the noise standard deviation, one for all bins or one per bin."""
    m = len(noisy)
    sd = _per_bin(sigma, m)
    for size in _BLOCKS:
        if size > m:
            break
        starts, sums = _blocks(noisy, size)
        block_sd = _block_sd(sd, size)
        if not np.any(sums > block_sd * float(-ndtri(_SEED_ALARM / len(sums)))):
            continue
        first, last = _grown(sums, block_sd, 1)
        stop = min(starts[last] + size, m)
        # one standard deviation of the comparison's noise: the count's and the blocks'
        slack = math.hypot(count_sigma, math.sqrt(float(np.sum(sd[starts[first]:stop] ** 2))))
        spread = stop - starts[first]  # bins
        if sums[first : last + 1].sum() < _COVERED * n_values - slack:
            continue
        margin = max(1, math.ceil(0.1 * (last - first + 1)))
        a, b = max(first - margin, 0), min(last + margin, len(sums) - 1)
        low, high = float(edges[starts[a]]), float(edges[min(starts[b] + size, m)])
        if core is not None and spread > _COMPACT * m:
            low, high = min(low, core[0]), max(high, core[1])
        return low, high
    return float(edges[0]), float(edges[-1])


def denoise(noisy: np.ndarray, sigma) -> np.ndarray:
    """Non-negative bin weights from a noisy histogram, block by block at sizes 1, 2, 5 and
    10: a block's bins that no finer block has settled share the mean of their noisy counts
    when those counts together stand out of the noise; bins that none settles weigh 0 (all
    zeros when nothing stands out). A full bin lends no mass to its empty neighbours: the
    counts it holds settle it first, and what its block's other bins hold must stand out on
    its own. ``sigma`` is the noise standard deviation, one for all bins or one per bin."""
    out = np.zeros(len(noisy))
    settled = np.zeros(len(noisy), dtype=bool)
    variance = _per_bin(sigma, len(noisy)) ** 2
    for size in _BLOCKS:
        if size > len(noisy):
            break
        starts = np.arange(0, len(noisy), size)
        threshold = significance(len(starts))
        for start in starts:
            free = np.flatnonzero(~settled[start:start + size]) + start
            if len(free) and noisy[free].sum() > threshold * math.sqrt(variance[free].sum()):
                out[free] = noisy[free].sum() / len(free)
                settled[free] = True
    return out


def extend_tails(weights: np.ndarray, noisy: np.ndarray, sigma) -> np.ndarray:
    """``weights`` (denoised) with thin tails beyond their outermost kept bins: from each
    end, a geometric decay (the end bin's weight times the ratio of the end bin to its
    inner neighbour, at most ``TAIL_DECAY``) runs outwards for as long as the noisy counts
    agree with it (their sum over the tail's bins so far falls no more than ``TAIL_AGREE``
    standard deviations below what the tail expects: the deviation of that difference,
    which holds the noise of those bins and the noise that the two end bins' counts put
    into the tail's first expected count) and what the tail would still hold is more than
    one noise standard deviation (a row, without noise). A column whose values fade out
    (ages towards 90) keeps a tail that no single bin showed; one that stops sharply (a
    top code) does not grow one, since its next bin's count is far below what its full
    end bins predict; a thin end of a few dozen rows below one of a hundred, whose
    predicted next count is itself uncertain, is not cut off by the noise of that
    prediction. ``sigma`` is the noise standard deviation, one for all bins or one per
    bin."""
    out = np.array(weights, dtype=np.float64)
    sd = _per_bin(sigma, len(out))
    kept = np.flatnonzero(out > 0)
    if len(kept) == 0:
        return out
    for end, step in ((int(kept[0]), -1), (int(kept[-1]), 1)):
        inner = end - step
        ratio = TAIL_DECAY
        expected = out[end] * ratio
        # the first expected count's noise: w_end^2 / w_inner moves by 2 E / w_end and
        # -E / w_inner per row of the two end bins (by E / w_end when the ratio is capped)
        start = (expected / out[end] * sd[end]) ** 2
        if 0 <= inner < len(out) and out[inner] > 0 and out[end] < TAIL_DECAY * out[inner]:
            ratio = out[end] / out[inner]
            expected = out[end] * ratio
            start = (2 * expected / out[end] * sd[end]) ** 2 + (
                expected / out[inner] * sd[inner]) ** 2
        k, gap, variance = end + step, 0.0, start
        # it stops where what it would still hold, expected / (1 - ratio), is no more
        # than one noise standard deviation: too little for the counts to confirm
        while (0 <= k < len(out) and out[k] == 0
               and expected / (1 - ratio) > max(sd[k], 1.0)):
            gap, variance = gap + noisy[k] - expected, variance + sd[k] ** 2
            if gap < -TAIL_AGREE * math.sqrt(variance):
                break
            out[k] = expected
            expected, k = expected * ratio, k + step
    return out
