"""Differentially private tabgan on the Adult table, with its defaults only: fidelity and
utility against epsilon, and the time each fit takes.

For each epsilon (delta fixed), trains ``TabGAN(epsilon=...)`` on the 80% split with no
hand-picked setting (the DP recipe chooses epochs, batch, network size, learning rates and
the preprocessing share), and prints the train-on-synthetic / test-on-real AUC for
``income`` and SDMetrics' quality score (the same measures as compare_ctgan.py), next to the
train-on-real figure, with the settings the recipe chose and the seconds the fit took.

    python benchmarks/dp.py                                # epsilon 1, 3, 10; delta 1e-6
    python benchmarks/dp.py --epsilons 1 --rows 2000 --minutes 0.2   # a smoke run
    python benchmarks/dp.py --epsilons 3 --set generator_steps=2     # an experiment
"""

from __future__ import annotations

import argparse
import ast
import time
import warnings

from common import adult_split, discrete_columns, quality_score, tstr_auc

from tabgan import TabGAN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epsilons", type=float, nargs="*", default=[1.0, 3.0, 10.0])
    parser.add_argument("--delta", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=None,
                        help="train on this many rows of the split only (smoke runs)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="max_minutes of each fit (smoke runs; the recipe's epochs "
                             "otherwise)")
    parser.add_argument("--set", nargs="*", default=[], metavar="PARAM=VALUE",
                        help="extra TabGAN parameters, e.g. generator_steps=3 (not the "
                             "defaults any more: for experiments)")
    args = parser.parse_args()
    extra = {}
    for item in args.set:
        key, value = item.split("=", 1)
        extra[key] = ast.literal_eval(value)  # numbers and tuples
    warnings.filterwarnings("ignore")

    train, test = adult_split(args.seed)
    if args.rows is not None:
        train = train.sample(n=min(args.rows, len(train)), random_state=args.seed)
    discrete = discrete_columns(train)
    print(f"Adult: {len(train)} train rows, {len(test)} test rows; delta {args.delta:g}; "
          f"defaults only{' plus ' + str(extra) if extra else ''}")
    print(f"{'real train (TRTR)':<24} TSTR AUC {tstr_auc(train, test):.3f}")
    for epsilon in args.epsilons:
        start = time.perf_counter()
        model = TabGAN(epsilon=epsilon, delta=args.delta, random_state=args.seed,
                       max_minutes=args.minutes, verbose=False, **extra).fit(train, discrete)
        seconds = time.perf_counter() - start
        synthetic = model.sample(len(train), random_state=1)
        q = quality_score(train, synthetic)
        auc = tstr_auc(synthetic, test)
        ledger = model.privacy_ledger_
        sgd = ledger.training()
        config = model.config_
        print(f"epsilon {epsilon:>5g} (spent {ledger.epsilon:.3f})   TSTR AUC {auc:.3f}   "
              f"quality {q['quality']:.3f} (shapes {q['shapes']:.3f}, pairs {q['pairs']:.3f})"
              f"   fit {seconds:.0f} s")
        print(f"    recipe: epochs {config.epochs} ({len(model.history_)} run), expected "
              f"batch {config.batch_size}, critic {config.critic_dims}, lr "
              f"{config.generator_lr:g}/{config.critic_lr:g}, preprocessing share "
              f"{ledger.recipe.get('preprocessing_share', model.preprocessing_share):g}; "
              f"sigma {sgd.noise_multiplier:.3f}, {sgd.steps} steps, n {ledger.n_rows} "
              "(noisy)")


if __name__ == "__main__":
    main()
