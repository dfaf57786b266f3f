"""Class balancing with conditional samples."""

import pandas as pd
import pytest

from tabgan import TabGAN, augment
from tabgan.errors import ColumnMismatchError, ConditionError


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
