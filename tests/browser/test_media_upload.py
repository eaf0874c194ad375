"""upload.js in Chromium: several files, each sent on its own with a progress bar; a refused
file says why beside its name while the others are uploaded; all good, the library shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests import photokit
from tests.browser.conftest import expect, open_media, screenshot

pytestmark = pytest.mark.browser


def _file(name: str, content: bytes, mime: str) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": content}


def test_each_file_gets_its_own_progress_and_answer(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    open_media(page)
    page.get_by_label("Caption", exact=True).fill("Launches at Sadarghat before dawn")
    page.get_by_label("Alt text", exact=True).fill("Launches in fog")
    page.get_by_label("Photo", exact=True).set_input_files(
        [
            _file("dawn.jpg", photokit.jpeg((900, 600)), "image/jpeg"),
            _file("drawing.svg", photokit.SVG, "image/svg+xml"),
        ]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    status = page.locator("[data-upload-status]")
    expect(status).to_contain_text("1 uploaded, 1 not uploaded")
    rows = page.locator("[data-upload-progress] li")
    expect(rows.nth(0)).to_contain_text("Uploaded as photo")
    expect(rows.nth(1)).to_contain_text("drawing.svg")
    expect(rows.nth(1)).to_contain_text("script code")
    assert page.locator("[data-upload-progress] progress").evaluate_all(
        "bars => bars.map(b => b.value)"
    ) == [100, 100]
    # Nothing typed is lost: the page stayed, with the words in the form.
    expect(page.get_by_label("Caption", exact=True)).to_have_value(
        "Launches at Sadarghat before dawn"
    )
    screenshot(page, "media-upload-refused")

    page.get_by_label("Photo", exact=True).set_input_files(
        [
            _file("one.png", photokit.png((500, 400)), "image/png"),
            _file("two.png", photokit.png((400, 300), color=(10, 10, 200)), "image/png"),
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload", exact=True).click()
    flashes = page.locator(".flashes")
    expect(flashes).to_contain_text("uploaded; its renditions are being made")
    assert flashes.locator("p").count() >= 2
