"""What a user reads: the command line speaks in options and files, never in Python; help
examples survive copying; a missing device is the device's fault; the batch a fit really
uses is said; plurals; model files hold no temporary names."""

import ast
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

import tabgan
from tabgan import TabGAN
from tabgan.cli import main
from tabgan.errors import AllNullColumnError, DeviceError, TabGANError
from tabgan.gan.runtime import resolve_device
from tabgan.table.checks import check_table

FAST = ["--epochs", "1", "--batch-size", "40", "--seed", "0", "--quiet"]
# What reads as Python: a call on a DataFrame, pandas or numpy, a keyword argument, or a
# parameter name the command line spells as an option.
PYTHON = re.compile(r"\bdf[.\[]|\bpd\.|\bnp\.|\b[a-z_]+=[\[\w'\"]|max_tries|discrete_columns|"
                    r"positive_class|preprocessing_share")


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _csv(tmp_path, frame, name="d.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------- CLI, not Python
def test_command_line_errors_give_the_fix_in_its_own_terms(tmp_path, mixed_frame):
    n = 30
    cases = {
        "all null": (pd.DataFrame({"a": range(n), "b": [None] * n}), "remove the column"),
        "infinite": (pd.DataFrame({"a": range(n), "b": [1.5, np.inf] * (n // 2)}),
                     "empty fields"),
        "identifier": (pd.DataFrame({"a": range(n) , "b": [f"id{i}" for i in range(n)]}),
                       '--metadata file as {"columns": {"b": {"kind": "id"}}}'),
    }
    for label, (frame, fix) in cases.items():
        out = tmp_path / "s.csv"
        result = _run("synth", _csv(tmp_path, frame), "-o", out, *FAST)
        assert result.exit_code == 1, label
        assert fix in result.output, (label, result.output)
        assert not PYTHON.search(result.output), (label, result.output)
        assert not out.exists()
    real = _csv(tmp_path, mixed_frame, "real.csv")
    result = _run("evaluate", real, real, "--positive", "red", "--quiet")
    assert result.exit_code == 1 and "--positive needs --target" in result.output
    result = _run("evaluate", real, real, "--target", "nope", "--quiet")
    assert result.exit_code == 1 and "give --target a column" in result.output
    assert not PYTHON.search(result.output)


def test_the_python_api_keeps_its_python_advice():
    with pytest.raises(AllNullColumnError, match=r"df\.drop\(columns=\['b'\]\)") as caught:
        check_table(pd.DataFrame({"a": [1, 2], "b": [None, None]}))
    assert "remove the column from the input file" in caught.value.command_line_message()


def _raises_with_python_advice():
    """Every ``raise SomeError(...)`` in tabgan whose message gives Python advice, with
    whether it also gives the command line's (``cli=``)."""
    root = Path(tabgan.__file__).parent
    python = re.compile(r"\bdf[.\[]|\bpd\.(?!DataFrame)|\bnp\.")
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id.endswith("Error") and node.args):
                continue
            text = "".join(n.value for n in ast.walk(node.args[0])
                           if isinstance(n, ast.Constant) and isinstance(n.value, str))
            if python.search(text):
                has_cli = any(k.arg == "cli" for k in node.keywords)
                yield f"{path.relative_to(root)}:{node.lineno}", has_cli


def test_every_error_with_python_advice_also_says_what_to_do_on_the_command_line():
    found = dict(_raises_with_python_advice())
    assert len(found) >= 8  # the scan sees them
    # TypeErrors of a non-DataFrame: Python callers only (the compat class has no CLI)
    allowed = {"evaluate/columns.py", "compat/ctgan.py"}
    missing = [where for where, ok in found.items()
               if not ok and where.split(":")[0] not in allowed]
    assert missing == []


def test_errors_keep_their_command_line_message_through_pickling():
    import pickle

    error = AllNullColumnError("python advice", cli="command line advice")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == "python advice" and again.command_line_message() == \
        "command line advice"
    assert TabGANError("one message").command_line_message() == "one message"


# ---------------------------------------------------------------------- help examples
def test_every_help_example_is_shown_on_one_line_as_written():
    for name, command in main.commands.items():
        doc = command.help or ""
        examples = [line.strip() for line in doc.splitlines()
                    if line.strip().startswith("tabgan ")]
        assert examples, name
        shown = [line.strip() for line in _run(name, "--help").output.splitlines()]
        for example in examples:
            assert example in shown, (name, example)
    sample_help = _run("sample", "--help").output
    assert '--condition "income=>50K"' in sample_help  # quoted: the shell keeps the >


# ---------------------------------------------------------------------- devices
def test_a_device_this_machine_lacks_is_blamed_not_the_model_file(tmp_path, monkeypatch):
    broken = tmp_path / "broken.tabgan"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        TabGAN.load(broken, device="cuda")
    result = _run("sample", broken, "-n", 5, "-o", tmp_path / "s.csv", "--device", "cuda")
    assert result.exit_code == 1 and "no CUDA GPU" in result.output
    assert "model" not in result.output and "Traceback" not in result.output
    for device in ("mps", "meta"):
        result = _run("sample", broken, "-n", 5, "-o", tmp_path / "s.csv", "--device", device)
        assert result.exit_code == 1 and "not supported" in result.output, device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DeviceError, match="has 1 CUDA GPU"):
        resolve_device("cuda:3")
    assert resolve_device("cuda:0") == torch.device("cuda", 0)


# ---------------------------------------------------------------------- batch size
def test_a_batch_that_is_not_whole_packs_is_said_with_the_reason(mixed_frame,
                                                                 tiny_model_params):
    with pytest.warns(UserWarning, match=r"batch_size 5 is not a multiple of pac=10.*"
                                         r"training with batch_size 10"):
        model = TabGAN(**dict(tiny_model_params, batch_size=5, epochs=1)).fit(mixed_frame)
    assert model.config_.batch_size == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a batch of whole packs says nothing
        TabGAN(**dict(tiny_model_params, batch_size=40, epochs=1)).fit(mixed_frame)


def test_under_dp_a_batch_is_not_rounded_to_packs(tiny_model_params):
    frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=600)})
    public = {"columns": {"x": {"kind": "continuous", "bounds": [-5, 5]}}}  # no range advice
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # pac is 1 under DP: nothing to round
        model = TabGAN(**dict(tiny_model_params, batch_size=45, epochs=1, epsilon=5.0,
                              delta=1e-4)).fit(frame, metadata=public)
    assert model.config_.batch_size == 45


