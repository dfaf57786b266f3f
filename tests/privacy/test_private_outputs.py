"""What a private fit releases and says: no un-noised real-data figure in the history, the
progress bar or the model file; a noisy row count pinned against Opacus; declared facts
kept; the recipe's settings; coarse ranges named with the metadata lines that fix them."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from opacus.accountants import PRVAccountant, RDPAccountant

from tabgan import TabGAN
from tabgan.gan.progress import ProgressBar
from tabgan.gan.train import EpochRecord
from tabgan.privacy.accounting import RDP_ALPHAS, preprocessing_noise
from tabgan.privacy.recipe import dp_recipe

TINY = dict(epochs=1, batch_size=100, embedding_dim=8, generator_dims=(8,), critic_dims=(8,),
            verbose=False, random_state=0)


def _frame(n=800, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(10, 2, n), "k": rng.integers(0, 30, n),
                         "c": rng.choice(["a", "b", "c"], n)})


def _fit(frame, metadata=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return TabGAN(**{**TINY, "epsilon": 3.0, **params}).fit(frame, metadata=metadata)


# ------------------------------------------------------------------ item 3
def test_no_critic_loss_in_the_history_the_bar_the_file_or_describe(tmp_path):
    model = _fit(_frame())
    assert "critic_loss" not in model.history_.columns
    assert "generator_loss" in model.history_.columns
    path = tmp_path / "dp.tabgan"
    model.save(path)
    meta = json.loads(torch.load(path, weights_only=True)["meta"])
    stored = json.loads(meta["history"])
    assert stored["columns"] == ["epoch", "generator_loss", "mode_coverage", "steps",
                                 "marginal_gap"]  # no times
    assert "critic loss" not in TabGAN.load(path).describe()
    bar = ProgressBar(1)
    bar.update(EpochRecord(1, 0.5, None, 0.9, 1.0, 3))
    assert "C=" not in bar.bar.postfix and "G=0.500" in bar.bar.postfix
    bar.close()


# ------------------------------------------------------------------ item 5
@pytest.mark.parametrize("accountant,cls", [("rdp", RDPAccountant), ("prv", PRVAccountant)])
def test_the_row_count_is_a_mechanism_of_the_one_accountant(accountant, cls):
    model = _fit(_frame(), accountant=accountant)
    ledger = model.privacy_ledger_
    count = [m for m in ledger.mechanisms if m.name == "row count"]
    assert len(count) == 1 and count[0].entry() == (50.0 / 3.0, 1.0, 1)
    assert ledger.row_count == "noisy" and ledger.adjacency == "add/remove one record"
    acc = cls()
    acc.history = [m.entry() for m in ledger.mechanisms]
    kwargs = {"alphas": RDP_ALPHAS} if accountant == "rdp" else {}
    assert ledger.epsilon == pytest.approx(acc.get_epsilon(delta=ledger.accountant_delta,
                                                           **kwargs), rel=1e-9)
    assert ledger.epsilon <= 3.0
    sgd = ledger.training()  # q and the expected batch come from the released count
    assert sgd.sample_rate == pytest.approx(ledger.expected_batch_size / ledger.n_rows)
    text = ledger.describe()
    assert "noisy count" in text and "add/remove one record adjacency" in text
    assert "min(1e-6, 1/(10 n))" in text


# ------------------------------------------------------------------ usability
def test_public_bounds_without_nullable_keep_an_int64_column_sampleable():
    frame = _frame()
    declared = {"columns": {"k": {"kind": "integer", "bounds": [0, 40]}}}
    out = _fit(frame, declared).sample(500)  # before: IntCastingNaNError
    assert out["k"].dtype == "int64" and out["k"].between(0, 40).all()
    nullable = {"columns": {"k": {"kind": "integer", "bounds": [0, 40], "nullable": True}}}
    out = _fit(frame, nullable).sample(500)
    assert str(out["k"].dtype) in ("int64", "Int64")


def test_the_dp_batch_is_not_rounded_to_the_non_dp_pac():
    model = _fit(_frame(), batch_size=105)  # before: 100, a multiple of pac 10
    assert model.config_.batch_size == 105 and model.config_.pac == 1
    assert model.config_.log_frequency is False
    with pytest.warns(UserWarning, match="pac=5 does not apply"):
        TabGAN(**{**TINY, "epsilon": 3.0, "pac": 5}).fit(_frame())


def test_the_defaults_pick_a_dp_recipe():
    frame = _frame(3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = TabGAN(epsilon=1.0, max_minutes=1e-4, verbose=False).fit(frame)
    config, ledger = model.config_, model.privacy_ledger_
    n = ledger.n_rows
    assert config.batch_size == round(n / 25) and config.epochs == round(1500 * round(n / 25) / n)
    assert config.critic_dims == (64, 64) and config.dropout == 0.0
    assert config.generator_lr == config.critic_lr == 1e-3 and config.generator_ema == 0.0
    assert set(ledger.recipe) >= {"epochs", "batch_size", "critic_dims", "preprocessing_share"}
    assert 0.1 <= ledger.recipe["preprocessing_share"] <= 0.5
    given = TabGAN(epsilon=1.0, epochs=2, critic_lr=5e-4, max_minutes=1e-4, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        given.fit(frame)
    assert given.config_.epochs == 2 and given.config_.critic_lr == 5e-4
    assert "epochs" not in given.privacy_ledger_.recipe


def test_the_recipe_starts_from_the_adult_hand_recipe():
    recipe = dp_recipe(n_rows=26_048, n_columns=15, epsilon=3.0, delta=1e-6, queries=21,
                       accountant="rdp")
    assert recipe["batch_size"] == 1000 and recipe["epochs"] == 58
    assert recipe["critic_dims"] == (128, 128)
    # the smallest share (to a hundredth) whose noise is at most n / 600 per count
    share = recipe["preprocessing_share"]
    assert preprocessing_noise(21, share * 3.0, 1e-6, "rdp") <= 26_048 / 600
    assert preprocessing_noise(21, (share - 0.01) * 3.0, 1e-6, "rdp") > 26_048 / 600
    at_one = dp_recipe(n_rows=26_048, n_columns=15, epsilon=1.0, delta=1e-6, queries=21,
                       accountant="rdp")["preprocessing_share"]
    assert 0.3 < at_one <= 0.5 and share < at_one  # at epsilon 1 the same noise costs more
    assert recipe["pair_weight"] == 10.0  # the released two-way marginals, weighted up
    small = dp_recipe(n_rows=3000, n_columns=3, epsilon=1.0, delta=1e-6, queries=5,
                      accountant="rdp")
    assert small["batch_size"] == 120 and small["critic_dims"] == (64, 64)
    assert small["preprocessing_share"] > 0.1  # small tables spend more on their marginals


# ------------------------------------------------------------------ issue 15, item 4
def test_declared_non_null_columns_stay_non_null():
    frame = _frame()
    frame.loc[frame.index[:250], ["x", "c"]] = [np.nan, None]
    declared = {"columns": {"x": {"kind": "continuous", "nullable": False},
                            "c": {"kind": "categorical", "nullable": False}}}
    out = _fit(frame, declared).sample(400)  # before: x came back with nulls
    assert out["x"].notna().all() and out["c"].notna().all()


def test_the_fit_names_the_coarse_ranges_and_the_lines_that_declare_bounds():
    frame = _frame()
    declared = {"columns": {"k": {"kind": "integer", "bounds": [0, 40]}}}
    with pytest.warns(UserWarning, match=r"coarse ranges: 'x' had no public bounds") as seen:
        model = TabGAN(**{**TINY, "epsilon": 3.0}).fit(frame, metadata=declared)
    line = model.privacy_ledger_.estimated_ranges[0]["metadata"]
    assert line.startswith('"x": {"kind": "continuous", "bounds": [')
    assert line in str(seen[0].message) and line in model.describe()
    assert [r["name"] for r in model.privacy_ledger_.estimated_ranges] == ["x"]
