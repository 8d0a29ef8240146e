"""Browser tests: Debian's Chromium, driven by pytest-playwright, against pytest-django's live server.

- The browser is Debian's `chromium` (`CHROMIUM_PATH` overrides /usr/bin/chromium). Never `playwright install`.
  Without it every browser test skips with the reason.
- The live server runs in a thread of this process, so the tests are transactional: the database is flushed
  after each test and the data a test needs is rebuilt at its start. `people` rebuilds the personas and the
  named persons (about a second); `world` rebuilds the whole demo program (a fresh `build_demo()` with the
  map takes 5-15 s, more as the demo grows), so ask for it only when the journey needs more than people.
  Tests that need no data ask for neither. Logins (session rows) live for one test.
- A persona logs in through the real form (password and TOTP code) at most once per test; further pages for
  the same persona reuse the saved browser storage state (`browsing.as_persona`).
- TOTP codes are single use: django-otp stores the last accepted time step on the device (`last_t`). The
  flush resets it, but a device that already accepted the current step (a run that was interrupted before
  its flush, with `--reuse-db`) makes the login wait for the next step instead of failing.
- Every page is watched: a console message about the Content Security Policy, an uncaught script error, a
  static file that does not load or a server error fails the test.
- The UI language depends on a compiled catalogue, so assertions use URLs, ids, data-testid and roles,
  never English or Swedish text.
- Every page checked with `assert_accessible` is also saved as a full-page screenshot for reviewers, in the
  test's folder of pytest-playwright's output (`test-results/<test>/03-call-in-page-petra.png`, numbered in
  the order the test checked them). The folder is emptied at the start of a run and is not committed.
"""

from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Response

from gvi import demo

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_URL = "/static/vendor/axe.min.js"
AXE_FILE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy", "Refused to")
TOTP_STEP = 30
SCREENSHOT_NAME_LENGTH = 80


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt install chromium, or set CHROMIUM_PATH)")
    if not AXE_FILE.is_file():
        pytest.skip(f"browser tests need {AXE_FILE.relative_to(settings.BASE_DIR)}: run `make static`")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options (--headed, --slowmo) plus Debian's Chromium, offline."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: Any) -> dict[str, Any]:
    """Relative URLs go to the live server; the browser asks for Swedish, as the users' browsers do."""
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "locale": "sv-SE",
        "timezone_id": "Europe/Stockholm",
    }


@pytest.fixture
def people(transactional_db: None) -> dict[str, Any]:
    """The part of `world` most journeys need, rebuilt after the last flush: personas and named persons."""
    staff = demo.build_personas()
    return {**staff, **demo.build_persons(staff)}


def _wait_for_unused_totp_step(username: str) -> None:
    """Never offer a code whose time step the device already accepted (django-otp would reject it)."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    assert device is not None, f"no persona {username!r}: the test must ask for `people` or `world`"
    while device.last_t >= int(time.time()) // TOTP_STEP:
        time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 0.2)


@dataclass
class Browsing:
    """The browser side of one test: contexts per persona, what the pages reported, the screenshots taken."""

    new_context: Callable[..., BrowserContext]
    screenshot_folder: Path | None = None
    problems: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)
    storage_states: dict[str, Any] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)

    def new_page(self, **context_args: Any) -> Page:
        """A page in a fresh context (no cookies) unless context_args give a storage state."""
        context = self.new_context(**context_args)
        context.set_default_timeout(10_000)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught script error: {error.error}"))
        context.on("response", self._on_response)
        return context.new_page()

    def as_persona(self, username: str) -> Page:
        """A page logged in as the persona: through the real form the first time, from storage after."""
        if username in self.storage_states:
            return self.new_page(storage_state=self.storage_states[username])
        page = self.new_page()
        log_in(page, username)
        self.storage_states[username] = page.context.storage_state()
        return page

    def assert_accessible(self, page: Page, what: str) -> None:
        """Run axe-core on the page; no violation of impact serious or critical is allowed. The page is saved
        as a screenshot for reviewers first, so that a page that fails is kept too."""
        self.save_screenshot(page, what)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # From the server, not inline: the CSP allows only same-origin scripts.
            page.add_script_tag(url=AXE_URL)
        results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
        blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        report = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "helpUrl": v.get("helpUrl"),
                "targets": [node["target"] for node in v["nodes"]],
                "summary": [node.get("failureSummary") for node in v["nodes"][:3]],
            }
            for v in blocking
        ]
        assert not blocking, f"axe: {len(blocking)} serious/critical violations on {what} ({page.url}):\n" + json.dumps(
            report, indent=2, ensure_ascii=False
        )

    def save_screenshot(self, page: Page, what: str) -> Path | None:
        """A full-page screenshot in the test's output folder, named after `what` in the order taken."""
        if self.screenshot_folder is None:
            return None
        path = self.screenshot_folder / screenshot_name(len(self.screenshots) + 1, what)
        path.parent.mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret (Playwright's default) injects an inline style, which the page's
        # Content Security Policy refuses with a console error whenever a field has the focus.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        self.screenshots.append(path)
        return path

    def _on_console(self, message: ConsoleMessage) -> None:
        if any(marker in message.text for marker in CSP_MARKERS):
            self.problems.append(f"CSP console {message.type} on {message.page and message.page.url}: {message.text}")

    def _on_response(self, response: Response) -> None:
        self.responses.append((response.url, response.status))
        if response.status >= 500 or ("/static/" in response.url and response.status >= 400):
            self.problems.append(f"{response.request.method} {response.url} answered {response.status}")


def screenshot_name(number: int, what: str) -> str:
    """`3, "call-in page (petra)"` -> `03-call-in-page-petra.png`: ordered, readable, safe in any file system."""
    ascii_what = unicodedata.normalize("NFKD", what).encode("ascii", "ignore").decode().lower().replace("'", "")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_what).strip("-")[:SCREENSHOT_NAME_LENGTH].rstrip("-")
    return f"{number:02d}-{words or 'page'}.png"


@pytest.fixture
def browsing(new_context: Callable[..., BrowserContext], output_path: str) -> Iterator[Browsing]:
    """Per test: watched browser contexts, and screenshots of the checked pages in the test's output folder
    (pytest-playwright's `output_path`, under --output, test-results/ by default). Tests that log in also ask
    for `people` or `world`.

    pytest-playwright's `new_context` applies `browser_context_args`, closes the contexts after the test and
    keeps traces and its own screenshots when asked (--tracing, --screenshot).
    """
    session = Browsing(new_context=new_context, screenshot_folder=Path(output_path))
    yield session
    assert not session.problems, "the pages reported problems:\n" + "\n".join(session.problems)


def log_in(page: Page, username: str) -> None:
    """Log in through the real form with the password and the persona's current TOTP code."""
    response = page.goto("/accounts/login/")
    assert response is not None
    assert response.status == 200, f"the login page answered {response.status}"
    form = page.locator("main form[method=post]")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(demo.DEMO_PASSWORD)
    _wait_for_unused_totp_step(username)
    form.locator("[name=otp_token]").fill(demo.current_totp(username))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login" not in page.url, f"{username} was not logged in (still on {page.url})"
