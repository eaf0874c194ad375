"""Issue 2's 'done when': the demo admin signs in and creates a reporter in the browser.

Every page is reached the way a person reaches it, by its link or button: a renamed or missing
one fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveStack, click_and_wait, screenshot, sign_in

pytestmark = [pytest.mark.browser]

ADMIN = "admin@editorial.local"


def test_admin_creates_a_reporter(live_stack: LiveStack, new_context: Any) -> None:
    page = new_context().new_page()
    sign_in(page, ADMIN)
    newsroom_nav = page.get_by_role("navigation", name="Newsroom")
    click_and_wait(page, newsroom_nav.get_by_role("link", name="Admin", exact=True))
    admin_nav = page.get_by_role("navigation", name="Admin sections")
    click_and_wait(page, admin_nav.get_by_role("link", name="Staff", exact=True))
    click_and_wait(page, page.get_by_role("link", name="Add a person", exact=True))
    page.get_by_label("Name", exact=True).fill("Mahmud Hasan")
    page.get_by_label("Email", exact=True).fill("mahmud.hasan@editorial.local")
    page.get_by_label("Byline", exact=True).fill("Staff Reporter")
    page.get_by_role("checkbox", name="Reporter").check()
    page.get_by_role("checkbox", name="City").check()
    screenshot(page, "admin-new-reporter")
    click_and_wait(page, page.get_by_role("button", name="Create and send invitation"))

    click_and_wait(page, admin_nav.get_by_role("link", name="Staff", exact=True))
    page.get_by_label("Search name or email", exact=True).fill("mahmud")
    click_and_wait(page, page.get_by_role("button", name="Filter", exact=True))
    text = page.locator("main").inner_text()
    assert "mahmud.hasan@editorial.local" in text
    assert "Invited" in text  # no password yet: they set one from the invitation e-mail
