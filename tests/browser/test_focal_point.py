"""Issue 10 in Chromium: with JavaScript, a click on the photo sets its focal point's fields
(focal.js, a file: the CSP allows no inline script), and saving them says the crops are being
cut again; in print media an article keeps its lead photo."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import REPORTER, LiveStack, click_and_wait, goto, screenshot, sign_in

pytestmark = [pytest.mark.browser]


def test_a_click_on_the_photo_sets_the_focal_point(live_stack: LiveStack, new_context: Any) -> None:
    page = new_context().new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, REPORTER)
    goto(page, "/newsroom/media/")
    tile = page.locator("a[href^='/newsroom/media/']").filter(has=page.locator("img")).first
    click_and_wait(page, tile)
    assert re.search(r"/newsroom/media/\d+$", page.url), page.url

    image = page.locator("[data-focal-image]")
    image.wait_for()
    box = image.bounding_box()
    assert box and box["width"] > 0
    image.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.25})
    left, top = page.get_by_label("From the left (%)"), page.get_by_label("From the top (%)")
    assert abs(float(left.input_value()) - 80) < 1.5
    assert abs(float(top.input_value()) - 25) < 1.5
    assert page.locator("[data-focal-marker]").is_visible()
    screenshot(page, "photo-focal-point")

    click_and_wait(page, page.get_by_role("button", name="Save focal point"))
    assert "Focal point saved" in page.locator("main").inner_text()
    assert abs(float(page.get_by_label("From the left (%)").input_value()) - 80) < 1.5
    assert problems == [], problems  # no script error, no CSP refusal


def test_the_lead_photo_prints(live_stack: LiveStack, new_context: Any) -> None:
    """In print media (site-print.css) the article keeps its lead photo and its credit, while
    the lists around it (More articles) go."""
    page = new_context().new_page()
    goto(page, "/")
    lead = page.locator("article.lead-story").filter(has=page.locator("picture"))
    click_and_wait(page, lead.locator(".lead-headline a"))
    page.emulate_media(media="print")
    photo = page.locator("figure.lead-photo img")
    photo.wait_for()
    assert photo.is_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth") > 0
    assert page.locator("figure.lead-photo .credit").is_visible()
    assert not page.locator(".more-articles").is_visible()
