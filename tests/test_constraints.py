"""Constraints on a fitted ``TabGAN``: every sampled row satisfies every constraint, for drawn
tables and constraints, with and without DP, through save and load, conditions and the
command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from tabgan import FixedCombinations, Formula, Inequality, Positive, TabGAN
from tabgan.cli import main
from tabgan.errors import ConditionError, ConstraintError
from tabgan.table.constraint_parsing import parse_constraint

TINY = {"epochs": 1, "batch_size": 40, "embedding_dim": 8, "generator_dims": (16,),
        "critic_dims": (16,), "verbose": False}
CITIES = {"Paris": "France", "Lyon": "France", "Berlin": "Germany", "Rome": "Italy"}


def _rows(frame, columns) -> set:
    return {tuple(None if pd.isna(v) else v for v in row)
            for row in frame[list(columns)].itertuples(index=False)}


def _as_numbers(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    return pd.to_datetime(series).astype("int64").astype("float64")


def check_every_row(sample: pd.DataFrame, real: pd.DataFrame, rules: list) -> None:
    """The rules, checked with plain pandas (not with tabgan's own checks)."""
    for kind, args in rules:
        if kind == "le":
            low, high, strict = args
            a, b = _as_numbers(sample[low]), _as_numbers(sample[high])
            ok = (a < b) if strict else (a <= b)
            assert (ok | a.isna() | b.isna()).all(), (low, high)
        elif kind == "combos":
            assert _rows(sample, args) <= _rows(real, args), args
        elif kind == "bounds":
            column, low, high = args
            assert sample[column].dropna().between(low, high).all(), column
        elif kind == "formula":
            target, inputs = args
            want = sample[inputs[0]].astype(float) * sample[inputs[1]].astype(float)
            assert np.allclose(sample[target].astype(float), want, rtol=1e-9, atol=1e-9)


@st.composite
def constrained_tables(draw):
    """A table, the constraints it satisfies (as objects, dicts or strings), and the plain
    checks of them."""
    n = draw(st.integers(20, 60))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    columns: dict = {}
    constraints, rules = [], []

    def declare(obj, text):
        constraints.append(draw(st.sampled_from([obj, obj.to_dict(), text])))

    if draw(st.booleans()):  # two numbers, low <= high; low may hold nulls
        dtype = draw(st.sampled_from(["int64", "float64"]))
        low = rng.integers(-50, 50, n).astype(dtype)
        high = low + rng.integers(0, 30, n)
        if dtype == "float64" and draw(st.booleans()):  # nulls: met by rejection
            low = np.where(rng.random(n) < 0.2, np.nan, low - rng.random(n))
        columns.update(lo=low, hi=high.astype(dtype))
        strict = bool(np.all(high > np.nan_to_num(low, nan=-1e9))) and draw(st.booleans())
        declare(Inequality("lo", "hi", strict=strict), f"lo {'<' if strict else '<='} hi")
        rules.append(("le", ("lo", "hi", strict)))
    if draw(st.booleans()):  # dates, as datetime64 or strings; end after start
        start = pd.Timestamp("2001-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), "D")
        end = start + pd.to_timedelta(rng.integers(0, 400, n), "D")
        columns["start"] = start
        columns["end"] = end.strftime("%Y-%m-%d") if draw(st.booleans()) else end
        declare(Inequality("start", "end"), "end >= start")
        rules.append(("le", ("start", "end", False)))
    if draw(st.booleans()):  # cities and their countries, perhaps with a zone number
        city = rng.choice(list(CITIES), n)
        columns.update(city=city, country=[CITIES[c] for c in city])
        members = ["city", "country"]
        if draw(st.booleans()):
            columns["zone"] = np.array([len(c) for c in city], dtype="int64")
            members.append("zone")
        obj = FixedCombinations(members)
        constraints.append(draw(st.sampled_from([obj, obj.to_dict()])))
        rules.append(("combos", members))
    if draw(st.booleans()):  # a positive price, a quantity and their total
        price = np.round(rng.uniform(0.5, 30, n), 2)
        qty = rng.integers(1, 40, n)
        columns.update(price=price, qty=qty, total=price * qty)
        declare(Formula("total", "price * qty"), "total = price * qty")
        declare(Positive("price", strict=True), "price > 0")
        rules += [("formula", ("total", ["price", "qty"])), ("bounds", ("price", 1e-12, 1e9))]
    columns["noise"] = rng.normal(size=n)
    return pd.DataFrame(columns), constraints, rules, seed


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(constrained_tables())
def test_every_sampled_row_satisfies_every_constraint(drawn):
    frame, constraints, rules, seed = drawn
    model = TabGAN(**TINY, random_state=seed, constraints=constraints).fit(frame)
    sample = model.sample(150)
    assert len(sample) == 150 and list(sample.columns) == list(frame.columns)
    assert sample.dtypes.equals(frame.dtypes)
    check_every_row(sample, frame, rules)


@pytest.fixture
def shop() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 160
    city = rng.choice(list(CITIES), n, p=[0.4, 0.3, 0.2, 0.1])
    price = np.round(rng.uniform(1, 50, n), 2)
    qty = rng.integers(1, 12, n)
    opened = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), "D")
    return pd.DataFrame({
        "city": city, "country": [CITIES[c] for c in city], "price": price, "qty": qty,
        "total": price * qty, "opened": opened,
        "closed": opened + pd.to_timedelta(rng.integers(1, 900, n), "D"),
    })


