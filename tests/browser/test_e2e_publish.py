"""A real browser end to end: write, submit, approve, schedule; Celery publishes; a reader reads."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import (
    EDITOR,
    REPORTER,
    TIMEZONE,
    LiveStack,
    button_or_link,
    click_and_wait,
    expect,
    goto,
    latest_news,
    screenshot,
    sign_in,
    sign_out,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCHEDULE_AHEAD = timedelta(seconds=7)
READER_PATIENCE_SECONDS = 15  # after the scheduled time


def write_story(page: Any, headline: str) -> None:
    """As the reporter: New story, fill every contract field, Submit for review."""
    goto(page, "/newsroom/")
    screenshot(page, "newsroom-home")
    click_and_wait(page, button_or_link(page, "New story"))
    page.get_by_label("Headline", exact=True).fill(headline)
    page.get_by_label("Standfirst", exact=True).fill(
        "The river authority moves the first departure to dawn for the winter fog season."
    )
    page.get_by_label("Body", exact=True).fill(
        "Launches from Sadarghat will leave half an hour later from Monday, the Bangladesh "
        "Inland Water Transport Authority said.\n\nThe change lasts until the end of February."
    )
    page.get_by_label("Byline", exact=True).fill("Staff Reporter")
    page.get_by_label("Dateline", exact=True).fill("DHAKA")
    page.get_by_label("Desk", exact=True).select_option(label="City")
    screenshot(page, "editor")
    click_and_wait(page, page.get_by_role("button", name="Submit for review", exact=True))
    expect(page.get_by_role("heading", level=1, name=headline)).to_be_visible()


def open_for_review(page: Any, headline: str) -> None:
    """As the editor: the newsroom's Desk queue link, then the story's link in the queue."""
    goto(page, "/newsroom/")
    nav = page.get_by_role("navigation", name="Newsroom")
    click_and_wait(page, nav.get_by_role("link", name="Desk queue", exact=True))
    click_and_wait(page, page.get_by_role("link", name=headline, exact=True))
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_visible()


def schedule_soon(page: Any) -> datetime:
    """Fill Publish at with Dhaka time a few seconds ahead and press Schedule; return the time."""
    field = page.get_by_label("Publish at", exact=True)
    at = (datetime.now(ZoneInfo(TIMEZONE)) + SCHEDULE_AHEAD).replace(microsecond=0)
    expect(field).to_have_attribute("type", "datetime-local")
    value = at.strftime("%Y-%m-%dT%H:%M:%S")
    field.fill(value)
    problem = field.evaluate("e => e.validity.valid ? '' : e.validationMessage")
    assert not problem, f"the browser refuses Publish at {value!r} (needs step=1?): {problem}"
    click_and_wait(page, page.get_by_role("button", name="Schedule", exact=True))
    expect(page.get_by_role("button", name="Unschedule", exact=True)).to_be_visible()
    return at


def wait_for_latest_news(page: Any, headline: str, publish_at: datetime) -> Any:
    """Reload the homepage until the story is under Latest News (at most 15 s after its time)."""
    deadline = publish_at.timestamp() + READER_PATIENCE_SECONDS
    while True:
        goto(page, "/")
        link = latest_news(page).get_by_role("link", name=headline)
        if link.count():
            print(f"on the homepage {time.time() - publish_at.timestamp():.1f} s after its time")
            return link.first
        if time.time() > deadline:
            screenshot(page, "homepage-without-story")
            pytest.fail(
                f"{headline!r} not under Latest News {READER_PATIENCE_SECONDS} s after its "
                "scheduled time"
            )
        time.sleep(0.5)


def test_reporter_to_reader(new_context: Any, live_stack: LiveStack) -> None:
    headline = f"Sadarghat launches change winter timetable {int(time.time())}"

    reporter = new_context().new_page()
    goto(reporter, "/login")
    screenshot(reporter, "login")
    sign_in(reporter, REPORTER)
    write_story(reporter, headline)
    sign_out(reporter)

    editor = new_context().new_page()
    sign_in(editor, EDITOR)
    open_for_review(editor, headline)
    click_and_wait(editor, editor.get_by_role("button", name="Approve", exact=True))
    publish_at = schedule_soon(editor)
    screenshot(editor, "story-page")

    reader = new_context().new_page()
    link = wait_for_latest_news(reader, headline, publish_at)
    live_stack.check_alive()
    screenshot(reader, "homepage")
    click_and_wait(reader, link)
    expect(reader.get_by_role("heading", level=1, name=headline)).to_be_visible()
    expect(reader.get_by_text(re.compile(r"\bStaff Reporter\b")).first).to_be_visible()
    expect(reader.get_by_text(re.compile(r"\bDHAKA\b")).first).to_be_visible()
    screenshot(reader, "article")
