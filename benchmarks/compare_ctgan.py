"""tabgan against SDV's ctgan package on the Adult table, in one run.

Both models train with the same epochs and batch size on the same 80/20 split. The script
prints seconds per epoch (the median over epochs) and their ratio, transformer time,
sampling speed, SDMetrics' quality score, and the train-on-synthetic / test-on-real AUC of
a gradient-boosted classifier for ``income`` next to the train-on-real figure. A second
part trains tabgan for a fixed wall-clock budget (``--minutes``) and scores it the same way.

    python benchmarks/compare_ctgan.py                # about 15-20 minutes on 2 cores
    python benchmarks/compare_ctgan.py --minutes 0    # only the same-epochs comparison
    python benchmarks/compare_ctgan.py --skip-reference --budget-epochs 200 --set generator_ema=0
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time
import warnings

from common import adult_split, discrete_columns, quality_score, tstr_auc

from tabgan import TabGAN, TableTransformer


def _ctgan_epoch_times(model, train, discrete, epochs):
    """Fit ctgan and record each epoch's wall time through its epoch iterator."""
    import ctgan.synthesizers.ctgan as module

    stamps = []
    original = module.tqdm

    def timed(iterable, *args, **kwargs):
        for item in original(iterable, *args, **kwargs):
            stamps.append(time.perf_counter())
            yield item
        stamps.append(time.perf_counter())

    module.tqdm = timed
    try:
        start = time.perf_counter()
        model.fit(train, discrete)
        total = time.perf_counter() - start
    finally:
        module.tqdm = original
    return [b - a for a, b in zip(stamps[:-1], stamps[1:], strict=True)], total


def _transformer_times(train, discrete, repeats):
    from ctgan.data_transformer import DataTransformer

    def ours():
        TableTransformer(random_state=0).fit(train).transform(train)

    def theirs():
        t = DataTransformer()
        t.fit(train, discrete)
        t.transform(train)

    return _median(ours, repeats), _median(theirs, 1)


def _median(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rows_per_second(sample, n):
    start = time.perf_counter()
    sample(n)
    return n / (time.perf_counter() - start)


def _report(name, train, test, synthetic):
    q = quality_score(train, synthetic)
    auc = tstr_auc(synthetic, test)
    print(f"{name:<22} quality {q['quality']:.3f} (shapes {q['shapes']:.3f}, pairs "
          f"{q['pairs']:.3f})   TSTR AUC {auc:.3f}")
    return q, auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs for both models")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="tabgan's wall-clock training budget for the second part (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-rows", type=int, default=100_000)
    parser.add_argument("--budget-epochs", type=int, default=None,
                        help="train the budget model for this many epochs instead of --minutes "
                             "(the epochs that fit in the budget on a quiet machine)")
    parser.add_argument("--skip-reference", action="store_true",
                        help="tabgan only: no ctgan run")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PARAM=VALUE", help="a TabGAN parameter for both tabgan runs "
                                                    "(a Python literal; repeatable)")
    args = parser.parse_args()
    params = {}
    for item in args.overrides:
        key, _, value = item.partition("=")
        params[key] = ast.literal_eval(value)
    warnings.filterwarnings("ignore")

    train, test = adult_split(args.seed)
    discrete = discrete_columns(train)
    print(f"Adult: {len(train)} train rows, {len(test)} test rows; epochs {args.epochs}, "
          f"batch {args.batch_size}")

    if not args.skip_reference:
        ours_tf, theirs_tf = _transformer_times(train, discrete, repeats=5)
        print(f"transformer fit+transform   tabgan {ours_tf:6.2f} s   ctgan {theirs_tf:6.2f} s   "
              f"ratio {theirs_tf / ours_tf:5.1f}x")

    ours = TabGAN(epochs=args.epochs, batch_size=args.batch_size, random_state=args.seed,
                  verbose=False, **params).fit(train, discrete)
    ours_epoch = statistics.median(ours.history_["seconds"])
    if args.skip_reference:
        print(f"seconds per epoch (median)  tabgan {ours_epoch:6.2f} s")
        print(f"{'real train (TRTR)':<22} TSTR AUC {tstr_auc(train, test):.3f}")
        _report(f"tabgan {args.epochs} epochs", train, test,
                ours.sample(len(train), random_state=1))
        _budget(args, params, train, test, discrete)
        return

    from ctgan import CTGAN

    theirs = CTGAN(epochs=args.epochs, batch_size=args.batch_size, verbose=False)
    theirs.set_random_state(args.seed)
    epoch_times, _ = _ctgan_epoch_times(theirs, train, discrete, args.epochs)
    theirs_epoch = statistics.median(epoch_times)
    print(f"seconds per epoch (median)  tabgan {ours_epoch:6.2f} s   ctgan {theirs_epoch:6.2f} s"
          f"   ratio {theirs_epoch / ours_epoch:5.1f}x")

    n = args.sample_rows
    print(f"sampling rows/s             tabgan {_rows_per_second(ours.sample, n):9.0f}   "
          f"ctgan {_rows_per_second(theirs.sample, n):9.0f}")

    print(f"{'real train (TRTR)':<22} TSTR AUC {tstr_auc(train, test):.3f}")
    _report(f"tabgan {args.epochs} epochs", train, test, ours.sample(len(train), random_state=1))
    _report(f"ctgan {args.epochs} epochs", train, test, theirs.sample(len(train)))

    _budget(args, params, train, test, discrete)


def _budget(args, params, train, test, discrete) -> None:
    """The second part: tabgan with a wall-clock budget (or its epochs)."""
    if args.budget_epochs:
        budget = TabGAN(epochs=args.budget_epochs, batch_size=args.batch_size,
                        random_state=args.seed, verbose=False, **params).fit(train, discrete)
        label = f"tabgan {args.budget_epochs} epochs"
    elif args.minutes > 0:
        budget = TabGAN(epochs=100_000, max_minutes=args.minutes, batch_size=args.batch_size,
                        random_state=args.seed, verbose=False, **params).fit(train, discrete)
        label = f"tabgan {args.minutes:g} min ({len(budget.history_)} ep)"
    else:
        return
    _report(label, train, test, budget.sample(len(train), random_state=1))
    print(f"{'':<22} trained in {budget.fit_seconds_:.0f} s")


if __name__ == "__main__":
    main()
