"""The editor in Chromium: autosave and restore after closing the tab, the copy sent when the tab
is hidden, the browser's own copy when the newsroom cannot be reached, Ctrl+S, the leave-page
warning, presence between two browsers, the live count, and axe with the script running."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import (
    AXE,
    EDITOR,
    REPORTER,
    click_and_wait,
    expect,
    goto,
    need,
    screenshot,
    sign_in,
    sign_out,
)
from tests.browser.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser

AUTOSAVE_WAIT_MS = 20_000  # the script waits for a 3 s pause in typing (10 s at most)
RESTORE = re.compile(r"Restore your unsaved changes from \d\d:\d\d")


def new_story(page: Any, headline: str, body: str) -> None:
    goto(page, "/newsroom/stories/new")
    page.get_by_label("Headline", exact=True).fill(headline)
    page.get_by_label("Desk", exact=True).select_option(label="City")
    page.get_by_label("Body", exact=True).fill(body)


def kept(page: Any) -> None:
    expect(page.locator("#autosave-status")).to_contain_text(
        "All changes kept as your working copy", timeout=AUTOSAVE_WAIT_MS
    )


def test_type_wait_close_the_tab_reopen_restore(new_context: Callable[..., Any]) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, REPORTER)
    headline = f"Ferry fares rise {uuid.uuid4().hex[:6]}"
    new_story(page, headline, "The first paragraph, typed and never saved.")
    expect(page.locator("#editor-count")).to_have_text("7 words · 43 characters")
    kept(page)
    page.close()  # no Save: the tab is simply closed

    page = context.new_page()
    goto(page, "/newsroom/stories/new")
    offer = page.get_by_role("link", name=RESTORE).first
    expect(offer).to_be_visible()
    expect(page.get_by_text(headline).first).to_be_visible()
    screenshot(page, "editor-restore-offer")
    click_and_wait(page, offer)
    expect(page.get_by_label("Headline", exact=True)).to_have_value(headline)
    expect(page.get_by_label("Body", exact=True)).to_have_value(
        "The first paragraph, typed and never saved."
    )
    click_and_wait(page, page.get_by_role("button", name="Save draft", exact=True))
    expect(page.get_by_text("Draft saved")).to_be_visible()
    goto(page, "/newsroom/stories/new")
    expect(page.get_by_text(headline)).to_have_count(0)  # the save cleared the working copy


def hide_the_tab(page: Any) -> None:
    """What the browser does when the person switches to another tab or app."""
    page.evaluate(
        """() => {
          const hidden = { configurable: true, get: () => "hidden" };
          Object.defineProperty(document, "visibilityState", hidden);
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


def test_hiding_the_tab_sends_the_working_copy_at_once(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    sign_in(page, REPORTER)
    # Timers stand still from here on, so the 3 s autosave never fires: only hiding can send.
    page.clock.install()
    goto(page, "/newsroom/stories/new")
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=5))
    headline = f"Typed, then another app {uuid.uuid4().hex[:6]}"
    page.get_by_label("Headline", exact=True).fill(headline)
    page.get_by_label("Desk", exact=True).select_option(label="City")
    page.get_by_label("Body", exact=True).fill("Written before the phone rang.")
    with page.expect_response(re.compile(r"/autosave$")) as sent:
        hide_the_tab(page)
    assert sent.value.ok and sent.value.request.post_data_json["fields"]["headline"] == headline
    kept(page)

    # Another device (no copy in its browser) is offered the text by the newsroom.
    elsewhere = new_context().new_page()
    sign_in(elsewhere, REPORTER)
    goto(elsewhere, "/newsroom/stories/new")
    expect(elsewhere.get_by_text(headline)).to_be_visible()
    click_and_wait(elsewhere, elsewhere.get_by_role("link", name=RESTORE).first)
    expect(elsewhere.get_by_label("Body", exact=True)).to_have_value(
        "Written before the phone rang."
    )


def test_without_the_server_the_text_stays_in_the_browser(
    new_context: Callable[..., Any],
) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, REPORTER)
    new_story(page, "A draft saved once", "Saved text.")
    click_and_wait(page, page.get_by_role("button", name="Save draft", exact=True))
    edit_url = page.url
    context.route("**/autosave", lambda route: route.abort())  # a patchy connection
    page.get_by_label("Body", exact=True).fill("Saved text.\n\nTyped on a dead connection.")
    expect(page.locator("#autosave-status")).to_contain_text(
        "Not saved — kept in this browser", timeout=AUTOSAVE_WAIT_MS
    )
    page.close()
    context.unroute("**/autosave")

    page = context.new_page()
    goto(page, edit_url)
    # Closing the tab sends a last keepalive autosave, which Chromium may deliver after the
    # page (and its route) is gone: then the server offers the text (a link) rather than
    # the browser (a button). Either way the words are back.
    restore = page.get_by_role("button", name=RESTORE).or_(page.get_by_role("link", name=RESTORE))
    expect(restore).to_be_visible()
    from_browser = restore.evaluate("element => element.tagName") == "BUTTON"
    if from_browser:
        restore.click()
    else:
        click_and_wait(page, restore)
    expect(page.get_by_label("Body", exact=True)).to_have_value(
        "Saved text.\n\nTyped on a dead connection."
    )
    if from_browser:
        kept(page)  # and now the server has it too


