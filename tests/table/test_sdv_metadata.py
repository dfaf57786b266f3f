"""SDV's single-table metadata, read and written by tabgan's Metadata."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tabgan import ColumnMetadata, Metadata, TabGAN
from tabgan.errors import MetadataError

NAMES = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=6)
_CATEGORY = st.text("abcxyz", min_size=1, max_size=3) | st.integers(-5, 5)


def _sdv_column(version: int):
    """Every column form of one SDV spec version that tabgan maps exactly."""
    nullable = (st.just({}) if version == 1
                else st.booleans().map(lambda b: {"range_is_nullable": b}) | st.just({}))
    floats = st.floats(-1e6, 1e6, allow_nan=False)
    numerical_range = st.tuples(floats, floats).map(sorted).map(
        lambda r: {"range_min": r[0], "range_max": r[1]})
    days = st.dates(pd.Timestamp("1900-01-01").date(), pd.Timestamp("2200-01-01").date())
    date_range = st.tuples(days, days).map(sorted).map(
        lambda r: {"range_min": r[0].isoformat(), "range_max": r[1].isoformat()})
    categories = st.lists(_CATEGORY, min_size=1, max_size=4, unique_by=lambda v: (type(v), v))
    if version == 1:
        forms = [
            st.sampled_from(["Float", "Int64"]).map(
                lambda r: {"sdtype": "numerical", "computer_representation": r}),
            st.just({"sdtype": "categorical"}),
            categories.map(lambda c: {"sdtype": "categorical", "order": c}),
            st.just({"sdtype": "datetime"}),
            st.just({"sdtype": "datetime", "datetime_format": "%Y-%m-%d"}),
        ]
    else:
        forms = [
            st.tuples(st.sampled_from([{}, {"decimal_places": 0}]),
                      st.just({}) | numerical_range).map(
                lambda p: {"sdtype": "numerical", **p[0], **p[1]}),
            st.sampled_from(["categorical", "ordinal"]).flatmap(lambda s: st.just(
                {"sdtype": s}) | categories.map(lambda c: {"sdtype": s, "range_values": c})),
            st.tuples(st.sampled_from([{}, {"datetime_format": "%Y-%m-%d"}]),
                      st.just({}) | date_range).map(
                lambda p: {"sdtype": "datetime", **p[0], **p[1]}),
        ]
    forms += [st.just({"sdtype": "boolean"}), st.just({"sdtype": "id"})]
    return st.tuples(st.one_of(forms), nullable).map(lambda p: {**p[0], **p[1]})


@st.composite
def sdv_metadata(draw, version: int) -> dict:
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    columns = {name: draw(_sdv_column(version)) for name in names}
    out = {"columns": columns, "METADATA_SPEC_VERSION": f"SINGLE_TABLE_V{version}"}
    ids = [n for n, c in columns.items() if c["sdtype"] == "id" and "range_is_nullable" not in c]
    if ids and draw(st.booleans()):
        out["primary_key"] = draw(st.sampled_from(ids))
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.integers(1, 2).flatmap(sdv_metadata))
# categories 0 and 1 compare equal to False and True, but are no boolean column
@example(data={"columns": {"0": {"sdtype": "categorical", "order": [0, 1]}},
               "METADATA_SPEC_VERSION": "SINGLE_TABLE_V1"})
def test_sdv_to_tabgan_to_sdv_is_exact(data):
    version = int(data["METADATA_SPEC_VERSION"][-1])
    meta = Metadata.from_sdv(data)
    assert meta.names == list(data["columns"])
    assert meta.to_sdv(version=version) == data
    assert Metadata.from_json(json.dumps(data)) == meta  # from_json takes SDV's format too
    assert Metadata.from_dict(meta.to_dict()) == meta  # and tabgan's keeps the primary key


_DTYPES = {"continuous": ["float64", "float32", None], "integer": ["int64", "Int32", "uint8", None],
           "categorical": ["object", "category", None], "datetime": ["datetime64[ns]", None],
           "id": ["object", "int64", None]}


@st.composite
def tabgan_columns(draw, name) -> ColumnMetadata:
    kind = draw(st.sampled_from(sorted(_DTYPES)))
    fields = {"dtype": draw(st.sampled_from(_DTYPES[kind])),
              "nullable": draw(st.sampled_from([None, True, False]))}
    if kind in ("continuous", "integer") and draw(st.booleans()):
        low = draw(st.integers(-1000, 1000))
        fields["bounds"] = (low, low + draw(st.integers(0, 1000)))
    if kind == "categorical":
        fields["categories"] = draw(st.none() | st.just([False, True]) | st.lists(
            _CATEGORY, min_size=1, max_size=4, unique_by=lambda v: (type(v), v)))
        fields["ordered"] = draw(st.booleans()) and fields["categories"] != [False, True]
    if kind == "datetime":
        fields["datetime_format"] = draw(st.sampled_from([None, "%Y-%m-%d", "%d/%m/%Y"]))
        if draw(st.booleans()):
            fields["bounds"] = ("2001-02-03T00:00:00", "2011-12-13T00:00:00")
    return ColumnMetadata(name, kind, **fields)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=6, unique=True), data=st.data())
def test_tabgan_to_sdv_keeps_kinds_and_public_facts(names, data):
    columns = [data.draw(tabgan_columns(name)) for name in names]
    ids = [c.name for c in columns if c.kind == "id"]
    meta = Metadata(columns, primary_key=data.draw(st.sampled_from(ids)) if ids else None)
    for version in (1, 2):
        sdv = meta.to_sdv(version=version)
        back = Metadata.from_sdv(sdv)
        assert back.names == meta.names and back.primary_key == meta.primary_key
        assert [c.kind for c in back.columns] == [c.kind for c in meta.columns]
        for old, new in zip(meta.columns, back.columns, strict=True):
            assert new.datetime_format == old.datetime_format
            if old.ordered and old.categories is not None:
                assert new.ordered and new.categories == old.categories
            if version == 2:  # spec 2 carries bounds, categories and nullability as well
                assert new.bounds == old.bounds
                assert new.nullable == old.nullable
                assert new.categories == old.categories
        assert Metadata.from_sdv(back.to_sdv(version=version)) == back  # then a fixed point
        if all(c.dtype is None for c in columns):  # the width of a dtype is all that is lost
            assert back.to_sdv(version=version) == sdv


def test_each_sdtype_maps_to_a_kind():
    data = {"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "primary_key": "key", "columns": {
        "key": {"sdtype": "email"},
        "n": {"sdtype": "numerical", "computer_representation": "UInt8"},
        "x": {"sdtype": "numerical", "computer_representation": "Float32"},
        "x2": {"sdtype": "numerical"}, "flag": {"sdtype": "boolean"},
        "grade": {"sdtype": "categorical", "order_by": "alphabetical"},
        "day": {"sdtype": "datetime", "datetime_format": "%d.%m.%Y"},
        "ref": {"sdtype": "id", "regex_format": "[A-Z]{3}"}, "mail": {"sdtype": "email"},
        "phone": {"sdtype": "phone_number", "pii": False}, "misc": {"sdtype": "unknown"}}}
    meta = Metadata.from_sdv(data)
    kinds = {c.name: c.kind for c in meta.columns}
    assert kinds == {"key": "id", "n": "integer", "x": "continuous", "x2": "continuous",
                     "flag": "categorical", "grade": "categorical", "day": "datetime",
                     "ref": "id", "mail": "id", "phone": "categorical", "misc": "id"}
    assert meta["flag"].categories == [False, True] and meta.primary_key == "key"
    assert meta["day"].datetime_format == "%d.%m.%Y"
    written = meta.to_sdv()["columns"]
    assert written["mail"] == {"sdtype": "id"} and written["flag"] == {"sdtype": "boolean"}
    assert written["n"] == {"sdtype": "numerical", "computer_representation": "Int64"}


def test_datetime_ranges_in_a_format_become_iso_bounds():
    data = {"METADATA_SPEC_VERSION": "V2", "relationships": [], "tables": {"t": {"columns": {
        "day": {"sdtype": "datetime", "datetime_format": "%d.%m.%Y", "range_min": "01.02.2003",
                "range_max": "04.05.2006"}}}}}
    meta = Metadata.from_sdv(data)
    assert meta["day"].bounds == ("2003-02-01T00:00:00", "2006-05-04T00:00:00")
    assert meta.to_sdv(table="t", version=2) == data


@pytest.mark.parametrize(("data", "fragment"), [
    ({"METADATA_SPEC_VERSION": "V9", "columns": {}}, "spec version 'V9'"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"a": {"sdtype": "numerical",
      "datetime_format": "%Y"}}}, "unexpected key"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"a": {"sdtype": "numerical",
      "computer_representation": "Int128"}}}, "Int128"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"a": {}}}, "'sdtype'"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"a": {"sdtype": "id"},
      "b": {"sdtype": "id"}}, "primary_key": ["a", "b"]}, "several columns"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"a": {"sdtype": "id"}},
      "sequence_key": "a"}, "sequence"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {}, "extra": 1}, "unknown key"),
    ({"METADATA_SPEC_VERSION": "V1", "tables": {"a": {}, "b": {}}}, "name it"),
    ({"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"a": {"sdtype": "email",
      "pii": "yes"}}}, "'pii'"),
])
def test_malformed_sdv_metadata(data, fragment):
    with pytest.raises(MetadataError, match=fragment):
        Metadata.from_dict(data)


def test_a_primary_key_must_be_an_id_column():
    with pytest.raises(MetadataError, match="kind 'id'"):
        Metadata([ColumnMetadata("a", "integer")], primary_key="a")
    with pytest.raises(MetadataError, match="kind 'id'"):
        Metadata.from_dict({"columns": {"a": {"kind": "integer"}}, "primary_key": "b"})


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame({
        "patient": [f"P{i:04d}" for i in range(n)],
        "age": rng.integers(18, 90, n),
        "smoker": rng.random(n) < 0.3,
        "visits": rng.integers(0, 5, n),
        "seen": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        "email": [f"p{i}@example.org" for i in range(n)],
    })


def test_fit_and_the_cli_take_an_sdv_file(tmp_path, tiny_model_params):
    sdv = {"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "primary_key": "patient", "columns": {
        "patient": {"sdtype": "id"}, "age": {"sdtype": "numerical",
                                             "computer_representation": "Int64"},
        "smoker": {"sdtype": "boolean"}, "visits": {"sdtype": "numerical"},
        "seen": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
        "email": {"sdtype": "email", "pii": True}}}
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(sdv, indent=4))
    frame = _frame()
    model = TabGAN(**tiny_model_params).fit(frame, metadata=str(path))
    kinds = {c.name: c.kind for c in model.metadata_.columns}
    assert kinds["visits"] == "continuous"  # declared numerical, not inferred categorical
    assert kinds["email"] == "id" and model.metadata_.primary_key == "patient"
    synthetic = model.sample(50)
    assert not set(synthetic["email"]) & set(frame["email"])  # no real address comes out
    assert synthetic["seen"].dtype == frame["seen"].dtype  # datetime64 stays, format or not
    assert model.metadata_.to_sdv()["columns"]["age"] == {
        "sdtype": "numerical", "computer_representation": "Int64"}

    from tabgan.cli import main

    csv = tmp_path / "d.csv"
    frame.to_csv(csv, index=False)
    result = CliRunner().invoke(main, ["fit", str(csv), "-o", str(tmp_path / "m.tabgan"),
                                       "--metadata", str(path), "--epochs", "1",
                                       "--batch-size", "40", "--quiet"])
    assert result.exit_code == 0, result.output
    loaded = TabGAN.load(tmp_path / "m.tabgan")
    assert loaded.metadata_["email"].kind == "id" and loaded.metadata_.primary_key == "patient"
    assert loaded.metadata_["seen"].datetime_format == "%Y-%m-%d"  # strings in the CSV


def test_sdv_itself_reads_what_tabgan_writes_and_the_other_way():
    sdv_metadata_module = pytest.importorskip("sdv.metadata")
    frame = _frame()
    detected = sdv_metadata_module.Metadata.detect_from_dataframes({"patients": frame})
    ours = Metadata.from_sdv(detected.to_dict())
    assert ours.primary_key == detected.to_dict()["tables"]["patients"].get("primary_key")
    fitted = Metadata.infer(frame, metadata=ours)
    for version in (1, 2):
        for table in (None, "patients"):
            written = fitted.to_sdv(table, version=version)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SDV 2 names spec 1 keys deprecated
                theirs = sdv_metadata_module.Metadata.load_from_dict(written)
            theirs.validate()
            theirs.validate_data({table or "table": frame})
            assert Metadata.from_sdv(theirs.to_dict()).names == fitted.names
