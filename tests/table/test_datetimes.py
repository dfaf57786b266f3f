"""The one datetime conversion: exact for any date pandas holds, in any unit, and the same
in the transformer, range conditions, canaries and the evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan import TabGAN, TableTransformer
from tabgan.canaries import craft_canaries
from tabgan.evaluate import evaluate
from tabgan.table import datetimes

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY = 86_400
S_LOW = int(np.datetime64("1500-01-01", "s").astype(np.int64))
S_HIGH = int(np.datetime64("2500-12-31", "s").astype(np.int64))
NS_LOW = int(pd.Timestamp.min.value) + 10**9
NS_HIGH = int(pd.Timestamp.max.value) - 10**9
# a day, an hour, a minute, a second, a millisecond, a microsecond, a nanosecond
STEPS_NS = (DAY * 10**9, 3600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)


def _series(ticks, unit: str) -> pd.Series:
    return pd.Series(np.asarray(ticks, dtype=np.int64).view(f"datetime64[{unit}]"))


@PROPERTY
@given(seconds=st.lists(st.integers(S_LOW, S_HIGH), min_size=1, max_size=40),
       unit=st.sampled_from(["s", "ms", "us"]))
def test_dates_from_1500_to_2500_convert_exactly_in_any_unit(seconds, unit):
    per_s = datetimes.TICKS_PER_SECOND[unit]
    series = _series([s * per_s for s in seconds], unit)
    got = datetimes.to_seconds(series)
    assert np.array_equal(got, np.asarray(seconds, dtype=np.float64))
    assert np.array_equal(datetimes.to_ticks(series, unit), np.asarray(seconds) * per_s)
    back = datetimes.restore(got, unit=unit, step_ns=10**9, dtype=series.dtype,
                             datetime_format=None)
    pd.testing.assert_series_equal(back, series)


@PROPERTY
@given(ticks=st.lists(st.integers(NS_LOW, NS_HIGH), min_size=1, max_size=40))
def test_nanosecond_dates_keep_their_ticks_and_their_seconds(ticks):
    series = _series(ticks, "ns")
    assert np.array_equal(datetimes.to_ticks(series, "ns"), np.asarray(ticks))
    seconds = datetimes.to_seconds(series)
    # float seconds hold a nanosecond date to well under a microsecond
    assert np.allclose(seconds, np.asarray(ticks) / 1e9, rtol=0, atol=1e-6)
    step = datetimes.step_of(datetimes.to_ticks(series, "ns"), "ns")
    assert all(t % step == 0 for t in ticks)
    coarser = [s for s in STEPS_NS if s > step]
    assert not coarser or not all(t % coarser[-1] == 0 for t in ticks)


@PROPERTY
@given(days=st.lists(st.integers(S_LOW // DAY, S_HIGH // DAY), min_size=1, max_size=30),
       fmt=st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"]))
def test_date_strings_outside_the_nanosecond_range_parse(days, fmt):
    stamps = _series([d * DAY for d in days], "s")
    text = stamps.dt.strftime(fmt)
    seconds = datetimes.to_seconds(text, fmt)
    assert np.array_equal(seconds, np.asarray(days, dtype=np.float64) * DAY)
    back = datetimes.restore(seconds, unit=datetimes.column_unit(object, fmt), step_ns=DAY * 10**9,
                             dtype="object", datetime_format=fmt)
    assert back.tolist() == text.tolist()
    coerced = datetimes.to_seconds(pd.concat([text, pd.Series(["not a date"])],
                                             ignore_index=True), fmt, errors="coerce")
    assert np.isnan(coerced[-1]) and np.array_equal(coerced[:-1], seconds)


def test_single_values_and_steps():
    assert datetimes.value_to_seconds("1500-01-01") == S_LOW
    assert datetimes.value_to_seconds(np.datetime64("2500-12-31")) == S_HIGH
    assert datetimes.value_to_seconds(pd.Timestamp("1970-01-02")) == DAY
    assert datetimes.value_to_seconds("2020-01-01T01:00:00+01:00") == \
        datetimes.value_to_seconds("2020-01-01")
    assert datetimes.value_to_seconds(12.5) == 12.5
    for bad in ("soon", None, True):
        with pytest.raises(ValueError):
            datetimes.value_to_seconds(bad)
    assert datetimes.step_of(np.array([0, 3 * DAY, 7 * DAY]), "s") == DAY * 10**9
    assert datetimes.step_of(np.array([0, 90, datetimes.NAT]), "s") == 10**9  # NaT is skipped
    assert datetimes.step_of(np.array([0, 1500]), "ms") == 10**6
    aware = pd.Series(pd.to_datetime(["2020-01-01 01:00"]).tz_localize("Europe/Paris"))
    assert datetimes.to_seconds(aware)[0] == datetimes.value_to_seconds("2020-01-01 00:00")


def _wide_frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = rng.integers(S_LOW // DAY, S_HIGH // DAY, n)
    return pd.DataFrame({
        "when": _series(days * DAY, "s"),
        "kind": rng.choice(["a", "b"], n),
    })


@PROPERTY
@given(days=st.lists(st.integers(S_LOW // DAY, S_HIGH // DAY), min_size=2, max_size=30))
def test_the_transformer_round_trips_second_resolution_dates_of_any_century(days):
    frame = pd.DataFrame({"when": _series(np.asarray(days) * DAY, "s")})
    tt = TableTransformer(random_state=0).fit(frame)
    back = tt.inverse_transform(tt.transform(frame))["when"]
    assert back.dtype == frame["when"].dtype
    # whole days come back as whole days, within the mixture's resolution of their value
    assert (datetimes.to_ticks(back, "s") % DAY == 0).all()
    err = np.abs(datetimes.to_seconds(back) - datetimes.to_seconds(frame["when"]))
    span = max(days) - min(days)
    assert err.max() <= max(1.0, 1e-3 * span) * DAY


def test_range_conditions_canaries_and_the_evaluation_read_dates_alike():
    frame = _wide_frame()
    model = TabGAN(epochs=2, batch_size=50, embedding_dim=8, generator_dims=(16,),
                   critic_dims=(16,), verbose=False, random_state=0).fit(frame)
    out = model.sample(40, conditions={"when": ("1800-01-01", "2200-01-01")}, max_tries=400)
    assert out["when"].dtype == frame["when"].dtype
    low, high = (datetimes.value_to_seconds(v) for v in ("1800-01-01", "2200-01-01"))
    seconds = datetimes.to_seconds(out["when"])
    assert ((seconds >= low) & (seconds <= high)).all()

    canaries = craft_canaries(frame, 50, np.random.default_rng(1))
    assert canaries["when"].dtype == frame["when"].dtype
    c = datetimes.to_seconds(canaries["when"])
    real = datetimes.to_seconds(frame["when"])
    assert c.min() >= real.min() and c.max() <= real.max()

    shifted = frame.assign(when=_series(datetimes.to_ticks(frame["when"], "s") + 365 * DAY, "s"))
    same = evaluate(frame, frame.sample(frac=1.0, random_state=0), sections=["shapes"],
                    verbose=False)
    moved = evaluate(frame, shifted, sections=["shapes"], verbose=False)
    score = {c.column: c.shape.value for c in same.fidelity.columns}
    shifted_score = {c.column: c.shape.value for c in moved.fidelity.columns}
    assert score["when"] == pytest.approx(1.0)
    assert shifted_score["when"] < 1.0
