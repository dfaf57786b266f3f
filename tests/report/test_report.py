import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import tabgan
from tabgan.cli import main
from tabgan.errors import AuditError
from tabgan.evaluate import EvaluationOptions
from tabgan.report import SCHEMA_VERSION, THRESHOLDS, audit
from tabgan.report.verdicts import _light
from tests.report_cases import SECRET, SECRET_NUMBER, adult_split, fitted, public_categories

OPTIONS = EvaluationOptions(n_bootstrap=50, n_attacks=100, detection_folds=2, n_triples=5)


@pytest.fixture(scope="module")
def split():
    return adult_split()


@pytest.fixture(scope="module")
def plain(split):
    train, holdout = split
    model = fitted(train)
    synthetic = model.sample(len(train), random_state=1)
    report = audit(train, synthetic, holdout=holdout, model=model, target="income",
                   options=OPTIONS, verbose=False)
    return model, report


@pytest.fixture(scope="module")
def private(split):
    train, holdout = split
    model = fitted(train, epsilon=3.0, delta=1e-5)
    synthetic = model.sample(len(train), random_state=1)
    report = audit(train, synthetic, holdout=holdout, model=model, target="income",
                   metadata=public_categories(train), canaries=20, options=OPTIONS,
                   verbose=False)
    return model, report


# ---------------------------------------------------------------------- the JSON
def test_json_carries_the_evaluation_and_a_schema_version(plain):
    _, report = plain
    data = json.loads(report.to_json())
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["evaluation"] == json.loads(report.evaluation.to_json())
    assert data == report.to_dict()
    plotted = {p["key"] for p in data["plots"]}
    assert {"marginals", "pair_trends", "utility", "roc", "distances"} <= plotted


def test_headline_and_verdicts_are_the_evaluations_numbers(plain):
    _, report = plain
    ev, data = report.evaluation, report.to_dict()
    headline = {h["key"]: h["text"] for h in data["headline"]}
    for attack in ev.privacy.membership:
        assert headline[f"{attack.name}.auc"] == f"{attack.auc.value:.3f}"
    assert headline["dcr_share"] == f"{ev.privacy.dcr.share.value:.3f}"
    gb = next(m for m in ev.utility.models if m.model == "gradient_boosting")
    auc = gb.scores["roc_auc"]
    assert headline["utility.roc_auc"] == f"{auc.value:.3f} (TRTR {auc.reference:.3f})"
    verdicts = {v["key"]: v for v in data["verdicts"]}
    assert verdicts["dcr_share"]["value"] == ev.privacy.dcr.share.value
    assert verdicts["utility"]["value"] == pytest.approx(auc.reference - auc.value)
    strongest = max(a.auc.value for a in ev.privacy.membership)
    assert verdicts["membership_auc"]["value"] == strongest
    copies = ev.privacy.exact_match_rate
    assert verdicts["exact_copies"]["value"] == pytest.approx(copies.value - copies.reference)
    assert verdicts["guarantee"]["light"] == "red"
    assert {v["light"] for v in data["verdicts"]} <= {"green", "amber", "red", "grey"}
    for v in data["verdicts"]:
        assert v["rule"] and v["reason"]


def test_facts_of_the_run(plain, split):
    model, report = plain
    train, holdout = split
    facts = report.to_dict()["facts"]
    assert facts["rows"] == {"train": len(train), "holdout": len(holdout),
                             "synthetic": len(train), "holdout_share": 0.2}
    assert facts["tabgan_version"] == tabgan.__version__
    assert facts["seeds"]["model"] == 0 and facts["seeds"]["evaluation"] == 0
    assert facts["model"]["fit_seconds"] == pytest.approx(model.fit_seconds_, abs=1e-3)
    assert facts["model"]["epochs_trained"] == len(model.history_)
    assert [c["name"] for c in facts["columns"]] == list(train.columns)


