"""Chromium: a desk editor makes a story the lead and reorders Top News; a reader sees it at once.
axe finds nothing serious on the front page screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    AXE,
    EDITOR,
    LiveStack,
    click_and_wait,
    expect,
    goto,
    need,
    screenshot,
    sign_in,
)
from tests.browser.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser


def open_front_page(page: Any) -> list[str]:
    """As the editor: the newsroom's Front page link; the Top News headlines, lead first."""
    sign_in(page, EDITOR)
    goto(page, "/newsroom/")
    nav = page.get_by_role("navigation", name="Newsroom")
    click_and_wait(page, nav.get_by_role("link", name="Front page", exact=True))
    return headlines(page)


def headlines(page: Any) -> list[str]:
    return page.locator(
        "table.front-page tbody td:nth-child(2) :is(a, span.headline)"
    ).all_inner_texts()


def reader_front(page: Any) -> tuple[str, list[str]]:
    goto(page, "/")
    lead = page.locator(".lead-story .lead-headline").inner_text()
    return lead, page.locator(".front-top li h3").all_inner_texts()


def test_editor_makes_a_lead_and_reorders_reader_sees_it(
    new_context: Any, live_stack: LiveStack
) -> None:
    editor = new_context().new_page()
    before = open_front_page(editor)
    assert len(before) >= 3, before  # the demo places several published stories
    lead, second, third = before[-1], before[0], before[1]
    click_and_wait(editor, editor.get_by_role("button", name=f"Make lead: {lead}"))
    assert headlines(editor)[:3] == [lead, second, third]
    click_and_wait(editor, editor.get_by_role("button", name=f"Move down: {second}"))
    assert headlines(editor)[:3] == [lead, third, second]

    click_and_wait(editor, editor.get_by_role("button", name="Preview", exact=True))
    expect(editor.get_by_text("Preview - not saved.")).to_be_visible()
    expect(editor.locator(".lead-story .lead-headline")).to_have_text(lead)
    screenshot(editor, "front-page-preview")
    if AXE.is_file():
        violations = run_axe(editor)
        assert not violations, f"axe on the front page preview:\n{describe(violations)}"
    click_and_wait(editor, editor.get_by_role("button", name="Save front page", exact=True))
    expect(editor.get_by_text("Front page saved")).to_be_visible()
    assert headlines(editor)[:3] == [lead, third, second]

    reader = new_context().new_page()
    shown_lead, top = reader_front(reader)
    screenshot(reader, "front-page-reader")
    assert shown_lead == lead
    assert top[:2] == [third, second]
    live_stack.check_alive()


def test_front_page_screen_has_no_serious_axe_violations(new_context: Any) -> None:
    need("axe-core", AXE.is_file(), "./scripts/test-deps installs it from npm")
    page = new_context().new_page()
    open_front_page(page)
    screenshot(page, "a11y-front-page")
    violations = run_axe(page)
    assert not violations, f"axe on the front page screen:\n{describe(violations)}"
