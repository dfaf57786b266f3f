"""``TabGAN``: the one public estimator. ``fit`` a DataFrame, ``sample`` synthetic rows.

A facade: it stores its parameters, hands them to the one fit path
(:func:`tabgan.fitting.fit_model`), keeps the fitted parts, and samples from them. It
follows scikit-learn's conventions: ``__init__`` only stores its keyword arguments (so
``get_params``, ``set_params`` and ``clone`` work), learned state lives in attributes
ending in ``_``, and randomness comes from ``random_state`` through ``torch.Generator`` and
numpy ``Generator`` objects, never the global generators.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch

from tabgan import serialize
from tabgan.errors import NotFittedError
from tabgan.fitting import Fitted, assemble, build_generator, fit_model
from tabgan.gan.config import GANConfig
from tabgan.gan.runtime import resolve_device
from tabgan.gan.train import EpochRecord
from tabgan.settings import ParamsMixin, check_count
from tabgan.table.conditions import ConditionSet
from tabgan.table.metadata import Metadata

__all__ = ["TabGAN"]

_D = GANConfig()


@dataclass(kw_only=True, repr=False, eq=False)
class TabGAN(ParamsMixin):
    """A conditional tabular GAN (CTGAN design) with a scikit-learn style API.

    Parameters
    ----------
    epochs:
        Passes over the table. Training stops earlier when ``max_minutes`` is reached.
    batch_size:
        Rows per step; rounded down to a multiple of ``pac``. Under DP: the expected batch of
        Poisson sampling (pac is 1 there, so it is not rounded).
    max_minutes:
        Optional wall-clock budget for training, checked after every epoch.
    embedding_dim, generator_dims, critic_dims, pac, generator_lr, critic_lr,
    generator_decay, critic_decay, betas, critic_steps, generator_steps, gumbel_tau, gp_lambda,
    dropout, log_frequency, marginal_weight:
        Network and optimizer settings; see :class:`tabgan.gan.config.GANConfig`.
    generator_ema:
        Decay of an exponential moving average of the generator's weights, updated after
        every generator step; the average is what samples (0 turns it off).
    max_modes, max_fit_rows:
        Transformer settings; see :class:`tabgan.encoding.transformer.TableTransformer`.
    max_categories:
        Most one-hot slots per categorical column (None: no limit). A column with more
        categories keeps its ``max_categories - 1`` most frequent ones and pools the rest
        in one slot, whose generated values are drawn from the pooled categories by their
        frequencies (noisy frequencies under DP). Use it for ID-like columns with thousands
        of values: each category otherwise widens both networks.
    epsilon:
        Train with differential privacy at this target epsilon (None: no DP). The guarantee
        covers everything that reads the data: the row count, preprocessing and training.
        The settings left at their defaults (epochs, batch size, critic size, learning
        rates, dropout, generator_ema, preprocessing_share) are then chosen by the DP
        recipe from the noisy row count, the width and epsilon. See ``docs/privacy.md``.
    delta:
        DP delta; default ``min(1e-6, 1 / (10 n))`` for the noisy row count ``n``. A delta
        of ``1/n`` or more is refused.
    max_grad_norm:
        DP-SGD clipping norm of each record's critic-loss gradient.
    preprocessing_share:
        Share of epsilon spent on private preprocessing (histograms, category counts) when
        the metadata does not make those facts public.
    accountant:
        ``"rdp"`` or ``"prv"`` (Opacus's accountants); it composes every mechanism.
    secure_mode:
        Draw every Gaussian noise (DP-SGD's through Opacus, the preprocessing's alike) in
        the way that resists floating-point attacks (slower). The noise is secret either
        way: no DP noise or sampling draw is reproduced by ``random_state``.
    bf16_autocast, torch_compile, cuda_graphs:
        GPU fast paths for the training step: bfloat16 autocast of the forward passes,
        ``torch.compile`` of the generator, and CUDA graphs (``torch.compile``'s
        "reduce-overhead" mode). They apply on CUDA only; on CPU they are off, with a
        warning. See ``docs/scale.md``.
    device:
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    random_state:
        Seed that makes ``fit`` and ``sample`` reproducible; ``None`` draws a fresh one.
        Under DP it seeds only what reads no record (initialization, the generator steps,
        sampling); the noise and the Poisson sampling come from a secret generator.
    verbose:
        Print the memory estimate, and show a progress bar with the epoch and the losses.

    Attributes
    ----------
    memory_estimate_:
        A :class:`~tabgan.gan.memory.MemoryEstimate` of the fit, made before training started.
    seed_:
        The seed the fit ran with: ``random_state``, or the one drawn when it was None.
    layout_:
        The :class:`~tabgan.encoding.layout.TableLayout` of an encoded row.
    history_:
        One row per epoch: losses, mode coverage and seconds.
    privacy_ledger_:
        Under DP, the :class:`~tabgan.privacy.ledger.PrivacyLedger` of the fit.

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


    epochs: int = _D.epochs
    batch_size: int = _D.batch_size
    max_minutes: float | None = None
    embedding_dim: int = _D.embedding_dim
    generator_dims: tuple[int, ...] = _D.generator_dims
    critic_dims: tuple[int, ...] = _D.critic_dims
    pac: int = _D.pac
    generator_lr: float = _D.generator_lr
    critic_lr: float = _D.critic_lr
    generator_decay: float = _D.generator_decay
    critic_decay: float = _D.critic_decay
    betas: tuple[float, float] = _D.betas
    critic_steps: int = _D.critic_steps
    generator_steps: int = _D.generator_steps
    gumbel_tau: float = _D.gumbel_tau
    gp_lambda: float = _D.gp_lambda
    dropout: float = _D.dropout
    log_frequency: bool = _D.log_frequency
    marginal_weight: float = _D.marginal_weight
    generator_ema: float = _D.generator_ema
    max_modes: int = 10
    max_fit_rows: int = 20_000
    max_categories: int | None = None
    epsilon: float | None = None
    delta: float | None = None
    max_grad_norm: float = 1.0
    preprocessing_share: float = 0.1
    accountant: str = "rdp"
    secure_mode: bool = False
    bf16_autocast: bool = False
    torch_compile: bool = False
    cuda_graphs: bool = False
    device: str = "auto"
    random_state: int | None = None
    verbose: bool = True

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
        :class:`~tabgan.table.metadata.Metadata`, a dict or a JSON path) declares kinds,
        bounds and categories. ``callback(model, record)`` runs after every epoch (the model
        can already sample); returning True stops training (enough to write early
        stopping).
        """
        wrapped = None if callback is None else (lambda record: callback(self, record))
        result = fit_model(data, self.get_params(), discrete_columns=discrete_columns,
                           metadata=metadata, callback=wrapped, on_start=self._adopt)
        self.history_ = result.history
        self.seed_ = result.seed
        self.memory_estimate_ = result.memory
        self.fit_seconds_ = result.seconds
        self.n_features_in_ = data.shape[1]
        self.feature_names_in_ = np.asarray(list(data.columns), dtype=object)
        if result.ledger is not None:
            self.privacy_ledger_ = result.ledger
        elif hasattr(self, "privacy_ledger_"):
            del self.privacy_ledger_
        return self

    def _adopt(self, fitted: Fitted, seed: int) -> None:
        """Take the fitted parts as attributes (before training, so that a callback can
        sample)."""
        self._fitted = fitted
        self.transformer_ = fitted.transformer
        self.metadata_ = fitted.transformer.metadata_
        self.layout_ = fitted.layout
        self.config_ = fitted.config
        self.device_ = fitted.device
        self.generator_ = fitted.generator
        self.category_counts_ = fitted.condition_counts.cpu()
        self.seed_ = seed

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError(
                "this TabGAN is not fitted yet; call fit(data) first, or TabGAN.load(path)."
            )

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
        check_count("n", n, allow_zero=True)
        check_count("batch_size", batch_size)
        conds = self.condition_set(conditions or {})
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

    def condition_set(self, conditions: Mapping[Any, Any]) -> ConditionSet:
        """``conditions`` checked against the model: unknown columns or categories raise a
        ConditionError; each category is placed in the condition vector."""
        self._check_fitted()
        match = partial(self.transformer_.condition_match, counts=self.category_counts_)
        return ConditionSet.parse(conditions, self.metadata_, match)

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
        fitted = self._fitted
        generator = self.generator_
        was_training = generator.training  # a callback may sample in the middle of a fit
        generator.eval()
        out = torch.empty(n, self.layout_.dim, device=self.device_)
        with torch.no_grad():
            for start in range(0, n, chunk):
                m = min(chunk, n - start)
                z = torch.randn(m, self.config_.embedding_dim, generator=rng,
                                device=self.device_)
                if fitted.sampler.n_columns:
                    if condition is not None:
                        vector = condition.vector[start : start + m]
                    elif fixed is not None:
                        vector = fitted.sampler.fixed_condition(m, *fixed).vector
                    else:
                        vector = fitted.sampler.sample_condition(m, rng).vector
                    z = torch.cat([z, vector], dim=1)
                raw = generator.infer(z)
                out[start : start + m] = fitted.activation.sample_scores(raw, rng)
        generator.train(was_training)
        return out

    def _generate(self, n: int, conds: ConditionSet, rng, np_rng) -> pd.DataFrame:
        if n == 0:
            matrix = torch.zeros(0, self.layout_.dim)
        else:
            matrix = self.generate_matrix(n, rng, fixed=conds.condition_target())
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
            f"pac {self.config_.pac}"
            + (f", {self.fit_seconds_:.1f} s" if math.isfinite(self.fit_seconds_) else ""),
        ]
        if len(history):
            last = history.iloc[-1]
            # under DP the history has no critic loss: it is a mean over real rows
            critic = (f", critic loss {last.critic_loss:.3f}" if "critic_loss" in history
                      else "")
            lines.append(
                f"last epoch: generator loss {last.generator_loss:.3f}{critic}, mode "
                f"coverage {last.mode_coverage:.2f}"
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
        serialize.save_model(path, serialize.ModelState(
            params=self.get_params(),
            config=self.config_,
            transformer=self.transformer_,
            generator=self.generator_.state_dict(),
            category_counts=self.category_counts_,
            history=self.history_,
            seed=self.seed_,
            fit_seconds=self.fit_seconds_,
            ledger=getattr(self, "privacy_ledger_", None),
        ))

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str = "auto") -> TabGAN:
        """Read a model written by :meth:`save`; it can be loaded on any device."""
        state = serialize.load_model(path)
        names = set(cls._param_names())
        model = cls(**{k: v for k, v in state.params.items() if k in names})
        model.device = device
        generator = build_generator(state.config, state.transformer.layout_)
        try:
            generator.load_state_dict(state.generator)
        except RuntimeError as exc:
            raise serialize.inconsistent(path, exc) from exc
        model._adopt(assemble(state.transformer, state.config, generator,
                              state.category_counts, resolve_device(device)), state.seed)
        model.history_ = state.history
        model.fit_seconds_ = state.fit_seconds
        model.n_features_in_ = len(state.transformer.metadata_.columns)
        model.feature_names_in_ = np.asarray(state.transformer.metadata_.names, dtype=object)
        if state.ledger is not None:
            model.privacy_ledger_ = state.ledger
        return model

