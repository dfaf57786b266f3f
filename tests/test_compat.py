"""``tabgan.compat.CTGAN``: ctgan's README example, ctgan's constructor arguments and their
mapping, seeds, conditions, arrays, and save / load of safe model files."""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan.compat import CTGAN
from tabgan.datasets import load_adult
from tabgan.errors import ConditionError, ModelFileError, NotFittedError, ParameterError

# ctgan 0.12's README "Usage Example", verbatim.
README_EXAMPLE = """\
from ctgan import CTGAN
from ctgan import load_demo

real_data = load_demo()

# Names of the columns that are discrete
discrete_columns = [
    'workclass',
    'education',
    'marital-status',
    'occupation',
    'relationship',
    'race',
    'sex',
    'native-country',
    'income'
]

ctgan = CTGAN(epochs=10)
ctgan.fit(real_data, discrete_columns)

# Create synthetic data
synthetic_data = ctgan.sample(1000)
"""

# ctgan 0.12's constructor, as inspect.signature(ctgan.CTGAN) gives it.
CTGAN_ARGUMENTS = {
    "embedding_dim": 128, "generator_dim": (256, 256), "discriminator_dim": (256, 256),
    "generator_lr": 2e-4, "generator_decay": 1e-6, "discriminator_lr": 2e-4,
    "discriminator_decay": 1e-6, "batch_size": 500, "discriminator_steps": 1,
    "log_frequency": True, "verbose": False, "epochs": 300, "pac": 10, "enable_gpu": True,
    "cuda": None,
}
TINY = {"epochs": 1, "batch_size": 20, "embedding_dim": 8, "generator_dim": (16,),
        "discriminator_dim": (16,), "enable_gpu": False}


def _signature(func, name: str | None = None) -> dict:
    for cell in getattr(func, "__closure__", None) or ():  # ctgan's @random_state wrapper
        if getattr(cell.cell_contents, "__name__", None) == name:
            func = cell.cell_contents
    return {name: p.default for name, p in inspect.signature(func).parameters.items()
            if name != "self"}


