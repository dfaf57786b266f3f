"""Fidelity scores: agreement with SDMetrics, references, and the mode-collapse indicators."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabgan.evaluate import EvaluationOptions, evaluate
from tabgan.evaluate.fidelity import ks_complement


def _tables(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n, m = 400, 300
    real = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": rng.gamma(2.0, size=n),
            "c": rng.choice(list("abcd"), n, p=[0.4, 0.3, 0.2, 0.1]),
            "k": rng.integers(0, 100, n),
        }
    )
    real.loc[rng.choice(n, 30, replace=False), "x"] = np.nan
    real["y"] = real["y"] + 0.5 * real["x"].fillna(0.0)
    synthetic = pd.DataFrame(
        {
            "x": rng.normal(0.2, 1.1, size=m),
            "y": rng.gamma(2.2, size=m),
            # a subset of the real categories: SDMetrics regularises unseen ones
            "c": rng.choice(list("abc"), m),
            "k": rng.integers(0, 120, m),
        }
    )
    synthetic.loc[rng.choice(m, 20, replace=False), "y"] = np.nan
    return real, synthetic


def test_column_shapes_and_correlations_agree_with_sdmetrics():
    pytest.importorskip(  # a test-only dependency that needs pandas < 3
        "sdmetrics", reason="the cross-check needs SDMetrics, which needs pandas < 3: "
                            "pip install -e '.[crosscheck]' on pandas 2")
    from sdmetrics.column_pairs import CorrelationSimilarity
    from sdmetrics.single_column import KSComplement, TVComplement

    real, synthetic = _tables()
    result = evaluate(real, synthetic, sections=["shapes"], random_state=0, verbose=False)
    shapes = {c.column: c for c in result.fidelity.columns}
    assert {c: s.shape.metric for c, s in shapes.items()} == {
        "x": "ks_complement",
        "y": "ks_complement",
        "c": "tv_complement",
        "k": "ks_complement",
    }
    for name, shape in shapes.items():
        metric = TVComplement if shape.kind == "categorical" else KSComplement
        expected = metric.compute(real[name], synthetic[name])
        assert shape.shape.value == pytest.approx(expected, abs=1e-9)
    correlations = [p for p in result.fidelity.pairs if p.score.metric == "correlation_similarity"]
    assert len(correlations) == 3  # x/y, x/k, y/k
    for pair in correlations:
        a, b = pair.columns
        expected = CorrelationSimilarity.compute(real[[a, b]], synthetic[[a, b]])
        assert pair.score.value == pytest.approx(expected, abs=1e-9)


def test_every_pair_is_scored_and_every_score_has_a_holdout_reference():
    real, synthetic = _tables()
    holdout, _ = _tables(seed=2)
    result = evaluate(
        real, synthetic, holdout=holdout, sections=["shapes"], random_state=0, verbose=False
    )
    f = result.fidelity
    assert len(f.pairs) == 6  # all 4 * 3 / 2 pairs, weak ones included
    assert len(f.triples) == 4  # all triples when there are fewer than n_triples
    scores = [c.shape for c in f.columns] + [c.null_rate_difference for c in f.columns]
    scores += [p.score for p in f.pairs] + [t.score for t in f.triples]
    scores += [f.column_shapes, f.pair_trends, f.triple_marginals, f.null_rate_difference]
    assert all(s.reference is not None for s in scores)
    # a fresh real sample is closer to the real table than this synthetic table is
    assert f.column_shapes.reference > f.column_shapes.value


def test_contingency_bins_are_fitted_on_the_real_table_alone():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.random(500), "c": rng.choice(["a", "b"], 500)})
    # the same shape, shifted out of the real range: separate bins would hide it
    shifted = pd.DataFrame({"x": rng.random(500) + 10.0, "c": rng.choice(["a", "b"], 500)})
    result = evaluate(real, shifted, sections=["shapes"], random_state=0, verbose=False)
    (pair,) = result.fidelity.pairs
    assert pair.score.metric == "contingency_similarity"
    assert pair.score.value < 0.2


def test_identical_tables_score_one():
    real, _ = _tables()
    result = evaluate(real, real.copy(), sections=["shapes"], random_state=0, verbose=False)
    f = result.fidelity
    assert f.column_shapes.value == pytest.approx(1.0)
    assert f.pair_trends.value == pytest.approx(1.0)
    assert f.null_rate_difference.value == 0.0


def _bimodal(n: int, rng: np.random.Generator, *, drop: bool = False) -> pd.DataFrame:
    mode = np.ones(n) if drop else rng.choice([-1.0, 1.0], n)
    colour = rng.choice(["red", "green", "blue", "black"], n, p=[0.4, 0.3, 0.2, 0.1])
    if drop:
        colour = rng.choice(["red", "green", "blue"], n, p=[0.45, 0.33, 0.22])
    return pd.DataFrame({"v": 4.0 * mode + rng.normal(size=n), "colour": colour})


def test_a_dropped_mode_and_a_dropped_category_show_in_the_collapse_indicators():
    rng = np.random.default_rng(3)
    real, holdout = _bimodal(2000, rng), _bimodal(2000, rng)
    fresh, collapsed = _bimodal(2000, rng), _bimodal(2000, rng, drop=True)
    options = EvaluationOptions(coverage_bins=10)
    kw = dict(holdout=holdout, sections=["collapse"], options=options, verbose=False)
    good = evaluate(real, fresh, random_state=0, **kw).fidelity.collapse
    bad = evaluate(real, collapsed, random_state=0, **kw).fidelity.collapse
    assert good.category_coverage.value == 1.0
    assert good.bin_coverage.value == 1.0
    assert bad.category_coverage.value == pytest.approx(0.75)  # 3 of 4 colours
    assert bad.bin_coverage.value <= 0.6  # about half of the real-quantile bins are empty
    assert bad.category_coverage.reference == 1.0  # the holdout covers everything
    colour = next(c for c in bad.columns if c.column == "colour")
    assert colour.missing == ["black"] and colour.n_missing == 1


def test_duplicate_rate_counts_repeated_synthetic_rows():
    rng = np.random.default_rng(4)
    real = _bimodal(1000, rng)
    repeated = pd.concat([real.iloc[:250]] * 4, ignore_index=True)  # each row four times
    collapse = evaluate(
        real, repeated, sections=["collapse"], random_state=0, verbose=False
    ).fidelity.collapse
    assert collapse.duplicate_rate.value > 0.5
    assert collapse.duplicate_rate.reference == 0.0  # the real rows are all distinct


def test_detection_tells_a_shifted_table_from_a_fresh_sample():
    rng = np.random.default_rng(5)
    real, holdout, fresh = _bimodal(800, rng), _bimodal(800, rng), _bimodal(800, rng)
    shifted = fresh.assign(v=fresh["v"] + 2.0)
    options = EvaluationOptions(detection_folds=3)
    kw = dict(holdout=holdout, sections=["detection"], options=options, verbose=False)
    same = evaluate(real, fresh, random_state=0, **kw).fidelity.detection
    moved = evaluate(real, shifted, random_state=0, **kw).fidelity.detection
    assert abs(same.auc.value - 0.5) < 0.08
    assert moved.auc.value > 0.8
    assert abs(same.auc.reference - 0.5) < 0.08
    # a copied table: identical rows share a fold, so memorising cannot push it below 0.5
    copied = evaluate(real, real.copy(), random_state=0, **kw).fidelity.detection
    assert abs(copied.auc.value - 0.5) < 0.05


def test_alpha_precision_and_beta_recall_see_a_collapsed_table():
    rng = np.random.default_rng(6)
    real, holdout, fresh = _bimodal(1000, rng), _bimodal(1000, rng), _bimodal(1000, rng)
    collapsed = _bimodal(1000, rng, drop=True)
    kw = dict(holdout=holdout, sections=["precision_recall"], verbose=False)
    good = evaluate(real, fresh, random_state=0, **kw).fidelity.precision_recall
    bad = evaluate(real, collapsed, random_state=0, **kw).fidelity.precision_recall
    assert bad.beta_recall.value < good.beta_recall.value - 0.1
    assert good.alpha_precision.value > 0.8
    assert len(good.precision_curve) == len(good.alphas) == 30
    copied = evaluate(real, real.copy(), random_state=0, **kw).fidelity.precision_recall
    assert copied.authenticity.value == 0.0  # every row is a copy
    assert good.authenticity.value > 0.3


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40),
)
def test_ks_complement_is_a_score_in_unit_range_and_one_on_itself(a, b):
    a, b = np.array(a), np.array(b)
    assert ks_complement(a, a) == 1.0
    value = ks_complement(a, b)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(ks_complement(b, a))
