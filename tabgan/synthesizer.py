"""``TabGAN``: the one public estimator. ``fit`` a DataFrame, ``sample`` synthetic rows.

It follows scikit-learn's conventions: ``__init__`` only stores its keyword arguments (so
``get_params``, ``set_params`` and ``clone`` work), learned state lives in attributes
ending in ``_``, and randomness comes from ``random_state`` through ``torch.Generator`` and
numpy ``Generator`` objects, never the global generators.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from tabgan import distributed, serialize
from tabgan.conditions import ConditionSet
from tabgan.errors import NotFittedError
from tabgan.metadata import Metadata
from tabgan.model import GANConfig, Generator, OutputActivation, SpanLayout
from tabgan.sampler import ConditionalSampler
from tabgan.train import EpochRecord, GANTrainer
from tabgan.transform import TableTransformer

__all__ = ["TabGAN"]

_DEFAULTS = GANConfig()


class _Params:
    """scikit-learn's parameter protocol (``get_params``, ``set_params``, a repr of the
    non-default parameters), read off ``__init__``'s signature. ``sklearn.base.clone`` and
    grid searches work with it, without importing scikit-learn at start-up."""

    @classmethod
    def _param_names(cls) -> list[str]:
        import inspect

        return [
            p.name
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any):
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid parameters "
                    f"are {sorted(valid)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        import inspect

        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = [
            f"{k}={v!r}" for k, v in self.get_params().items()
            if not (k in defaults and _same(defaults[k], v))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return a is b


class TabGAN(_Params):
    """A conditional tabular GAN (CTGAN design) with a scikit-learn style API.

    Parameters
    ----------
    epochs:
        Passes over the table. Training stops earlier when ``max_minutes`` is reached.
    batch_size:
        Rows per step; rounded down to a multiple of ``pac``.
    max_minutes:
        Optional wall-clock budget for training, checked after every epoch.
    embedding_dim, generator_dims, critic_dims, pac, generator_lr, critic_lr,
    generator_decay, critic_decay, betas, critic_steps, generator_steps, gumbel_tau, gp_lambda,
    dropout, log_frequency, marginal_weight:
        Network and optimizer settings; see :class:`tabgan.model.GANConfig`.
    generator_ema:
        Decay of an exponential moving average of the generator's weights, updated after
        every generator step; the average is what samples (0 turns it off).
    max_modes, max_fit_rows:
        Transformer settings; see :class:`tabgan.transform.TableTransformer`.
    max_categories:
        Most one-hot slots per categorical column (None: no limit). A column with more
        categories keeps its ``max_categories - 1`` most frequent ones and pools the rest
        in one slot, whose generated values are drawn from the pooled categories by their
        frequencies (noisy frequencies under DP). Use it for ID-like columns with thousands
        of values: each category otherwise widens both networks.
    epsilon:
        Train with differential privacy at this target epsilon (None: no DP). The guarantee
        covers everything that reads the data: preprocessing and training. See
        ``docs/privacy.md``.
    delta:
        DP delta; default ``1 / n**1.1``. A delta of ``1/n`` or more is refused.
    max_grad_norm:
        DP-SGD clipping norm of each record's critic-loss gradient.
    preprocessing_share:
        Share of epsilon spent on private preprocessing (histograms, category counts) when
        the metadata does not make those facts public.
    accountant:
        ``"rdp"`` or ``"prv"`` (Opacus's accountants); it composes every mechanism.
    secure_mode:
        Draw DP noise with Opacus's floating-point-attack-resistant sampler (slower, and
        not reproducible by ``random_state``).
    bf16_autocast, torch_compile, cuda_graphs:
        GPU fast paths for the training step: bfloat16 autocast of the forward passes,
        ``torch.compile`` of the generator, and CUDA graphs (``torch.compile``'s
        "reduce-overhead" mode). They apply on CUDA only; on CPU they are off, with a
        warning. See ``docs/scale.md``.
    device:
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    random_state:
        Seed that makes ``fit`` and ``sample`` reproducible; ``None`` draws a fresh one.
    verbose:
        Print the memory estimate, and show a progress bar with the epoch and the losses.

    Attributes
    ----------
    memory_estimate_:
        A :class:`~tabgan.memory.MemoryEstimate` of the fit, made before training started.
    seed_:
        The seed the fit ran with: ``random_state``, or the one drawn when it was None.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [float(i % 7) + 0.5 * (i % 3) for i in range(60)],
    ...                    "c": ["a", "b", "c"] * 20})
    >>> model = TabGAN(epochs=1, batch_size=20, verbose=False, random_state=0).fit(df)
    >>> synthetic = model.sample(5)
    >>> synthetic.shape, list(synthetic.columns)
    ((5, 2), ['x', 'c'])
    """

    def __init__(
        self,
        *,
        epochs: int = _DEFAULTS.epochs,
        batch_size: int = _DEFAULTS.batch_size,
        max_minutes: float | None = None,
        embedding_dim: int = _DEFAULTS.embedding_dim,
        generator_dims: tuple[int, ...] = _DEFAULTS.generator_dims,
        critic_dims: tuple[int, ...] = _DEFAULTS.critic_dims,
        pac: int = _DEFAULTS.pac,
        generator_lr: float = _DEFAULTS.generator_lr,
        critic_lr: float = _DEFAULTS.critic_lr,
        generator_decay: float = _DEFAULTS.generator_decay,
        critic_decay: float = _DEFAULTS.critic_decay,
        betas: tuple[float, float] = _DEFAULTS.betas,
        critic_steps: int = _DEFAULTS.critic_steps,
        generator_steps: int = _DEFAULTS.generator_steps,
        gumbel_tau: float = _DEFAULTS.gumbel_tau,
        gp_lambda: float = _DEFAULTS.gp_lambda,
        dropout: float = _DEFAULTS.dropout,
        log_frequency: bool = _DEFAULTS.log_frequency,
        marginal_weight: float = _DEFAULTS.marginal_weight,
        generator_ema: float = _DEFAULTS.generator_ema,
        max_modes: int = 10,
        max_fit_rows: int = 20_000,
        max_categories: int | None = None,
        epsilon: float | None = None,
        delta: float | None = None,
        max_grad_norm: float = 1.0,
        preprocessing_share: float = 0.1,
        accountant: str = "rdp",
        secure_mode: bool = False,
        bf16_autocast: bool = False,
        torch_compile: bool = False,
        cuda_graphs: bool = False,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = True,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_minutes = max_minutes
        self.embedding_dim = embedding_dim
        self.generator_dims = generator_dims
        self.critic_dims = critic_dims
        self.pac = pac
        self.generator_lr = generator_lr
        self.critic_lr = critic_lr
        self.generator_decay = generator_decay
        self.critic_decay = critic_decay
        self.betas = betas
        self.critic_steps = critic_steps
        self.generator_steps = generator_steps
        self.gumbel_tau = gumbel_tau
        self.gp_lambda = gp_lambda
        self.dropout = dropout
        self.log_frequency = log_frequency
        self.marginal_weight = marginal_weight
        self.generator_ema = generator_ema
        self.max_modes = max_modes
        self.max_fit_rows = max_fit_rows
        self.max_categories = max_categories
        self.epsilon = epsilon
        self.delta = delta
        self.max_grad_norm = max_grad_norm
        self.preprocessing_share = preprocessing_share
        self.accountant = accountant
        self.secure_mode = secure_mode
        self.bf16_autocast = bf16_autocast
        self.torch_compile = torch_compile
        self.cuda_graphs = cuda_graphs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _config(self, n_rows: int) -> GANConfig:
        _check_positive_int("epochs", self.epochs)
        _check_positive_int("batch_size", self.batch_size)
        _check_positive_int("pac", self.pac)
        _check_positive_int("critic_steps", self.critic_steps)
        _check_positive_int("generator_steps", self.generator_steps)
        if not (isinstance(self.generator_ema, int | float) and 0 <= self.generator_ema < 1):
            raise ValueError(
                f"generator_ema must lie in [0, 1) (0 turns the average off), got "
                f"{self.generator_ema!r}."
            )
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ValueError(f"max_minutes must be positive or None, got {self.max_minutes!r}.")
        # A batch holds whole packs and is no larger than the table (rounded up to a pack).
        batch = min(self.batch_size, max(self.pac, math.ceil(n_rows / self.pac) * self.pac))
        batch = max(self.pac, batch - batch % self.pac)
        # Under a process group every rank takes an equal share of whole packs.
        unit = self.pac * distributed.world_size()
        batch = max(unit, batch - batch % unit)
        return GANConfig(
            embedding_dim=self.embedding_dim,
            generator_dims=tuple(self.generator_dims),
            critic_dims=tuple(self.critic_dims),
            pac=self.pac,
            batch_size=batch,
            generator_lr=self.generator_lr,
            critic_lr=self.critic_lr,
            generator_decay=self.generator_decay,
            critic_decay=self.critic_decay,
            betas=tuple(self.betas),
            critic_steps=self.critic_steps,
            generator_steps=self.generator_steps,
            epochs=self.epochs,
            gumbel_tau=self.gumbel_tau,
            gp_lambda=self.gp_lambda,
            dropout=self.dropout,
            log_frequency=self.log_frequency,
            marginal_weight=self.marginal_weight,
            generator_ema=self.generator_ema,
        )

    def _fast_paths(self, config: GANConfig, device: torch.device) -> None:
        """Switch the GPU fast paths on in ``config`` where they apply (CUDA only)."""
        asked = {k: bool(getattr(self, k)) for k in
                 ("bf16_autocast", "torch_compile", "cuda_graphs")}
        if device.type != "cuda":
            if any(asked.values()):
                import warnings

                names = ", ".join(k for k, v in asked.items() if v)
                warnings.warn(f"{names} apply on CUDA only; training on {device} without them.",
                              UserWarning, stacklevel=3)
            return
        for key, value in asked.items():
            setattr(config, key, value)

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError(
                "this TabGAN is not fitted yet; call fit(data) first, or TabGAN.load(path)."
            )

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data: pd.DataFrame,
        discrete_columns: Iterable | None = None,
        *,
        metadata: Metadata | Mapping | str | os.PathLike | None = None,
        callback: Callable[[TabGAN, EpochRecord], bool | None] | None = None,
    ) -> TabGAN:
        """Learn to generate rows like ``data``.

        ``discrete_columns`` forces columns to be categorical; ``metadata`` (a
        :class:`~tabgan.metadata.Metadata`, a dict or a JSON path) declares kinds, bounds and
        categories. ``callback(model, record)`` runs after every epoch; returning True stops
        training (enough to write early stopping).
        """
        if self.epsilon is not None:
            return self._fit_private(data, discrete_columns, metadata, callback)
        started = time.perf_counter()
        seed = distributed.broadcast_int(_seed(self.random_state))
        torch_rng_seed, np_seed = seed, seed + 1
        device = distributed.local_device(resolve_device(self.device))
        transformer = TableTransformer(
            max_modes=self.max_modes, max_fit_rows=self.max_fit_rows,
            max_categories=self.max_categories, random_state=np_seed,
        ).fit(data, metadata, discrete_columns=discrete_columns)
        config = self._config(len(data))
        self._fast_paths(config, device)
        self._announce_memory(transformer, len(data), config, device)
        matrix = transformer.encode(data).to(device)
        discrete = [(d.data_offset, d.n_categories) for d in transformer.discrete_]
        sampler = ConditionalSampler.from_data(matrix, discrete, log_frequency=config.log_frequency)
        layout = SpanLayout.build([(s.dim, s.activation) for s in transformer.spans_], discrete)
        rng = torch.Generator(device=device).manual_seed(_rank_seed(torch_rng_seed))
        with _torch_seeded(torch_rng_seed):  # parameter init draws from torch's default RNG
            trainer = GANTrainer(config, layout, sampler, device=device, generator=rng)

        steps = max(1, len(data) // config.batch_size)
        self._train(data, trainer, transformer, layout, sampler.counts.cpu(), seed, started,
                    steps, callback)
        self.generator_.eval()
        return self

    def _fit_private(self, data, discrete_columns, metadata, callback) -> TabGAN:
        """``fit`` under differential privacy: see :mod:`tabgan.privacy`."""
        from tabgan import privacy
        from tabgan.errors import PrivacyError
        from tabgan.train import DPGANTrainer

        started = time.perf_counter()
        if callback is not None:
            raise PrivacyError(
                "a callback cannot be used under differential privacy: nothing may be selected "
                "on the real data. Train without it."
            )
        if not (isinstance(self.epsilon, int | float) and self.epsilon > 0):
            raise PrivacyError(f"epsilon must be a positive number, got {self.epsilon!r}.")
        if not 0 < self.preprocessing_share < 1:
            raise PrivacyError("preprocessing_share must lie strictly between 0 and 1.")
        if self.max_grad_norm <= 0:
            raise PrivacyError("max_grad_norm must be positive.")
        meta = Metadata.infer(
            data, discrete_columns=discrete_columns, metadata=metadata, schema_only=True
        )
        n = len(data)
        delta = privacy.default_delta(n) if self.delta is None else float(self.delta)
        privacy.check_delta(delta, n)
        seed = distributed.broadcast_int(_seed(self.random_state))
        device = distributed.local_device(resolve_device(self.device))
        np_rng = np.random.default_rng(seed + 1)
        transformer = TableTransformer(
            max_modes=self.max_modes, max_fit_rows=self.max_fit_rows,
            max_categories=self.max_categories, random_state=seed + 2,
        )
        stats, mechanisms, public = privacy.private_statistics(
            data,
            meta,
            epsilon=self.preprocessing_share * self.epsilon,
            delta=delta,
            accountant=self.accountant,
            rng=np_rng,
            to_float=_numeric_values,
        )
        transformer.fit_private(meta, stats)
        config = self._config(n)
        config.pac = 1  # one record per clipped sample
        self._fast_paths(config, device)
        self._announce_memory(transformer, n, config, device)
        matrix = transformer.encode(data).to(device)
        discrete = [(d.data_offset, d.n_categories) for d in transformer.discrete_]
        sampler = ConditionalSampler.from_data(matrix, discrete)
        layout = SpanLayout.build([(s.dim, s.activation) for s in transformer.spans_], discrete)
        # Private one-way marginals of every softmax span; a categorical column's are its
        # noisy category counts.
        marginals = _private_marginals(transformer, stats)
        width = max((k for _, k in discrete), default=1)
        counts = torch.zeros(len(discrete), width)
        for i, span in enumerate(layout.disc_segment.tolist()):
            counts[i, : len(marginals[span])] = marginals[span]
        # Record-anchored batches condition on categories at their real frequency: the
        # generator's conditions follow the same (private) frequencies.
        prior = ConditionalSampler(counts.to(device), [k for _, k in discrete],
                                   log_frequency=False)
        sample_rate = min(1.0, config.batch_size / n)
        steps_per_epoch = max(1, round(1 / sample_rate))
        total_steps = config.epochs * steps_per_epoch * config.critic_steps
        ledger_delta = delta - sum(m.extra_delta for m in mechanisms)
        sigma = privacy.calibrate_noise(
            target_epsilon=float(self.epsilon),
            delta=ledger_delta,
            sample_rate=sample_rate,
            steps=total_steps,
            fixed=mechanisms,
            accountant=self.accountant,
        )
        rng = torch.Generator(device=device).manual_seed(_rank_seed(seed))
        with _torch_seeded(seed):
            trainer = DPGANTrainer(
                config, layout, sampler, prior, device=device, generator=rng,
                noise_multiplier=sigma, max_grad_norm=self.max_grad_norm,
                sample_rate=sample_rate, secure_mode=self.secure_mode,
                marginals=marginals,
            )
        self._train(data, trainer, transformer, layout, counts, seed, started,
                    steps_per_epoch, None)
        sgd = privacy.Mechanism("training", "critic DP-SGD", sigma, sample_rate,
                                trainer.steps_taken)
        self.privacy_ledger_ = privacy.PrivacyLedger(
            target_epsilon=float(self.epsilon),
            delta=delta,
            accountant=self.accountant,
            mechanisms=[*mechanisms, sgd],
            max_grad_norm=float(self.max_grad_norm),
            expected_batch_size=trainer.expected_batch,
            n_rows=n,
            secure_mode=bool(self.secure_mode),
            public=public,
        )
        return self

    def _announce_memory(self, transformer, n_rows: int, config: GANConfig, device) -> None:
        """Estimate the fit's memory before anything large is allocated: kept as
        ``memory_estimate_``, printed when verbose, a warning when it exceeds free memory."""
        from tabgan.memory import estimate_training_memory, warn_if_too_large

        self.memory_estimate_ = estimate_training_memory(transformer, n_rows, config)
        if self.verbose and distributed.rank() == 0:
            print(f"tabgan: training on {device} needs {self.memory_estimate_}",
                  file=sys.stderr)
        warn_if_too_large(self.memory_estimate_, device)

    def _train(self, data, trainer, transformer, layout, counts, seed, started, steps,
               callback) -> None:
        """Adopt the fitted pieces as attributes, then run the training loop with its
        progress bar, deadline and callback, and record the history."""
        self.transformer_ = transformer
        self.metadata_ = transformer.metadata_
        self.config_ = trainer.config
        self.device_ = trainer.device
        self.generator_ = trainer.sampling_generator
        self.layout_ = layout
        self._set_sampling_state(counts)
        self.seed_ = seed
        deadline = None if self.max_minutes is None else started + 60.0 * self.max_minutes
        bar = _progress(self.verbose and distributed.rank() == 0, trainer.config.epochs)
        wrapped = None if callback is None else (lambda record: callback(self, record))
        try:
            history = trainer.fit(
                epochs=trainer.config.epochs,
                steps_per_epoch=steps,
                deadline=deadline,
                callback=wrapped,
                progress=bar.update_record if bar else None,
            )
        finally:
            if bar:
                bar.close()
        self.history_ = pd.DataFrame([vars(r) for r in history])
        self.n_features_in_ = data.shape[1]
        self.feature_names_in_ = np.asarray(list(data.columns), dtype=object)
        self.fit_seconds_ = time.perf_counter() - started
        self.generator_.eval()

    def _set_sampling_state(self, counts: torch.Tensor) -> None:
        """What generation needs besides the generator: category counts per column."""
        self.category_counts_ = counts
        device = self.device_
        self._activation = OutputActivation(self.layout_.to(device), self.config_.gumbel_tau)
        sizes = [d.n_categories for d in self.transformer_.discrete_]
        self._sampler = ConditionalSampler(counts.to(device), sizes)

    # ------------------------------------------------------------------ sample
    def sample(
        self,
        n: int,
        conditions: Mapping[Any, Any] | None = None,
        *,
        random_state: int | None = None,
        batch_size: int = 50_000,
        max_tries: int = 100,
    ) -> pd.DataFrame:
        """Generate exactly ``n`` rows.

        ``conditions`` maps columns to a required value (categorical columns) or an
        inclusive ``(low, high)`` range (numeric and datetime columns). Rows are drawn
        with the matching condition vector and filtered until ``n`` rows satisfy all of
        them; a ConditionError is raised once ``max_tries`` batches more than ``n`` needs
        at full acceptance have been drawn.
        """
        parts = list(
            self.iter_sample(
                n, conditions, random_state=random_state, batch_size=batch_size,
                max_tries=max_tries,
            )
        )
        if len(parts) == 1:
            return parts[0]
        return pd.concat(parts, ignore_index=True)

    def iter_sample(
        self,
        n: int,
        conditions: Mapping[Any, Any] | None = None,
        *,
        random_state: int | None = None,
        batch_size: int = 50_000,
        max_tries: int = 100,
    ) -> Iterator[pd.DataFrame]:
        """``sample`` in chunks of at most ``batch_size`` rows, for tables too large to
        hold: memory stays bounded by the chunk, whatever ``n``. The concatenated chunks
        equal ``sample`` with the same arguments."""
        self._check_fitted()
        _check_positive_int("n", n, allow_zero=True)
        _check_positive_int("batch_size", batch_size)
        conds = ConditionSet.parse(conditions or {}, self.transformer_, self.category_counts_)
        rng_seed = random_state if random_state is not None else self._next_sample_seed()
        rng = torch.Generator(device=self.device_).manual_seed(int(rng_seed))
        np_rng = np.random.default_rng(int(rng_seed))
        limit = max_tries + math.ceil(n / batch_size)
        have = tries = 0
        yielded = False
        while have < n:
            if tries >= limit:
                raise conds.unsatisfiable(have, n, tries * batch_size)
            want = n - have if not conds else batch_size
            frame = conds.filter(self._generate(min(batch_size, want), conds, rng, np_rng))
            tries += 1
            if len(frame):
                frame = frame.iloc[: n - have].reset_index(drop=True)
                have += len(frame)
                yielded = True
                yield frame
        if not yielded:
            yield self._generate(0, conds, rng, np_rng)

    def _next_sample_seed(self) -> int:
        """Successive calls give different samples; the sequence follows random_state."""
        self._sample_calls = getattr(self, "_sample_calls", 0) + 1
        return int(np.random.default_rng([self.seed_, self._sample_calls]).integers(2**62))

    def generate_matrix(
        self, n: int, rng: torch.Generator, condition=None, *, fixed=None, chunk: int = 8192
    ) -> torch.Tensor:
        """Generator output ``(n, D)`` ready to decode: alphas, and span scores whose argmax
        is a draw from the generator's distribution. ``condition`` is a batch of size ``n``;
        ``fixed=(column, category)`` conditions every row on one category; with neither,
        conditions are drawn by category frequency. Rows are made ``chunk`` at a time into
        one preallocated matrix, so the temporaries stay small."""
        self._check_fitted()
        self.generator_.eval()
        out = torch.empty(n, self.layout_.dim, device=self.device_)
        with torch.no_grad():
            for start in range(0, n, chunk):
                m = min(chunk, n - start)
                z = torch.randn(m, self.config_.embedding_dim, generator=rng,
                                device=self.device_)
                if self._sampler.n_columns:
                    if condition is not None:
                        vector = condition.vector[start : start + m]
                    elif fixed is not None:
                        vector = self._sampler.fixed_condition(m, *fixed).vector
                    else:
                        vector = self._sampler.sample_condition(m, rng).vector
                    z = torch.cat([z, vector], dim=1)
                raw = self.generator_.infer(z)
                out[start : start + m] = self._activation.sample_scores(raw, rng)
        return out

    def _generate(self, n: int, conds: ConditionSet, rng, np_rng) -> pd.DataFrame:
        target = conds.condition_target(self.transformer_)
        if n == 0:
            matrix = torch.zeros(0, self.layout_.dim)
        else:
            matrix = self.generate_matrix(n, rng, fixed=target)
        return self.transformer_.inverse_transform(
            matrix, random_state=int(np_rng.integers(2**62))
        )

    def describe(self) -> str:
        """A plain-text summary: columns, training, and the privacy guarantee (if any)."""
        self._check_fitted()
        lines = ["tabgan model", "", "columns:"]
        for column in self.metadata_.columns:
            lines.append(f"  {column.name!s:<28} {column.kind}")
        history = self.history_
        lines += [
            "",
            f"training: {len(history)} epochs, batch {self.config_.batch_size}, "
            f"pac {self.config_.pac}, {self.fit_seconds_:.1f} s",
        ]
        if len(history):
            last = history.iloc[-1]
            lines.append(
                f"last epoch: generator loss {last.generator_loss:.3f}, critic loss "
                f"{last.critic_loss:.3f}, mode coverage {last.mode_coverage:.2f}"
            )
        ledger = getattr(self, "privacy_ledger_", None)
        lines.append("")
        if ledger is None:
            lines.append(
                "privacy: trained without differential privacy; no formal guarantee holds."
            )
        else:
            lines.append(ledger.describe())
        return "\n".join(lines)

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | os.PathLike) -> None:
        """Write the model to one file of tensors plus JSON (no pickled objects)."""
        self._check_fitted()
        serialize.save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str = "auto") -> TabGAN:
        """Read a model written by :meth:`save`; it can be loaded on any device."""
        return serialize.load_model(cls, path, device=device)

    def _restore(self, params, config, transformer, generator_state, counts, history, extra):
        """Rebuild the fitted state from its parts (used by ``load``)."""
        self.set_params(**params)
        self.device_ = resolve_device(self.device)
        self.config_ = config
        self.transformer_ = transformer
        self.metadata_ = transformer.metadata_
        discrete = [(d.data_offset, d.n_categories) for d in transformer.discrete_]
        self.layout_ = SpanLayout.build(
            [(s.dim, s.activation) for s in transformer.spans_], discrete
        )
        cond_dim = sum(n for _, n in discrete)
        self.generator_ = Generator(
            config.embedding_dim + cond_dim, config.generator_dims, self.layout_.dim
        )
        self.generator_.load_state_dict(generator_state)
        self.generator_.to(self.device_).eval()
        self._set_sampling_state(counts)
        self.history_ = history
        self.seed_ = int(extra.get("seed", 0))
        self.n_features_in_ = len(transformer.metadata_.columns)
        self.feature_names_in_ = np.asarray(transformer.metadata_.names, dtype=object)
        self.fit_seconds_ = float(extra.get("fit_seconds", float("nan")))
        return self


# ---------------------------------------------------------------------- helpers
def _private_marginals(transformer: TableTransformer, stats) -> list[torch.Tensor | None]:
    """For every softmax span, in order, its private 1-way marginal: the noisy category
    counts of a categorical column; the mode weights (fitted to the noisy histogram) and the
    noisy null share of a numeric one. None where only public bounds are known."""
    from tabgan.transform import _CategoricalColumn, _NumericColumn

    by_name = {s.name: s for s in stats}
    out: list[torch.Tensor | None] = []
    for col in transformer._columns:
        stat = by_name.get(col.meta.name)
        if isinstance(col, _CategoricalColumn):
            out.append(torch.tensor(col.slot_counts(stat.categories, stat.counts),
                                    dtype=torch.float32))
        elif isinstance(col, _NumericColumn):
            if stat.edges is None:
                out.append(None)
                continue
            total = max(float(np.sum(stat.counts)), 1e-12)
            null_share = stat.null_count / (total + stat.null_count) if col.nullable else 0.0
            weights = col.mixture.weights * (1.0 - null_share)
            if col.nullable:
                weights = np.append(weights, null_share)
            out.append(torch.tensor(weights, dtype=torch.float32))
    return out


def _numeric_values(meta, series: pd.Series) -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes in seconds), NaN for nulls."""
    from tabgan.transform import _NumericColumn

    return _NumericColumn(meta).to_float(series)


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA when available, else CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use 'auto'.")
    return resolved


