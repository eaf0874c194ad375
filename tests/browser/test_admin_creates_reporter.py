"""Issue 2's 'done when': the demo admin signs in and creates a reporter in the browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveStack, click_and_wait, goto, screenshot, sign_in

pytestmark = [pytest.mark.browser]

ADMIN = "admin@editorial.local"


def test_admin_creates_a_reporter(live_stack: LiveStack, new_context: Any) -> None:
    page = new_context().new_page()
    sign_in(page, ADMIN)
    goto(page, "/admin/staff/new")
    page.get_by_label("Name", exact=True).fill("Mahmud Hasan")
    page.get_by_label("Email", exact=True).fill("mahmud.hasan@editorial.local")
    page.get_by_label("Byline", exact=True).fill("Staff Reporter")
    page.get_by_role("checkbox", name="Reporter").check()
    page.get_by_role("checkbox", name="City").check()
    screenshot(page, "admin-new-reporter")
    click_and_wait(page, page.get_by_role("button", name="Create and send invitation"))
    goto(page, "/admin/staff/?q=mahmud")
    text = page.locator("main").inner_text()
    assert "mahmud.hasan@editorial.local" in text
    assert "Invited" in text  # no password yet: they set one from the invitation e-mail
