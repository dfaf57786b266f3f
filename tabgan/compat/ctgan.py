"""``CTGAN``: the API of the ctgan package's ``CTGAN`` (version 0.12), trained and sampled by
:class:`~tabgan.TabGAN`.

Every constructor argument of ``ctgan.CTGAN`` is accepted, with ctgan's defaults, and maps
onto one of TabGAN's parameters (:data:`PARAMETERS`); ``enable_gpu`` and the deprecated
``cuda`` pick the device. ``save`` writes tabgan's model file (tensors plus JSON, read with
``weights_only=True``), never a pickle. What differs from ctgan is listed in
``docs/compat.md``.

>>> import pandas as pd
>>> data = pd.DataFrame({"x": [float(i % 7) + 0.5 * (i % 3) for i in range(60)],
...                      "c": ["a", "b", "c"] * 20})
>>> model = CTGAN(epochs=1, batch_size=20)
>>> model.set_random_state(0)
>>> model.fit(data, discrete_columns=["c"])
>>> model.sample(4, condition_column="c", condition_value="b")["c"].tolist()
['b', 'b', 'b', 'b']
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from tabgan import serialize
from tabgan.errors import ModelFileError, NotFittedError, ParameterError
from tabgan.settings import ParamsMixin
from tabgan.synthesizer import TabGAN

__all__ = ["CTGAN", "PARAMETERS"]

# ctgan's constructor argument -> TabGAN's parameter. enable_gpu and cuda choose `device`.
PARAMETERS = {
    "embedding_dim": "embedding_dim",
    "generator_dim": "generator_dims",
    "discriminator_dim": "critic_dims",
    "generator_lr": "generator_lr",
    "generator_decay": "generator_decay",
    "discriminator_lr": "critic_lr",
    "discriminator_decay": "critic_decay",
    "batch_size": "batch_size",
    "discriminator_steps": "critic_steps",
    "log_frequency": "log_frequency",
    "verbose": "verbose",
    "epochs": "epochs",
    "pac": "pac",
}
_API = "ctgan.CTGAN"  # the wrapper's name in a model file


class CTGAN(ParamsMixin):
    """The ctgan package's ``CTGAN`` on tabgan; see the module docstring.

    Attributes
    ----------
    tabgan_:
        The fitted :class:`~tabgan.TabGAN`, for everything ctgan's API lacks (conditions on
        several columns, evaluation, the privacy audit).
    loss_values:
        One row per epoch, as ctgan keeps it: ``Epoch`` (from 0), ``Generator Loss`` and
        ``Discriminator Loss`` (tabgan's critic loss).
    """

    def __init__(
        self,
        embedding_dim=128,
        generator_dim=(256, 256),
        discriminator_dim=(256, 256),
        generator_lr=2e-4,
        generator_decay=1e-6,
        discriminator_lr=2e-4,
        discriminator_decay=1e-6,
        batch_size=500,
        discriminator_steps=1,
        log_frequency=True,
        verbose=False,
        epochs=300,
        pac=10,
        enable_gpu=True,
        cuda=None,
    ):
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.generator_decay = generator_decay
        self.discriminator_lr = discriminator_lr
        self.discriminator_decay = discriminator_decay
        self.batch_size = batch_size
        self.discriminator_steps = discriminator_steps
        self.log_frequency = log_frequency
        self.verbose = verbose
        self.epochs = epochs
        self.pac = pac
        self.enable_gpu = enable_gpu
        self.cuda = cuda

    # ------------------------------------------------------------------ the mapping
    def tabgan_params(self) -> dict[str, Any]:
        """The :class:`~tabgan.TabGAN` parameters these arguments stand for."""
        params = {ours: getattr(self, theirs) for theirs, ours in PARAMETERS.items()}
        for key in ("generator_dims", "critic_dims"):
            params[key] = tuple(params[key])
        params["device"] = getattr(self, "_device", None) or self._device_of_arguments()
        params["random_state"] = getattr(self, "_seed", None)
        return params

    def _device_of_arguments(self) -> str:
        """``enable_gpu`` (and the deprecated ``cuda``) as a device, as ctgan reads them:
        a GPU when there is one, else the CPU."""
        enable = self.enable_gpu
        if self.cuda is not None:
            warnings.warn("`cuda` parameter is deprecated and will be removed in a future "
                          "release. Please use `enable_gpu` instead.", FutureWarning,
                          stacklevel=3)
            if not enable:
                raise ParameterError(
                    "cannot resolve the values of `cuda` and `enable_gpu`; use `enable_gpu` "
                    "alone."
                )
            if isinstance(self.cuda, str):  # a device name, as older ctgan versions took
                return self.cuda
            enable = bool(self.cuda)
        return "auto" if enable else "cpu"

    # ------------------------------------------------------------------ fit and sample
    def fit(self, train_data, discrete_columns=(), epochs=None):
        """Fit to ``train_data`` (a DataFrame, or a 2-d numpy array whose
        ``discrete_columns`` are column indices); ``epochs`` here is deprecated, as in
        ctgan: pass it to the constructor."""
        if isinstance(train_data, pd.DataFrame):
            frame, self._array = train_data, False
        elif isinstance(train_data, np.ndarray) and train_data.ndim == 2:
            frame, self._array = pd.DataFrame(train_data).infer_objects(), True
        else:
            raise TypeError("``train_data`` should be either pd.DataFrame or np.array.")
        params = self.tabgan_params()
        if epochs is not None:
            warnings.warn("`epochs` argument in `fit` method has been deprecated and will be "
                          "removed in a future version. Please pass `epochs` to the "
                          "constructor instead", DeprecationWarning, stacklevel=2)
            params["epochs"] = epochs
        discrete = list(discrete_columns) if discrete_columns is not None else []
        self.tabgan_ = TabGAN(**params).fit(frame, discrete_columns=discrete or None)

    def sample(self, n, condition_column=None, condition_value=None):
        """``n`` rows (a DataFrame, or an array when fitted on one); with both
        ``condition_column`` and ``condition_value``, every row has that value."""
        model = self._fitted()
        conditions = None
        if condition_column is not None and condition_value is not None:
            conditions = {condition_column: condition_value}
        seed = None
        if getattr(self, "_seed", None) is not None:
            self._calls += 1
            seed = int(np.random.default_rng([self._seed, self._calls]).integers(2**62))
        frame = model.sample(int(n), conditions, random_state=seed)
        return frame.to_numpy() if self._array else frame

    def set_random_state(self, random_state) -> None:
        """Seed ``fit`` and the sequence of ``sample`` calls that follows: an int, None (no
        seed), or ctgan's ``(numpy.random.RandomState, torch.Generator)`` pair, from whose
        numpy generator one seed is drawn."""
        if random_state is None:
            seed = None
        elif isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
            seed = int(random_state)
        elif (isinstance(random_state, tuple) and len(random_state) == 2
              and isinstance(random_state[0], np.random.RandomState)):
            seed = int(random_state[0].randint(2**31 - 1))
        else:
            raise TypeError(
                f"`random_state` {random_state} expected to be an int or a tuple of "
                "(`np.random.RandomState`, `torch.Generator`)"
            )
        self._seed, self._calls = seed, 0

    def set_device(self, device) -> None:
        """Train and sample on ``device`` (``"cpu"``, ``"cuda"``, a ``torch.device``)."""
        self._device = str(device)
        if hasattr(self, "tabgan_"):
            self.tabgan_ = TabGAN.from_state(self.tabgan_.model_state(), device=self._device)

    @property
    def loss_values(self) -> pd.DataFrame | None:
        if not hasattr(self, "tabgan_"):
            return None
        history = self.tabgan_.history_
        return pd.DataFrame({"Epoch": history["epoch"] - 1,
                             "Generator Loss": history["generator_loss"],
                             "Discriminator Loss": history["critic_loss"]})

    def _fitted(self) -> TabGAN:
        if not hasattr(self, "tabgan_"):
            raise NotFittedError(
                "this CTGAN is not fitted yet; call fit(data, discrete_columns) first, or "
                "CTGAN.load(path)."
            )
        return self.tabgan_

    # ------------------------------------------------------------------ save and load
    def save(self, path) -> None:
        """Write tabgan's model file (tensors plus JSON; no pickle) with these arguments."""
        state = self._fitted().model_state()
        state.wrapper = {"api": _API, "version": 1, "arguments": _jsonable(self.get_params()),
                         "array": self._array, "random_state": getattr(self, "_seed", None)}
        serialize.save_model(path, state)

    @classmethod
    def load(cls, path) -> CTGAN:
        """Read a file written by :meth:`save` (or by ``TabGAN.save``)."""
        try:
            state = serialize.load_model(path)
        except ModelFileError as exc:
            raise ModelFileError(
                f"{exc} A file written by the ctgan package's own save() is a pickle, which "
                "tabgan never loads (unpickling can run code): fit tabgan.compat.CTGAN and "
                "save that instead."
            ) from exc
        wrapper = state.wrapper or {}
        if wrapper and wrapper.get("api") != _API:
            raise ModelFileError(
                f"{os.fspath(path)!r} was saved by the wrapper {wrapper.get('api')!r}, not by "
                "tabgan.compat.CTGAN; load it with that wrapper."
            )
        model = cls(**wrapper.get("arguments", _arguments_of(state.params)))
        model.set_random_state(wrapper.get("random_state"))
        model._array = bool(wrapper.get("array", False))
        model.tabgan_ = TabGAN.from_state(state, device=model.tabgan_params()["device"],
                                          path=path)
        return model


def _jsonable(arguments: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in arguments.items()}


def _arguments_of(params: dict) -> dict:
    """ctgan's arguments from a TabGAN's parameters (a file that ``TabGAN.save`` wrote)."""
    out = {theirs: params[ours] for theirs, ours in PARAMETERS.items() if ours in params}
    out["enable_gpu"] = params.get("device", "auto") != "cpu"
    return out
