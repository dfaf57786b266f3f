"""Utility: TSTR matches TRTR for a fresh sample and collapses for a table without signal."""

import numpy as np
import pandas as pd
import pytest

from tabgan.evaluate import evaluate


def population(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=n)
    colour = rng.choice(["a", "b", "c"], n)
    score = 2.0 * x + (colour == "a") + rng.normal(0, 0.5, n)
    return pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=n),
            "colour": colour,
            "label": np.where(score > 1.5, "rare", "common"),  # about a quarter are "rare"
            "amount": 10.0 + 3.0 * x + rng.normal(0, 0.3, n),
        }
    )


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    return {name: population(1000, rng) for name in ("train", "holdout", "fresh")}


def _utility(train, synthetic, holdout, **kwargs):
    return evaluate(
        train,
        synthetic,
        holdout=holdout,
        sections=["utility"],
        random_state=0,
        verbose=False,
        **kwargs,
    ).utility


def test_a_fresh_sample_is_as_useful_as_the_real_rows(tables):
    u = _utility(tables["train"], tables["fresh"], tables["holdout"], target="label")
    assert u.task == "classification" and u.test_set == "holdout"
    assert u.positive_class == "rare"  # the least frequent class by default
    assert u.n_test == 1000
    assert [m.model for m in u.models] == ["linear", "gradient_boosting"]
    for model in u.models:
        assert set(model.scores) == {"roc_auc", "f1", "accuracy"}
        auc = model.scores["roc_auc"]
        assert auc.reference > 0.9  # TRTR
        assert auc.value == pytest.approx(auc.reference, abs=0.03)  # TSTR


def test_a_table_without_signal_is_useless(tables):
    shuffled = tables["fresh"].assign(
        label=tables["fresh"]["label"].sample(frac=1.0, random_state=2).to_numpy()
    )
    u = _utility(tables["train"], shuffled, tables["holdout"], target="label")
    # gradient boosting only: a linear model fitted to noise still ranks by its (random)
    # weight on x, which alone orders the real labels, so its AUC lands near 0 or near 1
    boosting = u.models[1].scores["roc_auc"]
    assert abs(boosting.value - 0.5) < 0.1
    assert boosting.reference > 0.9


def test_the_positive_class_decides_f1(tables):
    rare = _utility(tables["train"], tables["fresh"], tables["holdout"], target="label")
    common = _utility(
        tables["train"], tables["fresh"], tables["holdout"], target="label", positive_class="common"
    )
    assert common.positive_class == "common"
    f1_rare = rare.models[0].scores["f1"].value
    f1_common = common.models[0].scores["f1"].value
    assert f1_common > f1_rare  # the frequent class is the easier one to recall
    assert rare.models[0].scores["accuracy"].value == common.models[0].scores["accuracy"].value


def test_a_numeric_target_is_a_regression(tables):
    u = _utility(tables["train"], tables["fresh"], tables["holdout"], target="amount")
    assert u.task == "regression" and u.positive_class is None
    linear = u.models[0].scores
    assert set(linear) == {"r2", "mae"}
    assert linear["r2"].reference > 0.9
    assert linear["r2"].value == pytest.approx(linear["r2"].reference, abs=0.05)


def test_without_a_holdout_the_test_rows_come_from_the_real_table(tables):
    u = _utility(tables["train"], tables["fresh"], None, target="label")
    assert u.test_set == "split of the real table"
    assert u.n_test == 200 and u.n_train_real == 800
    assert any("optimistic" in note for note in u.notes)


def test_a_single_class_synthetic_target_is_scored_not_crashed(tables):
    one_class = tables["fresh"].assign(label="common")
    u = _utility(tables["train"], one_class, tables["holdout"], target="label")
    for model in u.models:
        assert model.scores["roc_auc"].value == 0.5
        assert model.scores["f1"].value == 0.0
    assert any("single class" in note for note in u.notes)
