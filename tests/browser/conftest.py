"""Headless Chromium for the browser tests: Debian's package, driven by Playwright.

Playwright's own browser download is never used (``playwright install`` is not run):
the system Chromium is launched through ``executable_path``. Missing Chromium fails
the tests with the install command; it is never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

INSTALL_HINT = (
    "Chromium is needed for tests/browser: `make test` installs it "
    "(apt-get install -y --no-install-recommends chromium), or set EDGEGUARD_CHROMIUM "
    "to a Chromium or Chrome binary"
)


def chromium_path() -> str:
    path = os.environ.get("EDGEGUARD_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield launched
        finally:
            launched.close()
