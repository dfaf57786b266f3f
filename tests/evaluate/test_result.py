"""The result object: JSON, summary, progress lines, reproducibility; and the small kernels
(nearest neighbours, ROC analysis, Wilson intervals, residual risk) it is built from."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from tabgan.evaluate import METRICS, EvaluationOptions, evaluate
from tabgan.evaluate.neighbors import nearest, nearest_both_ways, nearest_leave_one_out
from tabgan.evaluate.stats import residual_risk, roc_analysis, tpr_at_fpr, wilson

FAST = EvaluationOptions(n_bootstrap=20, n_attacks=100, detection_folds=2, n_triples=5)


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": x + rng.normal(0, 0.5, n),
            "c": rng.choice(["a", "b", "c"], n),
            "t": np.where(x > 0.5, "hi", "lo"),
        }
    )


@pytest.fixture(scope="module")
def result():
    return evaluate(
        _table(300, 0),
        _table(300, 1),
        holdout=_table(300, 2),
        target="t",
        options=FAST,
        random_state=7,
        verbose=False,
    )


def test_to_json_is_strict_json_with_every_section(result, tmp_path):
    text = result.to_json()
    data = json.loads(text)  # allow_nan=False on the way out: no NaN or Infinity inside
    assert data["schema_version"] == 1
    assert {"info", "fidelity", "utility", "privacy"} <= set(data)
    assert data["info"]["seed"] == 7 and data["info"]["target"] == "t"
    score = data["privacy"]["dcr"]["share"]
    assert set(score) == {"metric", "value", "reference", "ci", "better", "ideal", "range"}
    assert score["ideal"] == 0.5
    path = tmp_path / "out" / "evaluation.json"
    assert result.to_json(path) == text
    assert json.loads(path.read_text()) == data


def test_scores_are_flat_and_described_by_the_registry(result):
    scores = result.scores()
    for key in (
        "fidelity.column_shapes",
        "fidelity.detection_auc",
        "fidelity.alpha_precision",
        "utility.gradient_boosting.roc_auc",
        "privacy.dcr_share",
        "privacy.distance_attack.tpr@0.001",
        "privacy.attribute_inference.risk",
    ):
        assert key in scores, key
    assert all(score.metric in METRICS for score in scores.values())


def test_summary_reads_as_a_report(result):
    text = result.summary()
    assert str(result) == text
    for heading in ("FIDELITY", "UTILITY", "PRIVACY", "DCR share", "distance_attack: ROC AUC"):
        assert heading in text
    line = next(line for line in text.splitlines() if line.lstrip().startswith("column shapes"))
    shapes = result.fidelity.column_shapes
    assert f"{shapes.value:.3f}" in line and f"{shapes.reference:.3f}" in line


def test_the_same_seed_gives_the_same_numbers(result):
    again = evaluate(
        _table(300, 0),
        _table(300, 1),
        holdout=_table(300, 2),
        target="t",
        options=FAST,
        random_state=7,
        verbose=False,
    )
    a, b = result.to_dict(), again.to_dict()
    a["info"].pop("seconds"), b["info"].pop("seconds")
    assert a == b


def test_a_run_without_a_seed_records_the_one_it_drew():
    first = evaluate(_table(100, 0), _table(100, 1), sections=["collapse"], verbose=False)
    again = evaluate(
        _table(100, 0),
        _table(100, 1),
        sections=["collapse"],
        random_state=first.info.seed,
        verbose=False,
    )
    assert first.to_dict()["fidelity"] == again.to_dict()["fidelity"]


def test_progress_goes_to_stderr_one_line_per_step_and_is_silenced(capsys):
    evaluate(_table(100, 0), _table(100, 1), sections=["fidelity"], options=FAST, verbose=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    steps = ["column shapes", "detection", "alpha-precision", "mode-collapse"]
    for step in steps:
        assert sum(step in line for line in lines) == 1, step
    assert lines[-1].startswith("evaluate: done in")
    evaluate(_table(100, 0), _table(100, 1), sections=["shapes"], verbose=False)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- kernels
def _brute(q, r, k, exclude=None):
    d = np.sqrt(((q[:, None, :].astype(float) - r[None, :, :]) ** 2).sum(-1))
    if exclude is not None:
        d[np.arange(len(q)), exclude] = np.inf
    return np.sort(d, axis=1)[:, :k]


def test_nearest_matches_brute_force_with_duplicates_and_self_exclusion():
    rng = np.random.default_rng(0)
    refs = rng.integers(0, 3, (200, 5)).astype(np.float32)  # many exact ties
    queries = np.concatenate([refs[:50], rng.random((50, 5)).astype(np.float32)])
    dist, idx = nearest(queries, refs, 3)
    np.testing.assert_allclose(dist, _brute(queries, refs, 3), atol=1e-6)
    assert (dist[:50, 0] == 0.0).all()  # exact copies are at distance exactly 0
    exact = np.sqrt(((queries[:, None] - refs[idx]) ** 2).sum(-1))
    np.testing.assert_allclose(dist, exact, atol=1e-6)
    d_self, i_self = nearest(refs, refs, 2, exclude=np.arange(200))
    assert not (i_self == np.arange(200)[:, None]).any()
    np.testing.assert_allclose(d_self, _brute(refs, refs, 2, np.arange(200)), atol=1e-6)


def test_nearest_both_ways_reads_the_matrix_by_rows_and_by_column_groups():
    rng = np.random.default_rng(3)
    queries = rng.integers(0, 4, (120, 4)).astype(np.float32)
    refs = np.concatenate([queries[:30], rng.random((70, 4)).astype(np.float32)])
    (d_rows, _), groups = nearest_both_ways(
        queries, refs, 2, groups=((0, 50), (50, 120)), k_groups=2
    )
    np.testing.assert_allclose(d_rows, _brute(queries, refs, 2), atol=1e-6)
    for (start, stop), (d_g, i_g) in zip([(0, 50), (50, 120)], groups, strict=True):
        np.testing.assert_allclose(d_g, _brute(refs, queries[start:stop], 2), atol=1e-6)
        exact = np.sqrt(((refs[:, None] - queries[start:stop][i_g]) ** 2).sum(-1))
        np.testing.assert_allclose(d_g, exact, atol=1e-6)
    assert (groups[0][0][:30, 0] == 0.0).all()  # refs copied from the first group


def test_nearest_leave_one_out_ignores_each_block_in_turn():
    rng = np.random.default_rng(1)
    refs = rng.random((300, 6)).astype(np.float32)
    queries = rng.random((40, 6)).astype(np.float32)
    blocks = [slice(0, 2), slice(2, 3), slice(3, 6)]
    got = nearest_leave_one_out(queries, refs, blocks)
    for j, block in enumerate(blocks):
        keep = np.ones(6, dtype=bool)
        keep[block] = False
        d = ((queries[:, None, keep] - refs[None, :, keep]) ** 2).sum(-1)
        np.testing.assert_array_equal(got[:, j], d.argmin(axis=1))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=2, max_size=60))
def test_roc_auc_counts_ties_half_like_sklearn(pairs):
    scores = np.array([float(s) for s, _ in pairs])
    labels = np.array([m for _, m in pairs])
    if labels.all() or not labels.any():
        return
    roc = roc_analysis(
        scores, labels, fprs=(0.1,), n_bootstrap=0, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert roc.auc == pytest.approx(roc_auc_score(labels, scores))


def test_tpr_at_fpr_interpolates_between_roc_vertices():
    fpr = np.array([0.0, 0.0, 0.2, 1.0])
    tpr = np.array([0.0, 0.5, 0.9, 1.0])
    assert tpr_at_fpr(fpr, tpr, 0.0)[0] == 0.5
    assert tpr_at_fpr(fpr, tpr, 0.1)[0] == pytest.approx(0.7)
    assert tpr_at_fpr(fpr, tpr, 1.0)[0] == 1.0


def test_bootstrap_intervals_bracket_the_estimate():
    rng = np.random.default_rng(2)
    labels = np.r_[np.ones(300, bool), np.zeros(300, bool)]
    scores = rng.normal(size=600) + labels
    roc = roc_analysis(scores, labels, fprs=(0.1, 0.01), n_bootstrap=200, confidence=0.95, rng=rng)
    assert roc.auc_ci[0] < roc.auc < roc.auc_ci[1]
    assert roc.auc_ci[1] - roc.auc_ci[0] < 0.12
    assert roc.tpr_ci[0.1][0] <= roc.tpr[0.1] <= roc.tpr_ci[0.1][1]
    assert (np.diff(roc.curve_fpr) > 0).all() and (np.diff(roc.curve_tpr) >= 0).all()


def test_wilson_interval_and_residual_risk():
    centre, low, high, error = wilson(0, 10, 0.95)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)  # the textbook value
    assert centre == pytest.approx((high + low) / 2, abs=1e-9) and error > 0
    risk, (lo, hi) = residual_risk((0.6, 0.05), (0.2, 0.04), 0.95)
    assert risk == pytest.approx(0.5)
    assert lo < 0.5 < hi <= 1.0
    assert math.isnan(residual_risk((0.5, 0.1), (1.0, 0.0), 0.95)[0])


def test_the_package_itself_can_be_called_as_evaluate():
    import tabgan.evaluate as package

    result = package(_table(60, 0), _table(60, 1), sections=["shapes"], verbose=False)
    assert isinstance(result, package.Evaluation)
    assert result.fidelity.column_shapes.value > 0.5
