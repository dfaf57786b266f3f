"""The estimator's parameters: scikit-learn's parameter protocol, their validation, and the
``GANConfig`` they make.

``TabGAN.__init__`` only stores its arguments; everything here runs at ``fit`` (or
``sample``) time, and every bad value raises a :class:`~tabgan.errors.ParameterError` (or a
:class:`~tabgan.errors.PrivacyError` for a DP setting) that names the fix.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import fields
from typing import Any

import numpy as np
import torch

from tabgan.errors import ParameterError, PrivacyError
from tabgan.gan.config import GANConfig
from tabgan.privacy.accounting import ACCOUNTANTS
from tabgan.privacy.recipe import DEFAULT_PREPROCESSING_SHARE

__all__ = [
    "ParamsMixin",
    "check_count",
    "check_private",
    "private_params",
    "gan_config",
    "FAST_PATHS",
]

FAST_PATHS = ("bf16_autocast", "torch_compile", "cuda_graphs")
DEFAULT_EPOCHS = 300  # epochs without a time budget


class ParamsMixin:
    """scikit-learn's parameter protocol (``get_params``, ``set_params``, a repr of the
    non-default parameters), read off ``__init__``'s signature, and its estimator tags.
    ``sklearn.base.clone``, grid searches and ``check_is_fitted`` work with it, without
    importing scikit-learn at start-up."""

    @classmethod
    def _param_names(cls) -> list[str]:
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
                raise ParameterError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid parameters "
                    f"are {sorted(valid)}."
                )
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self):
        """scikit-learn's tags (read by scikit-learn 1.6 and later): an estimator that
        needs ``fit``, learns from a table without a target, and draws random samples."""
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    non_deterministic=True, requires_fit=True)

    def __repr__(self) -> str:
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


def check_flag(name: str, value: Any) -> None:
    """Raise unless ``value`` is True or False (a string such as "no" would read as True)."""
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name} must be True or False, got {value!r}.")


def check_count(name: str, value: Any, *, allow_zero: bool = False) -> None:
    """Raise unless ``value`` is a positive (or, with ``allow_zero``, non-negative) int."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or value < (0 if allow_zero else 1):
        bound = "a non-negative" if allow_zero else "a positive"
        raise ParameterError(f"{name} must be {bound} integer, got {value!r}.")


def gan_config(params: dict[str, Any], n_rows: int, *, world: int = 1,
               device: torch.device | None = None) -> GANConfig:
    """The network settings of a fit of ``n_rows`` rows, from the estimator's parameters.

    A batch holds whole packs of ``pac`` rows and is no larger than the table (rounded up to
    a pack); under a process group of ``world`` ranks every rank takes an equal share of
    whole packs. The GPU fast paths are switched on only on CUDA (with a warning
    elsewhere)."""
    for name in ("batch_size", "pac", "critic_steps", "generator_steps"):
        check_count(name, params[name])
    if params.get("sample_pool") is not None:
        check_count("sample_pool", params["sample_pool"])
    for name in ("output_chain", "select_epoch", "log_frequency"):
        check_flag(name, params.get(name, True))
    if params["epochs"] is not None:
        check_count("epochs", params["epochs"])
    decay = params.get("lr_decay", 0.0)
    if not (isinstance(decay, int | float) and not isinstance(decay, bool) and 0 <= decay <= 1):
        raise ParameterError(f"lr_decay must lie in [0, 1] (0 turns it off), got {decay!r}.")
    ema = params["generator_ema"]
    if not (isinstance(ema, int | float) and not isinstance(ema, bool) and 0 <= ema < 1):
        raise ParameterError(
            f"generator_ema must lie in [0, 1) (0 turns the average off), got {ema!r}."
        )
    minutes = params.get("max_minutes")
    if minutes is not None and not (isinstance(minutes, int | float) and minutes > 0):
        raise ParameterError(f"max_minutes must be positive or None, got {minutes!r}.")
    pac = params["pac"]
    asked = min(params["batch_size"], max(pac, math.ceil(n_rows / pac) * pac))
    batch = max(pac, asked - asked % pac)
    unit = pac * world
    batch = max(unit, batch - batch % unit)
    if batch != asked:
        _warn_rounded(params["batch_size"], batch, pac, world)
    values = {f.name: params[f.name] for f in fields(GANConfig)
              if f.name in params and f.name not in FAST_PATHS}
    for key in ("generator_dims", "critic_dims", "betas"):
        values[key] = tuple(values[key])
    values["batch_size"] = batch
    values["epochs"] = _epochs(params)
    config = GANConfig(**values)
    _fast_paths(config, params, device)
    return config


