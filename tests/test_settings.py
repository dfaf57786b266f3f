"""The estimator's parameters: the protocol scikit-learn relies on, their validation, and
the network settings they make."""

import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tabgan import TabGAN
from tabgan.errors import ParameterError, PrivacyError
from tabgan.settings import check_count, check_private, gan_config


def _params(**changes):
    return {**TabGAN().get_params(), **changes}


@given(batch=st.integers(1, 5000), pac=st.integers(1, 20), n=st.integers(1, 10_000),
       world=st.integers(1, 4))
def test_a_batch_is_whole_packs_on_every_rank_and_no_larger_than_needed(batch, pac, n, world):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a rounded batch is said with a warning
        config = gan_config(_params(batch_size=batch, pac=pac), n, world=world)
    assert config.batch_size % (pac * world) == 0 and config.batch_size >= pac * world
    # never more than the table rounded up to a pack (or one pack per rank)
    assert config.batch_size <= max(pac * world, -(-n // pac) * pac, batch)
    assert config.batch_size <= max(batch, pac * world)


def test_every_gan_setting_comes_from_the_parameter_of_its_name():
    params = _params(embedding_dim=7, generator_dims=[9, 9], critic_dims=(5,), pac=2,
                     batch_size=40, gumbel_tau=0.3, marginal_weight=0.5, generator_ema=0.9)
    config = gan_config(params, 1000)
    assert (config.embedding_dim, config.generator_dims, config.critic_dims, config.pac,
            config.batch_size, config.gumbel_tau, config.marginal_weight,
            config.generator_ema) == (7, (9, 9), (5,), 2, 40, 0.3, 0.5, 0.9)


def test_bad_values_raise_a_parameter_error_naming_the_parameter():
    for name, value in (("epochs", 0), ("batch_size", 2.5), ("pac", True),
                        ("critic_steps", -1), ("generator_steps", None)):
        with pytest.raises(ParameterError, match=name):
            gan_config(_params(**{name: value}), 100)
    with pytest.raises(ParameterError, match="generator_ema"):
        gan_config(_params(generator_ema=1.0), 100)
    with pytest.raises(ParameterError, match="max_minutes"):
        gan_config(_params(max_minutes=0), 100)
    for name in ("output_chain", "log_frequency"):  # "no" is a truthy string, not False
        with pytest.raises(ParameterError, match=f"{name} must be True or False"):
            gan_config(_params(**{name: "no"}), 100)
    with pytest.raises(ParameterError, match="n must be a non-negative"):
        check_count("n", -1, allow_zero=True)
    with pytest.raises(ParameterError, match="invalid parameter 'epoch'"):
        TabGAN().set_params(epoch=3)


def test_fast_paths_apply_on_cuda_only():
    with pytest.warns(UserWarning, match="bf16_autocast apply on CUDA only"):
        config = gan_config(_params(bf16_autocast=True), 100, device=torch.device("cpu"))
    assert not config.bf16_autocast
    config = gan_config(_params(torch_compile=True), 100, device=torch.device("cuda"))
    assert config.torch_compile


def test_private_settings_are_checked():
    check_private(_params(epsilon=1.0))
    for changes, message in (({"epsilon": 0}, "epsilon"), ({"epsilon": True}, "epsilon"),
                             ({"epsilon": 1, "preprocessing_share": 1.0}, "preprocessing_share"),
                             ({"epsilon": 1, "max_grad_norm": 0}, "max_grad_norm"),
                             ({"epsilon": 1, "accountant": "gdp"}, "accountant")):
        with pytest.raises(PrivacyError, match=message):
            check_private(_params(**changes))


def test_the_repr_shows_what_differs_from_the_defaults():
    assert repr(TabGAN()) == "TabGAN()"
    assert repr(TabGAN(epochs=5, epsilon=1.0)) == "TabGAN(epochs=5, epsilon=1.0)"
