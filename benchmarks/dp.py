"""Differentially private tabgan on the Adult table: fidelity against epsilon, and the cost
of a DP step.

For each epsilon (delta fixed), trains TabGAN with DP on the 80% split and prints the
train-on-synthetic / test-on-real AUC for ``income`` and SDMetrics' quality score (the same
measures as compare_ctgan.py), next to the train-on-real figure. Then times training steps
with and without DP (median seconds per step over epochs, same batch size) and prints the
ratio.

    python benchmarks/dp.py                       # epsilon 1, 3, 10; delta 1e-6 (~10 min)
    python benchmarks/dp.py --epsilons 3 --epochs 30 --set generator_steps=2
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time
import warnings

from common import adult_split, discrete_columns, quality_score, tstr_auc

from tabgan import TabGAN


def _per_step(model: TabGAN, n_rows: int) -> float:
    ledger = getattr(model, "privacy_ledger_", None)
    if ledger is not None:
        steps_per_epoch = ledger.training().steps / len(model.history_)
    else:
        steps_per_epoch = max(1, n_rows // model.config_.batch_size)
    return statistics.median(model.history_["seconds"]) / steps_per_epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epsilons", type=float, nargs="*", default=[1.0, 3.0, 10.0])
    parser.add_argument("--delta", type=float, default=1e-6)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--timing-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="PARAM=VALUE",
                        help="extra TabGAN parameters for the DP runs, e.g. generator_steps=3")
    args = parser.parse_args()
    # The private recipe of docs/privacy.md: a smaller critic without dropout and faster
    # learning rates, so that the few, noisy critic steps a budget allows go further.
    extra = dict(critic_dims=(128, 128), dropout=0.0, generator_lr=1e-3, critic_lr=1e-3,
                 generator_ema=0.0)
    for item in args.set:
        key, value = item.split("=", 1)
        extra[key] = ast.literal_eval(value)  # numbers and tuples
    warnings.filterwarnings("ignore")

    train, test = adult_split(args.seed)
    discrete = discrete_columns(train)
    print(f"Adult: {len(train)} train rows, {len(test)} test rows; DP epochs {args.epochs}, "
          f"expected batch {args.batch_size}, delta {args.delta:g}")
    print(f"{'real train (TRTR)':<24} TSTR AUC {tstr_auc(train, test):.3f}")
    for epsilon in args.epsilons:
        start = time.perf_counter()
        model = TabGAN(epsilon=epsilon, delta=args.delta, epochs=args.epochs,
                       batch_size=args.batch_size, random_state=args.seed,
                       verbose=False, **extra).fit(train, discrete)
        seconds = time.perf_counter() - start
        synthetic = model.sample(len(train), random_state=1)
        q = quality_score(train, synthetic)
        auc = tstr_auc(synthetic, test)
        ledger = model.privacy_ledger_
        print(f"epsilon {epsilon:>5g} (spent {ledger.epsilon:.3f})   TSTR AUC {auc:.3f}   "
              f"quality {q['quality']:.3f} (shapes {q['shapes']:.3f}, pairs {q['pairs']:.3f})"
              f"   sigma {ledger.training().noise_multiplier:.3f}, {ledger.training().steps} "
              f"steps, {seconds:.0f} s")

    if args.timing_epochs <= 0:
        return
    timing = dict(epochs=args.timing_epochs, batch_size=args.batch_size,
                  random_state=args.seed, verbose=False)
    plain = TabGAN(**timing).fit(train, discrete)
    private = TabGAN(epsilon=3.0, delta=args.delta, **timing).fit(train, discrete)
    plain_step, private_step = _per_step(plain, len(train)), _per_step(private, len(train))
    print(f"seconds per step (median)   non-DP {plain_step * 1000:7.1f} ms   DP "
          f"{private_step * 1000:7.1f} ms   ratio {private_step / plain_step:4.2f}x")


if __name__ == "__main__":
    main()
