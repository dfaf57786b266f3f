"""``ConstraintSet``: the checks of the real table, the transforms and their order, the
round trip through the learned table, and what a fit under DP reads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabgan import FixedCombinations, Inequality, Metadata
from tabgan.errors import ConstraintError, ConstraintViolationError
from tabgan.table.conditions import ConditionSet
from tabgan.table.constraint_set import ConstraintSet

N = 60


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, N), unit="D")
    city = rng.choice(["Paris", "Lyon", "Berlin"], N)
    price = np.round(rng.uniform(1, 20, N), 2)
    qty = rng.integers(1, 20, N)
    age = rng.integers(30, 70, N)
    return pd.DataFrame({
        "start": start,
        "end": (start + pd.to_timedelta(rng.integers(0, 90, N), unit="D")).strftime("%Y-%m-%d"),
        "city": city,
        "country": np.where(city == "Berlin", "Germany", "France"),
        "price": price,
        "qty": qty,
        "total": price * qty,
        "years": age - rng.integers(0, 20, N),
        "age": age,
    })


ALL = ["start <= end", {"type": "fixed_combinations", "columns": ["city", "country"]},
       "total = price * qty", "years <= age", "price > 0"]


def _fit(table, specs, private=False, metadata=None):
    meta = Metadata.infer(table, metadata=metadata, schema_only=private)
    return ConstraintSet.fit(specs, table, meta, private=private)


def test_the_learned_table_and_back(table):
    rules = _fit(table, ALL)
    learned = rules.transform(table)
    assert sorted(learned.columns) == sorted(rules.learned.names)  # in any order
    assert "end" not in learned and "total" not in learned and "city" not in learned
    assert (learned["end - start"] >= 0).all() and (learned["age - years"] >= 0).all()
    back, failed = rules.reverse(learned)
    assert (failed == -1).all()
    pd.testing.assert_frame_equal(back, table)
    assert [rules.built_in(c) for c in rules.constraints] == [True, True, True, True, False]
    assert rules.transform(table.iloc[:0]).shape[0] == 0


def test_without_constraints_the_table_is_the_learned_one(table):
    rules = _fit(table, None)
    assert not rules and rules.transform(table) is table and rules.learned is rules.metadata


def test_chains_are_ordered_and_a_cycle_falls_back_to_rejection():
    frame = pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) + 1.5,
                          "c": np.arange(30.0) + 4.0})
    rules = _fit(frame, ["b <= c", "a <= b"])
    assert all(rules.built_in(c) for c in rules.constraints)
    back, _ = rules.reverse(rules.transform(frame))
    pd.testing.assert_frame_equal(back, frame)
    ties = frame.assign(b=frame["a"])
    rules = _fit(ties, ["a <= b", "b <= a"])
    assert [rules.built_in(c) for c in rules.constraints] == [True, False]
    rules = _fit(frame, ["a <= c", "b <= c"])  # c replaced once only
    assert [rules.built_in(c) for c in rules.constraints] == [True, False]


def test_a_low_column_with_nulls_is_met_by_rejection(table):
    holes = table.assign(years=table["years"].astype(float).where(table.index % 7 > 0))
    rules = _fit(holes, ["years <= age"])
    assert not rules.built_in(rules.constraints[0])
    assert rules.transform(holes) is holes


def test_the_real_table_must_satisfy_every_constraint(table):
    broken = table.copy()
    broken.loc[[3, 8], "years"] = broken.loc[[3, 8], "age"] + 1
    with pytest.raises(ConstraintViolationError, match=r"2 of the table's 60 rows break the "
                       r"constraint 'years <= age' \(rows 3, 8\)"):
        _fit(broken, ["years <= age"])
    broken = table.assign(total=table["total"] + (table.index == 5))
    with pytest.raises(ConstraintViolationError, match="1 of .* 'total = price \\* qty'"):
        _fit(broken, ["total = price * qty"])
    with pytest.raises(ConstraintViolationError, match="fixed combinations"):
        _fit(table, [FixedCombinations(["city", "country"], [["Paris", "France"]])])
    with pytest.raises(ConstraintError, match="lacks"):
        _fit(table, ["start <= finish"])


def test_under_dp_combinations_are_declared_and_nothing_is_read_from_the_data(table):
    with pytest.raises(ConstraintError, match="differential privacy"):
        _fit(table, [{"type": "fixed_combinations", "columns": ["city", "country"]}],
             private=True)
    declared = {
        "columns": {"years": {"kind": "integer", "nullable": False, "bounds": [0, 70]},
                    "age": {"kind": "integer", "bounds": [18, 99]},
                    "start": {"kind": "datetime", "nullable": False},
                    "end": {"kind": "datetime", "datetime_format": "%Y-%m-%d"}},
        "constraints": ["years <= age", "start <= end", "total = price * qty",
                        {"type": "fixed_combinations", "columns": ["city", "country"],
                         "combinations": [["Paris", "France"], ["Lyon", "France"],
                                          ["Berlin", "Germany"], ["Nice", "France"]]}],
    }
    # Two tables of one schema and different values give one and the same fitted state.
    other = table.sample(frac=1, random_state=1).reset_index(drop=True)
    other["age"] = other["age"] + 5
    states = [json.dumps(_fit(t, None, private=True, metadata=declared).state_dict())
              for t in (table, other)]
    assert states[0] == states[1]
    rules = _fit(table, None, private=True, metadata=declared)
    assert all(rules.built_in(c) for c in rules.constraints)
    assert rules.learned["age - years"].bounds == (0, 99.0)
    back, _ = rules.reverse(rules.transform(table))
    pd.testing.assert_frame_equal(back, table)


def test_state_round_trip(table):
    rules = _fit(table, ALL)
    again = ConstraintSet.from_state(json.loads(json.dumps(rules.state_dict())))
    assert again.learned == rules.learned and again.metadata == rules.metadata
    learned = rules.transform(table)
    pd.testing.assert_frame_equal(again.reverse(learned)[0], rules.reverse(learned)[0])


def test_the_sieve_drops_every_row_that_breaks_a_constraint_and_counts_them(table):
    rules = _fit(table, ALL)
    learned = rules.transform(table)
    learned.loc[0, "price"] = -1.0  # breaks price > 0
    learned.loc[1, "city + country"] = pd.NA  # a code a transform cannot restore
    sieve = rules.sieve(ConditionSet([], []))
    out = sieve.filter(learned)
    assert len(out) == N - 2 and (out["price"] > 0).all()
    assert sieve.rejected == [0, 1, 0, 0, 1]
    error = sieve.unsatisfiable(len(out), N + 10, N)
    assert isinstance(error, ConstraintError) and "'0 < price' rejected 1" in str(error)
    assert sieve.want(10, 500) > 10


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_round_trip_for_drawn_inequalities(data):
    n = data.draw(st.integers(1, 30))
    kind = data.draw(st.sampled_from(["int64", "float64", "datetime64[s]", "Int64"]))
    low = np.array(data.draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n)))
    gap = np.array(data.draw(st.lists(st.integers(0, 10**5), min_size=n, max_size=n)))
    if kind.startswith("datetime"):
        cols = {"lo": (low * 86_400).astype(kind), "hi": ((low + gap) * 86_400).astype(kind)}
    else:
        cols = {"lo": pd.array(low, dtype=kind), "hi": pd.array(low + gap, dtype=kind)}
    frame = pd.DataFrame(cols)
    strict = bool((gap > 0).all() and data.draw(st.booleans()))
    rules = _fit(frame, [Inequality("lo", "hi", strict=strict)],
                 metadata={"columns": {"lo": {"kind": "datetime" if "date" in kind
                                              else "integer"}}})
    back, failed = rules.reverse(rules.transform(frame))
    assert (failed < 0).all()
    pd.testing.assert_frame_equal(back, frame)
