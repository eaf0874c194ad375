"""Two people edit one story in Chromium at once: each sees the other is there; one saves; the
other's save opens the merge page, where the paragraph both changed is picked (no script
needed) and the merged version saved with both people's edits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import AXE, VNU, click_and_wait, expect, screenshot
from tests.browser.test_accessibility import describe, run_axe
from tests.browser.test_editor import AUTOSAVE_WAIT_MS, two_at_once
from tests.browser.test_markup import run_vnu

pytestmark = pytest.mark.browser

ONE = "The ferry left Sadarghat at dawn."
TWO = "Passengers said the fare had risen."
THREE = "The operator declined to comment."


def body(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


def test_two_browsers_edit_at_once_and_the_second_save_merges(
    new_context: Callable[..., Any], tmp_path: Path
) -> None:
    reporter, editor = two_at_once(
        new_context, f"Ferry fares {uuid.uuid4().hex[:6]}", body(ONE, TWO, THREE)
    )
    click_and_wait(editor, editor.get_by_role("link", name="Edit anyway", exact=True))
    editor.get_by_label("Body", exact=True).fill(body(ONE, TWO + " By a fifth.", THREE + " Yet."))
    reporter.get_by_label("Body", exact=True).fill(body("At dawn: " + ONE, TWO + " Again.", THREE))
    expect(reporter.get_by_text("Nasreen Akter is editing (since")).to_be_visible(
        timeout=AUTOSAVE_WAIT_MS
    )

    click_and_wait(editor, editor.get_by_role("button", name="Save draft", exact=True))
    expect(editor.get_by_text("Saved (version")).to_be_visible()

    with reporter.expect_navigation() as navigation:
        reporter.get_by_role("button", name="Save draft", exact=True).click()
    assert navigation.value.status == 409
    if VNU.is_file():  # the page as served (a POST's answer: the markup check cannot GET it)
        served = tmp_path / "merge-page.html"
        served.write_text(navigation.value.text())
        errors = [m for m in run_vnu([served])[served.name] if m.get("type") == "error"]
        assert not errors, errors
    heading = reporter.get_by_role("heading", name=re.compile(r"^Nasreen Akter saved this at"))
    expect(heading).to_be_visible()
    clash = reporter.get_by_role("group", name="You both changed this")
    expect(clash).to_have_count(1)
    expect(clash.get_by_text(TWO + " Again.")).to_be_visible()
    expect(clash.get_by_text(TWO + " By a fifth.")).to_be_visible()
    screenshot(reporter, "editor-merge-page")
    if AXE.is_file():
        violations = run_axe(reporter)
        assert not violations, describe(violations)

    # Ctrl+S here is Save merged version (never my text over theirs): it asks for the pick.
    with reporter.expect_navigation() as navigation:
        reporter.keyboard.press("Control+s")
    assert navigation.value.status == 422
    expect(reporter.get_by_text("choose what to keep for body paragraphs 1")).to_be_visible()
    clash = reporter.get_by_role("group", name="You both changed this")
    clash.get_by_label("Keep both", exact=True).check()
    click_and_wait(reporter, reporter.get_by_role("button", name="Save merged version"))
    expect(reporter.get_by_text("Merged version saved")).to_be_visible()
    expect(reporter.get_by_label("Body", exact=True)).to_have_value(
        body("At dawn: " + ONE, TWO + " Again.", TWO + " By a fifth.", THREE + " Yet.")
    )
