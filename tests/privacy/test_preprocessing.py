"""Private preprocessing: public facts fix the encoding, released statistics carry noise,
values that were not released are encoded as missing."""

import numpy as np
import pandas as pd
import pytest

from tabgan import Metadata, TableTransformer
from tabgan.privacy.preprocessing import private_statistics


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.lognormal(10, 1, n),
            "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


PUBLIC = {
    "columns": {
        "age": {"kind": "integer", "bounds": [18, 90]},
        "income": {"kind": "continuous", "bounds": [0, 1e6], "nullable": False},
        "city": {"kind": "categorical", "categories": ["a", "b", "c", "d"]},
    }
}


def _release(frame, meta, epsilon, seed=0):
    release = private_statistics(frame, meta, epsilon=epsilon, delta=1e-6, accountant="rdp",
                                 rng=np.random.default_rng(seed), n_rows=len(frame))
    return release.statistics, release.mechanisms, release.public


def _private_fit(frame, seed=0):
    meta = Metadata.infer(frame, metadata=PUBLIC, schema_only=True)
    stats, mechanisms, public = _release(frame, meta, 1.0, seed)
    return TableTransformer(random_state=0).fit_statistics(meta, stats), stats, mechanisms, public


def test_public_metadata_fixes_the_transformer_structure():
    frame = _frame()
    changed = frame.copy()
    changed.loc[0, ["age", "income", "city"]] = [89, 999_999.0, "c"]
    a, stats_a, mech_a, public = _private_fit(frame)
    b, stats_b, _, _ = _private_fit(changed)
    assert set(public) == {"bounds of 'age'", "bounds of 'income'", "categories of 'city'"}
    assert a.layout_ == b.layout_
    assert a.categories("city") == b.categories("city") == ["a", "b", "c", "d", None]
    assert a.state_dict()["columns"] == b.state_dict()["columns"]
    # only the category counts of the condition prior read the data, through noise
    assert [m.name for m in mech_a] == ["category counts of 'city'"]
    city_a = next(s for s in stats_a if s.name == "city")
    city_b = next(s for s in stats_b if s.name == "city")
    diff = np.abs(np.asarray(city_a.counts) - np.asarray(city_b.counts))
    assert diff.sum() <= 2 + 1e-9  # one record moves one unit from one count to another


def test_unreleased_values_become_missing_and_no_unseen_error():
    frame = _frame()
    frame.loc[:2, "city"] = "rare-town"
    meta = Metadata.infer(frame, schema_only=True)
    stats, mechanisms, _ = _release(frame, meta, 0.5)
    tt = TableTransformer(random_state=0).fit_statistics(meta, stats)
    assert "rare-town" not in tt.categories("city")
    assert any(m.extra_delta > 0 for m in mechanisms)
    back = tt.inverse_transform(tt.transform(frame))
    assert back.loc[:2, "city"].isna().all()


def test_schema_only_inference_reads_no_values():
    frame = pd.DataFrame({"few": [1, 2] * 50, "s": ["x", "y"] * 50, "f": [0.5, 1.5] * 50})
    meta = Metadata.infer(frame, schema_only=True)
    assert [c.kind for c in meta.columns] == ["integer", "categorical", "continuous"]


def test_private_marginals_follow_the_spans_and_the_noisy_statistics():
    frame = _frame(2000)
    frame.loc[:99, "income"] = np.nan
    meta = Metadata.infer(frame, schema_only=True)
    stats, _, _ = _release(frame, meta, 2.0)
    tt = TableTransformer(random_state=0).fit_statistics(meta, stats)
    marginals = tt.slot_marginals(stats)
    soft = [s.dim for s in tt.layout_.spans if s.activation == "softmax"]
    assert [len(m) for m in marginals] == soft
    city = next(s for s in stats if s.name == "city")
    assert np.allclose(marginals[-1], city.counts)
    income = marginals[1]  # modes of 'income', then its null slot
    codec_modes = tt.layout_.column("income").softmax.dim - 1  # its modes, then the null slot
    assert len(income) == codec_modes + 1
    assert float(income[-1]) == pytest.approx(0.05, abs=0.03)  # the noisy null share
    assert float(income.sum()) == pytest.approx(1.0)


