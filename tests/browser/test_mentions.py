"""@mention autocomplete in a real browser (issue 13): typing @ and a few letters in the comment
box lists colleagues; the arrow keys, Enter and Escape, and the mouse, work; the list is a
labelled listbox the box points at; the comment then names them as the server expects."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import (
    AXE,
    REPORTER,
    button_or_link,
    click_and_wait,
    expect,
    goto,
    need,
    screenshot,
    sign_in,
)
from tests.browser.test_accessibility import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def submitted_story(page: Any, headline: str) -> None:
    goto(page, "/newsroom/")
    click_and_wait(page, button_or_link(page, "New story"))
    page.get_by_label("Headline", exact=True).fill(headline)
    page.get_by_label("Body", exact=True).fill("The port reopened on Tuesday after a week.")
    page.get_by_label("Dateline", exact=True).fill("CHATTOGRAM")
    page.get_by_label("Desk", exact=True).select_option(label="National")
    click_and_wait(page, page.get_by_role("button", name="Submit for review", exact=True))
    expect(page.get_by_role("heading", level=1, name=headline)).to_be_visible()


def test_mention_autocomplete_by_keyboard_and_mouse(new_context: Any) -> None:
    page = new_context().new_page()
    sign_in(page, REPORTER)
    submitted_story(page, f"Port reopens {int(time.time())}")
    box = page.get_by_label("Comment", exact=True)
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")

    box.click()
    box.press_sequentially("Over to @nas", delay=20)
    nasreen = suggestions.get_by_role("option", name="Nasreen Akter @nasreen.akter")
    expect(nasreen).to_be_visible()
    expect(nasreen).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", nasreen.get_attribute("id") or "-")
    expect(box).to_have_attribute("aria-controls", suggestions.get_attribute("id") or "-")
    expect(page.get_by_role("status").filter(has_text="1 colleague found")).to_be_attached()
    box.press("Enter")  # picks; the form is not submitted
    expect(box).to_have_value("Over to @nasreen.akter ")
    expect(suggestions).to_be_hidden()

    box.press_sequentially("and @ta", delay=20)
    expect(suggestions.get_by_role("option", name="Tanvir Rahman @tanvir.rahman")).to_be_visible()
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value("Over to @nasreen.akter and @ta")
    box.press_sequentially("n", delay=20)  # typing on brings the list back; a click picks
    tanvir = suggestions.get_by_role("option", name="Tanvir Rahman @tanvir.rahman")
    tanvir.click()
    expect(box).to_have_value("Over to @nasreen.akter and @tanvir.rahman ")
    expect(box).to_be_focused()

    box.press_sequentially("cc @ra", delay=20)  # Rafiq Islam, and Tanvir Rahman by surname
    options = suggestions.get_by_role("option")
    expect(options).to_have_count(2)
    first, second = options.nth(0), options.nth(1)
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    box.press("ArrowDown")  # round to the top again
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    expect(second).to_have_attribute("aria-selected", "true")
    screenshot(page, "mention-autocomplete")
    need("axe-core", AXE.is_file(), "./scripts/test-deps installs it from npm")
    violations = run_axe(page)
    assert not violations, describe(violations)
    box.press("Tab")
    expect(box).to_have_value("Over to @nasreen.akter and @tanvir.rahman cc @tanvir.rahman ")

    box.press_sequentially("and @nobodyhere", delay=20)
    expect(page.get_by_role("status").filter(has_text="No colleague found")).to_be_attached()
    expect(suggestions).to_be_hidden()
    click_and_wait(page, page.get_by_role("button", name="Add comment", exact=True))
    expect(page.get_by_text("Comment added.")).to_be_visible()
    # The unknown handle is still reported, as without JavaScript.
    expect(page.get_by_text("Nobody in the newsroom answers to @nobodyhere")).to_be_visible()
