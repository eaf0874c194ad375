"""What the editor's toolbar writes is plain Markdown the server renders on its own: the same
HTML with or without the toolbar, and a picked photo's Markdown places exactly that photo."""

from __future__ import annotations

import pytest

from editorial.rendering import PhotoRef, photo_markdown, photo_refs, render_body


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("Tolls **rose**.", "<p>Tolls <strong>rose</strong>.</p>\n"),
        ("Tolls *rose*.", "<p>Tolls <em>rose</em>.</p>\n"),
        ("Tolls ***rose***.", "<p>Tolls <em><strong>rose</strong></em>.</p>\n"),
        ("## The toll", "<h2>The toll</h2>\n"),
        (
            "[the authority](https://example.com/toll)",
            '<p><a href="https://example.com/toll" rel="noopener noreferrer nofollow">'
            "the authority</a></p>\n",
        ),
        ("> One.\n> Two.", "<blockquote>\n<p>One.\nTwo.</p>\n</blockquote>\n"),
        ("- One\n- Two", "<ul>\n<li>One</li>\n<li>Two</li>\n</ul>\n"),
    ],
)
def test_the_toolbars_markdown_renders_as_markdown(typed: str, html: str) -> None:
    assert render_body(typed) == html


@pytest.mark.parametrize(
    ("alt", "caption"),
    [
        ("Boats at dawn", "Launches wait at Sadarghat"),
        ("", ""),
        ("A [boy] *runs* _fast_ `now` & <b>x</b> \\ !", 'He said "no" &amp; \\ left'),
        ("](javascript:alert(1))", '") ![x](photo:2 "'),
        ("Line\nbreak", "Tab\there"),
        ("নৌকা", "সদরঘাট"),
    ],
)
def test_a_picked_photo_places_that_photo_with_its_words(alt: str, caption: str) -> None:
    source = photo_markdown(42, alt, caption)
    assert source.startswith("![") and "(photo:42 " in source
    assert photo_refs(render_body(source)) == [
        PhotoRef(ref="42", alt=" ".join(alt.split()), caption=" ".join(caption.split()))
    ]
