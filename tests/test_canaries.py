
import numpy as np
import pandas as pd
import pytest

from tabgan import TabGAN
from tabgan.canaries import canary_audit, canary_scores, craft_canaries
from tabgan.datasets import load_adult
from tabgan.errors import AuditError

LEVEL = 0.05


@pytest.fixture(scope="module")
def adult_small():
    return load_adult().dropna().sample(60, random_state=0).reset_index(drop=True)


def test_canaries_are_valid_records_in_the_tables_dtypes(adult_small, mixed_frame):
    for data in (adult_small, mixed_frame):
        canaries = craft_canaries(data, 50, np.random.default_rng(1))
        assert list(canaries.columns) == list(data.columns)
        assert (canaries.dtypes == data.dtypes).all()
        assert canaries.notna().all().all()
        for column in data.columns:
            values = canaries[column]
            if pd.api.types.is_numeric_dtype(data[column]) and data[column].nunique() > 10:
                assert values.min() >= data[column].min() and values.max() <= data[column].max()
            elif not pd.api.types.is_datetime64_any_dtype(data[column]):
                assert set(values) <= set(data[column].dropna())
        merged = canaries.merge(data.drop_duplicates(), how="inner")
        assert merged.empty  # no canary copies a real row
    again = craft_canaries(adult_small, 50, np.random.default_rng(1))
    pd.testing.assert_frame_equal(again, craft_canaries(adult_small, 50, np.random.default_rng(1)))


def test_scores_rank_a_copied_canary_first(adult_small):
    canaries = craft_canaries(adult_small, 20, np.random.default_rng(2))
    synthetic = pd.concat([adult_small, canaries.iloc[[3]]] * 3, ignore_index=True)
    scores = canary_scores(canaries, synthetic, adult_small)
    assert int(np.argmax(scores)) == 3


# A model made to memorise: no marginal or pair terms pulling it towards the table's
# averages, small batches, no dropout, fast learning rates.
MEMORISE = dict(epochs=300, batch_size=20, pac=1, dropout=0.0, generator_lr=1e-3,
                critic_lr=1e-3, generator_dims=(128, 128), critic_dims=(128, 128),
                marginal_weight=0.0, pair_weight=0.0)


def test_a_memorising_model_gets_a_bound_clearly_above_zero():
    # 50 real rows, 100 canaries, 300 epochs: the generator reproduces what it saw.
    data = load_adult().dropna().sample(50, random_state=0).reset_index(drop=True)
    result = canary_audit(data, TabGAN(**MEMORISE), 100, random_state=1)
    assert result.claimed_epsilon is None and result.exceeds_claim is None
    assert result.auc > 0.7
    assert result.epsilon_lower_bound > 0.5
    assert result.epsilon_lower_bound == max(r.epsilon_lower_bound for r in result.rules)
    assert result.n_train_rows == 50 + result.n_included
    plain = result.to_dict()
    assert plain["rules"][0]["n_guesses"] == 10
    assert sum(plain["score_histogram"]["counts"]["included"]) == result.n_included


def test_a_dp_model_stays_within_its_claim():
    data = load_adult().dropna().sample(300, random_state=0).reset_index(drop=True)
    metadata = {
        "columns": {
            c: {"kind": "categorical", "categories": sorted(data[c].unique().tolist())}
            for c in data.columns if _is_text(data[c])
        }
    }
    model = TabGAN(epsilon=1.0, delta=1e-5, epochs=10, batch_size=100, dropout=0.0,
                   generator_dims=(64, 64), critic_dims=(64, 64))
    result = canary_audit(data, model, 100, metadata=metadata, random_state=0)
    assert result.claimed_epsilon == pytest.approx(1.0, abs=1e-2)
    assert result.delta == 1e-5
    assert result.epsilon_lower_bound <= result.claimed_epsilon
    assert result.exceeds_claim is False


def test_canary_audit_refuses_bad_input(adult_small):
    with pytest.raises(AuditError, match="at least 2"):
        canary_audit(adult_small, TabGAN(), 1)
    with pytest.raises(AuditError, match="TabGAN"):
        canary_audit(adult_small, "not a model", 10)


def _is_text(series: pd.Series) -> bool:
    """A text column: object under pandas 2, str (a StringDtype) under pandas 3."""
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)
