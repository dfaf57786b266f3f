"""``TabGAN``: the one public estimator. ``fit`` a DataFrame, ``sample`` synthetic rows.

A facade: it stores its parameters, hands them to the one fit path
(:func:`tabgan.fitting.fit_model`), keeps the fitted parts, and samples from them. It
follows scikit-learn's conventions: ``__init__`` only stores its keyword arguments (so
``get_params``, ``set_params`` and ``clone`` work), learned state lives in attributes
ending in ``_``, and randomness comes from ``random_state`` through ``torch.Generator`` and
numpy ``Generator`` objects, never the global generators.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch

from tabgan import sampling, serialize
from tabgan.checkpoint import Checkpoints
from tabgan.encoding.quantile import DEFAULT_BINS
from tabgan.errors import not_fitted
from tabgan.fitting import Fitted, fit_model, restore
from tabgan.gan.config import GANConfig
from tabgan.gan.runtime import resolve_device
from tabgan.gan.train import EpochRecord
from tabgan.history import model_summary
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
        Passes over the table. None (the default): as many as ``max_minutes`` allows, or
        300 without a time budget (or under DP, whose steps are fixed in advance).
    batch_size:
        Rows per step; rounded down to a multiple of ``pac``, with a warning that says so.
        Under DP: the expected batch of Poisson sampling (pac is 1 there: not rounded).
    max_minutes:
        Optional wall-clock budget for training, checked after every step (every few steps,
        by all ranks together, under ``torch.distributed``).
    embedding_dim, generator_dims, critic_dims, pac, generator_lr, critic_lr,
    generator_decay, critic_decay, betas, critic_steps, generator_steps, gumbel_tau, gp_lambda,
    dropout, log_frequency, marginal_weight, pair_weight:
        Network and optimizer settings; see :class:`tabgan.gan.config.GANConfig`.
    output_chain:
        Draw each column conditioned on the draws of the columns before it (see
        :mod:`tabgan.gan.chain`); False draws every column from its own logits, as CTGAN.
    select_epoch:
        Sample with the weights of the epoch, over the second half of training, whose
        draws come closest to the fit's one- and two-way marginals of the encoded columns
        (see :mod:`tabgan.gan.select`; ``history_["marginal_gap"]``); False samples with
        the last epoch's. Under DP the choice reads released statistics only.
    sample_pool:
        Sampling without conditions draws this many times the rows asked for and keeps the
        ones that bring the one- and two-way marginals onto the fit's (see
        :mod:`tabgan.gan.raking`; 1 keeps every row drawn). None: 8, and 1 under DP.
    generator_ema:
        Decay of an exponential moving average of the generator's weights, updated after
        every generator step; the average is what samples (0 turns it off).
    lr_decay:
        Share of training (by steps, or by the clock with ``max_minutes``) over whose end
        both learning rates decay linearly to a tenth (0: constant).
    numeric_encoding, numeric_bins, max_modes, max_fit_rows:
        Transformer settings; see :class:`tabgan.encoding.transformer.TableTransformer`.
        ``numeric_encoding="quantile"`` (the default) cuts each numeric column's quantile
        function into ``numeric_bins`` bins, frequent exact values in bins of their own;
        ``"mixture"`` is CTGAN's Gaussian-mixture encoding with up to ``max_modes`` modes.
    max_categories:
        Most one-hot slots per categorical column (None: no limit). A column with more
        categories keeps its ``max_categories - 1`` most frequent ones and pools the rest
        in one slot, whose generated values are drawn from the pooled categories by their
        frequencies (noisy frequencies under DP). Use it for ID-like columns with thousands
        of values: each category otherwise widens both networks.
    constraints:
        Rules every sampled row obeys (``"start <= end"``, ``Positive("price")``, ...), added
        to those the metadata declares; see :mod:`tabgan.table.constraints`.
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
    metadata_, constraints_:
        The table's :class:`~tabgan.table.metadata.Metadata` with its constraints, and the
        :class:`~tabgan.table.constraint_set.ConstraintSet` that says how each is met.
    history_:
        One row per epoch: losses, mode coverage, seconds and the marginal gap.
    sampled_epoch_:
        The epoch whose generator weights sample (see ``select_epoch``); None in a model
        file written before it was recorded.
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


    epochs: int | None = None
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
    pair_weight: float = _D.pair_weight
    output_chain: bool = _D.output_chain
    select_epoch: bool = _D.select_epoch
    sample_pool: int | None = None
    generator_ema: float = _D.generator_ema
    lr_decay: float = _D.lr_decay
    numeric_encoding: str = "quantile"
    numeric_bins: int = DEFAULT_BINS
    max_modes: int = 10
    max_fit_rows: int = 20_000
    max_categories: int | None = None
    constraints: list | None = None
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
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int | str | timedelta = 10,
        resume: bool = False,
    ) -> TabGAN:
        """Learn to generate rows like ``data``.

        ``discrete_columns`` forces columns to be categorical; ``metadata`` (a
        :class:`~tabgan.table.metadata.Metadata`, a dict or a JSON path) declares kinds,
        bounds and categories. ``callback(model, record)`` runs after every epoch (the model
        can already sample); returning True stops training (see
        :class:`tabgan.callbacks.EarlyStopping`); its ``on_fit_start(model, data)``, if it
        has one, runs before the first epoch. ``checkpoint_dir`` keeps a checkpoint of the
        fit there, replaced every ``checkpoint_every`` epochs (an int) or so long (``"30s"``,
        ``"5min"``, ``"1h"``, a timedelta); ``resume=True`` continues the fit it holds.
        """
        checkpoints = Checkpoints.of(checkpoint_dir, every=checkpoint_every, resume=resume,
                                     callback=callback, verbose=self.verbose)
        wrapped = None if callback is None else (lambda record: callback(self, record))

        def on_start(fitted: Fitted, seed: int) -> None:  # then the callback meets the data
            self._adopt(fitted, seed)
            getattr(callback, "on_fit_start", lambda *_: None)(self, data)

        result = fit_model(data, self.get_params(), discrete_columns=discrete_columns,
                           metadata=metadata, callback=wrapped, on_start=on_start,
                           checkpoints=checkpoints)
        self.history_ = result.history
        self.seed_ = result.seed
        self.memory_estimate_ = result.memory
        self.fit_seconds_ = result.seconds
        self.sampled_epoch_ = result.sampled_epoch
        self.n_features_in_ = data.shape[1]
        self.feature_names_in_ = np.asarray(list(data.columns), dtype=object)
        if result.ledger is not None:
            self.privacy_ledger_ = result.ledger
        elif hasattr(self, "privacy_ledger_"):
            del self.privacy_ledger_
        return self

    def _adopt(self, fitted: Fitted, seed: int) -> None:
        """Take the fitted parts as attributes (before training: a callback may sample)."""
        self._fitted = fitted
        self.transformer_ = fitted.transformer
        self.constraints_ = fitted.constraints
        self.metadata_ = fitted.constraints.metadata
        self.layout_ = fitted.layout
        self.config_ = fitted.config
        self.device_ = fitted.device
        self.generator_ = fitted.generator
        self.category_counts_ = fitted.condition_counts.cpu()
        self.seed_ = seed

    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` (or ``load``) has run: what ``check_is_fitted`` asks."""
        return hasattr(self, "generator_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise not_fitted(
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
        inclusive ``(low, high)`` range (numeric and datetime columns); None asks for
        nulls. Rows are drawn with the matching condition vector and filtered until ``n``
        rows satisfy all of them and every constraint. A condition the model can never meet
        (a range outside the column's trained range, nulls of a column that had none)
        raises a ConditionError at once; one it rarely meets, once ``max_tries`` batches
        more than ``n`` needs at full acceptance have been drawn (a ConstraintError when
        constraints rejected the rows).
        """
        parts = list(self.iter_sample(n, conditions, random_state=random_state,
                                      batch_size=batch_size, max_tries=max_tries))
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
        seed = random_state if random_state is not None else self._next_sample_seed()
        return sampling.iter_rows(self._fitted, n, conds, seed=seed, batch_size=batch_size,
                                  max_tries=max_tries,
                                  pool=sampling.resolved_pool(self.sample_pool, self.epsilon))

    def condition_set(self, conditions: Mapping[Any, Any]) -> ConditionSet:
        """``conditions`` checked against the model: unknown columns or categories, ranges
        outside a column's trained range and nulls of a column without them raise a
        ConditionError at once; each category is placed in the condition vector."""
        self._check_fitted()
        match = partial(self.transformer_.condition_match, counts=self.category_counts_)
        return ConditionSet.parse(
            conditions, self.metadata_, self.constraints_.condition_match(match),
            self.constraints_.trained_range(self.transformer_.trained_range))

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
        return sampling.generate_matrix(self._fitted, n, rng, condition, fixed=fixed,
                                        chunk=chunk)

    def describe(self) -> str:
        """A plain-text summary: columns, training, and the privacy guarantee (if any)."""
        self._check_fitted()
        return model_summary(
            metadata=self.metadata_, constraints=self.constraints_, history=self.history_,
            config=self.config_, seconds=self.fit_seconds_, sampled_epoch=self.sampled_epoch_,
            ledger=getattr(self, "privacy_ledger_", None))

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | os.PathLike) -> None:
        """Write the model to one file of tensors plus JSON (no pickled objects)."""
        serialize.save_model(path, self.model_state())

    def model_state(self) -> serialize.ModelState:
        """What a model file holds (see :mod:`tabgan.serialize`)."""
        self._check_fitted()
        return serialize.ModelState(
            params=self.get_params(),
            config=self.config_,
            transformer=self.transformer_,
            generator=self.generator_.state_dict(),
            category_counts=self.category_counts_,
            history=self.history_,
            seed=self.seed_,
            fit_seconds=self.fit_seconds_,
            sampled_epoch=self.sampled_epoch_,
            ledger=getattr(self, "privacy_ledger_", None),
            constraints=self.constraints_.state_dict() if self.constraints_ else None,
            targets=self._fitted.targets,
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str = "auto") -> TabGAN:
        """Read a model written by :meth:`save`; it can be loaded on any device."""
        resolve_device(device)  # a missing device is the device's fault, not the file's
        return cls.from_state(serialize.load_model(path), device=device, path=path)

    @classmethod
    def from_state(cls, state: serialize.ModelState, *, device: str = "auto",
                   path: str | os.PathLike = "<model>") -> TabGAN:
        """The model of a :class:`~tabgan.serialize.ModelState`, on ``device``."""
        names = set(cls._param_names())
        model = cls(**{k: v for k, v in state.params.items() if k in names})
        model.device = device
        model._adopt(restore(state, resolve_device(device), path), state.seed)
        model.history_ = state.history
        model.fit_seconds_ = state.fit_seconds
        model.sampled_epoch_ = state.sampled_epoch
        model.n_features_in_ = len(model.metadata_.columns)
        model.feature_names_in_ = np.asarray(model.metadata_.names, dtype=object)
        if state.ledger is not None:
            model.privacy_ledger_ = state.ledger
        return model
