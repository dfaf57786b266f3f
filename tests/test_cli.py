import inspect

import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from tabgan import TabGAN
from tabgan.cli import main
from tabgan.table.io import read_table

FAST = ["--epochs", "1", "--batch-size", "40", "--seed", "0", "--quiet"]


@pytest.fixture
def csv(tmp_path, mixed_frame):
    path = tmp_path / "data.csv"
    mixed_frame.to_csv(path, index=False)
    return path


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_fit_then_sample_with_conditions(tmp_path, csv):
    model = tmp_path / "m.tabgan"
    result = _run("fit", csv, "-o", model, *FAST)
    assert result.exit_code == 0, result.output
    out = tmp_path / "s.csv"
    result = _run("sample", model, "-n", 30, "-o", out, "--condition", "size=L",
                  "--condition", "amount=5..70", "--seed", 1)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert len(frame) == 30 and (frame["size"] == "L").all()
    assert frame["amount"].between(5, 70).all()
    again = tmp_path / "s2.csv"
    _run("sample", model, "-n", 30, "-o", again, "--condition", "size=L",
         "--condition", "amount=5..70", "--seed", 1)
    assert out.read_text() == again.read_text()


def test_synth_writes_parquet_of_the_input_shape(tmp_path, csv, mixed_frame):
    out = tmp_path / "s.parquet"
    result = _run("synth", csv, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame.shape == mixed_frame.shape


def test_augment_balances(tmp_path, csv, mixed_frame):
    out = tmp_path / "a.csv"
    result = _run("augment", csv, "--target", "size", "--balance", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    counts = pd.read_csv(out)["size"].value_counts()
    assert counts.nunique() == 1
    result = _run("augment", csv, "--target", "size", "-o", out, *FAST)
    assert result.exit_code != 0 and "--balance" in result.output


def test_bad_input_leaves_no_output(tmp_path, csv):
    model = tmp_path / "m.tabgan"
    _run("fit", csv, "-o", model, *FAST)
    out = tmp_path / "s.csv"
    result = _run("sample", model, "-n", 5, "-o", out, "--condition", "size=XL")
    assert result.exit_code == 1
    assert "not a category of column 'size'" in result.output and "'S'" in result.output
    assert not out.exists()
    result = _run("sample", model, "-n", 5, "-o", tmp_path / "s.txt")
    assert result.exit_code == 1 and ".csv or .parquet" in result.output
    result = _run("sample", csv, "-n", 5, "-o", out)
    assert result.exit_code == 1 and "not a readable tabgan model" in result.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


def test_bad_table_gets_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"a": range(12), "b": [None] * 12}).to_csv(path, index=False)
    result = _run("synth", path, "-o", tmp_path / "out.csv", *FAST)
    assert result.exit_code == 1 and "'b'" in result.output and "remove the column" in result.output
    assert "df." not in result.output  # the command line's fix, not Python's
    assert not (tmp_path / "out.csv").exists()


def test_info_describes_the_model(tmp_path, csv):
    model = tmp_path / "m.tabgan"
    _run("fit", csv, "-o", model, *FAST)
    result = _run("info", model)
    assert result.exit_code == 0 and "no formal guarantee" in result.output


def test_info_prints_the_training_history_as_a_table(tmp_path, csv):
    model = tmp_path / "m.tabgan"
    _run("fit", csv, "-o", model, *FAST[2:], "--epochs", 25)
    lines = _run("info", model).output.splitlines()
    head = next(i for i, line in enumerate(lines) if "generator loss" in line)
    assert lines[head].split()[:3] == ["epoch", "generator", "loss"]
    assert "critic loss" in lines[head] and "mode coverage" in lines[head]
    rows = lines[head + 1: head + 11]
    history = TabGAN.load(model).history_
    assert [int(r.split()[0]) for r in rows] == [1, 4, 6, 9, 12, 14, 17, 20, 22, 25]
    assert rows[-1].split()[1] == f"{history['generator_loss'].iloc[-1]:.3f}"
    assert lines[head + 11].strip() == "(10 of 25 epochs, evenly spaced)"