@pytest.mark.parametrize("null_share", [0.1, 0.5, 599 / 600])
def test_the_released_null_share_follows_the_nulls_whatever_the_values_shape(null_share):
    # The shape's weights are denoised bins whose sum is no count; the null share must
    # come from the released counts (before: 0.86 for 599 nulls in 600 rows, 0.74 for 300).
    rng = np.random.default_rng(0)
    n = 600
    values = rng.normal(0, 1, n)
    values[rng.permutation(n)[: round(null_share * n)]] = np.nan
    frame = pd.DataFrame({"x": values, "c": rng.choice(["a", "b"], n)})
    meta = Metadata.infer(frame, schema_only=True)
    stats, _, _ = _release(frame, meta, 1.0)
    tt = TableTransformer(random_state=0).fit_statistics(meta, stats)
    x = tt.slot_marginals(stats)[0]
    sigma = next(m.noise_multiplier for m in _release(frame, meta, 1.0)[1]
                 if m.name == "histogram of 'x'")
    assert float(x[-1]) == pytest.approx(null_share, abs=4 * sigma / n)
    assert float(x.sum()) == pytest.approx(1.0)


def test_a_spiky_column_releases_its_zeros_as_an_exact_spike():
    rng = np.random.default_rng(0)
    n = 20_000
    gains = np.where(rng.random(n) < 0.9, 0, rng.integers(1_000, 40_000, n))
    frame = pd.DataFrame({"gain": gains, "c": rng.choice(["a", "b"], n)})
    meta = Metadata.infer(frame, schema_only=True)
    stats, mechanisms, _ = _release(frame, meta, 1.0)
    gain = next(s for s in stats if s.name == "gain")
    assert gain.spikes.tolist() == [0.0]
    zero = float(np.asarray(gain.counts)[np.asarray(gain.support) == 0.0][0])
    sigma = next(m.noise_multiplier for m in mechanisms if m.name == "histogram of 'gain'")
    assert zero == pytest.approx((gains == 0).sum(), abs=5 * sigma)
    # still one histogram: each record in one cell (a bin, the zeros or the nulls)
    assert [m.name for m in mechanisms].count("histogram of 'gain'") == 1
    tt = TableTransformer(random_state=0).fit_statistics(meta, stats)
    shares = tt.slot_marginals(stats)[0]
    assert float(shares.max()) == pytest.approx(0.9, abs=0.02)  # the zeros' own mode


def test_a_column_without_zeros_releases_no_spike():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(50, 10, 5000), "c": rng.choice(["a", "b"], 5000)})
    meta = Metadata.infer(frame, schema_only=True)
    stats, _, _ = _release(frame, meta, 1.0)
    assert next(s for s in stats if s.name == "x").spikes is None


def test_small_integers_are_released_with_the_range_histogram_counting_them_again():
    rng = np.random.default_rng(0)
    n = 20_000
    kids = rng.choice([0, 1, 2, 3, 4], n, p=[0.4, 0.25, 0.2, 0.1, 0.05])
    frame = pd.DataFrame({"kids": kids, "c": rng.choice(["a", "b"], n)})
    meta = Metadata.infer(frame, schema_only=True)
    released, sigma = [], None
    for seed in range(150):
        stats, mechanisms, _ = _release(frame, meta, 0.3, seed)
        s = next(s for s in stats if s.name == "kids")
        support, counts = np.asarray(s.support), np.asarray(s.counts)
        released.append(float(counts[support == 2][0]))
        sigma = next(m.noise_multiplier for m in mechanisms if m.name == "histogram of 'kids'")
    # 2 is alone in its range bin [1.78, 2.37): two releases of its count, half the noise
    # variance of the histogram's alone (sd 0.71 sigma)
    assert np.mean(released) == pytest.approx((kids == 2).sum(), abs=0.3 * sigma)
    assert np.std(released) < 0.85 * sigma
