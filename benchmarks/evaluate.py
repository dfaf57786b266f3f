"""Time ``tabgan.evaluate.evaluate`` on Adult: 80/20 train/holdout split, every section.

The synthetic table is a stand-in, since only the evaluation is timed:

- ``independent``: every column drawn on its own from the train marginals (realistic
  shapes, no pair trends);
- ``noisy-copy``: the train rows with Gaussian noise on the numbers and 10% of the
  categories swapped (high fidelity, high privacy risk).

Usage::

    python benchmarks/evaluate.py [--synthetic independent|noisy-copy] [--seed 0]

Prints the seconds of every step and the total; the target is under 60 s on a 2-core
machine. The machine's load average is printed too, since other work on it slows every step.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from tabgan.datasets import ADULT_TARGET, load_adult
from tabgan.evaluate import evaluate


def independent(train: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(train)
    return pd.DataFrame(
        {c: train[c].to_numpy()[rng.integers(0, n, n)] for c in train.columns}
    ).astype(train.dtypes.to_dict())


def noisy_copy(train: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = train.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values):
            noise = rng.normal(0.0, 0.05 * float(values.std()), len(values))
            out[column] = (values + noise).round().astype(values.dtype)
        else:
            swap = rng.random(len(values)) < 0.1
            out.loc[swap, column] = values.to_numpy()[rng.integers(0, len(values), swap.sum())]
    return out


STAND_INS = {"independent": independent, "noisy-copy": noisy_copy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", choices=sorted(STAND_INS), default="independent")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    data = load_adult()
    order = rng.permutation(len(data))
    n_train = int(0.8 * len(data))
    train = data.iloc[order[:n_train]].reset_index(drop=True)
    holdout = data.iloc[order[n_train:]].reset_index(drop=True)
    synthetic = STAND_INS[args.synthetic](train, rng)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"adult: train {len(train):,}, holdout {len(holdout):,}, synthetic {len(synthetic):,} "
        f"({args.synthetic}); {os.cpu_count()} cores, load average {load:.2f}"
    )
    started = time.perf_counter()
    result = evaluate(
        train, synthetic, holdout=holdout, target=ADULT_TARGET, random_state=args.seed
    )
    total = time.perf_counter() - started
    for step, seconds in result.info.seconds.items():
        if step != "total":
            print(f"  {step:<18}{seconds:7.1f} s")
    print(f"  {'total':<18}{total:7.1f} s  (target: under 60 s)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average after: {load:.2f}")


if __name__ == "__main__":
    main()