def _rank_seed(seed: int) -> int:
    """The seed of this process's batch draws: ``seed`` itself on one process."""
    return (seed + 7919 * distributed.rank()) % 2**62


def _seed(random_state: int | None) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**62))
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ValueError(f"random_state must be an int or None, got {random_state!r}.")
    return int(random_state) % 2**62


class _torch_seeded:
    """Seed torch's default generator for a block and restore its state afterwards, so
    that parameter initialization is reproducible without touching the caller's RNG."""

    def __init__(self, seed: int):
        self.seed = seed

    def __enter__(self):
        self.state = torch.random.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        torch.manual_seed(self.seed)

    def __exit__(self, *exc):
        torch.random.set_rng_state(self.state)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


def _check_positive_int(name: str, value: Any, allow_zero: bool = False) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or value < (0 if allow_zero else 1):
        bound = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {bound} integer, got {value!r}.")


class _Bar:
    def __init__(self, total: int):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc="training", unit="epoch", leave=True)

    def update_record(self, record: EpochRecord) -> None:
        self.bar.set_postfix(
            G=f"{record.generator_loss:.3f}",
            C=f"{record.critic_loss:.3f}",
            cover=f"{record.mode_coverage:.2f}",
            refresh=False,
        )
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _progress(verbose: bool, total: int) -> _Bar | None:
    return _Bar(total) if verbose else None
