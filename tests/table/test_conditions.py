"""Sampling conditions: parsed against the model, steered through the condition vector,
checked on every row."""

import pandas as pd
import pytest

from tabgan import TabGAN
from tabgan.errors import ConditionError


def test_equality_conditions_hold_on_every_row(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    # "size" is not the first categorical column: its one-hot index must still be right.
    out = model.sample(60, conditions={"size": "L", "flag": True})
    assert len(out) == 60
    assert (out["size"] == "L").all() and out["flag"].all()
    nulls = model.sample(10, conditions={"group": None})
    assert nulls["group"].isna().all()


def test_range_conditions(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(40, conditions={"amount": (9.0, 60.0), "when": ("2020-03-01", None)})
    assert out["amount"].between(9.0, 60.0).all()
    assert (out["when"] >= pd.Timestamp("2020-03-01")).all()


def test_bad_conditions_list_the_valid_choices(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    with pytest.raises(ConditionError, match="amount"):
        model.sample(5, conditions={"nope": 1})
    with pytest.raises(ConditionError, match="'red'"):
        model.sample(5, conditions={"group": "purple"})
    with pytest.raises(ConditionError, match="only 0 of the 5"):  # in range, but rare
        model.sample(5, conditions={"amount": (25.0, 25.000001)}, max_tries=3, batch_size=100)


def test_several_equalities_steer_by_the_rarest(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    conds = model.condition_set({"group": "red", "size": "S"})
    rarest = min(conds.equal, key=lambda e: e.match.weight)
    assert conds.condition_target() == (rarest.match.position, rarest.match.slot)
    counts = {e.column: e.match.weight for e in conds.equal}
    assert counts["group"] == (mixed_frame["group"] == "red").sum()


def test_match_category_prefers_type_then_value_then_a_unique_string():
    from tabgan.table.conditions import match_category

    cats = [1, 1.5, True, "1.5", None]
    assert match_category(True, cats) == 2  # a bool matches the bool, not 1
    assert match_category(1, cats) == 0
    assert match_category(1.0, cats) == 0  # an equal number
    assert match_category("1.5", cats) == 3  # the exact string before the number 1.5
    assert match_category(None, cats) == 4 and match_category(float("nan"), cats) == 4
    assert match_category("x", cats) is None
    assert match_category("1", [1, "a"]) == 0  # from the command line: the one whose str is 1
    assert match_category("1.0", [1.0, 2]) == 0


def test_condition_strings_and_ranges_parse_against_the_metadata():
    from tabgan import Metadata
    from tabgan.table.conditions import CategoryMatch, ConditionSet, parse_condition_strings

    assert parse_condition_strings(["income=>50K", "age=30..40", "a=b=c"]) == {
        "income": ">50K", "age": "30..40", "a": "b=c"}
    with pytest.raises(ConditionError, match="COLUMN=VALUE"):
        parse_condition_strings(["age"])
    meta = Metadata.from_dict({"columns": [
        {"name": "age", "kind": "integer"}, {"name": "city", "kind": "categorical"},
        {"name": "when", "kind": "datetime"}, {"name": "uid", "kind": "id"}]})
    asked = []

    def match(column, wanted):
        asked.append((column, wanted))
        return CategoryMatch(wanted.upper(), 0, 3, 7.0)

    conds = ConditionSet.parse({"age": "30..", "city": "paris", "when": ("2020-01-01", None)},
                               meta, match)
    assert asked == [("city", "paris")] and conds.condition_target() == (0, 3)
    by_column = {r.column: (r.low, r.high) for r in conds.ranges}
    assert by_column["age"] == (30.0, float("inf"))
    assert by_column["when"][0] == pd.Timestamp("2020-01-01").timestamp()
    frame = pd.DataFrame({"age": [29, 30, 50, None], "city": ["PARIS"] * 3 + [None],
                          "when": pd.to_datetime(["2021-01-01"] * 2 + ["2019-01-01", None]),
                          "uid": [1, 2, 3, 4]})
    assert conds.filter(frame)["age"].tolist() == [30]
    for bad, message in (({"uid": 1}, "identifier"), ({"nope": 1}, "unknown column"),
                         ({"age": "40..30"}, "above high"), ({"age": "young"}, "range")):
        with pytest.raises(ConditionError, match=message):
            ConditionSet.parse(bad, meta, match)
    error = conds.unsatisfiable(3, 10, 500)
    assert "only 3 of the 10" in str(error) and "'city' == 'PARIS'" in str(error)


def _no_generation(model, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an impossible condition must fail before any row is generated")

    monkeypatch.setattr(model, "generate_matrix", refuse)


def test_a_range_outside_the_trained_range_fails_at_once(mixed_frame, tiny_model_params,
                                                         monkeypatch):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    low, high = int(mixed_frame["count"].min()), int(mixed_frame["count"].max())
    _no_generation(model, monkeypatch)
    with pytest.raises(ConditionError, match=f"outside {low}..{high}, the range"):
        model.sample(5, conditions={"count": (high + 100, high + 200)})
    with pytest.raises(ConditionError, match="outside"):
        model.sample(5, conditions={"count": high + 1})  # one value
    with pytest.raises(ConditionError, match="no whole number"):
        model.sample(5, conditions={"count": (low + 0.2, low + 0.7)})
    first = mixed_frame["when"].min().strftime("%Y-%m-%d")
    with pytest.raises(ConditionError, match=f"outside {first}"):
        model.sample(5, conditions={"when": ("2035-01-01", None)})
    with pytest.raises(ConditionError, match="outside"):
        model.sample(5, conditions={"amount": (None, mixed_frame["amount"].min() - 1)})


def test_a_range_that_overlaps_the_trained_range_is_sampled(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    high = mixed_frame["amount"].max()
    out = model.sample(20, conditions={"amount": (high - 20, high + 1000)})
    assert out["amount"].between(high - 20, high).all()


def test_nulls_can_be_asked_of_any_column_that_had_them(mixed_frame, tiny_model_params,
                                                        monkeypatch):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(10, conditions={"score": None, "group": None}, max_tries=1000)
    assert out["score"].isna().all() and out["group"].isna().all()
    _no_generation(model, monkeypatch)
    for column in ("amount", "size"):  # no nulls at fit time
        with pytest.raises(ConditionError, match=f"column '{column}' had no nulls"):
            model.sample(5, conditions={column: None})


def test_condition_strings_spell_nulls_as_an_empty_value():
    from tabgan.table.conditions import parse_condition_strings

    assert parse_condition_strings(["city=", "age=..50", "income=>50K"]) == {
        "city": None, "age": "..50", "income": ">50K"}


def test_the_command_line_asks_for_nulls_and_fails_at_once_on_an_impossible_range(
        tmp_path, mixed_frame, tiny_model_params):
    from click.testing import CliRunner

    from tabgan.cli import main

    path = tmp_path / "m.tabgan"
    TabGAN(**tiny_model_params).fit(mixed_frame).save(path)
    out = tmp_path / "s.csv"
    run = lambda *args: CliRunner().invoke(main, ["sample", str(path), "-o", str(out),  # noqa: E731
                                                  "--quiet", *args])
    result = run("-n", "8", "--condition", "group=", "--condition", "score=", "--max-tries",
                 "1000")
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written["group"].isna().all() and written["score"].isna().all()
    out.unlink()
    high = int(mixed_frame["count"].max())
    result = run("-n", "8", "--condition", f"count={high + 100}..{high + 200}")
    assert result.exit_code == 1 and f"..{high}, the range the model was trained on" in \
        result.output
    assert not out.exists()
    result = run("-n", "8", "--condition", "amount=25..25.000001", "--max-tries", "2",
                 "--batch-size", "50")
    assert result.exit_code == 1 and "raise --max-tries" in result.output
    assert "max_tries" not in result.output and not out.exists()
