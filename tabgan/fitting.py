"""One fit: a DataFrame in, the fitted parts of a model out; and the one assembly of those
parts that both ``fit`` and ``load`` go through.

A fit walks down the stages once: the metadata (:mod:`tabgan.table`), the statistics the
encoder is fitted to, the encoded table (:mod:`tabgan.encoding`), the sampler and the
trainer (:mod:`tabgan.gan`). The private and the public fit differ only in where their
statistics come from, which a *plan* says (:mod:`tabgan.plans`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from tabgan.checkpoint import Checkpoints
from tabgan.encoding.encoded import EncodedTable
from tabgan.encoding.layout import TableLayout
from tabgan.encoding.transformer import TableTransformer
from tabgan.errors import PrivacyError, TabGANError
from tabgan.gan import distributed
from tabgan.gan.activation import OutputActivation
from tabgan.gan.config import GANConfig
from tabgan.gan.memory import MemoryEstimate, estimate_training_memory, warn_if_too_large
from tabgan.gan.model import Generator, new_generator
from tabgan.gan.progress import ProgressBar
from tabgan.gan.raking import Targets
from tabgan.gan.runtime import draw_seed, rank_seed, resolve_device, torch_seeded
from tabgan.gan.sampler import ConditionalSampler
from tabgan.gan.train import EpochRecord
from tabgan.plans import PrivatePlan, PublicPlan
from tabgan.privacy.ledger import PrivacyLedger
from tabgan.serialize import ModelState, inconsistent
from tabgan.settings import gan_config
from tabgan.table.checks import check_fit_rows
from tabgan.table.constraint_set import ConstraintSet

__all__ = ["Fitted", "FitResult", "assemble", "build_generator", "fit_model", "restore"]



@dataclass
class Fitted:
    """What sampling needs: the encoder, the generator, and the condition counts."""

    transformer: TableTransformer
    config: GANConfig
    generator: Generator
    condition_counts: torch.Tensor  # (C, W) category counts of the condition vector
    device: torch.device
    activation: OutputActivation
    sampler: ConditionalSampler  # conditions only, drawn by the counts' frequencies
    constraints: ConstraintSet  # undone and checked on every sampled row
    targets: Targets | None = None  # the marginals sampling rakes to (tabgan.gan.raking)

    @property
    def layout(self) -> TableLayout:
        return self.transformer.layout_


def build_generator(config: GANConfig, layout: TableLayout) -> Generator:
    """The generator network for ``layout``, freshly initialized."""
    return new_generator(config, layout)


def assemble(transformer: TableTransformer, config: GANConfig, generator: Generator,
             counts: torch.Tensor, device: torch.device,
             constraints: ConstraintSet | None = None,
             targets: Targets | None = None) -> Fitted:
    """The fitted parts of a model, ready to sample on ``device``."""
    generator = generator.to(device).eval()
    layout = transformer.layout_
    counts = counts.to(device)
    return Fitted(
        transformer=transformer,
        config=config,
        generator=generator,
        condition_counts=counts,
        device=device,
        activation=OutputActivation(layout.index(device), config.gumbel_tau),
        sampler=ConditionalSampler(counts, layout),
        constraints=constraints or ConstraintSet.identity(transformer.metadata_),
        targets=None if targets is None else targets.to(device),
    )


def restore(state: ModelState, device: torch.device, path) -> Fitted:
    """The fitted parts of a model file's ``state`` (read from ``path``), on ``device``."""
    generator = build_generator(state.config, state.transformer.layout_)
    try:
        generator.load_state_dict(state.generator)
        constraints = (None if state.constraints is None
                       else ConstraintSet.from_state(state.constraints))
    except (RuntimeError, TabGANError, KeyError, TypeError) as exc:
        raise inconsistent(path, exc) from exc
    return assemble(state.transformer, state.config, generator, state.category_counts,
                    device, constraints, state.targets)


@dataclass
class FitResult:
    fitted: Fitted
    history: pd.DataFrame
    seed: int
    memory: MemoryEstimate
    seconds: float
    ledger: PrivacyLedger | None = None
    sampled_epoch: int | None = None  # the epoch whose generator weights sample


