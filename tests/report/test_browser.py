"""The audit page in a real browser: headless Chromium through chromedriver.

Skipped when Chromium, chromedriver or selenium is missing, unless TABGAN_REQUIRE_BROWSER=1
(as in CI), which turns the skip into a failure. The screenshot goes to
TABGAN_SCREENSHOT_DIR if set, else to pytest's temporary directory.
"""

import os
import shutil
from pathlib import Path

import pytest

from tabgan.evaluate import EvaluationOptions
from tabgan.report import audit
from tests.report_cases import adult_split, fitted, public_categories

REQUIRED = os.environ.get("TABGAN_REQUIRE_BROWSER") == "1"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
DRIVERS = ("chromedriver",)


def _find(names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    debian = Path("/usr/lib/chromium") / names[0]
    return str(debian) if debian.exists() else None


def _missing(what: str):
    if REQUIRED:
        pytest.fail(f"{what} is required (TABGAN_REQUIRE_BROWSER=1) but missing; install "
                    "Debian's chromium and chromium-driver, and the dev extra (selenium).")
    pytest.skip(f"{what} not installed")


@pytest.fixture(scope="module")
def driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium")
    browser, chromedriver = _find(BROWSERS), _find(DRIVERS)
    if browser is None:
        _missing("Chromium")
    if chromedriver is None:
        _missing("chromedriver")
    options = Options()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1200,1600"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield chrome
    chrome.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A DP model's report with every section: target, holdout, canaries."""
    train, holdout = adult_split()
    model = fitted(train, epsilon=3.0, delta=1e-5)
    synthetic = model.sample(len(train), random_state=1)
    report = audit(train, synthetic, holdout=holdout, model=model, target="income",
                   metadata=public_categories(train), canaries=20, verbose=False,
                   options=EvaluationOptions(n_bootstrap=50, n_attacks=100, detection_folds=2))
    path = tmp_path_factory.mktemp("page") / "report.html"
    report.write_html(path)
    return path, report.to_dict()


def test_page_renders_in_chromium(driver, page, tmp_path):
    path, data = page
    driver.get(path.resolve().as_uri())
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])"
    )
    assert len(images) == len(data["plots"]) >= 6
    for complete, width, alt in images:
        assert complete and width > 0, alt
    text = driver.execute_script("return document.body.innerText")
    for item in data["headline"]:
        assert item["text"] in text, item
    ledger = data["guarantee"]["ledger"]
    assert f"{ledger['epsilon']:.3f}" in text
    assert f"{data['canaries']['epsilon_lower_bound']:.3f}" in text
    for section in ("The run", "Privacy guarantee", "Fidelity", "Utility", "Privacy attacks",
                    "The most exposed records", "Empirical epsilon", "Verdicts"):
        assert section in text
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1200, min(height + 100, 16_000))
    folder = Path(os.environ.get("TABGAN_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "audit_report.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
