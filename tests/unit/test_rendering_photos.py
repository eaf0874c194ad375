"""Photos in a body's Markdown: the placeholder render_body leaves for each, read back exactly,
filled by the page; outside images become links; odd input stays harmless (no app, no
database)."""

from __future__ import annotations

import pytest
from markupsafe import escape

from editorial.rendering import PhotoRef, fill_photos, photo_refs, plain_text, render_body
from tests.unit.test_rendering import PAYLOADS, assert_harmless


def _filled(source: str) -> str:
    """The body as a page shows it, each photo as a marker naming what was read back."""
    return fill_photos(
        render_body(source),
        lambda ref: str(escape(f"[{ref.photo_id}|{ref.alt}|{ref.caption}]")),
    )


def test_a_photo_paragraph_is_a_block_without_a_paragraph() -> None:
    html = render_body('Before.\n\n![Boats at dawn](photo:12 "The river at six")\n\nAfter.')
    assert "<p>" + "<figure" not in html
    assert photo_refs(html) == [PhotoRef("12", "Boats at dawn", "The river at six")]
    assert _filled('![Boats](photo:12 "Cap")') == "[12|Boats|Cap]"


def test_a_photo_in_running_text_closes_the_paragraph_around_itself() -> None:
    assert _filled("Before ![a](photo:3) after.") == "<p>Before </p>[3|a|]<p> after.</p>\n"


def test_alt_is_text_and_the_caption_keeps_its_quotes() -> None:
    source = '![a *bold* `code` alt](photo:7 "He said \\"wait\\" & <left>")'
    (ref,) = photo_refs(render_body(source))
    assert ref == PhotoRef("7", "a bold code alt", 'He said "wait" & <left>')


@pytest.mark.parametrize(
    ("ref", "photo_id"),
    [
        ("12", 12),
        ("1", 1),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("99999999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("1.5", None),
        ("abc", None),
        ("١٢", None),  # Arabic-Indic digits are digits to str.isdigit, not to us
        ("javascript:alert(1)", None),
    ],
)
def test_only_a_plain_number_names_a_photo(ref: str, photo_id: int | None) -> None:
    assert PhotoRef(ref).photo_id == photo_id


def test_the_scheme_is_case_blind_and_the_ref_kept_short() -> None:
    (ref,) = photo_refs(render_body("![x](PHOTO:5)"))
    assert ref.photo_id == 5
    (long,) = photo_refs(render_body(f"![x](photo:{'9' * 500})"))
    assert len(long.ref) == 40 and long.photo_id is None


def test_outside_images_become_links() -> None:
    html = render_body("![A chart](https://example.com/c.png) ![](http://example.com/x.jpg)")
    assert "<img" not in html and photo_refs(html) == []
    assert '<a href="https://example.com/c.png" rel="noopener noreferrer nofollow">A chart</a>' in (
        html
    )
    assert ">Image</a>" in html


def test_script_urls_in_images_are_not_images_at_all() -> None:
    for source in ("![x](javascript:alert(1))", "![x](data:image/png;base64,AAAA)"):
        html = render_body(source)
        assert "<img" not in html and "href" not in html and photo_refs(html) == []
        assert_harmless(html)


def test_typed_placeholders_are_only_text() -> None:
    typed = '<figure data-photo="1" data-alt="" data-caption=""></figure>'
    for source in (typed, f"`{typed}`", f"```\n{typed}\n```"):
        assert photo_refs(render_body(source)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_alt_and_caption_stay_inside_the_placeholder(payload: str) -> None:
    quoted = payload.replace("\\", "\\\\").replace('"', '\\"')
    source = f'![{payload}](photo:1 "{quoted}")\n\ntext ![{payload}](photo:2)'
    html = render_body(source)
    # Whatever the payload did to the syntax, the placeholders are the only extra tags.
    assert {ref.photo_id for ref in photo_refs(html)} <= {1, 2, None}
    assert_harmless(fill_photos(html, lambda ref: ""))


def test_photos_add_no_words() -> None:
    assert plain_text('Two words. ![Many words of alt text](photo:1 "And a caption")') == (
        "Two words."
    )
