"""Differentially private tabgan on the Adult table, with its defaults only: fidelity,
utility and privacy against epsilon, and the time each fit takes.

For each epsilon (delta fixed), trains ``TabGAN(epsilon=...)`` on the 80% split with no
hand-picked setting (the DP recipe chooses epochs, batch, network size, learning rates and
the preprocessing share) and scores its synthetic table with the independent scorer of the
fidelity benchmark (``scoring.py``: SDMetrics' shapes and pair trends, HistGradientBoosting
train-on-synthetic / test-on-real AUC for ``income`` and detection AUC), next to the
train-on-real figure. Then the privacy side: the distance and density (DOMIAS) membership
attacks' TPR at 1% FPR (train rows against the real test split), and with ``--canaries M``
the canary audit's empirical lower bound on epsilon (one more fit per epsilon).

    python benchmarks/dp.py                                # epsilon 1, 3, 10; delta 1e-6
    python benchmarks/dp.py --canaries 200                 # and the canary audit
    python benchmarks/dp.py --epsilons 1 --rows 2000 --minutes 0.2   # a smoke run
    python benchmarks/dp.py --epsilons 3 --set generator_steps=2     # an experiment
"""

from __future__ import annotations

import argparse
import ast
import time
import warnings

import scoring
import tables

from tabgan import TabGAN, sampling


def _membership(train, test, synthetic, seed):
    """TPR at 1% FPR of each membership attack, by tabgan's evaluation (the attacks are
    the measurement here; the scores above come from the independent scorer)."""
    from tabgan.evaluate import evaluate

    result = evaluate(train, synthetic, holdout=test, sections=["membership"],
                      random_state=seed, verbose=False)
    return {a.name: a.tpr_at_fpr["0.01"].value for a in result.privacy.membership}


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
    parser.add_argument("--canaries", type=int, default=None,
                        help="also run the canary audit with this many canaries")
    parser.add_argument("--set", nargs="*", default=[], metavar="PARAM=VALUE",
                        help="extra TabGAN parameters, e.g. generator_steps=3 (not the "
                             "defaults any more: for experiments)")
    parser.add_argument("--pools", type=int, nargs="+", default=None,
                        help="sample every fit with each of these sample_pool values (one "
                             "line each, from the same fit; default: the model's own)")
    args = parser.parse_args()
    extra = {}
    for item in args.set:
        key, value = item.split("=", 1)
        extra[key] = ast.literal_eval(value)  # numbers and tuples
    warnings.filterwarnings("ignore")

    table = tables.load("adult")
    train, test = tables.split(table, args.seed)
    if args.rows is not None:
        train = train.sample(n=min(args.rows, len(train)), random_state=args.seed)
    print(f"Adult: {len(train)} train rows, {len(test)} test rows; delta {args.delta:g}; "
          f"defaults only{' plus ' + str(extra) if extra else ''}", flush=True)
    trtr = scoring.tstr(train, test, table.target, table.positive, args.seed)
    print(f"{'real train (TRTR)':<24} TSTR AUC {trtr:.3f}", flush=True)
    for epsilon in args.epsilons:
        model = TabGAN(epsilon=epsilon, delta=args.delta, random_state=args.seed,
                       max_minutes=args.minutes, verbose=False, **extra)
        start = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - start
        ledger = model.privacy_ledger_
        sgd = ledger.training()
        config = model.config_
        for pool in args.pools or [None]:
            if pool is not None:
                model.set_params(sample_pool=pool)
            synthetic = model.sample(len(train), random_state=args.seed + 1)
            s = scoring.score(train, test, synthetic, table.target, table.positive, args.seed)
            tpr = _membership(train, test, synthetic, args.seed)
            shown = (f" pool {sampling.resolved_pool(model.sample_pool, model.epsilon)}"
                     if args.pools else "")
            print(f"epsilon {epsilon:>4g}{shown} (spent {ledger.epsilon:.3f})  shapes "
                  f"{s['shapes']:.3f}  trends {s['trends']:.3f}  TSTR {s['tstr']:.3f}  "
                  f"detection {s['detection']:.3f}  TPR@1%FPR distance "
                  f"{tpr.get('distance_attack', float('nan')):.3f} density "
                  f"{tpr.get('density_ratio_attack', float('nan')):.3f}  fit {seconds:.0f} s",
                  flush=True)
        print(f"    recipe: epochs {config.epochs} ({len(model.history_)} run), expected "
              f"batch {config.batch_size}, critic {config.critic_dims}, lr "
              f"{config.generator_lr:g}/{config.critic_lr:g}, preprocessing share "
              f"{ledger.recipe.get('preprocessing_share', model.preprocessing_share):g}; "
              f"sigma {sgd.noise_multiplier:.3f}, {sgd.steps} steps, n {ledger.n_rows} "
              "(noisy)", flush=True)
        if args.canaries:
            from tabgan.canaries import canary_audit

            result = canary_audit(train, model, args.canaries, random_state=args.seed)
            print(f"    canary audit: {args.canaries} canaries, {result.n_included} included; "
                  f"epsilon lower bound {result.epsilon_lower_bound:.3f} against the claim "
                  f"{result.claimed_epsilon:.3f} ({'FAILED' if result.exceeds_claim else 'passed'}"
                  f"), canary AUC {result.auc:.3f}, {result.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