def test_dp_ledger_and_canaries_in_the_json(private):
    model, report = private
    data = report.to_dict()
    ledger = model.privacy_ledger_
    g = data["guarantee"]
    assert g["status"] == "dp" and g["covers"] and g["not_covered"]
    assert g["ledger"]["epsilon"] == pytest.approx(ledger.epsilon)
    assert g["ledger"]["delta"] == ledger.delta
    assert g["ledger"]["steps"] == ledger.training().steps
    assert g["ledger"]["noise_multiplier"] == ledger.training().noise_multiplier
    assert g["ledger"]["sample_rate"] == ledger.training().sample_rate
    c = data["canaries"]
    assert c["n_canaries"] == 20 and c["claimed_epsilon"] is not None
    assert c["exceeds_claim"] == (c["epsilon_lower_bound"] > c["claimed_epsilon"])
    verdicts = {v["key"]: v for v in data["verdicts"]}
    assert verdicts["canary_dp"]["light"] == ("red" if c["exceeds_claim"] else "green")
    assert verdicts["guarantee"]["value"] == pytest.approx(ledger.epsilon)


# ---------------------------------------------------------------------- the page
def test_page_is_self_contained(plain):
    _, report = plain
    html = report.to_html()
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) >= 5
    for uri in images:
        assert uri.startswith("data:image/png;base64,")
        assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Content-Security-Policy" in html


def test_page_states_each_guarantee(plain, private, split):
    _, report = plain
    assert "no formal guarantee holds" in report.to_html()
    model, dp = private
    html = dp.to_html()
    assert "What it does not cover" in html
    assert f"{model.privacy_ledger_.training().noise_multiplier:.4f}" in html
    assert f"{dp.to_dict()['guarantee']['ledger']['epsilon']:.3f}" in html
    assert "canary audit" in html.lower()
    train, holdout = split
    anonymous = audit(train, train.sample(200, random_state=3), holdout=holdout,
                      options=OPTIONS, verbose=False)
    assert "No model was given" in anonymous.to_html()
    assert anonymous.to_dict()["guarantee"]["status"] == "unknown"


def test_no_real_row_reaches_the_page_or_the_json(plain, private):
    for _, report in (plain, private):
        for text in (report.to_html(), report.to_json()):
            assert SECRET not in text
            # as a number of its own, not as a digit run inside another float
            for shown in (str(SECRET_NUMBER), f"{SECRET_NUMBER:,}"):
                assert not re.search(rf"(?<![\d.,]){re.escape(shown)}(?!\d|,\d)", text)


