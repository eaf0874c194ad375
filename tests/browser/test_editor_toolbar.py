"""The editor's writing help in Chromium (issue 11): Bold by button and by Ctrl+B on a selected
word, Italic, Link, Quote and List by button, a photo from the library's picker (and Set as lead
photo), the live preview following the text, an embed that loads nothing from the provider until
clicked, and axe with it all on."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import AXE, REPORTER, expect, need, screenshot, sign_in
from tests.browser.test_accessibility import describe, run_axe
from tests.browser.test_editor import new_story

pytestmark = pytest.mark.browser

PREVIEW_WAIT_MS = 10_000  # the script waits 0.6 s after the last keystroke, then asks
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
PROVIDERS = re.compile(
    r"^https://([a-z0-9-]+\.)*(youtube|youtube-nocookie|ytimg|googlevideo)\.com/"
)


def body(page: Any) -> Any:
    return page.get_by_label("Body", exact=True)


def select_text(page: Any, word: str) -> None:
    """Select `word` in the body, as a double-click would."""
    page.evaluate(
        """(word) => {
          const box = document.getElementById("body");
          const at = box.value.indexOf(word);
          box.focus();
          box.setSelectionRange(at, at + word.length);
        }""",
        word,
    )


def preview(page: Any) -> Any:
    return page.locator(".live-preview-body")


def writing(new_context: Callable[..., Any], headline: str, text: str) -> tuple[Any, Any]:
    """A reporter's new story holding `text`: the page and its formatting toolbar."""
    page = new_context().new_page()
    sign_in(page, REPORTER)
    new_story(page, headline, text)
    return page, page.get_by_role("toolbar", name="Formatting")


def test_bold_italic_and_link_from_the_toolbar_and_the_keys(
    new_context: Callable[..., Any],
) -> None:
    page, toolbar = writing(new_context, "Toll rises", "Tolls rose sharply on the bridge.")
    expect(toolbar).to_be_visible()

    select_text(page, "rose")
    toolbar.get_by_role("button", name="Bold").click()
    expect(body(page)).to_have_value("Tolls **rose** sharply on the bridge.")
    select_text(page, "sharply")
    page.keyboard.press("Control+B")
    expect(body(page)).to_have_value("Tolls **rose** **sharply** on the bridge.")
    select_text(page, "bridge")
    page.keyboard.press("Control+I")
    select_text(page, "Tolls")
    page.keyboard.press("Control+K")
    page.keyboard.type("https://example.com/tolls")  # the address is selected to type over
    expect(body(page)).to_have_value(
        "[Tolls](https://example.com/tolls) **rose** **sharply** on the *bridge*."
    )
    expect(preview(page).locator("strong")).to_have_text(
        ["rose", "sharply"], timeout=PREVIEW_WAIT_MS
    )
    expect(preview(page).locator("em")).to_have_text("bridge")
    expect(preview(page).get_by_role("link", name="Tolls")).to_have_attribute(
        "href", "https://example.com/tolls"
    )
    page.keyboard.press("Control+Z")  # the browser's own Undo takes the last change back
    expect(body(page)).not_to_have_value(re.compile(r"example\.com/tolls"))

    body(page).fill("Heading here")
    toolbar.get_by_role("button", name="Subheading").click()
    expect(body(page)).to_have_value("## Heading here")
    expect(preview(page).locator("h2")).to_have_text("Heading here", timeout=PREVIEW_WAIT_MS)


def test_italic_link_quote_and_list_buttons_write_their_markdown(
    new_context: Callable[..., Any],
) -> None:
    text = "Traffic grew.\n\nThe minister said so.\n\nCars\nBuses\nLorries"
    page, toolbar = writing(new_context, "Traffic", text)

    select_text(page, "grew")
    toolbar.get_by_role("button", name="Italic").click()
    expect(body(page)).to_have_value(re.compile(r"^Traffic \*grew\*\.\n"))
    select_text(page, "minister")
    toolbar.get_by_role("button", name="Link").click()
    page.keyboard.type("https://example.com/minister")  # the address is selected to type over
    select_text(page, "said so")  # a cursor anywhere in the paragraph quotes its line
    toolbar.get_by_role("button", name="Quote").click()
    select_text(page, "Cars\nBuses\nLorries")  # every line the selection touches
    toolbar.get_by_role("button", name="List").click()
    expect(body(page)).to_have_value(
        "Traffic *grew*.\n\n> The [minister](https://example.com/minister) said so.\n\n"
        "- Cars\n- Buses\n- Lorries"
    )
    expect(preview(page).locator("li")).to_have_text(
        ["Cars", "Buses", "Lorries"], timeout=PREVIEW_WAIT_MS
    )
    expect(preview(page).locator("em")).to_have_text("grew")
    quote = preview(page).locator("blockquote")
    expect(quote).to_have_text("The minister said so.")
    expect(quote.get_by_role("link", name="minister")).to_have_attribute(
        "href", "https://example.com/minister"
    )

    toolbar.get_by_role("button", name="List").click()  # the same lines, still selected: off again
    expect(body(page)).to_have_value(re.compile(r"\n\nCars\nBuses\nLorries$"))


