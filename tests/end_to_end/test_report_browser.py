"""report.html in a real headless browser (Debian's chromium and chromedriver, via Selenium).

The report of a failing run must load without console errors, show the Entra readiness summary
on top, and let a person expand the failed test to read what failed and open its transcript.
`.ci/run` installs chromium; elsewhere the test is skipped unless CI=true, where a missing
browser is an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs chromium and chromedriver: .ci/run installs them")
    pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)",
                allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env.update(SCIM_TOKEN=TEST_TOKEN, SCIM_EXAMPLES="0")
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN,
                         variant="member-remove-wipes-all") as server:
        subprocess.run(
            [sys.executable, "-m", "scimcheck", "run", server.base_url,
             "--report-dir", str(reports)],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )
    report = reports / "report.html"
    assert report.is_file()
    return report


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1200"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_the_report_loads_cleanly_with_the_readiness_summary_on_top(
    failing_report: Path, browser: webdriver.Chrome
) -> None:
    browser.get(failing_report.as_uri())
    summary = browser.find_element(By.ID, "scimcheck-readiness")
    assert summary.is_displayed()
    assert "Entra readiness: FAIL" in summary.text
    assert "membership.remove-legacy" in summary.text
    assert "First thing to fix" in summary.text
    results = browser.find_element(By.ID, "results-table")
    assert summary.location["y"] < results.location["y"]  # on top
    assert _errors(browser) == []
    assert TEST_TOKEN not in browser.page_source


def test_a_failure_can_be_expanded_its_transcript_read_and_its_script_copied(
    failing_report: Path, browser: webdriver.Chrome
) -> None:
    """What a person does: expand the failed test, open its transcript in the page (a link to
    a data: URL opened a blank tab in Chromium), read the failing request and answer, open the
    repro script and copy it."""
    browser.get(failing_report.as_uri())
    browser.find_element(By.ID, "hide_all_details").click()
    failed = "#results-table tbody.results-table-row.failed"  # the table re-renders on clicks
    assert not browser.find_element(By.CSS_SELECTOR, f"{failed} .log").is_displayed()
    browser.find_element(By.CSS_SELECTOR, f"{failed} tr.collapsible td.col-result").click()
    log = browser.find_element(By.CSS_SELECTOR, f"{failed} .log")
    assert log.is_displayed()
    assert "membership.remove-legacy" in log.text and "Under Entra" in log.text
    row = browser.find_element(By.CSS_SELECTOR, failed)
    blocks = {b.find_element(By.TAG_NAME, "summary").text: b
              for b in row.find_elements(By.CSS_SELECTOR, "details.scimcheck-block")}
    transcript = blocks["Transcript"]
    pre = transcript.find_element(By.TAG_NAME, "pre")
    assert not pre.is_displayed()
    transcript.find_element(By.TAG_NAME, "summary").click()
    assert pre.is_displayed()
    text = pre.text
    assert "── #1 create member alice ──" in text
    assert "PATCH" in text and "Remove" in text  # the failing request is on the page
    assert "Authorization: Bearer <redacted>" in text and TEST_TOKEN not in text
    script = next(b for title, b in blocks.items() if title.startswith("Replay "))
    script.find_element(By.TAG_NAME, "summary").click()
    button = script.find_element(By.CSS_SELECTOR, "button.scimcheck-copy")
    button.click()
    # the clipboard answers asynchronously (and, refused, the page falls back to execCommand)
    WebDriverWait(browser, 10).until(lambda _driver: button.text != "Copy")
    assert button.text == "Copied"
    pasted = browser.execute_script(
        "var a=document.createElement('textarea');document.body.appendChild(a);a.focus();"
        "document.execCommand('paste');return a.value;"
    )
    shown = script.find_element(By.TAG_NAME, "pre").get_attribute("textContent") or ""
    assert shown.startswith("#!/usr/bin/env bash") or "curl" in shown
    if pasted:  # headless Chromium may keep the clipboard to itself
        assert pasted == shown
    assert _errors(browser) == []


def test_the_page_is_scimchecks_and_a_check_id_opens_its_failure(
    failing_report: Path, browser: webdriver.Chrome
) -> None:
    """Title and header name scimcheck, its version, the verdict and the target; pytest's
    Python/plugin environment table is gone; clicking a failed check's id in the verdict box
    opens its failure in the page; its source is a separate link; a skipped test says why in a
    sentence, not a Python tuple."""
    from scimcheck import __version__

    browser.get(failing_report.as_uri())
    assert browser.title.startswith(f"scimcheck {__version__}: FAIL · http://127.0.0.1:")
    assert browser.find_element(By.ID, "title").text == browser.title
    assert not browser.find_element(By.ID, "environment").is_displayed()
    box = browser.find_element(By.ID, "scimcheck-readiness")
    failure = browser.find_element(By.ID, "failure-membership.remove-legacy")
    assert failure.get_attribute("open") is None
    row = next(r for r in box.find_elements(By.CSS_SELECTOR, "tr.failed")
               if "membership.remove-legacy" in r.text)
    source = row.find_element(By.CSS_SELECTOR, "a.source")
    assert (source.get_attribute("href") or "").startswith("https://")
    row.find_element(By.LINK_TEXT, "membership.remove-legacy").click()
    assert failure.get_attribute("open") is not None and failure.is_displayed()
    assert "remove" in failure.text.lower() and "Fix:" in failure.text
    browser.find_element(By.ID, "hide_all_details").click()
    skipped = "#results-table tbody.results-table-row.skipped"
    rows = browser.find_elements(By.CSS_SELECTOR, skipped)
    assert rows, "the run skipped nothing: the profile's unmapped sequences should be"
    rows[0].find_element(By.CSS_SELECTOR, "tr.collapsible td.col-result").click()
    log = browser.find_element(By.CSS_SELECTOR, f"{skipped} .log").text
    assert log.startswith("Not run: ") and "site-packages" not in log and "('" not in log
    assert _errors(browser) == []