SHOP = ["opened < closed", {"type": "fixed_combinations", "columns": ["city", "country"]},
        "total = price * qty", "price > 0"]
SHOP_RULES = [("le", ("opened", "closed", True)), ("combos", ["city", "country"]),
              ("formula", ("total", ["price", "qty"])), ("bounds", ("price", 1e-12, 1e9))]


def test_save_load_conditions_clone_and_describe(shop, tmp_path):
    model = TabGAN(**TINY, random_state=0, constraints=SHOP).fit(shop)
    empty = model.sample(0)
    assert empty.shape == (0, 7) and empty.dtypes.equals(shop.dtypes)
    path = tmp_path / "shop.tabgan"
    model.save(path)
    loaded = TabGAN.load(path)
    pd.testing.assert_frame_equal(loaded.sample(80, random_state=2),
                                  model.sample(80, random_state=2))
    assert loaded.metadata_ == model.metadata_
    assert loaded.get_params()["constraints"] == [parse_constraint(c).to_dict() for c in SHOP]
    french = loaded.sample(60, conditions={"country": "France", "total": (0, 200)})
    assert (french["country"] == "France").all() and french["total"].between(0, 200).all()
    check_every_row(french, shop, SHOP_RULES)
    with pytest.raises(ConditionError, match="valid values"):
        loaded.sample(5, conditions={"country": "Spain"})
    assert clone(model).constraints == SHOP
    text = model.describe()
    assert "'opened < closed': built into the encoding" in text
    assert "'0 < price': met by rejection" in text


def test_under_dp_declared_constraints_hold_too(shop):
    metadata = {
        "columns": {"opened": {"kind": "datetime", "nullable": False}},
        "constraints": ["opened < closed", "total = price * qty",
                        {"type": "fixed_combinations", "columns": ["city", "country"],
                         "combinations": [[c, k] for c, k in CITIES.items()]}],
    }
    model = TabGAN(**TINY, random_state=0, epsilon=8.0).fit(shop, metadata=metadata)
    sample = model.sample(300)
    check_every_row(sample, shop, SHOP_RULES[:3])
    assert "categories of 'city + country'" in model.privacy_ledger_.describe()


def test_a_constraint_the_model_cannot_meet_raises_a_constraint_error_naming_it():
    rng = np.random.default_rng(0)
    half = rng.integers(1, 40, 120) / 2  # x.0 and x.5: twice it is whole
    frame = pd.DataFrame({"half": half, "whole": (half * 2).astype("int64")})
    # The mixture encoding draws 'half' from a continuum, so twice it is never whole (the
    # quantile bins would give back only the halves seen, which meet the rule).
    model = TabGAN(**TINY, random_state=0, numeric_encoding="mixture",
                   constraints=["whole = half * 2"]).fit(frame)
    with pytest.raises(ConstraintError, match="'whole = half \\* 2' rejected"):
        model.sample(2000, batch_size=100, max_tries=2)


def test_cli_reads_constraints_from_the_metadata(shop, tmp_path):
    data, meta, out = tmp_path / "shop.csv", tmp_path / "meta.json", tmp_path / "out.csv"
    shop.to_csv(data, index=False)
    meta.write_text(json.dumps({"columns": {"opened": {"kind": "datetime"},
                                            "closed": {"kind": "datetime"}},
                                "constraints": SHOP}))
    result = CliRunner().invoke(main, ["synth", str(data), "-o", str(out), "--metadata",
                                       str(meta), "--epochs", "1", "--seed", "0", "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    check_every_row(pd.read_csv(out), shop, SHOP_RULES)
    broken = shop.assign(total=shop["total"] + 1)
    broken.to_csv(data, index=False)
    result = CliRunner().invoke(main, ["fit", str(data), "-o", str(tmp_path / "m.tabgan"),
                                       "--metadata", str(meta), "--quiet"])
    assert result.exit_code == 1
    assert "160 of the table's 160 rows break the constraint 'total = price * qty'" in (
        result.output)
    assert not (tmp_path / "m.tabgan").exists()


def test_augment_balances_a_column_of_fixed_combinations(shop):
    from tabgan import augment

    model = TabGAN(**TINY, random_state=0, constraints=SHOP[1:2])
    out = augment(shop, target="country", model=model)
    assert out["country"].value_counts().nunique() == 1
    check_every_row(out, shop, SHOP_RULES[1:2])


def test_the_canary_audit_refuses_a_fit_with_constraints(shop):
    from tabgan.canaries import canary_audit
    from tabgan.errors import AuditError

    with pytest.raises(AuditError, match="constraints"):
        canary_audit(shop, TabGAN(**TINY, constraints=SHOP), 10)
    with pytest.raises(AuditError, match="constraints"):
        canary_audit(shop, TabGAN(**TINY), 10, metadata={"columns": {}, "constraints": SHOP})
