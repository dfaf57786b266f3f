"""One fit: a DataFrame in, the fitted parts of a model out; and the one assembly of those
parts that both ``fit`` and ``load`` go through.

A fit walks down the stages once: the metadata (:mod:`tabgan.table`), the statistics the
encoder is fitted to, the encoded table (:mod:`tabgan.encoding`), the sampler and the
trainer (:mod:`tabgan.gan`). The private and the public fit differ only in where their
statistics come from, which a *plan* says:

- :class:`PublicPlan`: kinds inferred from the values, statistics read off the data as it
  is, marginals and condition counts of the encoded rows, the plain trainer;
- :class:`PrivatePlan`: kinds from the schema alone, statistics released by
  :mod:`tabgan.privacy.preprocessing`, private marginals and counts, DP-SGD on the critic,
  and a :class:`~tabgan.privacy.ledger.PrivacyLedger` of everything spent.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from tabgan.encoding.encoded import EncodedTable
from tabgan.encoding.layout import TableLayout
from tabgan.encoding.transformer import TableTransformer
from tabgan.errors import PrivacyError
from tabgan.gan import distributed
from tabgan.gan.activation import OutputActivation
from tabgan.gan.config import GANConfig
from tabgan.gan.memory import MemoryEstimate, estimate_training_memory, warn_if_too_large
from tabgan.gan.model import Generator
from tabgan.gan.progress import ProgressBar
from tabgan.gan.runtime import draw_seed, rank_seed, resolve_device, torch_seeded
from tabgan.gan.sampler import ConditionalSampler
from tabgan.gan.train import EpochRecord, GANTrainer
from tabgan.privacy import accounting
from tabgan.privacy.dp_train import DPGANTrainer
from tabgan.privacy.ledger import Mechanism, PrivacyLedger, advise_bounds
from tabgan.privacy.preprocessing import (
    plan_queries,
    private_statistics,
    query_count,
    release_row_count,
)
from tabgan.privacy.randomness import (
    FloatSafeNormal,
    secret_numpy_rng,
    shared_secret_numpy_rng,
)
from tabgan.privacy.recipe import dp_recipe
from tabgan.settings import check_private, gan_config, private_params
from tabgan.table.metadata import Metadata

__all__ = ["Fitted", "FitResult", "assemble", "build_generator", "fit_model"]


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

    @property
    def layout(self) -> TableLayout:
        return self.transformer.layout_


def build_generator(config: GANConfig, layout: TableLayout) -> Generator:
    """The generator network for ``layout``, freshly initialized."""
    return Generator(config.embedding_dim + layout.cond_dim, config.generator_dims, layout.dim)


def assemble(transformer: TableTransformer, config: GANConfig, generator: Generator,
             counts: torch.Tensor, device: torch.device) -> Fitted:
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
    )


@dataclass
class FitResult:
    fitted: Fitted
    history: pd.DataFrame
    seed: int
    memory: MemoryEstimate
    seconds: float
    ledger: PrivacyLedger | None = None


# ---------------------------------------------------------------------- plans
class PublicPlan:
    """A fit without DP: everything is read off the data as it is."""

    def __init__(self, params: dict[str, Any], seed: int):
        self.params = params
        self.seed = seed

    def metadata(self, data, discrete_columns, metadata) -> Metadata:
        return Metadata.infer(data, discrete_columns=discrete_columns, metadata=metadata)

    def transformer(self) -> TableTransformer:
        return _transformer(self.params, random_state=self.seed + 1)

    def fit_encoder(self, data, meta, transformer) -> None:
        self.n_rows = len(data)
        transformer.fit_exact(data, meta)

    def adjust(self, config: GANConfig) -> None:
        pass

    def trainer(self, config, transformer, encoded, *, device, rng) -> GANTrainer:
        layout = transformer.layout_
        sampler = ConditionalSampler.from_data(encoded, layout,
                                               log_frequency=config.log_frequency)
        # The one-way marginals of the encoded rows at every softmax position.
        means = encoded.column_means()[list(layout.softmax_positions)]
        self.counts = sampler.counts
        return GANTrainer(config, layout, sampler, device=device, generator=rng,
                          marginals=means, present=means > 0)

    def steps_per_epoch(self, config: GANConfig) -> int:
        return max(1, self.n_rows // config.batch_size)

    def ledger(self, trainer) -> None:
        return None


class PrivatePlan:
    """A fit under differential privacy: kinds from the schema, a noisy row count, the DP
    recipe for the settings left at their defaults, statistics released by Gaussian
    mechanisms, DP-SGD on the critic; every mechanism goes in the ledger. Every noise and
    sampling draw comes from a secret generator (:mod:`tabgan.privacy.randomness`), never
    from the seed."""

    def __init__(self, params: dict[str, Any], seed: int):
        check_private(params)
        self.params = params
        self.seed = seed

    def metadata(self, data, discrete_columns, metadata) -> Metadata:
        return Metadata.infer(data, discrete_columns=discrete_columns, metadata=metadata,
                              schema_only=True)

    def transformer(self) -> TableTransformer:
        return _transformer(self.params, random_state=self.seed + 2)

    def fit_encoder(self, data, meta, transformer) -> None:
        p, epsilon = self.params, float(self.params["epsilon"])
        rng = shared_secret_numpy_rng()
        if p["secure_mode"]:
            rng = FloatSafeNormal(rng)
        # n is released first: delta, the recipe, the sampling rate and the steps read the
        # noisy count, never the exact one.
        self.n_rows, count = release_row_count(data, epsilon, rng)
        given = p["delta"] is not None
        self.delta = float(p["delta"]) if given else accounting.default_delta(self.n_rows)
        accounting.check_delta(self.delta, self.n_rows)
        plans = plan_queries(meta)
        recipe = dp_recipe(n_rows=self.n_rows, n_columns=len(plans), epsilon=epsilon,
                           delta=self.delta, queries=query_count(plans),
                           accountant=p["accountant"])
        self.params, self.recipe = private_params(p, recipe)
        self.release = private_statistics(
            data, meta, epsilon=self.params["preprocessing_share"] * epsilon,
            delta=self.delta, accountant=p["accountant"], rng=rng, n_rows=self.n_rows,
            fixed=[count],
        )
        self.statistics = self.release.statistics
        self.mechanisms = [count, *self.release.mechanisms]
        self.delta_rule = "given" if given else accounting.DEFAULT_DELTA_RULE
        # The encoder's draws of each record's mode are secret too.
        transformer.fit_statistics(meta, self.statistics, rng=secret_numpy_rng())
        advice = [*self.release.notes, advise_bounds(self.release.estimated_ranges)]
        if any(advice) and distributed.is_writer():
            warnings.warn("\n".join(a for a in advice if a), UserWarning, stacklevel=4)

    def adjust(self, config: GANConfig) -> None:
        config.pac = 1  # one record per clipped sample

    def trainer(self, config, transformer, encoded, *, device, rng) -> DPGANTrainer:
        p = self.params
        layout = transformer.layout_
        sampler = ConditionalSampler.from_data(encoded, layout)
        # Private one-way marginals of every softmax span; a categorical column's are its
        # noisy category counts. Record-anchored batches condition on categories at their
        # real frequency: the generator's conditions follow the same private frequencies.
        per_span = transformer.slot_marginals(self.statistics)
        self.counts = layout.discrete_rows(per_span)
        prior = ConditionalSampler(self.counts.to(device), layout, log_frequency=False)
        self.sample_rate = min(1.0, config.batch_size / self.n_rows)
        total_steps = config.epochs * self.steps_per_epoch(config) * config.critic_steps
        ledger_delta = self.delta - sum(m.extra_delta for m in self.mechanisms)
        self.sigma = accounting.calibrate_noise(
            target_epsilon=float(p["epsilon"]), delta=ledger_delta,
            sample_rate=self.sample_rate, steps=total_steps, fixed=self.mechanisms,
            accountant=p["accountant"],
        )
        marginals = layout.position_marginals(per_span) if any(
            m is not None for m in per_span) else None
        return DPGANTrainer(
            config, layout, sampler, prior, device=device, generator=rng,
            noise_multiplier=self.sigma, max_grad_norm=p["max_grad_norm"],
            sample_rate=self.sample_rate, expected_batch=config.batch_size,
            secure_mode=p["secure_mode"], marginals=marginals,
        )

    def steps_per_epoch(self, config: GANConfig) -> int:
        return max(1, round(1 / min(1.0, config.batch_size / self.n_rows)))

    def ledger(self, trainer: DPGANTrainer) -> PrivacyLedger:
        p = self.params
        sgd = Mechanism("training", "critic DP-SGD", self.sigma, self.sample_rate,
                        trainer.steps_taken)
        return PrivacyLedger(
            target_epsilon=float(p["epsilon"]), delta=self.delta, accountant=p["accountant"],
            mechanisms=[*self.mechanisms, sgd], max_grad_norm=float(p["max_grad_norm"]),
            expected_batch_size=trainer.expected_batch, n_rows=self.n_rows,
            secure_mode=bool(p["secure_mode"]), public=self.release.public,
            row_count="noisy", delta_rule=self.delta_rule,
            recipe={k: list(v) if isinstance(v, tuple) else v for k, v in self.recipe.items()},
            estimated_ranges=self.release.estimated_ranges, notes=self.release.notes,
        )


def _transformer(params: dict[str, Any], *, random_state: int) -> TableTransformer:
    return TableTransformer(max_modes=params["max_modes"], max_fit_rows=params["max_fit_rows"],
                            max_categories=params["max_categories"], random_state=random_state)


# ---------------------------------------------------------------------- the fit
def fit_model(
    data: pd.DataFrame,
    params: dict[str, Any],
    *,
    discrete_columns=None,
    metadata=None,
    callback: Callable[[EpochRecord], bool | None] | None = None,
    on_start: Callable[[Fitted, int], None] | None = None,
) -> FitResult:
    """Fit a model of ``data`` with the estimator's ``params``: the one fit path, public
    or private by ``params["epsilon"]``. ``on_start(fitted, seed)`` receives the fitted
    parts before training starts (they train in place), so that a callback can sample."""
    started = time.perf_counter()
    private = params["epsilon"] is not None
    if private and callback is not None:
        raise PrivacyError(
            "a callback cannot be used under differential privacy: nothing may be selected "
            "on the real data. Train without it."
        )
    seed = distributed.broadcast_int(draw_seed(params["random_state"]))
    device = distributed.local_device(resolve_device(params["device"]))
    plan = PrivatePlan(params, seed) if private else PublicPlan(params, seed)
    meta = plan.metadata(data, discrete_columns, metadata)
    transformer = plan.transformer()
    plan.fit_encoder(data, meta, transformer)
    # Under DP: the parameters after the recipe, and the noisy row count.
    config = gan_config(plan.params, plan.n_rows, world=distributed.world_size(),
                        device=device)
    plan.adjust(config)
    memory = _announce_memory(transformer.layout_, len(data), config, device, params["verbose"])
    encoded: EncodedTable = transformer.encode(data).to(device)
    rng = torch.Generator(device=device).manual_seed(rank_seed(seed))
    with torch_seeded(seed):  # parameter init draws from torch's default RNG
        trainer = plan.trainer(config, transformer, encoded, device=device, rng=rng)
    fitted = assemble(transformer, trainer.config, trainer.sampling_generator,
                      plan.counts.cpu(), trainer.device)
    if on_start is not None:
        on_start(fitted, seed)
    history = _train(trainer, plan.steps_per_epoch(config), params, started, callback)
    fitted.generator.eval()
    return FitResult(fitted, history, seed, memory, time.perf_counter() - started,
                     plan.ledger(trainer))


def _announce_memory(layout, n_rows, config, device, verbose) -> MemoryEstimate:
    """Estimate the fit's memory before anything large is allocated: printed when
    verbose, a warning when it exceeds free memory."""
    estimate = estimate_training_memory(layout, n_rows, config)
    if verbose and distributed.is_writer():
        print(f"tabgan: training on {device} needs {estimate}", file=sys.stderr)
    warn_if_too_large(estimate, device)
    return estimate


def _train(trainer, steps: int, params, started: float, callback) -> pd.DataFrame:
    """The training loop with its progress bar, deadline and callback; the history."""
    minutes = params["max_minutes"]
    deadline = None if minutes is None else started + 60.0 * minutes
    bar = (ProgressBar(trainer.config.epochs)
           if params["verbose"] and distributed.is_writer() else None)
    try:
        history = trainer.fit(
            epochs=trainer.config.epochs,
            steps_per_epoch=steps,
            deadline=deadline,
            callback=callback,
            progress=bar.update if bar else None,
        )
    finally:
        if bar:
            bar.close()
    frame = pd.DataFrame([vars(r) for r in history])
    if not trainer.reports_critic_loss:  # under DP: a mean over real rows, not noised
        frame = frame.drop(columns="critic_loss", errors="ignore")
    return frame
