"""A real browser and the real scheduler: the desk schedules an approved update a few seconds
ahead with an Update notice; the reader keeps the old text until then, and afterwards sees the
new text and the notice without anyone publishing by hand."""

from __future__ import annotations

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
    click_and_wait,
    expect,
    goto,
    screenshot,
    sign_in,
    sign_out,
)
from tests.browser.test_e2e_publish import READER_PATIENCE_SECONDS, open_for_review, write_story
from tests.browser.test_e2e_update import NEW, OLD, article_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AHEAD = timedelta(seconds=10)
NOTICE = "The timetable now runs into March."


def submit_update(page: Any, story_page: str) -> None:
    """As the reporter: edit the published story's body and submit the update."""
    goto(page, story_page + "/edit")
    body = page.get_by_label("Body", exact=True)
    body.fill(str(body.input_value()).replace(OLD, NEW))
    click_and_wait(page, page.get_by_role("button", name="Submit update for review", exact=True))
    expect(page.get_by_role("heading", name="Pending update")).to_be_visible()


def schedule_update_soon(page: Any) -> datetime:
    """As the editor: Publish at a few seconds ahead, an Update notice, Schedule update."""
    form = page.locator("form.update-action-schedule_update")
    at = (datetime.now(ZoneInfo(TIMEZONE)) + AHEAD).replace(microsecond=0)
    form.get_by_label("Publish at", exact=True).fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    form.get_by_label("Update", exact=True).check()
    form.get_by_label("Notice", exact=True).fill(NOTICE)
    click_and_wait(page, form.get_by_role("button", name="Schedule update", exact=True))
    expect(page.get_by_text("Scheduled to go live")).to_be_visible()
    return at


def wait_for_new_text(page: Any, url: str, at: datetime) -> None:
    """Reload the article until it has the update (at most the patience after its time)."""
    deadline = at.timestamp() + READER_PATIENCE_SECONDS
    while NEW not in page.content():
        if time.time() > deadline:
            screenshot(page, "article-without-scheduled-update")
            pytest.fail(f"the update was not live {READER_PATIENCE_SECONDS} s after its time")
        time.sleep(0.5)
        goto(page, url)


def test_a_scheduled_update_goes_live_on_its_own(new_context: Any, live_stack: LiveStack) -> None:
    headline = f"Sadarghat launches keep the winter timetable {int(time.time())}"
    reporter = new_context().new_page()
    sign_in(reporter, REPORTER)
    write_story(reporter, headline)
    editor = new_context().new_page()
    sign_in(editor, EDITOR)
    open_for_review(editor, headline)
    click_and_wait(editor, editor.get_by_role("button", name="Approve", exact=True))
    click_and_wait(editor, editor.get_by_role("button", name="Publish now", exact=True))
    url, story_page = article_url(editor).replace(live_stack.url, ""), editor.url
    submit_update(reporter, story_page)
    sign_out(reporter)

    goto(editor, story_page)
    click_and_wait(editor, editor.get_by_role("button", name="Approve update", exact=True))
    at = schedule_update_soon(editor)
    for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
        editor.set_viewport_size({"width": width, "height": height})
        screenshot(editor, f"scheduled-update-{name}")

    reader = new_context().new_page()
    goto(reader, url)
    expect(reader.get_by_text(OLD)).to_be_visible()
    assert NEW not in reader.content() and NOTICE not in reader.content()
    wait_for_new_text(reader, url, at)
    assert time.time() >= at.timestamp() - 1  # not early (the clocks are the same machine's)
    assert OLD not in reader.content()
    expect(reader.get_by_text(NOTICE)).to_be_visible()
    expect(reader.locator(".notice-update strong", has_text="Update")).to_be_visible()
    for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
        reader.set_viewport_size({"width": width, "height": height})
        screenshot(reader, f"scheduled-update-live-{name}")
    live_stack.check_alive()
