"""The browser tier: a live stack (web, Celery worker and beat on the embedded broker) and Chromium.

Everything here drives the system the way a person does: through the contract's URLs and labels
(/work/shared/design/CONTRACT.md), in Debian's Chromium via Playwright. Logs and screenshots land
in test-artifacts/ (gitignored) so a failure can be read after the run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from editorial.demo import DEMO_PASSWORD
from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
LOGS = ARTIFACTS / "browser-logs"
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PORTS = range(5700, 5710)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEZONE = "Asia/Dhaka"
REPORTER = "shirin.sultana@editorial.local"
EDITOR = "nasreen.akter@editorial.local"
STARTUP_SECONDS = 60
STOP_SECONDS = 15
ACTION_TIMEOUT_MS = 5_000  # local pages load in well under a second; fail fast when one is missing

try:  # a missing package must skip (or fail) at the fixture, not break collection
    from playwright.sync_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
except ImportError:  # pragma: no cover
    expect = None  # type: ignore[assignment]


def need(what: str, present: bool, hint: str = "") -> None:
    """Skip (or, with REQUIRE_SERVICES=1, fail) when something the browser tier needs is missing."""
    if present:
        return
    message = f"{what} is missing{' (' + hint + ')' if hint else ''}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and REQUIRE_SERVICES=1")
    pytest.skip(message)


def need_playwright() -> None:
    """Playwright's Python package and Debian's Chromium (never a downloaded browser)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need("the playwright package", False, "pip install -e '.[dev]'")
    need(str(CHROMIUM), CHROMIUM.is_file(), "apt-get install chromium, or ./scripts/test-deps")


# --- the live stack -----------------------------------------------------------------------------