# ---------------------------------------------------------------------- the fit
def fit_model(
    data: pd.DataFrame,
    params: dict[str, Any],
    *,
    discrete_columns=None,
    metadata=None,
    callback: Callable[[EpochRecord], bool | None] | None = None,
    on_start: Callable[[Fitted, int], None] | None = None,
    checkpoints: Checkpoints | None = None,
) -> FitResult:
    """Fit a model of ``data`` with the estimator's ``params``: the one fit path, public
    or private by ``params["epsilon"]``. ``on_start(fitted, seed)`` receives the fitted
    parts before training starts (they train in place), so that a callback can sample.
    ``checkpoints`` writes checkpoints of the fit, and continues the one it holds."""
    started = time.perf_counter()
    private = params["epsilon"] is not None
    if private and callback is not None:
        raise PrivacyError(
            "a callback (early stopping too) cannot be used under differential privacy: "
            "nothing may be selected on the real data. Train without it."
        )
    check_fit_rows(len(data))
    stored = None if checkpoints is None else checkpoints.open()  # a resumed fit's seed
    seed = distributed.broadcast_int(draw_seed(params["random_state"]) if stored is None
                                     else stored)
    device = distributed.local_device(resolve_device(params["device"]))
    plan = PrivatePlan(params, seed) if private else PublicPlan(params, seed)
    meta = plan.metadata(data, discrete_columns, metadata)
    # Constraints: checked on the real rows, then built into the table the GAN learns.
    rules = ConstraintSet.fit(params.get("constraints"), data, meta, private=private)
    data, meta = rules.transform(data), rules.learned
    release = None if checkpoints is None else checkpoints.check(data, meta, params, device)
    transformer = plan.transformer()
    plan.fit_encoder(data, meta, transformer, release=release)
    # Under DP: the parameters after the recipe, and the noisy row count.
    config = gan_config(plan.params, plan.n_rows, world=distributed.world_size(),
                        device=device)
    plan.adjust(config)
    memory = _announce_memory(transformer.layout_, len(data), config, device, params["verbose"])
    encoded: EncodedTable = transformer.encode(data).to(device)
    rng = torch.Generator(device=device).manual_seed(rank_seed(seed))
    with torch_seeded(seed):  # parameter init draws from torch's default RNG
        trainer = plan.trainer(config, transformer, encoded, device=device, rng=rng)
    start_epoch = 0
    if checkpoints is not None:
        callback = checkpoints.start(trainer, plan, len(data), callback, started)
        start_epoch = checkpoints.start_epoch
    fitted = assemble(transformer, trainer.config, trainer.sampling_generator,
                      plan.counts.cpu(), trainer.device, rules, plan.targets)
    if on_start is not None:
        on_start(fitted, seed)
    history = _train(trainer, plan.steps_per_epoch(config), params, started, callback,
                     start_epoch)
    seconds = time.perf_counter() - started
    if checkpoints is not None:
        history, seconds = checkpoints.finish(), checkpoints.seconds
    sampled = history[-1].epoch if history else None
    if trainer.selection is not None and trainer.selection.best_epoch is not None:
        trainer.selection.apply(fitted.generator)  # after the last checkpoint, which
        sampled = trainer.selection.best_epoch  # holds the last epoch's weights
    fitted.generator.eval()
    return FitResult(fitted, _history_frame(trainer, history), seed, memory, seconds,
                     plan.ledger(trainer), sampled)


def _announce_memory(layout, n_rows, config, device, verbose) -> MemoryEstimate:
    """Estimate the fit's memory before anything large is allocated: printed when
    verbose, a warning when it exceeds free memory."""
    estimate = estimate_training_memory(layout, n_rows, config)
    if verbose and distributed.is_writer():
        print(f"tabgan: training on {device} needs {estimate}", file=sys.stderr)
    warn_if_too_large(estimate, device)
    return estimate


def _train(trainer, steps: int, params, started: float, callback,
           start_epoch: int = 0) -> list[EpochRecord]:
    """The training loop with its progress bar, deadline and callback; the history of the
    epochs trained."""
    minutes = params["max_minutes"]
    deadline = None if minutes is None else started + 60.0 * minutes
    bar = (ProgressBar(trainer.config.epochs, initial=start_epoch)
           if params["verbose"] and distributed.is_writer() else None)
    try:
        history = trainer.fit(
            epochs=trainer.config.epochs,
            steps_per_epoch=steps,
            deadline=deadline,
            callback=callback,
            progress=bar.update if bar else None,
            start_epoch=start_epoch,
        )
    finally:
        if bar:
            bar.close()
    return history


def _history_frame(trainer, history: list[EpochRecord]) -> pd.DataFrame:
    frame = pd.DataFrame([vars(r) for r in history])
    if not trainer.reports_critic_loss:  # under DP: a mean over real rows, not noised
        frame = frame.drop(columns="critic_loss", errors="ignore")
    return frame