def test_ctrl_s_saves_and_the_leave_page_warning(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    sign_in(page, REPORTER)
    new_story(page, "Saved with the keyboard", "Body text.")
    with page.expect_navigation():
        page.get_by_label("Body", exact=True).press("Control+s")
    expect(page.get_by_text("Draft saved")).to_be_visible()
    expect(page.get_by_label("Headline", exact=True)).to_have_value("Saved with the keyboard")

    # Changed since the save: leaving asks first (and staying keeps the text).
    page.get_by_label("Body", exact=True).fill("Body text, changed.")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    expect(page.get_by_label("Body", exact=True)).to_have_value("Body text, changed.")


def test_no_warning_after_a_save(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    sign_in(page, REPORTER)
    new_story(page, "Saved, then closed", "Body text.")
    click_and_wait(page, page.get_by_role("button", name="Save draft", exact=True))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert dialogs == []


def test_signed_out_mid_edit_then_restored_after_signing_in(
    new_context: Callable[..., Any],
) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, REPORTER)
    new_story(page, "Written across a sign-out", "Saved text.")
    click_and_wait(page, page.get_by_role("button", name="Save draft", exact=True))
    edit_url = page.url
    other = context.new_page()  # the session ends elsewhere (another tab signs out)
    goto(other, "/newsroom/")
    sign_out(other)
    page.get_by_label("Body", exact=True).fill("Saved text.\n\nTyped after the session ended.")
    expect(page.locator("#autosave-status")).to_contain_text(
        "You have been signed out", timeout=AUTOSAVE_WAIT_MS
    )
    page.close()
    sign_in(other, REPORTER)
    goto(other, edit_url)
    other.get_by_role("button", name=RESTORE).click()
    expect(other.get_by_label("Body", exact=True)).to_have_value(
        "Saved text.\n\nTyped after the session ended."
    )
    kept(other)


def two_at_once(new_context: Callable[..., Any], headline: str, body: str) -> tuple[Any, Any]:
    """The reporter saves a draft and stays in its editor; the desk editor opens it too and is
    told the reporter is there. Returns both pages (the reporter's, the editor's)."""
    reporter = new_context().new_page()
    sign_in(reporter, REPORTER)
    new_story(reporter, headline, body)
    click_and_wait(reporter, reporter.get_by_role("button", name="Save draft", exact=True))
    editor = new_context().new_page()
    sign_in(editor, EDITOR)
    goto(editor, reporter.url)
    expect(editor.get_by_text("Shirin Sultana is editing (since")).to_be_visible()
    return reporter, editor


def test_two_browsers_see_each_other(new_context: Callable[..., Any]) -> None:
    reporter, editor = two_at_once(new_context, "Two people at once", "The reporter's text.")
    expect(editor.get_by_label("Body", exact=True)).to_be_disabled()
    screenshot(editor, "editor-soft-lock")
    if AXE.is_file():
        violations = run_axe(editor)
        assert not violations, describe(violations)
    click_and_wait(editor, editor.get_by_role("link", name="Edit anyway", exact=True))
    expect(editor.get_by_label("Body", exact=True)).to_be_enabled()
    editor.get_by_label("Standfirst", exact=True).fill("The editor's standfirst.")

    # The reporter learns of it with their next autosave; both keep their own text.
    reporter.get_by_label("Body", exact=True).fill("The reporter's text, longer.")
    expect(reporter.get_by_text("Nasreen Akter is editing (since")).to_be_visible(
        timeout=AUTOSAVE_WAIT_MS
    )
    expect(editor.get_by_label("Standfirst", exact=True)).to_have_value("The editor's standfirst.")


def test_axe_on_the_editor_with_its_script_running(new_context: Callable[..., Any]) -> None:
    need("axe-core", AXE.is_file(), "./scripts/test-deps installs it from npm")
    context = new_context()
    page = context.new_page()
    sign_in(page, REPORTER)
    new_story(page, "Checked by axe", "Words to count.")
    kept(page)
    page.close()
    page = context.new_page()
    goto(page, "/newsroom/stories/new")
    expect(page.get_by_role("link", name=RESTORE).first).to_be_visible()
    page.get_by_label("Body", exact=True).fill("Words to count, and the status shown.")
    expect(page.locator("#editor-count")).to_be_visible()
    violations = run_axe(page)
    assert not violations, describe(violations)
