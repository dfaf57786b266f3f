"""Fit + transform the Adult table with tabgan's TableTransformer and with ctgan's.

The reference is ``ctgan.data_transformer.DataTransformer`` (the ``bench`` extra): it fits
a Bayesian Gaussian mixture on every row of every numeric column and transforms row by row
per column. Both get the same frame, and the discrete columns are its object columns.

    python benchmarks/transformer.py                 # 3 reference repeats, 10 for tabgan
    python benchmarks/transformer.py --repeats 1 --tabgan-repeats 5
    python benchmarks/transformer.py --skip-reference
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import pandas as pd
from common import is_text

from tabgan import TableTransformer
from tabgan.datasets import load_adult


def time_runs(label: str, fit: Callable, transform: Callable, repeats: int) -> dict:
    """Run ``fit`` then ``transform`` ``repeats`` times, printing each repeat's seconds."""
    times: dict[str, list[float]] = {"fit": [], "transform": [], "total": []}
    width = 0
    for i in range(repeats):
        start = time.perf_counter()
        model = fit()
        fitted = time.perf_counter()
        matrix = transform(model)
        done = time.perf_counter()
        times["fit"].append(fitted - start)
        times["transform"].append(done - fitted)
        times["total"].append(done - start)
        width = matrix.shape[1]
        print(
            f"{label:<8} repeat {i + 1}/{repeats}: fit {fitted - start:7.2f} s   "
            f"transform {done - fitted:6.2f} s   total {done - start:7.2f} s",
            flush=True,
        )
    times["width"] = width
    return times


def print_medians(label: str, times: dict) -> float:
    fit = statistics.median(times["fit"])
    transform = statistics.median(times["transform"])
    total = statistics.median(times["total"])
    print(f"{label:<8} fit median            {fit:7.2f} s")
    print(f"{label:<8} transform median      {transform:7.2f} s")
    print(f"{label:<8} fit+transform median  {total:7.2f} s   ({times['width']} output columns)")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the ctgan reference")
    parser.add_argument("--tabgan-repeats", type=int, default=10, help="repeats of tabgan")
    parser.add_argument("--skip-reference", action="store_true", help="time tabgan only")
    args = parser.parse_args()

    data = load_adult()
    discrete = [c for c in data.columns if is_text(data[c])]
    print(
        f"Adult: {len(data):,} rows x {data.shape[1]} columns "
        f"({data.shape[1] - len(discrete)} numeric, {len(discrete)} discrete); "
        f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, pandas {pd.__version__}"
    )

    # tabgan infers the same split (its numeric Adult columns all have > 10 values); the
    # discrete columns are passed anyway, as they are to the reference.
    ours = time_runs(
        "tabgan",
        lambda: TableTransformer(random_state=0).fit(data, discrete_columns=discrete),
        lambda model: model.transform(data),
        args.tabgan_repeats,
    )
    reference = None
    if not args.skip_reference:
        from ctgan.data_transformer import DataTransformer

        def fit_reference():
            model = DataTransformer()  # its fit returns None: hand the instance on
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(data, discrete_columns=discrete)
            return model

        def transform_reference(model):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return model.transform(data)

        reference = time_runs("ctgan", fit_reference, transform_reference, args.repeats)

    print()
    ours_total = print_medians("tabgan", ours)
    if reference is not None:
        ref_total = print_medians("ctgan", reference)
        print(f"speed-up {ref_total / ours_total:.1f}x   (ctgan / tabgan, fit+transform medians)")


if __name__ == "__main__":
    main()
