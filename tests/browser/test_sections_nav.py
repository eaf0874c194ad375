"""The public navigation in Chromium: every section reachable on a phone, one row on a desktop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import goto, screenshot

pytestmark = pytest.mark.browser

# Names as long as a newsroom's usual ones, to make the demo's seven desks ten.
EXTRA = ["Technology", "Entertainment", "Lifestyle"]


def _nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Sections", exact=True)


def test_a_phone_reaches_every_section_through_the_menu(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    goto(page, "/")
    names = page.locator(".footer-sections a").all_inner_texts()
    assert len(names) >= 7  # the demo's desks
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    nav = _nav(page)
    nav.get_by_text("Sections", exact=True).click()
    for name in ["Home", *names]:
        link = nav.get_by_role("link", name=name, exact=True)
        assert link.is_visible(), name
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot(page, "sections-phone-menu")


def test_ten_sections_leave_the_search_box_on_the_row(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()  # 1280 px wide
    goto(page, "/")
    # The layout is what is tested: three more sections in the row, like real desks' links.
    page.evaluate(
        """names => {
            const list = document.querySelector('.sections-list');
            for (const name of names) {
                const item = list.lastElementChild.cloneNode(true);
                const link = item.querySelector('a');
                link.textContent = name;
                link.removeAttribute('class');
                list.append(item);
            }
        }""",
        EXTRA,
    )
    links = _nav(page).locator(".sections-list a")
    assert links.count() == 11  # Home and ten sections
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(11)) if box}
    assert len(tops) == 1, "the ten sections wrapped"
    search = page.get_by_role("search", name="Site search").bounding_box()
    first = links.first.bounding_box()
    assert search is not None and first is not None
    bottom, search_bottom = first["y"] + first["height"], search["y"] + search["height"]
    assert search["y"] < bottom and first["y"] < search_bottom  # side by side, one row
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot(page, "sections-desktop-ten")