@dataclass
class LiveStack:
    """The running system: its URL, instance folder and processes."""

    url: str
    instance: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def health(self) -> dict[str, Any]:
        return _get_json(self.url + "/healthz")

    def check_alive(self) -> None:
        """Fail with the log's tail if any process has died."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(
                    f"{name} exited with {process.returncode}:\n{log_tail(name)}", pytrace=False
                )


def log_tail(name: str, lines: int = 40) -> str:
    path = LOGS / f"{name}.log"
    return (
        "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
    )


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return {"_status": response.status, **json.load(response)}
    except urllib.error.HTTPError as error:
        try:
            body = json.load(error)
        except ValueError:
            body = {}
        return {"_status": error.code, **body}
    except (OSError, ValueError) as error:
        return {"_status": None, "_error": repr(error)}


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in 127.0.0.1:{PORTS.start}-{PORTS.stop - 1}")


def _stack_env(instance: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        EDITORIAL_ENV="development",
        EDITORIAL_INSTANCE=str(instance),
        FLASK_APP="wsgi",
        # Empty, not unset: a .env file must not bring Redis, another database or SMTP back in.
        REDIS_URL="",
        DATABASE_URL="",
        MAIL_SERVER="",
        SITE_URL=url,
        PUBLISH_SWEEP_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("SECRET_KEY", None)  # development generates one in the instance folder
    return env


def _spawn(args: list[str], env: dict[str, str], log: str) -> subprocess.Popen:
    """Start `python args...` from the checkout, its output going to LOGS/<log>.log."""
    with (LOGS / f"{log}.log").open("w") as out:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C reaches pytest only; the fixture stops them
        )  # fmt: skip


def _finish(process: subprocess.Popen, log: str) -> None:
    """Wait for a one-off command; fail with its log when it did not succeed."""
    try:
        process.wait(timeout=180)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if process.returncode:
        pytest.fail(
            f"{' '.join(map(str, process.args[1:]))} failed:\n{log_tail(log)}", pytrace=False
        )


def _stop(stack: LiveStack) -> None:
    """SIGTERM every process, SIGKILL whatever is still running 15 s later."""
    for process in stack.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in stack.processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_ready(stack: LiveStack) -> None:
    """/healthz answers 200 and the beat-driven sweep has run on the worker at least once."""
    deadline = time.monotonic() + STARTUP_SECONDS
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stack.check_alive()
        report = stack.health()
        if report.get("_status") == 200 and report.get("last_sweep_at"):
            return
        time.sleep(0.25)
    pytest.fail(
        f"the stack was not ready in {STARTUP_SECONDS} s; last /healthz: {report}\n"
        + "\n".join(f"--- {name}\n{log_tail(name, 15)}" for name in stack.processes),
        pytrace=False,
    )


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """A fresh instance: migrated SQLite, the demo newsroom, web + Celery worker + beat."""
    need_playwright()
    LOGS.mkdir(parents=True, exist_ok=True)
    instance = tmp_path_factory.mktemp("live-instance")
    port = _free_port()
    stack = LiveStack(url=f"http://127.0.0.1:{port}", instance=instance)
    env = _stack_env(instance, stack.url)
    started = time.monotonic()
    _finish(_spawn(["-m", "flask", "db", "upgrade"], env, "migrate"), "migrate")
    migrated = time.monotonic()
    celery = ["-m", "celery", "-A", "wsgi.celery_app"]
    web = ["-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"]
    worker = ["worker", "--pool=threads", "--concurrency=4", "--loglevel=INFO"]
    seeding: subprocess.Popen | None = None
    try:
        # The demo seeds while the services start: start-up costs imports, not database work.
        seeding = _spawn(["-m", "flask", "demo"], env, "demo")
        stack.processes["web"] = _spawn([*web, "--with-threads"], env, "web")
        stack.processes["worker"] = _spawn(
            [*celery, *worker, "--without-gossip", "--without-mingle"], env, "worker"
        )
        stack.processes["beat"] = _spawn([*celery, "beat", "--loglevel=INFO"], env, "beat")
        _finish(seeding, "demo")
        seeded = time.monotonic()
        _wait_until_ready(stack)
        print(
            f"live stack at {stack.url}: migrated in {migrated - started:.1f} s, demo seeded "
            f"{seeded - migrated:.1f} s later, ready {time.monotonic() - started:.1f} s after start"
        )
        yield stack
    finally:
        if seeding is not None and seeding.poll() is None:
            seeding.kill()
            seeding.wait(timeout=5)
        _stop(stack)


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(live_stack: LiveStack) -> Iterator[Any]:
    """Debian's Chromium, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_context(
    browser: Any, live_stack: LiveStack, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Make fresh browser contexts (separate cookie jars: one per person); closed after the test.

    When the test fails, every page still open is saved as failure-<test>-<n>.png.
    """
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(
            base_url=live_stack.url,
            viewport={"width": 1280, "height": 900},
            locale="en-GB",
            timezone_id=TIMEZONE,
            **options,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    pages = [page for context in contexts for page in context.pages]
    if report is not None and report.failed:
        slug = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
        for n, page in enumerate(pages):
            try:
                screenshot(page, f"failure-{slug}-{n}")
            except Exception as error:  # a crashed page must not hide the test's own failure
                print(f"no failure screenshot of {page.url}: {error}")
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot into test-artifacts/screenshots/ (kept for people, not asserted)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in at /login through the contract's labels; wait until we have left the form."""
    goto(page, "/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    click_and_wait(page, page.get_by_role("button", name="Sign in", exact=True))
    if "/login" in page.url:
        text = " ".join(page.locator("main").inner_text().split())[:300]
        pytest.fail(f"signing in as {email} failed: {text}")


def sign_out(page: Any) -> None:
    """Press Sign out (a POST form in the staff header)."""
    click_and_wait(page, page.get_by_role("button", name="Sign out"))


def check_response(page: Any, response: Any) -> None:
    """Fail with the status and the page's text when a navigation did not answer 2xx/3xx."""
    if response is not None and response.status >= 400:
        text = " ".join(page.locator("body").inner_text().split())[:600]
        pytest.fail(f"{response.request.method} {response.url} answered {response.status}: {text}")


def goto(page: Any, path: str) -> None:
    """Open a path on the live stack and insist that it answered."""
    check_response(page, page.goto(path))


def click_and_wait(page: Any, locator: Any) -> None:
    """Click something that submits or navigates, wait for the next page, insist it answered."""
    with page.expect_navigation() as navigation:
        locator.click()
    check_response(page, navigation.value)


def button_or_link(page: Any, name: str) -> Any:
    """The contract says 'a link or button' for some controls: either one."""
    return (
        page.get_by_role("link", name=name, exact=True)
        .or_(page.get_by_role("button", name=name, exact=True))
        .first
    )


def latest_news(page: Any) -> Any:
    """The homepage's Latest News block: the landmark or section holding that heading."""
    heading = page.get_by_role("heading", name="Latest News", exact=True)
    return page.locator("section, aside, nav, div[role=region]", has=heading).last


# --- the pages the accessibility and markup checks visit -----------------------------------------


def open_homepage(page: Any) -> None:
    goto(page, "/")


def open_article(page: Any) -> None:
    """The first story under Latest News on the homepage."""
    goto(page, "/")
    link = latest_news(page).get_by_role("link").first
    click_and_wait(page, link)


def open_live_article(page: Any) -> None:
    """The demo's live story: the headline marked LIVE on the homepage."""
    goto(page, "/")
    live = page.locator("li, article", has=page.get_by_text("LIVE", exact=True)).first
    click_and_wait(page, live.get_by_role("link").last)
    page.locator("#live-entries").wait_for()


def open_sign_in(page: Any) -> None:
    goto(page, "/login")


def open_newsroom(page: Any) -> None:
    sign_in(page, REPORTER)
    goto(page, "/newsroom/")


def open_editor(page: Any) -> None:
    open_newsroom(page)
    click_and_wait(page, button_or_link(page, "New story"))
    page.get_by_label("Headline", exact=True).wait_for()


def open_media(page: Any) -> None:
    """The photo library, through the navigation's Media link."""
    open_newsroom(page)
    nav = page.get_by_role("navigation", name="Newsroom")
    click_and_wait(page, nav.get_by_role("link", name="Media", exact=True))
    page.get_by_label("Photo", exact=True).wait_for()


def open_photo(page: Any) -> None:
    """The first photo's page in the library (the demo newsroom has photos)."""
    open_media(page)
    click_and_wait(page, page.get_by_role("link", name=re.compile(r"^Photo \d+: details$")).first)
    page.get_by_role("heading", name="History", exact=True).wait_for()


def open_story(page: Any) -> None:
    """The newsroom's page of the reporter's first story in My stories."""
    open_newsroom(page)
    click_and_wait(page, page.locator("table.list td a").first)
    page.get_by_role("heading", name="Status", exact=True).wait_for()


def open_queue(page: Any) -> None:
    """The desk editor's Desk queue, through the navigation."""
    sign_in(page, EDITOR)
    goto(page, "/newsroom/")
    nav = page.get_by_role("navigation", name="Newsroom")
    if nav.locator("summary").is_visible():  # a phone: the links are in the Menu
        nav.locator("summary").click()
    click_and_wait(page, nav.get_by_role("link", name="Desk queue", exact=True))


PAGES: dict[str, Callable[[Any], None]] = {
    "homepage": open_homepage,
    "article": open_article,
    "live-article": open_live_article,
    "sign-in": open_sign_in,
    "newsroom": open_newsroom,
    "editor": open_editor,
    "media": open_media,
    "photo": open_photo,
    "story": open_story,
    "queue": open_queue,
}
