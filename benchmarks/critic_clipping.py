"""Seconds per critic step on CPU: plain WGAN-GP against per-record clipping.

    python benchmarks/critic_clipping.py [--threads 1] [--repeats 20]

Times, for a critic of Adult's size under DP (input 260, hidden (256, 256), pac 1, dropout
0.5) and a batch of 500 records:
  (a) the non-DP critic gradient: forward at fake, real and interpolate, the gradient penalty
      with create_graph, backward (``Trainer.critic_step`` without the generator);
  (b) the factored per-record clip-and-sum of ``tabgan.clipping``;
  (c) per-record gradients by ``torch.func`` (vmap over grad), then Opacus-style clipping;
and the same (a) and (b) as whole optimizer steps (b adds Gaussian noise), with the medians
and the ratios to (a).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from tabgan.gan.model import Critic, wgan_gp_losses
from tabgan.privacy.clipping import clip_and_sum, clip_scale, per_record_grads_reference

DIM, HIDDEN, BATCH, LAMBDA, MAX_NORM, SIGMA = 260, (256, 256), 500, 10.0, 1.0, 1.0


def _median_seconds(steps: dict, repeats: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each step, the steps taking turns so that a change in the machine's
    load hits them alike."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(repeats):
        for label, step in steps.items():
            start = time.perf_counter()
            step()
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--reference-repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    critic = Critic(DIM, HIDDEN, pac=1, dropout=0.5).train()
    critic.rng = gen
    optimizer = torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.5, 0.9))
    real = torch.randn(BATCH, DIM, generator=gen)
    fake = torch.randn(BATCH, DIM, generator=gen)

    def plain_grad():
        loss, penalty = wgan_gp_losses(critic, real, fake, gen, LAMBDA)
        optimizer.zero_grad(set_to_none=True)
        (loss + penalty).backward()

    def plain_step():
        plain_grad()
        optimizer.step()

    def factored_grad():
        alpha = torch.rand(BATCH, generator=gen)
        return clip_and_sum(critic, real, fake, alpha, LAMBDA, MAX_NORM, generator=gen)

    def factored_step():
        grads = factored_grad().grads
        for name, p in critic.named_parameters():
            noise = torch.normal(0.0, SIGMA * MAX_NORM, p.shape, generator=gen)
            p.grad = (grads[name] + noise) / BATCH
        optimizer.step()

    def reference_grad():
        alpha = torch.rand(BATCH, generator=gen)
        samples = per_record_grads_reference(critic, real, fake, alpha, LAMBDA, generator=gen)
        norms = torch.cat([g.flatten(1) for g in samples.values()], 1).norm(dim=1)
        scale = clip_scale(norms, MAX_NORM)
        return {name: torch.einsum("i,i...->...", scale, g) for name, g in samples.items()}

    print(
        f"critic {DIM} -> {HIDDEN} -> 1, batch {BATCH}, pac 1, dropout 0.5, "
        f"{args.threads} thread(s), torch {torch.__version__}"
    )
    labels = {
        "a": "(a) non-DP gradient",
        "b": "(b) factored clip-and-sum",
        "c": "(c) torch.func vmap reference",
        "a'": "(a') non-DP step (+ Adam)",
        "b'": "(b') DP step (factored + noise + Adam)",
    }
    seconds = _median_seconds(
        {"a": plain_grad, "b": factored_grad, "a'": plain_step, "b'": factored_step},
        args.repeats,
    )
    seconds |= _median_seconds({"c": reference_grad}, args.reference_repeats, warmup=1)
    for key, label in labels.items():
        base = "a'" if key.endswith("'") else "a"
        ratio = seconds[key] / seconds[base]
        print(f"{label:40s} {1e3 * seconds[key]:9.1f} ms  {ratio:6.2f}x ({base})")


if __name__ == "__main__":
    main()