def test_write_is_atomic_and_leaves_nothing_on_failure(plain, tmp_path):
    _, report = plain
    report.write_html(tmp_path / "r.html")
    report.write_json(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == 1
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(OSError):
        report.write_html(blocked / "r.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "r.html", "r.json"]


# ---------------------------------------------------------------------- inputs
def test_bad_input_gets_a_typed_error(split, plain):
    train, holdout = split
    model, _ = plain
    with pytest.raises(AuditError, match="holdout"):
        audit(train, train, holdout=None)
    with pytest.raises(AuditError, match="model"):
        audit(train, train, holdout=holdout, canaries=10)
    with pytest.raises(AuditError, match="fitted TabGAN"):
        audit(train, train, holdout=holdout, model=object())
    with pytest.raises(AuditError, match="at least 2"):
        audit(train, train, holdout=holdout, model=model, canaries=1)


def test_tabgan_audit_is_the_report_function():
    assert tabgan.audit is audit


# ---------------------------------------------------------------------- the lights
def test_lights_turn_red_only_when_the_interval_is_past_the_line():
    t = THRESHOLDS["membership_auc"]  # green <= 0.55, red > 0.60
    assert _light(t, 0.52) == "green"
    assert _light(t, 0.58) == "amber"
    assert _light(t, 0.70) == "red"
    assert _light(t, 0.70, conservative=0.58) == "amber"  # the interval reaches back
    assert _light(t, None) == "grey" and _light(t, float("nan")) == "grey"
    higher = THRESHOLDS["guarantee"].__class__("x", "higher", 0.9, 0.5, "because")
    assert [_light(higher, v) for v in (0.95, 0.7, 0.3)] == ["green", "amber", "red"]


# ---------------------------------------------------------------------- the command line
def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_audit_command_writes_page_and_json(tmp_path, split):
    train, holdout = split
    model = fitted(train)
    paths = {"train": tmp_path / "train.csv", "holdout": tmp_path / "holdout.parquet",
             "synthetic": tmp_path / "synthetic.csv", "model": tmp_path / "m.tabgan"}
    train.to_csv(paths["train"], index=False)
    holdout.to_parquet(paths["holdout"], index=False)
    model.sample(300, random_state=2).to_csv(paths["synthetic"], index=False)
    model.save(paths["model"])
    out, js = tmp_path / "report.html", tmp_path / "report.json"
    result = _run("audit", paths["train"], paths["synthetic"], "--holdout", paths["holdout"],
                  "--model", paths["model"], "--target", "income", "-o", out, "--json", js,
                  "--quiet")
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text())
    assert data["facts"]["rows"]["synthetic"] == 300
    assert data["training"]["epoch"] == model.history_["epoch"].tolist()  # read off the file
    assert data["guarantee"]["status"] == "none"
    assert data["headline"][0]["text"] in out.read_text()
    bad = tmp_path / "bad.csv"
    train.drop(columns=["age"]).to_csv(bad, index=False)
    out2 = tmp_path / "bad.html"
    result = _run("audit", paths["train"], bad, "--holdout", paths["holdout"], "-o", out2,
                  "--json", tmp_path / "bad.json", "--quiet")
    assert result.exit_code == 1 and "age" in result.output
    assert not out2.exists() and not (tmp_path / "bad.json").exists()
    result = _run("audit", paths["train"], paths["synthetic"], "--holdout", paths["holdout"],
                  "-o", out2, "--canaries", 10)
    assert result.exit_code == 2 and "--model" in result.output


def test_synth_report_splits_a_holdout_off_first(tmp_path, split):
    train, _ = split
    data = tmp_path / "data.csv"
    train.to_csv(data, index=False)
    out, page, js = tmp_path / "s.csv", tmp_path / "r.html", tmp_path / "r.json"
    result = _run("synth", data, "-o", out, "--epochs", 1, "--batch-size", 200, "--seed", 4,
                  "--report", page, "--report-json", js, "--holdout-fraction", 0.25,
                  "--target", "income", "--quiet")
    assert result.exit_code == 0, result.output
    report = json.loads(js.read_text())
    rows = report["facts"]["rows"]
    assert rows["holdout"] == round(0.25 * len(train)) == len(train) - rows["train"]
    assert rows["synthetic"] == len(train) == len(np.loadtxt(out, delimiter=",", skiprows=1,
                                                              dtype=str, usecols=0))
    assert any("split off at random (seed 4)" in note for note in report["facts"]["notes"])
    assert report["evaluation"]["utility"]["target"] == "income"
    assert page.exists()
    result = _run("synth", data, "-o", tmp_path / "t.csv", "--target", "income")
    assert result.exit_code == 2 and "--report" in result.output


# ---------------------------------------------------------------------- training
def test_the_json_and_the_page_carry_the_training_history(plain, split):
    model, report = plain
    data = report.to_dict()
    training = data["training"]
    history = model.history_
    assert training["epochs_trained"] == training["epochs_shown"] == len(history)
    assert training["epoch"] == history["epoch"].tolist()
    for key in ("generator_loss", "critic_loss", "mode_coverage"):
        assert training[key] == pytest.approx(history[key].tolist())
    assert "training" in {p["key"] for p in data["plots"]}
    html = report.to_html()
    section = html[html.index('<section id="training">'):html.index('<section id="guarantee">')]
    assert section.count('<img src="data:image/png;base64,') == 1
    assert "Training: losses and mode coverage by epoch" in section
    train, holdout = split
    anonymous = audit(train, train.sample(200, random_state=3), holdout=holdout,
                      options=OPTIONS, verbose=False)
    assert anonymous.to_dict()["training"] is None
    assert "its training history is unknown" in anonymous.to_html()


def test_a_long_history_is_sampled_evenly_and_holds_no_nan():
    from types import SimpleNamespace

    from tabgan.report.figures import training as training_plot
    from tabgan.report.training import MAX_POINTS, training_section

    n = 5000
    history = pd.DataFrame({"epoch": np.arange(1, n + 1), "generator_loss": np.linspace(3, 1, n),
                            "critic_loss": -0.1, "mode_coverage": 1.0, "seconds": 0.1})
    history.loc[10, "critic_loss"] = np.nan
    section = training_section(SimpleNamespace(history_=history))
    assert section["epochs_trained"] == n and section["epochs_shown"] == MAX_POINTS
    assert section["epoch"][0] == 1 and section["epoch"][-1] == n
    assert section["critic_loss"][section["epoch"].index(11)] is None
    json.dumps(section, allow_nan=False)
    plot = training_plot(section)
    assert plot.uri.startswith("data:image/png;base64,") and f"{MAX_POINTS} epochs" in plot.alt
    assert training_section(None) is None
    assert training_section(SimpleNamespace(history_=history.iloc[:0])) is None