def test_fit_keeps_a_checkpoint_and_resumes_it(tmp_path, csv):
    model, again, checkpoints = tmp_path / "m.tabgan", tmp_path / "n.tabgan", tmp_path / "ck"
    args = ["--epochs", 3, "--batch-size", 40, "--seed", 0, "--quiet",
            "--checkpoint-dir", checkpoints, "--checkpoint-every", 2]
    assert _run("fit", csv, "-o", model, *args).exit_code == 0
    assert (checkpoints / "checkpoint.pt").exists()
    refused = _run("fit", csv, "-o", again, *args)
    assert refused.exit_code == 1 and "--resume" in refused.output
    assert "Traceback" not in refused.output and not again.exists()
    assert _run("fit", csv, "-o", again, *args, "--resume").exit_code == 0
    first, second = TabGAN.load(model), TabGAN.load(again)
    for key, value in first.generator_.state_dict().items():
        assert torch.equal(value, second.generator_.state_dict()[key])
    other = _run("fit", csv, "-o", again, *args, "--resume", "--epochs", 4)
    assert other.exit_code == 1 and "epochs (3 in the checkpoint, 4 now)" in other.output
    bad = _run("fit", csv, "-o", again, *args[:-1], "5 parsecs", "--resume")
    assert bad.exit_code == 1 and "checkpoint_every" in bad.output


def test_early_stopping_stops_a_fit_on_the_command_line(tmp_path, csv, monkeypatch):
    from tabgan.callbacks import EarlyStopping

    monkeypatch.setattr(EarlyStopping, "measure", lambda self, model: 0.5)  # never improves
    model = tmp_path / "m.tabgan"
    result = _run("fit", csv, "-o", model, *FAST[2:], "--epochs", 100, "--early-stopping", 2)
    assert result.exit_code == 0, result.output
    assert len(TabGAN.load(model).history_) == 15  # checks at 5 (best), 10, 15: stop
    private = _run("fit", csv, "-o", tmp_path / "p.tabgan", *FAST, "--epsilon", 3,
                   "--early-stopping", 2)
    assert private.exit_code == 1 and "differential privacy" in private.output


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if hasattr(command, "commands"):
            yield from _commands(command, prefix + (name,))


def test_every_command_and_option_is_documented():
    for path, command in _commands(main):
        text = CliRunner().invoke(main, [*path, "--help"]).output
        assert "Example:" in text, path
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, (path, param.name)


def _defaults(func) -> dict:
    return {k: v.default for k, v in inspect.signature(func).parameters.items()
            if v.default is not inspect.Parameter.empty}


FIT_ARGUMENTS = {"discrete": "discrete_columns", "metadata": "metadata",
                 "checkpoint_dir": "checkpoint_dir", "checkpoint_every": "checkpoint_every",
                 "resume": "resume", "early_stopping": "callback"}
READ_ARGUMENTS = {"sep", "decimal", "encoding", "na_values"}


@pytest.mark.parametrize("command", ["fit", "synth", "augment"])
def test_every_training_option_is_a_constructor_or_fit_argument_with_its_default(command):
    constructor = _defaults(TabGAN)
    fit_args = inspect.signature(TabGAN.fit).parameters
    for param in main.commands["fit"].params:
        if param.param_type_name != "option" or param.name in ("output",):
            continue
        if param.name == "quiet":  # verbose=not quiet
            assert constructor["verbose"] is True and param.default is False
        elif param.name in READ_ARGUMENTS:  # read_table's, see test_cli_files.py
            continue
        elif param.name in FIT_ARGUMENTS:
            assert FIT_ARGUMENTS[param.name] in fit_args
            if param.name in ("checkpoint_dir", "checkpoint_every", "resume"):
                api = fit_args[param.name].default
                assert param.default == (api if api is None else type(param.default)(api))
        elif param.name in ("table", "query"):  # read_table's, for a database source
            assert param.default is inspect.signature(read_table).parameters[param.name].default
        else:
            assert param.name in constructor, param.name
            assert param.default == constructor[param.name], param.name
    trained = {p.name for p in main.commands[command].params}
    assert {p.name for p in main.commands["fit"].params} - {"output"} <= trained


def test_sample_options_take_the_api_defaults():
    sample = {p.name: p.default for p in main.commands["sample"].params}
    api = {**_defaults(TabGAN.iter_sample), **_defaults(TabGAN.load)}
    for name in ("batch_size", "max_tries", "device"):
        assert sample[name] == api[name], name


