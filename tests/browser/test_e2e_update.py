"""A real browser: a reporter submits an update of a published story; the reader keeps the old
text until the desk publishes it, then sees the new text with the update notice."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import (
    EDITOR,
    REPORTER,
    LiveStack,
    click_and_wait,
    expect,
    goto,
    screenshot,
    sign_in,
    sign_out,
)
from tests.browser.test_e2e_publish import open_for_review, write_story

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OLD = "The change lasts until the end of February."
NEW = "The change now lasts until the middle of March, the authority said on Tuesday."


def article_url(editor: Any) -> str:
    link = editor.get_by_role("link", name="View on site", exact=True).first
    return str(link.get_attribute("href"))


def test_reporter_update_reviewed_then_published(new_context: Any, live_stack: LiveStack) -> None:
    headline = f"Sadarghat launches keep the winter timetable {int(time.time())}"
    reporter = new_context().new_page()
    sign_in(reporter, REPORTER)
    write_story(reporter, headline)

    editor = new_context().new_page()
    sign_in(editor, EDITOR)
    open_for_review(editor, headline)
    click_and_wait(editor, editor.get_by_role("button", name="Approve", exact=True))
    click_and_wait(editor, editor.get_by_role("button", name="Publish now", exact=True))
    url = article_url(editor).replace(live_stack.url, "")
    story_page = editor.url

    # The reporter edits the published story: that is a pending update, submitted for review.
    goto(reporter, story_page + "/edit")
    expect(
        reporter.get_by_role("heading", level=1, name="Update to a published story")
    ).to_be_visible()
    body = reporter.get_by_label("Body", exact=True)
    body.fill(str(body.input_value()).replace(OLD, NEW))
    screenshot(reporter, "update-editor")
    click_and_wait(
        reporter, reporter.get_by_role("button", name="Submit update for review", exact=True)
    )
    expect(reporter.get_by_role("heading", name="Pending update")).to_be_visible()
    sign_out(reporter)

    reader = new_context().new_page()
    goto(reader, url)
    expect(reader.get_by_text(OLD)).to_be_visible()
    assert NEW not in reader.content()

    open_update = editor.get_by_role("link", name=headline, exact=True)
    goto(editor, "/newsroom/queue")
    click_and_wait(editor, open_update.last)
    click_and_wait(editor, editor.get_by_role("button", name="Approve update", exact=True))
    publish = editor.locator("form.update-action-publish_update")  # Schedule update has its own
    publish.get_by_label("Update", exact=True).check()
    publish.get_by_label("Notice", exact=True).fill("The timetable now runs into March.")
    screenshot(editor, "publish-update")
    click_and_wait(editor, publish.get_by_role("button", name="Publish update now", exact=True))

    goto(reader, url)
    expect(reader.get_by_text(NEW)).to_be_visible()
    assert OLD not in reader.content()
    expect(reader.get_by_text("The timetable now runs into March.")).to_be_visible()
    expect(reader.locator(".notice-update strong", has_text="Update")).to_be_visible()
    screenshot(reader, "article-updated")
    live_stack.check_alive()
