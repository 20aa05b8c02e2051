"""Headless Chromium for the tests of the report and the brief (Debian's, as CI installs it)."""

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NO_BROWSER = not (CHROMIUM.exists() and CHROMEDRIVER.exists())
needs_browser = pytest.mark.skipif(
    NO_BROWSER,
    reason="no /usr/bin/chromium or /usr/bin/chromedriver: "
    "apt-get install chromium chromium-driver (CI does, see .ci/run)",
)


def chromium(profile: Path, width: int, height: int) -> webdriver.Chrome:
    """A headless Chromium through Selenium, offline, its console log kept."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
