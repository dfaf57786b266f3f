"""Privacy scores on the two tables whose answer is known: a copy of the training rows (every
attack wins) and a fresh draw from the same population (no attack beats chance)."""

import json

import numpy as np
import pandas as pd
import pytest

from tabgan.evaluate import EvaluationOptions, evaluate
from tabgan.evaluate.privacy import dcr_share, nndr

OPTIONS = EvaluationOptions(n_bootstrap=50, n_attacks=300)
PRIVACY = ["distances", "membership", "disclosure"]


def population(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=n)
    colour = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame(
        {
            "x": x,
            "z": rng.gamma(2.0, size=n) + 0.3 * x,
            "count": rng.integers(0, 50, n),
            "colour": colour,
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "flag": np.where(x + (colour == "a") + rng.normal(0, 0.5, n) > 1.0, "yes", "no"),
        }
    )


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    return {name: population(800, rng) for name in ("train", "holdout", "fresh")}


@pytest.fixture(scope="module")
def copied(tables):
    return evaluate(
        tables["train"],
        tables["train"].sample(frac=1.0, random_state=1),  # the rows in another order
        holdout=tables["holdout"],
        sections=PRIVACY,
        options=OPTIONS,
        random_state=0,
        verbose=False,
    )


@pytest.fixture(scope="module")
def fresh(tables):
    return evaluate(
        tables["train"],
        tables["fresh"],
        holdout=tables["holdout"],
        sections=PRIVACY,
        options=OPTIONS,
        random_state=0,
        verbose=False,
    )


def test_a_copy_of_train_is_caught_by_every_distance_score(copied):
    p = copied.privacy
    assert p.exact_match_rate.value == 1.0
    assert p.exact_match_rate.reference == 0.0
    assert p.dcr.share.value > 0.95
    assert p.dcr.median_train == 0.0
    assert p.nndr.median.value == 0.0


def test_a_copy_of_train_is_caught_by_the_membership_attacks(copied):
    attacks = {a.name: a for a in copied.privacy.membership}
    assert set(attacks) == {"distance_attack", "density_ratio_attack"}
    for attack in attacks.values():
        assert attack.auc.value > 0.95
        assert attack.auc.ci[0] > 0.9
        assert attack.tpr_at_fpr["0.01"].value > 0.9
        assert attack.n_members == attack.n_non_members == 800
        most_isolated = attack.by_isolation[-1]
        assert most_isolated.label == "most isolated 1%"
        assert most_isolated.auc.value > 0.9


def test_a_copy_of_train_is_caught_by_the_disclosure_attacks(copied):
    risks = {r.name: r for r in copied.privacy.disclosure}
    assert set(risks) == {
        "singling_out_univariate",
        "singling_out_multivariate",
        "linkability",
        "attribute_inference",
    }
    for risk in risks.values():
        assert risk.risk.value > 0.5, risk.name
        assert risk.risk.ci[0] > 0.3, risk.name
        assert risk.main_rate.value > risk.control_rate.value
    inference = risks["attribute_inference"]
    assert len(inference.by_column) == 6
    assert inference.risk.ci[0] == max(r.risk.ci[0] for r in inference.by_column)
    assert inference.details["max_risk"] == max(r.risk.value for r in inference.by_column)


def test_a_fresh_draw_scores_near_chance(fresh):
    p = fresh.privacy
    assert p.exact_match_rate.value == 0.0
    assert abs(p.dcr.share.value - 0.5) < 0.06
    for attack in p.membership:
        assert abs(attack.auc.value - 0.5) < 0.06, attack.name
        assert attack.tpr_at_fpr["0.1"].value < 0.2, attack.name
    assert p.nndr.median.value == pytest.approx(p.nndr.median.reference, abs=0.1)


def test_a_fresh_draw_carries_no_disclosure_risk(fresh):
    for risk in fresh.privacy.disclosure:
        if risk.name == "attribute_inference":
            # the headline is picked among six columns, so allow for the selection
            assert all(abs(r.risk.value) < 0.25 for r in risk.by_column)
            assert abs(risk.details["mean_risk"]) < 0.1
        else:
            assert abs(risk.risk.value) < 0.15, risk.name
            assert risk.risk.ci[0] < 0.05, risk.name


def test_without_a_holdout_only_the_distance_scores_run(tables):
    result = evaluate(
        tables["train"], tables["fresh"], sections=["privacy"], options=OPTIONS, verbose=False
    )
    p = result.privacy
    assert p.exact_match_rate.reference is None
    assert p.dcr.share is None and p.dcr.median_train > 0
    assert p.membership == [] and p.disclosure == []
    assert set(result.info.skipped) == {"membership", "disclosure"}
    assert "holdout" in result.info.skipped["membership"]


def test_the_output_holds_no_rows_and_no_rare_values(tables):
    train = tables["train"].copy()
    train.loc[0, "colour"] = "one-of-a-kind-value"  # a category held by one real row
    result = evaluate(
        train,
        train.copy(),
        holdout=tables["holdout"],
        options=OPTIONS,
        random_state=0,
        verbose=False,
    )
    text = result.to_json()
    assert "one-of-a-kind-value" not in text
    for value in train["x"].iloc[:50]:
        assert repr(float(value)) not in text
    # the output is aggregates only: its size does not grow with the number of rows
    small = evaluate(
        train.iloc[:200],
        train.iloc[:200],
        holdout=tables["holdout"].iloc[:200],
        options=OPTIONS,
        random_state=0,
        verbose=False,
    )
    assert len(text) < 1.3 * len(small.to_json())
    assert json.loads(text)["privacy"]["dcr"]["histogram"]["counts"]["synthetic_to_train"]


def test_dcr_share_counts_ties_half_and_nndr_handles_zeros():
    to_train = np.array([0.0, 1.0, 2.0, 0.0])
    to_holdout = np.array([1.0, 1.0, 1.0, 0.0])
    assert dcr_share(to_train, to_holdout).tolist() == [1.0, 0.5, 0.0, 0.5]
    ratio = nndr(np.array([0.0, 1.0, 0.0]), np.array([2.0, 4.0, 0.0]))
    assert ratio.tolist() == [0.0, 0.25, 1.0]
