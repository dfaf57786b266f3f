"""The DP recipe: the settings a private fit uses for the parameters left at their defaults.

The non-private defaults (CTGAN's) learn too slowly under a privacy budget: a DP critic
gets few, noisy steps. The recipe starts from the hand recipe that did best on the Adult
benchmark (``benchmarks/dp.py``: 60 epochs, an expected batch of 1000 of 26,000 rows, a
128-128 critic without dropout, learning rates of 1e-3, no weight average) and scales it
with the released (noisy) row count ``n``, the number of columns and epsilon:

- **expected batch** ``B = clip(round(n / 25), 32, 1000)``: a sampling rate of 4% (as on
  Adult), at most 1000 rows (the signal-to-noise ratio of a step grows with ``B``);
- **epochs** so that training takes about 1500 DP-SGD steps, ``clip(round(1500 B / n),
  1, 300)``: 60 epochs on Adult, fewer on large tables, where each step sees as much;
- **critic** of two hidden layers of 128 units from 10,000 rows (256 for more than 40
  columns), 64 below: a smaller critic has fewer coordinates for the same noise;
  **generator** of 256-256 as without DP (it is post-processing: it costs no privacy);
- **pair weight** 10: the generator is post-processing, and the released two-way marginals
  (:mod:`tabgan.privacy.pairs`) are a cleaner signal than the noisy critic's; on Adult at
  epsilon 1 a weight of 10 took shapes from 0.918 to 0.937 (two runs), TSTR 0.851 and 0.870
  against 0.862 (within the spread of the DP noise);
- **dropout** 0, **learning rates** 1e-3, **generator_ema** 0 (the weight average lags
  behind the few fast steps), **pac** 1 and **log_frequency** off (DP-SGD clips one
  record per sample, and its conditions follow the private category frequencies);
- **preprocessing share**: the smallest share of epsilon in [0.1, 0.5] whose noise is at
  most ``n / 600`` per count, so that a bin holding 1% of the rows stands out by six noise
  standard deviations (0.46 on Adult at epsilon 1, 0.5 on smaller tables). Shares compose
  as Renyi divergences, not as sums: half of epsilon for the preprocessing and a quarter
  for the two-way marginals raise DP-SGD's noise multiplier only from 7.4 to 11.6 on
  Adult at epsilon 1, and buy most of the fidelity (one fit each at 0.3, 0.4 and 0.5:
  pair trends 0.820, 0.861, 0.923 and TSTR 0.872, 0.871, 0.872; ``docs/benchmarks.md``).

Every input is public or released, so the recipe is post-processing and costs nothing.
"""

from __future__ import annotations

import math
from typing import Any

from tabgan.errors import PrivacyError
from tabgan.privacy.accounting import preprocessing_noise

__all__ = ["DEFAULT_PREPROCESSING_SHARE", "dp_recipe", "preprocessing_share"]

DEFAULT_PREPROCESSING_SHARE = 0.1
_SHARE_RANGE = (0.1, 0.5)
_ROWS_PER_NOISE = 600.0  # wanted: the preprocessing noise at most n / 600
_TARGET_STEPS = 1500
DP_PAIR_WEIGHT = 10.0


def preprocessing_share(*, n_rows: int, epsilon: float, delta: float, queries: int,
                        accountant: str) -> float:
    """The smallest share of ``epsilon`` (in [0.1, 0.5], to a hundredth) at which the
    ``queries`` preprocessing mechanisms get a noise multiplier of at most ``n / 600``."""
    low, high = _SHARE_RANGE
    if queries == 0:
        return low
    wanted = n_rows / _ROWS_PER_NOISE

    def noise(share: float) -> float:
        try:
            return preprocessing_noise(queries, share * epsilon, delta, accountant)
        except PrivacyError:  # the share is too small to pay for anything: too noisy
            return math.inf

    if noise(low) <= wanted:
        return low
    if noise(high) > wanted:
        return high
    while high - low > 0.01:
        mid = (low + high) / 2
        low, high = (low, mid) if noise(mid) <= wanted else (mid, high)
    return round(high, 2)


def dp_recipe(*, n_rows: int, n_columns: int, epsilon: float, delta: float, queries: int,
              accountant: str) -> dict[str, Any]:
    """The recipe's settings for a private fit of about ``n_rows`` rows."""
    batch = int(min(1000, max(32, round(n_rows / 25)), max(1, n_rows)))
    epochs = int(min(300, max(1, round(_TARGET_STEPS * batch / max(n_rows, 1)))))
    width = 64 if n_rows < 10_000 else (256 if n_columns > 40 else 128)
    return {
        "epochs": epochs,
        "batch_size": batch,
        "critic_dims": (width, width),
        "dropout": 0.0,
        "generator_lr": 1e-3,
        "critic_lr": 1e-3,
        "generator_ema": 0.0,
        "pair_weight": DP_PAIR_WEIGHT,
        "pac": 1,
        "log_frequency": False,
        "preprocessing_share": preprocessing_share(
            n_rows=n_rows, epsilon=epsilon, delta=delta, queries=queries,
            accountant=accountant),
    }
