"""Chromium at a phone's width (issue 11): every newsroom and admin page fits 390 px without
sideways scrolling, and 1280 px too; the newsroom's navigation folds into a Menu on a phone.

The pages come from the app's URL map (every GET route of the newsroom, admin and account
blueprints), so a new page is visited here without anyone listing it; its URL parameters are
filled with real ids from tests/browser/mobile_seed.py, which adds the text that breaks narrow
layouts: long headlines, unbroken Bangla words, a long URL, a dozen desks, a story with history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import (
    EDITOR,
    LiveStack,
    _finish,
    _spawn,
    _stack_env,
    check_response,
    click_and_wait,
    expect,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ADMIN = "admin@editorial.local"
BLUEPRINTS = ("newsroom.", "admin.", "auth.")
NOT_PAGES = {
    "newsroom.media_file": "the photo file itself",
    "newsroom.media_thumbnail": "an image",
}
SIGNED_OUT = {  # the sign-in pages and the e-mailed links (a made-up token: the refusal page)
    "auth.login",
    "auth.forgot_password",
    "auth.accept_invitation",
    "auth.reset_password",
    "auth.unlock_account",
}
MOVED = {"newsroom.comments": "a link to the story page's comments, not a page of its own"}
TOKEN_PAGES = {"auth.accept_invitation", "auth.reset_password", "auth.unlock_account"}
QUERIES = {  # what makes a page show what it is for
    "newsroom.compare": "?a=1&b=3",
    "newsroom.search": "?q=Coastal",
}
SCREENSHOTS = {  # the pages looked at by people (test-artifacts/screenshots/mobile-*.png)
    "newsroom.home",
    "newsroom.queue",
    "newsroom.story",
    "newsroom.story (scheduled update)",
    "newsroom.edit_update",
    "newsroom.history",
    "newsroom.calendar",
    "newsroom.front_page",
    "admin.staff_list",
    "admin.audit_log",
}
OVERFLOW = """() => {
    const width = window.innerWidth, wide = [];
    for (const el of document.querySelectorAll('body *')) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1 && wide.length < 5)
            wide.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(box.right)} px)`);
    }
    return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


@pytest.fixture(scope="module")
def seeded(live_stack: LiveStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The seed's ids and the app's GET routes (the seed runs once, on the shared stack)."""
    out = tmp_path_factory.mktemp("mobile") / "seeded.json"
    env = _stack_env(live_stack.instance, live_stack.url)
    _finish(
        _spawn(["-m", "tests.browser.mobile_seed", str(out)], env, "mobile-seed"), "mobile-seed"
    )
    found: dict[str, Any] = json.loads(Path(out).read_text(encoding="utf-8"))
    return found


# Pages about a published story's pending update: the seeded story that has one.
UPDATE_PAGES = {"newsroom.edit_update", "newsroom.compare_update"}


def _path(route: dict[str, Any], ids: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "story_id" and route["endpoint"] in UPDATE_PAGES:
            return str(ids["updated_story_id"])
        if name == "token":
            return "not-a-real-token"
        assert name in ids, f"{route['endpoint']}: give <{name}> a real id in mobile_seed.py"
        return str(ids[name])

    return re.sub(r"<(?:\w+:)?(\w+)>", fill, route["rule"]) + QUERIES.get(route["endpoint"], "")


def _who(endpoint: str) -> str:
    if endpoint in SIGNED_OUT:
        return "nobody"
    return "admin" if endpoint.startswith("admin.") else "editor"


def pages(seeded: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Who opens what: (name, path) per person, every newsroom GET page and a few more."""
    ids = seeded["ids"]
    found: dict[str, list[tuple[str, str]]] = {"nobody": [], "editor": [], "admin": []}
    for route in seeded["routes"]:
        endpoint = route["endpoint"]
        if endpoint.startswith(BLUEPRINTS) and endpoint not in NOT_PAGES:
            found[_who(endpoint)].append((endpoint, _path(route, ids)))
    found["reporter"] = [("newsroom.home (reporter)", "/newsroom/")]  # long headlines, all states
    scheduled = f"/newsroom/stories/{ids['scheduled_story_id']}"  # "Scheduled to go live"
    found["editor"].append(("newsroom.story (scheduled update)", scheduled))
    found["nobody"].append(("site.live_entries", ids["live_entries_path"]))
    return found


def _open(page: Any, name: str, path: str) -> None:
    response = page.goto(path)
    if name in TOKEN_PAGES:  # a made-up token: the page that says the link does not work
        assert response is not None and response.status < 500, (path, response)
    else:
        check_response(page, response)
        # A page that sends this person elsewhere (with a flash) was not looked at.
        if name not in MOVED:
            assert urlsplit(page.url).path == urlsplit(path).path, f"{path} went to {page.url}"


def _signed_in(new_context: Callable[..., Any], who: str, seeded: dict[str, Any]) -> Any:
    page = new_context().new_page()
    email = {"editor": EDITOR, "admin": ADMIN, "reporter": seeded["ids"]["tester"]}.get(who)
    if email:
        sign_in(page, email)
    return page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_every_newsroom_page_fits_the_screen(
    viewport: dict[str, int],
    seeded: dict[str, Any],
    new_context: Callable[..., Any],
) -> None:
    stale = set(NOT_PAGES) - {route["endpoint"] for route in seeded["routes"]}
    assert not stale, f"NOT_PAGES names routes that no longer exist: {stale}"
    too_wide = []
    visited = 0
    for who, listed in pages(seeded).items():
        page = _signed_in(new_context, who, seeded)
        page.set_viewport_size(viewport)
        for name, path in listed:
            _open(page, name, path)
            visited += 1
            seen = page.evaluate(OVERFLOW)
            if seen["scroll"] > seen["width"]:
                too_wide.append(f"{who} {path}: {seen['scroll']} px wide; {seen['wide']}")
            if viewport == PHONE and name in SCREENSHOTS:
                screenshot(page, f"mobile-{name}")
        page.context.close()
    assert visited >= 30, visited  # the URL map gave the pages (and the seed their ids)
    assert not too_wide, "pages that scroll sideways:\n" + "\n".join(too_wide)


def test_a_phone_reaches_every_newsroom_link_through_the_menu(
    new_context: Callable[..., Any],
) -> None:
    page = new_context().new_page()
    sign_in(page, EDITOR)
    nav = page.get_by_role("navigation", name="Newsroom", exact=True)
    names = nav.locator(".nr-nav-row a").all_inner_texts()
    assert {"New story", "Desk queue", "Front page", "Media"} <= {n.strip() for n in names}
    expect(nav.locator("summary")).to_be_hidden()  # a desktop shows the row, not the Menu

    page.set_viewport_size(PHONE)
    expect(nav.locator(".nr-nav-row")).to_be_hidden()
    menu = nav.locator("summary")
    assert menu.bounding_box()["y"] < 60  # beside the name, at the top
    menu.click()
    for name in names:
        link = nav.get_by_role("link", name=re.compile(rf"^{re.escape(name.split()[0])}\b"))
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        assert box["height"] >= 40, f"{name}: too small to tap"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot(page, "mobile-menu-open")
    click_and_wait(page, nav.get_by_role("link", name="Desk queue", exact=True))
    expect(page.get_by_role("heading", name="Desk queue", exact=True)).to_be_visible()


def test_a_list_on_a_phone_is_stacked_rows_with_labelled_cells(
    seeded: dict[str, Any], new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    sign_in(page, EDITOR)
    page.set_viewport_size(PHONE)
    page.goto("/newsroom/queue")
    row = page.locator("table.list tbody tr", has_text="Coastal districts").first
    cells = row.locator("td")
    headline, desk = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert desk["y"] >= headline["y"] + headline["height"] - 1  # below it, not beside it
    assert headline["width"] > PHONE["width"] * 0.8  # the headline has the row's width
    label = cells.nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert "Desk" in label, label
    header = page.locator("table.list thead").first  # kept for screen readers, not shown
    assert header.bounding_box()["height"] <= 1


def test_a_scheduled_update_on_a_phone_is_read_and_pressed_without_zooming(
    seeded: dict[str, Any], new_context: Callable[..., Any]
) -> None:
    page = _signed_in(new_context, "editor", seeded)
    page.set_viewport_size(PHONE)
    page.goto(f"/newsroom/stories/{seeded['ids']['scheduled_story_id']}")
    line = page.locator(".pending-update .update-schedule")
    expect(line).to_contain_text("Scheduled to go live")
    box = line.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    buttons = page.locator(".pending-update button[type=submit]")
    names = {n.strip() for n in buttons.all_inner_texts()}
    assert {"Schedule update", "Unschedule update", "Publish update now"} <= names, names
    for button in buttons.all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], button.inner_text()
        assert box["height"] >= 40, f"{button.inner_text()}: too small to tap"
