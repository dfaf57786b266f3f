"""The two plans of a fit: where its statistics come from, and what else that decides.

- :class:`PublicPlan`: kinds inferred from the values, statistics read off the data as it
  is, marginals and condition counts of the encoded rows, the plain trainer;
- :class:`PrivatePlan`: kinds from the schema alone, a noisy row count, the DP recipe,
  statistics released by :mod:`tabgan.privacy.preprocessing`, private marginals and
  counts, DP-SGD on the critic, and a :class:`~tabgan.privacy.ledger.PrivacyLedger` of
  everything spent.

:func:`tabgan.fitting.fit_model` walks the same steps with either.
"""

from __future__ import annotations

import warnings
from typing import Any

from tabgan.encoding.transformer import TableTransformer
from tabgan.gan import distributed
from tabgan.gan.config import GANConfig
from tabgan.gan.raking import Targets
from tabgan.gan.sampler import ConditionalSampler
from tabgan.gan.train import GANTrainer
from tabgan.privacy import accounting
from tabgan.privacy.dp_train import DPGANTrainer
from tabgan.privacy.ledger import Mechanism, PrivacyLedger, advise_bounds
from tabgan.privacy.pairs import pair_share, release_pairs
from tabgan.privacy.preprocessing import (
    PrivateRelease,
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
from tabgan.privacy.release import release_from_dict, release_to_dict
from tabgan.settings import check_private, private_params
from tabgan.table.inference import warn_if_many_categories
from tabgan.table.metadata import Metadata

__all__ = ["MAX_PAIR_POSITIONS", "PublicPlan", "PrivatePlan"]

# The two-way marginal term is left out beyond this many softmax positions ((P, P) floats).
MAX_PAIR_POSITIONS = 1024


class PublicPlan:
    """A fit without DP: everything is read off the data as it is."""

    def __init__(self, params: dict[str, Any], seed: int):
        self.params = params
        self.seed = seed

    def metadata(self, data, discrete_columns, metadata) -> Metadata:
        meta = Metadata.infer(data, discrete_columns=discrete_columns, metadata=metadata)
        for column in meta.columns:  # categories copied out of the data: say so
            warn_if_many_categories(column, data[column.name])
        return meta

    def transformer(self) -> TableTransformer:
        return plan_transformer(self.params, random_state=self.seed + 1)

    def fit_encoder(self, data, meta, transformer, release=None) -> None:
        self.n_rows = len(data)
        transformer.fit_exact(data, meta)

    def release(self) -> None:
        return None  # nothing to keep: the statistics are read off the data again

    def adjust(self, config: GANConfig) -> None:
        pass

    def trainer(self, config, transformer, encoded, *, device, rng) -> GANTrainer:
        layout = transformer.layout_
        sampler = ConditionalSampler.from_data(encoded, layout,
                                               log_frequency=config.log_frequency)
        # The one-way marginals of the encoded rows at every softmax position, and the
        # two-way ones of every two softmax spans (while they fit in memory).
        positions = list(layout.softmax_positions)
        means = encoded.column_means()[positions]
        pairs = (encoded.co_occurrence(positions)
                 if len(positions) <= MAX_PAIR_POSITIONS else None)
        self.counts = sampler.counts
        self.targets = Targets(means.cpu(), None if pairs is None else pairs.cpu())
        return GANTrainer(config, layout, sampler, device=device, generator=rng,
                          marginals=means, present=means > 0, pairs=pairs)

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
        self.params = params  # the recipe sets pac 1: one record per clipped sample
        self.seed = seed

    def metadata(self, data, discrete_columns, metadata) -> Metadata:
        return Metadata.infer(data, discrete_columns=discrete_columns, metadata=metadata,
                              schema_only=True)

    def transformer(self) -> TableTransformer:
        return plan_transformer(self.params, random_state=self.seed + 2)

    def fit_encoder(self, data, meta, transformer, release=None) -> None:
        """Release the row count and the statistics, or, resuming, take the ``release`` of
        the checkpoint: released once, never spent twice."""
        p, epsilon = self.params, float(self.params["epsilon"])
        if release is not None:
            state = release_from_dict(release)
            self.n_rows, self.delta, self.delta_rule = (state["n_rows"], state["delta"],
                                                        state["delta_rule"])
            self.params, self.recipe = private_params(p, state["recipe"])
            self.released, self.mechanisms = state["released"], state["mechanisms"]
            self.pairs = state["pairs"]
        else:
            self._release(data, meta, p, epsilon)
            self.pairs = None  # released with the encoding (see trainer)
        self.statistics = self.released.statistics
        # The encoder's draws of each record's mode are secret too.
        transformer.fit_statistics(meta, self.statistics, rng=secret_numpy_rng())

    def _release(self, data, meta, p, epsilon) -> None:
        rng = self._noise_rng()
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
        self.released: PrivateRelease = private_statistics(
            data, meta, epsilon=self.params["preprocessing_share"] * epsilon,
            delta=self.delta, accountant=p["accountant"], rng=rng, n_rows=self.n_rows,
            fixed=[count],
        )
        self.mechanisms = [count, *self.released.mechanisms]
        self.delta_rule = "given" if given else accounting.DEFAULT_DELTA_RULE
        advice = [*self.released.notes, advise_bounds(self.released.estimated_ranges)]
        if any(advice) and distributed.is_writer():
            warnings.warn("\n".join(a for a in advice if a), UserWarning, stacklevel=5)

    def release(self) -> dict:
        return release_to_dict(n_rows=self.n_rows, delta=self.delta, delta_rule=self.delta_rule,
                               recipe=self.recipe, released=self.released, pairs=self.pairs,
                               mechanisms=self.mechanisms)

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
        marginals = layout.position_marginals(per_span) if any(
            m is not None for m in per_span) else None
        # the accountant's delta: what the category thresholds' extra deltas leave
        ledger_delta = self.delta - sum(m.extra_delta for m in self.mechanisms)
        self._release_pairs(config, layout, encoded, marginals, ledger_delta)
        self.targets = None if marginals is None else Targets(  # released values only
            marginals.cpu(), None if self.pairs is None else self.pairs.cpu())
        self.sample_rate = min(1.0, config.batch_size / self.n_rows)
        total_steps = config.epochs * self.steps_per_epoch(config) * config.critic_steps
        self.sigma = accounting.calibrate_noise(
            target_epsilon=float(p["epsilon"]), delta=ledger_delta,
            sample_rate=self.sample_rate, steps=total_steps, fixed=self.mechanisms,
            accountant=p["accountant"],
        )
        return DPGANTrainer(
            config, layout, sampler, prior, device=device, generator=rng,
            noise_multiplier=self.sigma, max_grad_norm=p["max_grad_norm"],
            sample_rate=self.sample_rate, expected_batch=config.batch_size,
            secure_mode=p["secure_mode"], marginals=marginals, pairs=self.pairs,
        )

    def _release_pairs(self, config, layout, encoded, marginals, ledger_delta) -> None:
        """The two-way marginals of the encoded rows, released once (a resumed fit has
        them from its checkpoint) at the pairs' share of epsilon; none when the pair term
        is off or too large, and then their share goes to DP-SGD."""
        positions = list(layout.softmax_positions)
        index = layout.index()
        if (self.pairs is not None or config.pair_weight <= 0 or marginals is None
                or index.n_segments < 2 or len(positions) > MAX_PAIR_POSITIONS):
            return
        p = self.params
        spent = p["preprocessing_share"] + pair_share(p["preprocessing_share"])
        sigma = accounting.preprocessing_noise(1, spent * float(p["epsilon"]), ledger_delta,
                                               p["accountant"], fixed=self.mechanisms)
        counts = encoded.co_occurrence(positions).double().cpu().numpy() * len(encoded)
        self.pairs, mechanism = release_pairs(
            counts, index.soft_segment.cpu().numpy(), marginals.double().cpu().numpy(),
            sigma, self.n_rows, self._noise_rng())
        self.mechanisms.append(mechanism)

    def _noise_rng(self):
        """The secret generator of a release's Gaussian noise (Opacus's defence against
        floating-point attacks on it under ``secure_mode``)."""
        rng = shared_secret_numpy_rng()
        return FloatSafeNormal(rng) if self.params["secure_mode"] else rng

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
            secure_mode=bool(p["secure_mode"]), public=self.released.public,
            row_count="noisy", delta_rule=self.delta_rule,
            recipe={k: list(v) if isinstance(v, tuple) else v for k, v in self.recipe.items()},
            estimated_ranges=self.released.estimated_ranges, notes=self.released.notes,
        )


def plan_transformer(params: dict[str, Any], *, random_state: int) -> TableTransformer:
    return TableTransformer(
        numeric_encoding=params["numeric_encoding"], numeric_bins=params["numeric_bins"],
        max_modes=params["max_modes"], max_fit_rows=params["max_fit_rows"],
        max_categories=params["max_categories"], random_state=random_state,
    )
