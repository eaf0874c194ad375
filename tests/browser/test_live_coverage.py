"""Live coverage in a real browser: a reader's open article shows entries posted in the newsroom
without a reload (live.js polling the fragment), newest first."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import (
    EDITOR,
    REPORTER,
    LiveStack,
    button_or_link,
    click_and_wait,
    expect,
    goto,
    latest_news,
    screenshot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# live.js polls every 5 s; an entry must be on the reader's screen within the next poll or two.
READER_PATIENCE_MS = 15_000


def write_live_story(page: Any, headline: str) -> None:
    """As the reporter: a new story with Live coverage ticked, submitted for review."""
    goto(page, "/newsroom/")
    click_and_wait(page, button_or_link(page, "New story"))
    page.get_by_label("Headline", exact=True).fill(headline)
    page.get_by_label("Body", exact=True).fill(
        "Counting is under way across the city's wards; results are expected by midnight."
    )
    page.get_by_label("Dateline", exact=True).fill("DHAKA")
    page.get_by_label("Desk", exact=True).select_option(label="City")
    page.get_by_label("Live coverage", exact=True).check()
    click_and_wait(page, page.get_by_role("button", name="Submit for review", exact=True))
    expect(page.get_by_role("heading", level=1, name=headline)).to_be_visible()


def post(page: Any, text: str) -> None:
    page.get_by_label("Entry", exact=True).fill(text)
    click_and_wait(page, page.get_by_role("button", name="Post entry", exact=True))
    expect(page.get_by_text(text)).to_be_visible()


def test_entries_appear_on_an_open_reader_page(new_context: Any, live_stack: LiveStack) -> None:
    stamp = int(time.time())
    headline = f"City polls: counting live {stamp}"

    reporter = new_context().new_page()
    sign_in(reporter, REPORTER)
    write_live_story(reporter, headline)

    editor = new_context().new_page()
    sign_in(editor, EDITOR)
    goto(editor, reporter.url.replace(live_stack.url, ""))
    click_and_wait(editor, editor.get_by_role("button", name="Approve", exact=True))
    click_and_wait(editor, editor.get_by_role("button", name="Publish now", exact=True))
    expect(editor.get_by_role("button", name="End live coverage", exact=True)).to_be_visible()

    reader = new_context().new_page()
    goto(reader, "/")
    item = latest_news(reader).get_by_role("listitem").filter(has_text=headline)
    expect(item.get_by_text("LIVE", exact=True)).to_be_visible()
    click_and_wait(reader, item.get_by_role("link", name=headline))
    expect(reader.get_by_text("No updates yet.")).to_be_visible()
    reader.evaluate("window.__samePage = 'yes'")  # gone if the page were reloaded

    first, second = f"Ward 12 declared {stamp}.", f"Turnout was 48 per cent {stamp}."
    post(editor, first)
    expect(reader.get_by_text(first)).to_be_visible(timeout=READER_PATIENCE_MS)
    post(editor, second)
    expect(reader.get_by_text(second)).to_be_visible(timeout=READER_PATIENCE_MS)
    screenshot(reader, "live-article")
    assert reader.evaluate("window.__samePage") == "yes", "the reader's page was reloaded"
    shown = reader.locator(".live-entry-body").all_inner_texts()
    assert shown[:2] == [second, first], shown
    live_stack.check_alive()
