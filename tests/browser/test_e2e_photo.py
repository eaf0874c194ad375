"""A real browser end to end with a photo (issue 10): a reporter uploads it in Media, makes it the
lead photo of a story (and places it in the body), submits; an editor approves and publishes; a
reader's article shows the image loaded, with its caption and credit, at desktop and at phone
width. The renditions are made by the live stack's real Celery worker, not eagerly.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

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
    sign_out,
)
from tests.browser.test_e2e_publish import open_for_review

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RENDITIONS_PATIENCE_SECONDS = 90  # the worker makes 15 renditions of a small photo in seconds
CAPTION = "Launches wait for the fog to lift at Sadarghat"
CREDIT = "Rafiq Ahmed"
BODY_CAPTION = "Passengers board at first light"
LOADED = "img => img.complete && img.naturalWidth > 0"  # decoded pixels, not a broken icon


def _photo_file(folder: Path) -> Path:
    image = Image.new("RGB", (1600, 1067), (40, 90, 140))
    draw = ImageDraw.Draw(image)
    for n in range(0, 1600, 80):
        draw.rectangle((n, 700, n + 40, 1067), fill=(200, 140 + n % 100, 60))
    path = folder / "sadarghat.jpg"
    image.save(path, "JPEG", quality=88)
    return path


def upload_photo(page: Any, path: Path) -> int:
    """As the reporter: Media, fill the contract's fields, Upload; the new photo's number."""
    goto(page, "/newsroom/")
    nav = page.get_by_role("navigation", name="Newsroom")
    click_and_wait(page, nav.get_by_role("link", name="Media", exact=True))
    page.get_by_label("Photo", exact=True).set_input_files(str(path))
    page.get_by_label("Caption", exact=True).fill(CAPTION)
    page.get_by_label("Credit", exact=True).fill(CREDIT)
    page.get_by_label("Alt text", exact=True).fill("Wooden launches moored three deep in fog")
    click_and_wait(page, page.get_by_role("button", name="Upload", exact=True))
    found = re.search(r"Photo (\d+) uploaded", page.locator("body").inner_text())
    assert found, page.locator("body").inner_text()[:500]
    return int(found.group(1))


def wait_for_renditions(page: Any, photo_id: int) -> None:
    """The photo's page until it no longer says processing (the worker made the renditions)."""
    deadline = time.monotonic() + RENDITIONS_PATIENCE_SECONDS
    while True:
        goto(page, f"/newsroom/media/{photo_id}")
        if not page.locator(".processing").count():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"photo {photo_id} still processing after {RENDITIONS_PATIENCE_SECONDS} s")
        time.sleep(0.5)


def write_story(page: Any, headline: str, photo_id: int) -> None:
    goto(page, "/newsroom/")
    click_and_wait(page, button_or_link(page, "New story"))
    page.get_by_label("Headline", exact=True).fill(headline)
    page.get_by_label("Standfirst", exact=True).fill("The first launches leave at dawn.")
    page.get_by_label("Body", exact=True).fill(
        "Launches from Sadarghat will leave half an hour later from Monday.\n\n"
        + "The authority said the fog season had come early. " * 30
        + f'\n\n![Passengers on the gangway](photo:{photo_id} "{BODY_CAPTION}")\n\n'
        "The change lasts until the end of February."
    )
    page.get_by_label("Byline", exact=True).fill("Staff Reporter")
    page.get_by_label("Dateline", exact=True).fill("DHAKA")
    page.get_by_label("Desk", exact=True).select_option(label="City")
    lead = page.get_by_label("Lead photo", exact=True)
    lead.select_option(value=str(photo_id))
    click_and_wait(page, page.get_by_role("button", name="Submit for review", exact=True))
    expect(page.get_by_role("heading", level=1, name=headline)).to_be_visible()


def check_figure(page: Any, figure: Any, caption: str, name: str) -> None:
    """The figure's image has loaded (decoded pixels, not a broken icon) and its caption and
    credit show below it, inside the viewport's width."""
    figure.scroll_into_view_if_needed()
    img = figure.locator("img")
    expect(img).to_be_visible()
    page.wait_for_function(LOADED, arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 0
    assert "/media/" in img.evaluate("img => img.currentSrc")
    width = page.viewport_size["width"]
    assert img.evaluate("img => img.getBoundingClientRect().right") <= width + 0.5
    caption_text = " ".join(figure.locator("figcaption").inner_text().split())
    assert caption in caption_text and CREDIT in caption_text, caption_text
    screenshot(page, name)


def test_a_photo_from_upload_to_reader(
    new_context: Any, live_stack: LiveStack, tmp_path: Path
) -> None:
    headline = f"Fog moves Sadarghat launches to dawn {int(time.time())}"

    reporter = new_context().new_page()
    sign_in(reporter, REPORTER)
    photo_id = upload_photo(reporter, _photo_file(tmp_path))
    write_story(reporter, headline, photo_id)
    wait_for_renditions(reporter, photo_id)
    sign_out(reporter)

    editor = new_context().new_page()
    sign_in(editor, EDITOR)
    open_for_review(editor, headline)
    click_and_wait(editor, editor.get_by_role("button", name="Approve", exact=True))
    click_and_wait(editor, editor.get_by_role("button", name="Publish now", exact=True))
    expect(editor.get_by_text(re.compile(r"now published", re.I)).first).to_be_visible()

    reader = new_context().new_page()
    goto(reader, "/")
    click_and_wait(reader, latest_news(reader).get_by_role("link", name=headline).first)
    live_stack.check_alive()
    article = reader.url
    for width, height, label in ((1280, 900, "desktop"), (390, 844, "mobile")):
        reader.set_viewport_size({"width": width, "height": height})
        goto(reader, article)
        expect(reader.get_by_role("heading", level=1, name=headline)).to_be_visible()
        lead = reader.locator("figure.lead-photo")
        expect(lead.locator("img")).to_have_attribute("fetchpriority", "high")
        check_figure(reader, lead, CAPTION, f"photo-article-{label}")
        body = reader.locator("figure.body-photo")
        expect(body.locator("img")).to_have_attribute("loading", "lazy")
        check_figure(reader, body, BODY_CAPTION, f"photo-article-body-{label}")
