"""Headless Chromium for the map tests and the map benchmark, with the network blocked.

Uses Debian's ``chromium`` (``apt-get install chromium``) driven by Playwright
for Python; Playwright's own browser downloads are never used. Every request
that is not ``file:`` or ``data:`` is aborted and recorded, so a test can
assert that a page made none.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

#: Where the tests put screenshots (not committed): ``out/test-artifacts/``.
ARTIFACTS = Path(__file__).resolve().parents[1] / "out" / "test-artifacts"


def chromium_path() -> str | None:
    """Return the Chromium executable: ``$RIVERMAP_CHROMIUM``, or chromium on the PATH."""
    env = os.environ.get("RIVERMAP_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    if chromium_path() is None:
        return "chromium is not installed (apt-get install chromium)"
    return None


@dataclass
class PageLog:
    """What a page did: requests it tried off the file system, console errors, dialogs."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def browser() -> Iterator[Any]:
    """Yield a Chromium browser (Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_map(
    b: Any, path: Path, *, width: int = 1280, height: int = 860
) -> tuple[Any, PageLog, float]:
    """Open a saved map with the network blocked; wait until it has been built and painted.

    Returns
    -------
    tuple
        ``(page, log, seconds)``: seconds from navigation until the map's layers
        exist and two animation frames have been drawn.
    """
    page = b.new_page(viewport={"width": width, "height": height})
    log = PageLog()

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            log.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.on("requestfailed", lambda r: log.failed.append(r.url))

    def on_dialog(d: Any) -> None:
        log.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    t0 = time.perf_counter()
    page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_function(
        "window.rivermap && window.rivermap.maps && window.rivermap.maps.length > 0",
        timeout=60_000,
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page, log, time.perf_counter() - t0