def test_a_bug_keeps_its_traceback_and_a_users_mistake_gets_one_line(tmp_path, csv,
                                                                      monkeypatch):
    out = tmp_path / "m.tabgan"
    result = CliRunner().invoke(main, ["fit", str(csv), "-o", str(out), "--device", "tpu0"])
    assert result.exit_code == 1 and "unknown device" in result.output
    assert "Traceback" not in result.output

    def broken(self, *args, **kwargs):
        raise ValueError("an internal bug")

    monkeypatch.setattr(TabGAN, "fit", broken)
    result = CliRunner().invoke(main, ["fit", str(csv), "-o", str(out)])
    assert isinstance(result.exception, ValueError)  # not turned into a user's mistake
    assert "an internal bug" not in result.output
    assert not out.exists()


def test_docs_mention_every_command():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    text = docs.read_text()
    for path, _ in _commands(main):
        assert f"tabgan {' '.join(path)}" in text, path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".csv.gz"])
def test_sample_streams_chunks_into_one_file(tmp_path, csv, suffix):
    model = tmp_path / "m.tabgan"
    _run("fit", csv, "-o", model, *FAST)
    out = tmp_path / f"s{suffix}"
    result = _run("sample", model, "-n", 1234, "-o", out, "--seed", 3, "--batch-size", 100,
                  "--quiet")
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    expected = TabGAN.load(model).sample(1234, random_state=3, batch_size=100)
    assert len(frame) == 1234
    assert frame["group"].fillna("").tolist() == expected["group"].fillna("").tolist()
    assert frame["count"].tolist() == expected["count"].tolist()


def test_evaluate_command_prints_summary_and_writes_json(tmp_path, mixed_frame):
    import json

    real, holdout = mixed_frame.iloc[:80], mixed_frame.iloc[80:]
    paths = {}
    for name, frame in {"real": real, "holdout": holdout, "synth": holdout}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    out = tmp_path / "e.json"
    result = _run("evaluate", paths["real"], paths["synth"], "--holdout", paths["holdout"],
                  "--target", "group", "--json", out, "--quiet")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert "fidelity" in data and "privacy" in data
    assert "fidelity" in result.output.lower()
    missing = _run("evaluate", paths["real"], paths["synth"], "--target", "nope", "--quiet")
    assert missing.exit_code == 1 and "nope" in missing.output


def test_fit_with_epsilon_prints_and_keeps_the_ledger(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({"x": rng.normal(50, 10, n).round(2),
                          "c": rng.choice(["a", "b"], n)})
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    meta = tmp_path / "meta.json"
    meta.write_text('{"columns": {"x": {"kind": "continuous"}, "c": {"kind": "categorical"}}}')
    model = tmp_path / "dp.tabgan"
    result = CliRunner().invoke(main, ["fit", str(data), "-o", str(model), "--epsilon", "3",
                                       "--metadata", str(meta), "--epochs", "1",
                                       "--batch-size", "500", "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert "differential privacy" in result.output and "DP-SGD" in result.output
    info = _run("info", model)
    assert "target epsilon 3" in info.output
    bad = _run("fit", data, "-o", tmp_path / "x.tabgan", "--epsilon", "3", "--delta", "0.5",
               "--metadata", meta)
    assert bad.exit_code == 1 and "1/n" in bad.output


def test_sample_pool_is_stored_by_fit_and_overridden_by_sample(tmp_path, csv):
    model = tmp_path / "m.tabgan"
    result = _run("fit", csv, "-o", model, *FAST, "--sample-pool", 3)
    assert result.exit_code == 0, result.output
    loaded = TabGAN.load(model)
    assert loaded.sample_pool == 3
    for pool in (3, 1):
        out = tmp_path / f"s{pool}.parquet"
        args = [] if pool == 3 else ["--sample-pool", pool]
        result = _run("sample", model, "-n", 200, "-o", out, "--seed", 2, "--quiet", *args)
        assert result.exit_code == 0, result.output
        expected = loaded.set_params(sample_pool=pool).sample(200, random_state=2)
        assert pd.read_parquet(out)["count"].tolist() == expected["count"].tolist()
    result = _run("sample", model, "-n", 5, "-o", tmp_path / "x.csv", "--sample-pool", 0)
    assert result.exit_code == 2 and "--sample-pool" in result.output
    assert not (tmp_path / "x.csv").exists()
