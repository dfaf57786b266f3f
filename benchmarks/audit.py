"""The privacy audit: its speed on Adult, and the canary audit's bounds against the claims.

(a) ``tabgan audit`` on Adult (80/20 split; a model trained briefly, ``TabGAN(epochs=5)``,
    without and with DP): the command is run as a user runs it (a new process reading the
    CSV files and the model file, writing the page and the JSON), and only the audit is
    timed; the median of ``--repeats`` runs is printed. The target is under 90 s on a
    2-core machine. The pages are written to ``--out``.
(b) The canary audit on a small table (50 Adult rows, 100 or 200 canaries), for a non-DP
    model trained to memorise (300 epochs, pac 1, no dropout) and for DP models with the
    same settings at epsilon 1 and 8: each bound is printed next to the claimed epsilon.

Usage::

    python benchmarks/audit.py [--out audit-pages] [--repeats 3] [--skip-speed] [--skip-canaries]

Other work on the machine slows every step; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from tabgan import TabGAN
from tabgan.canaries import canary_audit
from tabgan.datasets import ADULT_TARGET, load_adult

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import adult_split, is_text  # noqa: E402

DP_RECIPE = dict(epsilon=3.0, batch_size=1000, critic_dims=(128, 128), dropout=0.0,
                 generator_lr=1e-3, critic_lr=1e-3, generator_ema=0.0)
MEMORISE = dict(epochs=300, batch_size=20, pac=1, dropout=0.0, generator_lr=1e-3,
                critic_lr=1e-3, generator_dims=(128, 128), critic_dims=(128, 128))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def public_categories(frame) -> dict:
    return {"columns": {c: {"kind": "categorical",
                            "categories": sorted(frame[c].dropna().unique().tolist())}
                        for c in frame.columns if is_text(frame[c])}}


def speed(out: Path, repeats: int) -> None:
    train, holdout = adult_split(seed=0)
    work = Path(tempfile.mkdtemp(prefix="tabgan-audit-"))
    paths = {"train": work / "train.csv", "holdout": work / "holdout.csv"}
    train.to_csv(paths["train"], index=False)
    holdout.to_csv(paths["holdout"], index=False)
    metadata = work / "metadata.json"
    import json

    metadata.write_text(json.dumps(public_categories(load_adult())))
    for label, params in (("non-DP", {}), ("DP (epsilon 3)", DP_RECIPE)):
        started = time.perf_counter()
        model = TabGAN(**{"epochs": 5, **params}, verbose=False, random_state=0)
        model.fit(train, metadata=str(metadata) if params else None)
        trained = time.perf_counter() - started
        stem = "dp" if params else "plain"
        model_path, synthetic = work / f"{stem}.tabgan", work / f"{stem}_synthetic.csv"
        model.save(model_path)
        model.sample(len(train), random_state=1).to_csv(synthetic, index=False)
        command = [sys.executable, "-m", "tabgan", "audit", str(paths["train"]),
                   str(synthetic), "--holdout", str(paths["holdout"]), "--model",
                   str(model_path), "--target", ADULT_TARGET, "-o",
                   str(out / f"adult_{stem}.html"), "--json", str(out / f"adult_{stem}.json"),
                   "--quiet"]
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(command, check=True)
            times.append(time.perf_counter() - started)
        print(f"tabgan audit, Adult {label}: median {statistics.median(times):.1f} s over "
              f"{repeats} runs ({', '.join(f'{t:.1f}' for t in times)}); model trained "
              f"{trained:.0f} s, not timed; target under 90 s; {load()}", flush=True)


def canaries() -> None:
    data = load_adult().dropna().sample(50, random_state=0).reset_index(drop=True)
    metadata = public_categories(load_adult())
    cases = [
        ("non-DP, memorising", dict(MEMORISE), None, 100),
        ("non-DP, memorising", dict(MEMORISE), None, 200),
        ("DP epsilon 1, same settings", dict(MEMORISE, epsilon=1.0, delta=1e-5), metadata, 100),
        ("DP epsilon 8, same settings", dict(MEMORISE, epsilon=8.0, delta=1e-5), metadata, 100),
    ]
    for label, params, meta, m in cases:
        result = canary_audit(data, TabGAN(**params), m, metadata=meta, random_state=0)
        claim = "none" if result.claimed_epsilon is None else f"{result.claimed_epsilon:.3f}"
        verdict = ("" if result.exceeds_claim is None else
                   "  FAILED: above the claim" if result.exceeds_claim else "  within the claim")
        print(f"canary audit, {label}: epsilon >= {result.epsilon_lower_bound:.3f} (claimed "
              f"{claim}); {result.n_included}/{result.n_canaries} canaries in, canary AUC "
              f"{result.auc:.3f}, best rule '{result.best_rule}', "
              f"{result.seconds:.0f} s{verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("audit-pages"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-canaries", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the training runs only; the timed audit runs in its own process
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"before: {load()}", flush=True)
    if not args.skip_speed:
        speed(args.out, args.repeats)
    if not args.skip_canaries:
        canaries()
    print(f"after: {load()}", flush=True)


if __name__ == "__main__":
    main()