def test_the_command_line_says_why_the_batch_changed(tmp_path, mixed_frame):
    result = _run("fit", _csv(tmp_path, mixed_frame), "-o", tmp_path / "m.tabgan",
                  "--epochs", "1", "--batch-size", "5", "--quiet")
    assert result.exit_code == 0
    assert "not a multiple of pac=10" in result.output


# ---------------------------------------------------------------------- plurals
def test_one_epoch_is_one_epoch(tmp_path, mixed_frame, tiny_model_params):
    model = TabGAN(**dict(tiny_model_params, epochs=1)).fit(mixed_frame)
    assert "training: 1 epoch," in model.describe()
    path = tmp_path / "m.tabgan"
    model.save(path)
    info = _run("info", path).output
    assert "1 epoch," in info and "1 epochs" not in info
    result = _run("fit", _csv(tmp_path, mixed_frame), "-o", path, "--epochs", "1")
    assert "trained 1 epoch in" in result.output and "1 epochs" not in result.output
    assert "training: 2 epochs," in TabGAN(**tiny_model_params).fit(mixed_frame).describe()


# ---------------------------------------------------------------------- model files
def test_a_model_file_holds_no_temporary_name(tmp_path, mixed_frame, tiny_model_params):
    path = tmp_path / "model.tabgan"
    TabGAN(**tiny_model_params).fit(mixed_frame).save(path)
    names = zipfile.ZipFile(path).namelist()
    assert names and all(n.startswith("archive/") for n in names), names[:3]
    raw = path.read_bytes()
    assert b".tmp" not in raw and str(tmp_path).encode() not in raw
    assert len(TabGAN.load(path).sample(4)) == 4


# ---------------------------------------------------------------------- start-up
def test_importing_tabgan_does_not_import_scikit_learn():
    code = "import sys, tabgan, tabgan.cli; print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


def test_the_command_line_counts_in_the_right_number(tmp_path, mixed_frame, tiny_model_params):
    path = tmp_path / "m.tabgan"
    TabGAN(**tiny_model_params).fit(mixed_frame).save(path)
    result = _run("sample", path, "-n", 1, "-o", tmp_path / "one.csv")
    assert result.exit_code == 0 and "wrote 1 row to" in result.output
    result = _run("sample", path, "-n", 2, "-o", tmp_path / "two.csv")
    assert "wrote 2 rows to" in result.output
