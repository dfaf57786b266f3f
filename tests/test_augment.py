"""Class balancing with conditional samples."""

import numpy as np
import pandas as pd
import pytest

from tabgan import TabGAN, augment
from tabgan.errors import ColumnMismatchError, ConditionError, TargetColumnError


def test_augment_balances_classes(mixed_frame, tiny_model_params):
    out = augment(mixed_frame, target="size", model=TabGAN(**tiny_model_params))
    counts = out["size"].value_counts()
    assert counts.nunique() == 1 and counts.iloc[0] == mixed_frame["size"].value_counts().max()
    pd.testing.assert_frame_equal(out.iloc[: len(mixed_frame)], mixed_frame)


def test_augment_to_given_counts_and_bad_target(mixed_frame, tiny_model_params):
    out = augment(mixed_frame, target="size", counts={"S": 100},
                  model=TabGAN(**tiny_model_params))
    assert (out["size"] == "S").sum() == 100
    assert len(out) == len(mixed_frame) + 100 - (mixed_frame["size"] == "S").sum()
    with pytest.raises(ColumnMismatchError):
        augment(mixed_frame, target="nope", model=TabGAN(**tiny_model_params))
    with pytest.raises(ConditionError, match="not a class"):
        augment(mixed_frame, target="size", counts={"XL": 5}, model=TabGAN(**tiny_model_params))


def _labelled(n_nulls: int) -> pd.DataFrame:
    """30 rows of class a, 10 of b, and ``n_nulls`` whose class is null."""
    n = 40 + n_nulls
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n),
                         "y": ["a"] * 30 + ["b"] * 10 + [None] * n_nulls})


def test_null_is_no_class_unless_asked(tiny_model_params):
    frame = _labelled(50)  # the nulls outnumber every class
    out = augment(frame, target="y", model=TabGAN(**tiny_model_params))
    added = out.iloc[len(frame):]
    assert added["y"].notna().all()  # no synthetic row without a label
    assert out["y"].value_counts().to_dict() == {"a": 30, "b": 30}  # up to the largest class
    assert out["y"].isna().sum() == 50  # the real unlabelled rows are kept
    with pytest.raises(ConditionError, match="null_class=True"):
        augment(frame, target="y", counts={None: 60}, model=TabGAN(**tiny_model_params))


def test_null_is_a_class_when_asked(tiny_model_params):
    frame = _labelled(50)
    out = augment(frame, target="y", model=TabGAN(**tiny_model_params), null_class=True)
    assert out["y"].value_counts().to_dict() == {"a": 50, "b": 50}
    assert out["y"].isna().sum() == 50
    out = augment(frame, target="y", counts={None: 60}, model=TabGAN(**tiny_model_params),
                  null_class=True)
    assert out["y"].isna().sum() == 60 and len(out) == len(frame) + 10


@pytest.mark.parametrize("values", [
    np.random.default_rng(1).normal(100, 20, 200).round(2),  # continuous
    np.arange(200) % 57,  # whole numbers, too many distinct ones for classes
    pd.date_range("2020-01-01", periods=200, freq="D"),
])
def test_a_target_of_quantities_is_refused_before_any_training(values, monkeypatch):
    frame = pd.DataFrame({"x": np.arange(200) % 7, "y": values})

    def no_fit(self, *args, **kwargs):
        raise AssertionError("a continuous target must be refused before training")

    monkeypatch.setattr(TabGAN, "fit", no_fit)
    with pytest.raises(TargetColumnError, match="not classes") as caught:
        augment(frame, target="y")
    assert "discrete_columns=['y']" in str(caught.value)
    assert "--discrete y" in caught.value.command_line_message()


def test_a_numeric_target_declared_categorical_is_balanced(tiny_model_params):
    frame = pd.DataFrame({"x": np.arange(120) * 0.5,
                          "y": np.r_[np.arange(100) % 20, np.zeros(20, dtype=int)]})
    out = augment(frame, target="y", discrete_columns=["y"], model=TabGAN(**tiny_model_params))
    counts = out["y"].value_counts()
    assert counts.nunique() == 1 and counts.iloc[0] == 25


def test_the_command_line_refuses_a_continuous_target_and_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from tabgan.cli import main

    data = tmp_path / "d.csv"
    pd.DataFrame({"x": np.arange(300) % 5, "price": np.linspace(0.39, 176, 300)}).to_csv(
        data, index=False)
    out = tmp_path / "a.csv"
    result = CliRunner().invoke(main, ["augment", str(data), "--target", "price", "--balance",
                                       "-o", str(out), "--quiet"])
    assert result.exit_code == 1 and "not classes" in result.output
    assert "--discrete price" in result.output and "discrete_columns" not in result.output
    assert not out.exists()


def test_the_command_line_keeps_nulls_out_of_the_classes(tmp_path):
    from click.testing import CliRunner

    from tabgan.cli import main

    data = tmp_path / "d.csv"
    _labelled(50).to_csv(data, index=False)
    fast = ["--epochs", "1", "--batch-size", "40", "--seed", "0", "--quiet"]
    out = tmp_path / "a.csv"
    result = CliRunner().invoke(main, ["augment", str(data), "--target", "y", "--balance",
                                       "-o", str(out), *fast])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written["y"].iloc[90:].notna().all() and len(written) == 110
    result = CliRunner().invoke(main, ["augment", str(data), "--target", "y", "--balance",
                                       "--null-class", "-o", str(out), *fast])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)["y"]
    assert written.value_counts().to_dict() == {"a": 50, "b": 50} and written.isna().sum() == 50