def test_a_photo_from_the_picker_goes_into_the_text_and_the_preview(
    new_context: Callable[..., Any],
) -> None:
    page = new_context().new_page()
    sign_in(page, REPORTER)
    new_story(page, "Boats at dawn", "The launches left at dawn.")
    page.get_by_role("toolbar", name="Formatting").get_by_role(
        "button", name="Photo from the library"
    ).click()
    picker = page.get_by_role("dialog", name="Insert a photo from the library")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("button", name=re.compile(r"^Insert photo #\d+"))).not_to_have_count(
        0
    )
    picker.get_by_label(re.compile("Search the library")).fill("zzz-nothing-like-it")
    expect(picker.get_by_text("No photos found.")).to_be_visible()
    picker.get_by_label(re.compile("Search the library")).fill("")
    first = picker.get_by_role("button", name=re.compile(r"^Insert photo #\d+")).first
    photo_id = re.search(r"#(\d+)", first.get_attribute("aria-label")).group(1)
    picker.get_by_role("button", name=f"Set as lead photo: #{photo_id}").click()
    expect(page.get_by_label("Lead photo", exact=True)).to_have_value(photo_id)
    picker.get_by_role("button", name=f"Insert photo #{photo_id} in the body").click()
    expect(picker).to_be_hidden()
    expect(body(page)).to_have_value(
        re.compile(r"^The launches left at dawn\.\n\n!\[[^\]]*\]\(photo:" + photo_id + r' "')
    )
    figure = preview(page).locator("figure.body-photo img")
    expect(figure).to_have_count(1, timeout=PREVIEW_WAIT_MS)
    expect(figure).to_have_attribute("src", re.compile(r"^/newsroom/media/files/"))
    screenshot(page, "editor-toolbar-photo")
    page.set_viewport_size({"width": 1440, "height": 900})  # wide: the preview beside the text
    text_box, shown = body(page).bounding_box(), page.locator(".live-preview").bounding_box()
    assert shown["x"] > text_box["x"] + text_box["width"] and shown["y"] < text_box["y"] + 50
    screenshot(page, "editor-toolbar-wide")


def test_an_embed_in_the_preview_loads_only_on_click(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    asked: list[str] = []

    def provider(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>The video</p>")

    page.route(PROVIDERS, provider)
    sign_in(page, REPORTER)
    new_story(
        page,
        "The speech",
        f"The minister spoke.\n\n{VIDEO}\n\nhttps://youtube.com.evil.example/watch?v=x",
    )
    box = preview(page).locator(".embed")
    expect(box).to_have_count(1, timeout=PREVIEW_WAIT_MS)
    load = box.get_by_role(
        "link", name="Load YouTube video \u2014 this loads content from youtube.com"
    )
    expect(load).to_have_attribute("href", VIDEO)
    expect(preview(page).get_by_text("https://youtube.com.evil.example/watch?v=x")).to_be_visible()
    page.wait_for_timeout(500)
    assert asked == [] and page.locator("iframe").count() == 0  # nothing before the click

    load.click()
    frame = box.locator("iframe")
    expect(frame).to_have_attribute("src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    expect(frame).to_have_attribute("title", "YouTube video")
    expect(page.frame_locator(".embed iframe").get_by_text("The video")).to_be_visible()
    assert asked == ["https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"]  # the CSP let it in
    expect(box.get_by_role("link", name="Open the original")).to_have_attribute("href", VIDEO)
    screenshot(page, "editor-toolbar-embed")


def test_axe_on_the_editor_with_the_toolbar_preview_and_picker(
    new_context: Callable[..., Any],
) -> None:
    need("axe-core", AXE.is_file(), "./scripts/test-deps installs it from npm")
    page = new_context().new_page()
    page.route(PROVIDERS, lambda route: route.abort())
    sign_in(page, REPORTER)
    new_story(page, "Checked by axe", f"Words **here**.\n\n## A subheading\n\n{VIDEO}")
    expect(preview(page).locator(".embed")).to_have_count(1, timeout=PREVIEW_WAIT_MS)
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.get_by_role("button", name="Photo from the library").click()
    picker = page.get_by_role("dialog", name="Insert a photo from the library")
    expect(picker.get_by_role("button", name=re.compile(r"^Insert photo #"))).not_to_have_count(0)
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(body(page)).to_be_focused()
