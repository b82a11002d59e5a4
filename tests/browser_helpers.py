"""Headless Chromium for the browser tests (report pages, the classroom app).

Without Chromium or playwright the tests skip, unless ``LAB_REQUIRE_BROWSER=1`` (CI sets
it), when they fail: CI must run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when ``LAB_REQUIRE_BROWSER=1``."""
    if os.environ.get("LAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LAB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium() -> str | None:
    """``$LAB_CHROMIUM`` if set (and only it), else Debian's /usr/bin/chromium or PATH's."""
    given = os.environ.get("LAB_CHROMIUM")
    for candidate in [given] if given else ["/usr/bin/chromium", "chromium"]:
        if path := shutil.which(candidate):
            return path
    return None


def launched_browser() -> Iterator:
    """Yield a playwright Chromium browser (for a module-scoped fixture), closed after."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    exe = chromium()
    if exe is None:
        unavailable("no Chromium found (apt-get install chromium, or set LAB_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