def _epochs(params: dict[str, Any]) -> int | None:
    """``epochs``, or with None: until the time budget when there is one (never under DP,
    whose steps are counted in advance), else ``DEFAULT_EPOCHS``."""
    if params["epochs"] is not None:
        return params["epochs"]
    if params.get("max_minutes") is not None and params.get("epsilon") is None:
        return None
    return DEFAULT_EPOCHS


def _warn_rounded(asked: int, batch: int, pac: int, world: int) -> None:
    """Say why the batch is not the one asked for: whole packs of ``pac`` rows."""
    problem = (f"batch_size {asked} does not split into whole packs of pac={pac} rows on "
               f"each of {world} processes" if world > 1 else
               f"batch_size {asked} is not a multiple of pac={pac}")
    warnings.warn(
        f"{problem} (the critic scores rows in packs of pac); training with batch_size "
        f"{batch}. Give a batch size that is a multiple of {pac * world}.",
        UserWarning, stacklevel=5,
    )


def _fast_paths(config: GANConfig, params: dict[str, Any], device) -> None:
    """Switch the GPU fast paths on in ``config`` where they apply (CUDA only)."""
    asked = {k: bool(params.get(k, False)) for k in FAST_PATHS}
    if device is None or device.type != "cuda":
        if any(asked.values()):
            names = ", ".join(k for k, v in asked.items() if v)
            warnings.warn(f"{names} apply on CUDA only; training on {device} without them.",
                          UserWarning, stacklevel=4)
        return
    for key, value in asked.items():
        setattr(config, key, value)


def check_private(params: dict[str, Any]) -> None:
    """Raise for DP settings that cannot be honoured."""
    epsilon = params["epsilon"]
    if not (isinstance(epsilon, int | float) and not isinstance(epsilon, bool) and epsilon > 0):
        raise PrivacyError(f"epsilon must be a positive number, got {epsilon!r}.")
    if not 0 < params["preprocessing_share"] < 1:
        raise PrivacyError("preprocessing_share must lie strictly between 0 and 1.")
    if not params["max_grad_norm"] > 0:
        raise PrivacyError("max_grad_norm must be positive.")
    if params["accountant"] not in ACCOUNTANTS:
        raise PrivacyError(
            f"unknown accountant {params['accountant']!r}; use one of {sorted(ACCOUNTANTS)}."
        )


# Settings DP fixes whatever they were set to: one record per clipped sample, conditions at
# the private category frequencies.
_DP_FIXED = {"pac": 1, "log_frequency": False}


# The estimator's defaults where they are not GANConfig's.
_ESTIMATOR_DEFAULTS = {"epochs": None, "preprocessing_share": DEFAULT_PREPROCESSING_SHARE}


def _default(name: str) -> Any:
    if name in _ESTIMATOR_DEFAULTS:
        return _ESTIMATOR_DEFAULTS[name]
    return next(f.default for f in fields(GANConfig) if f.name == name)


def private_params(params: dict[str, Any],
                   recipe: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters of a private fit: each one of ``recipe`` that is at its default
    value takes the recipe's value (see :mod:`tabgan.privacy.recipe`); pac is 1 and
    log_frequency off whatever they were (with a warning for a pac set to anything else).
    Returns the parameters and the settings the recipe chose."""
    out, chosen = dict(params), {}
    for name, value in recipe.items():
        if name in _DP_FIXED:
            continue
        given = params[name]
        given = tuple(given) if isinstance(given, list) else given
        if _same(given, _default(name)):
            out[name] = value
            chosen[name] = value
    if params["pac"] not in (_default("pac"), 1):
        warnings.warn(
            f"pac={params['pac']} does not apply under differential privacy: DP-SGD clips one "
            "record per critic sample (pac 1).", UserWarning, stacklevel=4)
    out.update(_DP_FIXED)
    return out, chosen