def _installed_ctgan():
    try:
        import ctgan
    except ImportError:
        return None
    return ctgan


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 80
    return pd.DataFrame({"x": rng.normal(size=n), "n": rng.integers(0, 100, n),
                         "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])})


def test_ctgans_readme_example_runs_against_tabgan_with_one_import_changed(monkeypatch):
    installed = _installed_ctgan()
    if installed is not None:  # the example above is the one ctgan's README holds
        readme = importlib.metadata.metadata("ctgan").get_payload()
        assert README_EXAMPLE.replace("\n\n", "\n") in readme.replace("\n\n", "\n")
    adult = load_adult()
    # ctgan's load_demo() downloads this Adult table; a sample of it keeps the test fast.
    shim = types.ModuleType("ctgan")
    shim.CTGAN = CTGAN
    shim.load_demo = lambda: adult.sample(1000, random_state=0).reset_index(drop=True)
    monkeypatch.setitem(sys.modules, "ctgan", shim)
    scope: dict = {}
    exec(compile(README_EXAMPLE, "ctgan-readme", "exec"), scope)
    synthetic, real = scope["synthetic_data"], scope["real_data"]
    assert synthetic.shape == (1000, 15) and list(synthetic.columns) == list(adult.columns)
    assert synthetic.dtypes.equals(real.dtypes)
    for column in scope["discrete_columns"]:
        assert set(synthetic[column].dropna()) <= set(real[column].dropna()), column
    assert len(scope["ctgan"].loss_values) == 10


def test_every_constructor_argument_of_ctgan_is_accepted_with_its_default():
    assert _signature(CTGAN) == CTGAN_ARGUMENTS
    installed = _installed_ctgan()
    if installed is not None:
        assert _signature(installed.CTGAN) == CTGAN_ARGUMENTS
        for method in ("fit", "sample", "set_random_state", "set_device", "save"):
            assert _signature(getattr(CTGAN, method)) == _signature(
                getattr(installed.CTGAN, method), method), method
    assert _signature(CTGAN.fit) == {"train_data": inspect.Parameter.empty,
                                     "discrete_columns": (), "epochs": None}
    assert _signature(CTGAN.sample) == {"n": inspect.Parameter.empty,
                                        "condition_column": None, "condition_value": None}


def test_each_argument_maps_onto_tabgan():
    model = CTGAN(embedding_dim=32, generator_dim=(64, 32), discriminator_dim=[48],
                  generator_lr=1e-3, generator_decay=1e-5, discriminator_lr=3e-4,
                  discriminator_decay=2e-6, batch_size=300, discriminator_steps=5,
                  log_frequency=False, verbose=True, epochs=7, pac=5, enable_gpu=False)
    assert model.tabgan_params() == {
        "embedding_dim": 32, "generator_dims": (64, 32), "critic_dims": (48,),
        "generator_lr": 1e-3, "generator_decay": 1e-5, "critic_lr": 3e-4,
        "critic_decay": 2e-6, "batch_size": 300, "critic_steps": 5, "log_frequency": False,
        "verbose": True, "epochs": 7, "pac": 5, "device": "cpu", "random_state": None,
    }
    assert CTGAN().tabgan_params()["device"] == "auto"
    with pytest.warns(FutureWarning, match="enable_gpu"):
        assert CTGAN(cuda=False).tabgan_params()["device"] == "cpu"
    with pytest.warns(FutureWarning):
        assert CTGAN(cuda="cpu").tabgan_params()["device"] == "cpu"
    with pytest.warns(FutureWarning), pytest.raises(ParameterError, match="enable_gpu"):
        CTGAN(cuda=True, enable_gpu=False).tabgan_params()
    assert CTGAN(epochs=3).get_params()["epochs"] == 3 and "epochs=3" in repr(CTGAN(epochs=3))


def test_seeds_conditions_and_the_loss_table(table):
    first, second = CTGAN(**TINY), CTGAN(**TINY)
    for model in (first, second):
        model.set_random_state(3)
        model.fit(table, ["c"])
    a, b = first.sample(40), second.sample(40)
    pd.testing.assert_frame_equal(a, b)
    assert not first.sample(40).equals(a)  # successive calls differ
    first.set_random_state(3)
    pd.testing.assert_frame_equal(first.sample(40), a)  # and restart with the seed
    first.set_random_state((np.random.RandomState(1), torch.Generator()))
    with pytest.raises(TypeError, match="random_state"):
        first.set_random_state("seven")
    rare = first.sample(30, condition_column="c", condition_value="c")
    assert (rare["c"] == "c").all()
    assert len(first.sample(5, condition_column="c")) == 5  # ctgan ignores half a condition
    with pytest.raises(ConditionError):
        first.sample(5, condition_column="c", condition_value="zzz")
    assert list(first.loss_values.columns) == ["Epoch", "Generator Loss", "Discriminator Loss"]
    assert first.loss_values["Epoch"].tolist() == [0]


def test_arrays_in_arrays_out_and_epochs_in_fit_is_deprecated(table):
    model = CTGAN(**TINY)
    array = table.to_numpy(dtype=object)
    with pytest.warns(DeprecationWarning, match="epochs"):
        model.fit(array, discrete_columns=[2], epochs=2)
    assert len(model.loss_values) == 2
    out = model.sample(12)
    assert isinstance(out, np.ndarray) and out.shape == (12, 3)
    assert set(out[:, 2]) <= {"a", "b", "c"}
    with pytest.raises(TypeError, match="DataFrame"):
        model.fit([[1, 2]], [])
    with pytest.raises(ValueError, match="not in the table"):
        model.fit(table, ["nope"])


def test_save_and_load_are_tabgans_model_files(table, tmp_path):
    model = CTGAN(**TINY)
    with pytest.raises(NotFittedError):
        model.sample(3)
    model.set_random_state(0)
    model.fit(table, ["c"])
    path = tmp_path / "model.pkl"
    model.save(path)
    payload = torch.load(path, weights_only=True)  # plain tensors and JSON, no pickle
    assert payload["format"] == "tabgan-model" and payload["version"] == 4
    loaded = CTGAN.load(path)
    assert loaded.get_params() == {**model.get_params(), "generator_dim": [16],
                                   "discriminator_dim": [16]}
    model.set_random_state(9)
    loaded.set_random_state(9)
    pd.testing.assert_frame_equal(loaded.sample(25), model.sample(25))
    arrays = CTGAN(**TINY)
    arrays.fit(table.to_numpy(dtype=object), [2])
    arrays.save(tmp_path / "a.pkl")
    assert isinstance(CTGAN.load(tmp_path / "a.pkl").sample(3), np.ndarray)
    model.tabgan_.save(tmp_path / "plain.tabgan")
    assert list(CTGAN.load(tmp_path / "plain.tabgan").sample(4).columns) == ["x", "n", "c"]
    torch.save({"a pickled": Pickled()}, tmp_path / "ctgan.pkl")
    with pytest.raises(ModelFileError, match="pickle, which tabgan never loads"):
        CTGAN.load(tmp_path / "ctgan.pkl")
    model.set_device("cpu")
    assert model.tabgan_.device_.type == "cpu" and len(model.sample(2)) == 2


class Pickled:
    """Stands for a model that ctgan's own save() pickled."""


def test_no_warning_by_default(table):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = CTGAN(**TINY)
        model.fit(table, ["c"])
        model.sample(5)
