"""Constraints: parsing from objects, dicts and strings, their JSON, their checks of rows, and
the metadata JSON that declares them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabgan import Bounded, FixedCombinations, Formula, Inequality, Metadata, Positive
from tabgan.errors import ConstraintError, MetadataError
from tabgan.table.constraint_parsing import parse_constraint, parse_constraints


@pytest.mark.parametrize("text, expected", [
    ("start <= end", Inequality("start", "end")),
    ("start < end", Inequality("start", "end", strict=True)),
    ("age >= years_employed", Inequality("years_employed", "age")),
    ("`a b` > c", Inequality("c", "a b", strict=True)),
    ("price > 0", Positive("price", strict=True)),
    ("0 <= price", Positive("price")),
    ("0 <= age <= 120", Bounded("age", low=0, high=120)),
    ("age <= 120", Bounded("age", high=120)),
    ("120 >= age >= 18", Bounded("age", low=18, high=120)),
    ("day >= '2020-01-01'", Bounded("day", low="2020-01-01")),
    ("total = price * quantity", Formula("total", "price * quantity")),
])
def test_strings(text, expected):
    assert parse_constraint(text) == expected


@pytest.mark.parametrize("text", ["a <= b <= c", "0 < a <= 3", "a", "a + b", "1 <= 2",
                                  "total = total * 2", "0 <= a >= 3"])
def test_strings_that_are_no_constraint(text):
    with pytest.raises(ConstraintError):
        parse_constraint(text)


_NAMES = st.sampled_from(["a", "b", "c", "start date", 0, 7])
CONSTRAINTS = st.one_of(
    st.builds(Inequality, _NAMES, _NAMES, st.booleans()),
    st.builds(FixedCombinations, st.lists(_NAMES, min_size=2, max_size=3, unique=True)),
    st.builds(lambda cols, rows: FixedCombinations(cols, [r[: len(cols)] for r in rows]),
              st.lists(_NAMES, min_size=2, max_size=2, unique=True),
              st.lists(st.tuples(st.sampled_from(["x", 1, None, True, 2.5]),
                                 st.sampled_from(["y", 0])), min_size=1, max_size=4,
                       unique=True)),
    st.builds(Bounded, _NAMES, st.sampled_from([None, 0, -1.5]),
              st.sampled_from([10, 99.5]), st.booleans()),
    st.builds(Positive, _NAMES, st.booleans()),
    st.builds(Formula, st.sampled_from(["total", 3]),
              st.sampled_from(["a * b", "`start date` + 1", "round(a / 3, 2)"])),
)


@given(st.data())
def test_every_constraint_survives_its_json(data):
    try:
        constraint = data.draw(CONSTRAINTS)
    except ConstraintError:  # two equal names drawn for an inequality
        return
    text = json.dumps(constraint.to_dict())
    assert parse_constraint(json.loads(text)) == constraint
    meta = Metadata([], constraints=[constraint])
    assert Metadata.from_json(meta.to_json()) == meta


@pytest.mark.parametrize("spec, message", [
    ({"type": "unknown"}, "unknown constraint type"),
    ({"type": "inequality", "low": "a"}, "inequality"),
    ({"type": "inequality", "low": "a", "high": "b", "lower": 1}, "no field"),
    ({"type": "inequality", "low": "a", "high": "a"}, "two columns"),
    ({"type": "positive", "column": "a", "low": 3}, "no field"),
    ({"type": "bounded", "column": "a"}, "low or a high"),
    ({"type": "fixed_combinations", "columns": ["a"]}, "two or more"),
    ({"type": "fixed_combinations", "columns": "ab"}, "list of columns"),
    ({"type": "fixed_combinations", "columns": ["a", "b"], "combinations": [[1]]}, "1 values"),
    ({"type": "fixed_combinations", "columns": ["a", "b"], "combinations": [[1, 2], [1, 2]]},
     "twice"),
    ({"type": "fixed_combinations", "columns": ["a", "b"], "combinations": []}, "no comb"),
    ({"type": "formula", "column": "t", "expression": "a.b"}, "formulas do not allow"),
    (42, "constraint object"),
])
def test_malformed_declarations_name_the_fix(spec, message):
    with pytest.raises(ConstraintError, match=message):
        parse_constraint(spec)


def test_repeated_constraints_are_kept_once():
    got = parse_constraints(["a <= b", Inequality("a", "b"), {"type": "inequality",
                                                              "low": "a", "high": "b"}])
    assert got == [Inequality("a", "b")]
    assert parse_constraints(None) == [] and parse_constraints("a <= b") == [Inequality("a", "b")]


# ---------------------------------------------------------------------- checks of rows
@pytest.fixture
def frame():
    return pd.DataFrame({
        "low": [1.0, 5.0, np.nan, 2.0],
        "high": [2.0, 4.0, 1.0, 2.0],
        "start": pd.to_datetime(["2020-01-01", "2020-03-01", None, "2021-01-01"]),
        "end": ["2020-01-05", "2020-02-01", "2020-01-01", "2021-01-01"],
        "city": ["Paris", "Paris", "Berlin", None],
        "country": ["France", "Germany", "Germany", None],
        "price": [2.5, 1.0, 3.0, 0.0],
        "qty": [2, 3, 1, 5],
        "total": [5.0, 3.0, 3.0000000001, 1.0],
    })


def _meta(frame):
    return Metadata.infer(frame, metadata={"columns": {"end": {"kind": "datetime"},
                                                       "price": {"kind": "continuous"}}})


def test_each_check_marks_exactly_the_rows_that_break_it(frame):
    meta = _meta(frame)
    assert Inequality("low", "high").violated(frame, meta).tolist() == [False, True, False,
                                                                        False]
    assert Inequality("low", "high", strict=True).violated(frame, meta).tolist() == [
        False, True, False, True]
    assert Inequality("start", "end").violated(frame, meta).tolist() == [False, True, False,
                                                                        False]
    combos = FixedCombinations(["city", "country"], [["Paris", "France"], ["Berlin", "Germany"],
                                                     [None, None]])
    assert combos.violated(frame, meta).tolist() == [False, True, False, False]
    assert Positive("price", strict=True).violated(frame, meta).tolist() == [False, False,
                                                                              False, True]
    assert Bounded("qty", low=2, high=3).violated(frame, meta).tolist() == [False, False, True,
                                                                             True]
    assert Bounded("start", high="2020-06-30").violated(frame, meta).tolist() == [
        False, False, False, True]
    assert Formula("total", "price * qty").violated(frame, meta).tolist() == [False, False,
                                                                               False, True]


def test_checks_of_the_metadata_name_the_constraint_and_the_column(frame):
    meta = _meta(frame)
    with pytest.raises(ConstraintError, match="'nope'"):
        Inequality("low", "nope").check_metadata(meta)
    with pytest.raises(ConstraintError, match="datetime column with a numeric"):
        Inequality("low", "start").check_metadata(meta)
    with pytest.raises(ConstraintError, match="'city'.*needs numbers|needs numbers.*'city'"):
        Inequality("city", "high").check_metadata(meta)
    with pytest.raises(ConstraintError, match="categorical or integer"):
        FixedCombinations(["city", "price"]).check_metadata(meta)
    with pytest.raises(ConstraintError, match="needs numbers"):
        Formula("total", "price * city").check_metadata(meta)
    with pytest.raises(ConstraintError, match="allows no value"):
        Bounded("price", low=3, high=1).check_metadata(meta)
    ids = Metadata.infer(frame, metadata={"columns": {"qty": {"kind": "id"}}})
    with pytest.raises(ConstraintError, match="identifier"):
        Positive("qty").check_metadata(ids)


# ---------------------------------------------------------------------- the metadata JSON
def test_metadata_declares_constraints_and_writes_the_lowest_version_that_holds_them():
    data = {
        "columns": {"start": {"kind": "datetime"}},
        "constraints": ["start <= end", {"type": "positive", "column": "price"},
                        {"type": "fixed_combinations", "columns": ["city", "country"],
                         "combinations": [["Paris", "France"]]}],
    }
    meta = Metadata.from_dict(data)
    assert meta.constraints == [Inequality("start", "end"), Positive("price"),
                                FixedCombinations(["city", "country"], [["Paris", "France"]])]
    written = json.loads(meta.to_json())
    assert written["schema_version"] == 2
    assert written["constraints"][0] == {"type": "inequality", "low": "start", "high": "end",
                                         "strict": False}
    plain = Metadata.from_dict({"columns": {"start": {"kind": "datetime"}}})
    assert plain.constraints == [] and json.loads(plain.to_json())["schema_version"] == 1
    assert "constraints" not in plain.to_dict()


def test_older_metadata_files_stay_readable_and_bad_lists_are_refused():
    old = {"schema_version": 1, "columns": [{"name": "a", "kind": "integer"}]}
    assert Metadata.from_dict(old).constraints == []
    with pytest.raises(MetadataError, match="list"):
        Metadata.from_dict({"columns": {}, "constraints": {"type": "positive"}})
    with pytest.raises(ConstraintError, match="unknown constraint type"):
        Metadata.from_dict({"columns": {}, "constraints": [{"type": "ordered"}]})
    with pytest.raises(MetadataError, match="newer"):
        Metadata.from_dict({"schema_version": 3, "columns": {}})


def test_inference_keeps_the_declared_constraints(frame):
    meta = Metadata.infer(frame, metadata={"columns": {}, "constraints": ["low <= high"]})
    assert meta.constraints == [Inequality("low", "high")]
