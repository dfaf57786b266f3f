"""``TabGAN``, the facade: fit and sample, parameters, seeds, budgets and callbacks."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from tabgan import TabGAN
from tabgan.errors import NotFittedError


def test_fit_sample_keeps_names_order_and_dtypes(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(257)
    assert len(out) == 257
    assert list(out.columns) == list(mixed_frame.columns)
    assert out.dtypes.equals(mixed_frame.dtypes)
    assert set(out["group"].dropna()) <= {"red", "green", "blue"}
    assert out["amount"].between(mixed_frame["amount"].min(), mixed_frame["amount"].max()).all()
    assert (out["count"] == out["count"].round()).all()


def test_sample_zero_rows(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(0)
    assert len(out) == 0 and list(out.columns) == list(mixed_frame.columns)


def test_numeric_only_table(tiny_model_params):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.exponential(size=80)})
    out = TabGAN(**tiny_model_params).fit(frame).sample(30)
    assert out.shape == (30, 2) and out.notna().all().all()


def test_same_seed_same_samples(mixed_frame, tiny_model_params):
    a = TabGAN(**tiny_model_params).fit(mixed_frame)
    b = TabGAN(**tiny_model_params).fit(mixed_frame)
    pd.testing.assert_frame_equal(a.sample(100, random_state=5), b.sample(100, random_state=5))
    pd.testing.assert_frame_equal(a.sample(50), b.sample(50))
    assert not a.sample(50, random_state=1).equals(a.sample(50, random_state=2))


def test_fit_leaves_global_rngs_alone(mixed_frame, tiny_model_params):
    torch.manual_seed(123)
    np.random.seed(123)
    expected_torch = torch.rand(3)
    expected_np = np.random.rand(3)
    torch.manual_seed(123)
    np.random.seed(123)
    TabGAN(**tiny_model_params).fit(mixed_frame).sample(10)
    assert torch.equal(torch.rand(3), expected_torch)
    assert np.array_equal(np.random.rand(3), expected_np)


def test_params_clone_and_not_fitted(tiny_model_params):
    model = TabGAN(**tiny_model_params)
    assert model.get_params()["epochs"] == 2
    copy = clone(model).set_params(epochs=7)
    assert copy.epochs == 7 and model.epochs == 2
    with pytest.raises(NotFittedError, match="fit"):
        model.sample(3)


def test_history_and_callback_stop(mixed_frame, tiny_model_params):
    seen = []

    def stop_at_two(model, record):
        seen.append(record.epoch)
        return record.epoch == 2

    params = dict(tiny_model_params, epochs=10)
    model = TabGAN(**params).fit(mixed_frame, callback=stop_at_two)
    assert seen == [1, 2]
    assert list(model.history_.columns) == [
        "epoch", "generator_loss", "critic_loss", "mode_coverage", "seconds", "steps",
        "marginal_gap",
    ]
    assert len(model.history_) == 2
    assert model.history_["mode_coverage"].between(0, 1).all()


def test_max_minutes_stops_training(mixed_frame, tiny_model_params):
    params = dict(tiny_model_params, epochs=10_000, max_minutes=1e-6)
    model = TabGAN(**params).fit(mixed_frame)
    assert len(model.history_) == 1


def test_condition_vector_alone_steers_the_generator(mixed_frame):
    model = TabGAN(
        epochs=150, batch_size=40, embedding_dim=16, generator_dims=(64,), critic_dims=(64,),
        generator_lr=1e-3, verbose=False, random_state=0,
    ).fit(mixed_frame)
    target = model.condition_set({"size": "S"}).condition_target()
    matrix = model.generate_matrix(2000, torch.Generator().manual_seed(0), fixed=target)
    decoded = model.transformer_.inverse_transform(matrix)
    share = (decoded["size"] == "S").mean()
    base = (mixed_frame["size"] == "S").mean()
    assert base < 0.4 and share > 0.8


def test_invalid_settings_raise_at_fit(mixed_frame):
    with pytest.raises(ValueError, match="epochs"):
        TabGAN(epochs=0, verbose=False).fit(mixed_frame)
    with pytest.raises(ValueError, match="device"):
        TabGAN(device="tpu", verbose=False).fit(mixed_frame)


def test_describe_says_no_guarantee_without_dp(mixed_frame, tiny_model_params):
    text = TabGAN(**tiny_model_params).fit(mixed_frame).describe()
    assert "no formal guarantee" in text and "amount" in text


def test_chunks_concatenate_to_sample(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    whole = model.sample(250, random_state=4, batch_size=60)
    chunks = list(model.iter_sample(250, random_state=4, batch_size=60))
    assert [len(c) for c in chunks] == [60, 60, 60, 60, 10]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    conditioned = list(model.iter_sample(90, {"size": "M"}, random_state=1, batch_size=40))
    assert sum(map(len, conditioned)) == 90
    assert all((c["size"] == "M").all() for c in conditioned)


def test_seed_records_the_drawn_seed_so_a_run_can_be_repeated(mixed_frame, tiny_model_params,
                                                              tmp_path):
    params = dict(tiny_model_params, random_state=None)
    first = TabGAN(**params).fit(mixed_frame)
    assert isinstance(first.seed_, int)
    again = TabGAN(**dict(params, random_state=first.seed_)).fit(mixed_frame)
    assert again.seed_ == first.seed_
    assert first.sample(30, random_state=2).equals(again.sample(30, random_state=2))
    first.save(tmp_path / "m.tabgan")
    assert TabGAN.load(tmp_path / "m.tabgan").seed_ == first.seed_


def test_not_fitted_is_scikit_learns_error_and_check_is_fitted_works(mixed_frame,
                                                                     tiny_model_params):
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.utils.validation import check_is_fitted

    assert issubclass(NotFittedError, SklearnNotFittedError)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(SklearnNotFittedError, match="call fit"):
        TabGAN().sample(3)
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(TabGAN())
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    check_is_fitted(model)
    assert clone(model).__sklearn_is_fitted__() is False


def test_sampled_columns_have_the_dtype_pandas_gives_the_input_names(mixed_frame,
                                                                     tiny_model_params):
    # object under pandas 2, str under pandas 3
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(5)
    assert out.columns.dtype == mixed_frame.columns.dtype
    pd.testing.assert_index_equal(out.columns, mixed_frame.columns)
    numbered = pd.DataFrame({0: np.arange(40) * 0.5, 1: ["a", "b"] * 20})
    back = TabGAN(**tiny_model_params).fit(numbered).sample(3)
    assert list(back.columns) == [0, 1] and back.columns.dtype == np.int64
