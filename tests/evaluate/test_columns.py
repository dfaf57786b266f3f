"""Bad inputs fail loudly, with a typed error that names the fix; odd but valid ones work."""

import numpy as np
import pandas as pd
import pytest

from tabgan.errors import (
    ColumnMismatchError,
    ColumnTypeMismatchError,
    DataError,
    EmptyTableError,
    EvaluationError,
    TargetColumnError,
)
from tabgan.evaluate import EvaluationOptions, evaluate


def _table(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.gamma(2.0, 1000.0, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "label": rng.choice(["yes", "no"], n),
        }
    )


def _run(real, synthetic, **kwargs):
    kwargs.setdefault("sections", ["shapes"])
    return evaluate(real, synthetic, verbose=False, random_state=0, **kwargs)


def test_mismatched_columns_name_the_missing_and_extra_ones():
    real = _table()
    synthetic = _table(seed=1).rename(columns={"colour": "color"})
    with pytest.raises(ColumnMismatchError, match=r"missing \['colour'\].*unexpected \['color'\]"):
        _run(real, synthetic)
    with pytest.raises(ColumnMismatchError, match="holdout"):
        _run(real, _table(seed=1), holdout=real.drop(columns="age"))


def test_column_order_does_not_matter():
    real = _table()
    synthetic = _table(seed=1)
    a = _run(real, synthetic)
    b = _run(real, synthetic[synthetic.columns[::-1]])
    assert a.fidelity.column_shapes.value == b.fidelity.column_shapes.value


def test_an_empty_synthetic_table_is_refused():
    real = _table()
    with pytest.raises(EmptyTableError, match="synthetic table has no rows; sample at least one"):
        _run(real, real.iloc[:0])
    with pytest.raises(EmptyTableError, match="real table has no columns"):
        _run(pd.DataFrame(index=range(3)), real)


@pytest.mark.parametrize("side", ["real", "synthetic", "holdout"])
def test_a_target_missing_from_one_side_is_refused(side):
    tables = {"real": _table(), "synthetic": _table(seed=1), "holdout": _table(seed=2)}
    tables[side] = tables[side].drop(columns="label")
    with pytest.raises(TargetColumnError, match=f"missing from the {side} table") as info:
        evaluate(
            tables["real"],
            tables["synthetic"],
            holdout=tables["holdout"],
            target="label",
            verbose=False,
        )
    assert isinstance(info.value, ColumnMismatchError)  # catchable as a column mismatch


def test_a_target_that_is_an_identifier_is_refused():
    real = _table().assign(key=[f"id-{i}" for i in range(60)])
    synthetic = _table(seed=1).assign(key=[f"id-{i + 100}" for i in range(60)])
    with pytest.raises(TargetColumnError, match="identifier"):
        _run(real, synthetic, target="key", sections=["utility"])
    # as an ordinary column it is left out and reported
    result = _run(real, synthetic)
    assert "key" in result.info.skipped_columns


def test_a_target_with_nothing_to_predict_it_from_is_refused():
    real = _table()[["label"]]
    with pytest.raises(TargetColumnError, match="only scored column"):
        _run(real, real.copy(), target="label")


def test_metadata_overrides_the_inferred_kinds():
    real, synthetic = _table(), _table(seed=1)
    result = _run(real, synthetic, metadata={"columns": {"age": {"kind": "categorical"}}})
    kinds = {c["name"]: c["kind"] for c in result.info.columns}
    assert kinds == {
        "age": "categorical",
        "income": "numeric",
        "colour": "categorical",
        "label": "categorical",
    }
    shapes = {c.column: c.shape.metric for c in result.fidelity.columns}
    assert shapes["age"] == "tv_complement" and shapes["income"] == "ks_complement"
    with pytest.raises(ColumnMismatchError, match="metadata names column"):
        _run(real, synthetic, metadata={"columns": {"height": {"kind": "continuous"}}})


def test_a_numeric_column_holding_text_in_the_synthetic_table_is_refused():
    synthetic = _table(seed=1).astype({"age": object})
    synthetic.loc[3, "age"] = "forty"
    with pytest.raises(ColumnTypeMismatchError, match="'age'.*'forty'.*pd.to_numeric"):
        _run(_table(), synthetic)


def test_infinite_synthetic_values_are_refused():
    synthetic = _table(seed=1)
    synthetic.loc[0, "income"] = np.inf
    with pytest.raises(DataError, match=r"synthetic table holds \+inf"):
        _run(_table(), synthetic)


def test_bad_options_are_refused_with_the_valid_choices():
    real, synthetic = _table(), _table(seed=1)
    with pytest.raises(EvaluationError, match="unknown section 'fidelty'.*fidelity"):
        _run(real, synthetic, sections=["fidelty"])
    with pytest.raises(EvaluationError, match="positive_class='maybe'.*'no', 'yes'|'yes', 'no'"):
        _run(real, synthetic, target="label", positive_class="maybe", sections=["utility"])
    with pytest.raises(EvaluationError, match="positive_class needs a target"):
        _run(real, synthetic, positive_class="yes")
    with pytest.raises(EvaluationError, match="regression"):
        _run(real, synthetic, target="income", positive_class=1, sections=["utility"])
    with pytest.raises(EvaluationError, match="n_bootstrap"):
        EvaluationOptions(n_bootstrap=-1)
    with pytest.raises(TypeError, match="pd.DataFrame"):
        _run(real, synthetic.to_numpy())


def test_tables_read_back_from_csv_compare_equal(tmp_path):
    """Whole floats, integer codes and strings of numbers are the same category."""
    real = pd.DataFrame(
        {
            "grade": np.tile([1, 2, 3], 20),
            "day": pd.date_range("2021-01-01", periods=60, freq="D"),
            "ok": np.tile([True, False], 30),
        }
    )
    path = tmp_path / "synthetic.csv"
    real.assign(grade=real["grade"].astype(float)).to_csv(path, index=False)
    synthetic = pd.read_csv(path)  # grade as float, day as strings, ok as bool
    result = _run(real, synthetic, sections=["shapes", "distances"])
    assert result.fidelity.column_shapes.value == 1.0
    assert result.privacy.exact_match_rate.value == 1.0
    kinds = {c["name"]: c["kind"] for c in result.info.columns}
    assert kinds == {"grade": "categorical", "day": "datetime", "ok": "categorical"}


def test_every_column_kind_with_nulls_runs_through_every_step(mixed_frame):
    real, holdout = mixed_frame.iloc[:80], mixed_frame.iloc[80:]
    synthetic = real.sample(frac=1.0, replace=True, random_state=0)
    options = EvaluationOptions(n_bootstrap=10, n_attacks=30, detection_folds=2)
    result = evaluate(
        real,
        synthetic,
        holdout=holdout,
        target="group",
        options=options,
        random_state=0,
        verbose=False,
    )
    kinds = {c["name"]: c["kind"] for c in result.info.columns}
    assert kinds == {
        "amount": "numeric",
        "count": "numeric",
        "group": "categorical",
        "flag": "categorical",
        "size": "categorical",
        "when": "datetime",
        "score": "numeric",
    }
    assert result.info.skipped == {}
    assert result.privacy.exact_match_rate.value == 1.0  # resampled real rows, nulls and all
    nulls = {c.column: c.null_rate_real for c in result.fidelity.columns}
    assert nulls["score"] > 0 and nulls["group"] > 0 and nulls["amount"] == 0
