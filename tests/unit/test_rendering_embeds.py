"""Privacy embeds: a paragraph that is only a provider's post or video address becomes a box
that loads nothing; everything else stays as it always was."""

from __future__ import annotations

import pytest

from editorial.embeds import FRAME_ORIGINS, find_embed
from editorial.rendering import embeds_as_links, plain_text, render_body, word_count
from editorial.security import CONTENT_SECURITY_POLICY

VIDEO = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("url", "provider", "original", "frame"),
    [
        (
            f"https://www.youtube.com/watch?v={VIDEO}&t=42",
            "youtube",
            f"https://www.youtube.com/watch?v={VIDEO}",
            f"https://www.youtube-nocookie.com/embed/{VIDEO}",
        ),
        (f"https://youtu.be/{VIDEO}", "youtube", None, None),
        (f"http://m.youtube.com/shorts/{VIDEO}", "youtube", None, None),
        (f"https://YouTube.com/live/{VIDEO}", "youtube", None, None),
        (
            "https://twitter.com/dhaka_news/status/1234567890123456789",
            "x",
            "https://x.com/dhaka_news/status/1234567890123456789",
            "https://platform.twitter.com/embed/Tweet.html?id=1234567890123456789&dnt=true",
        ),
        ("https://x.com/jack/status/20/photo/1", "x", "https://x.com/jack/status/20", None),
        (
            "https://www.facebook.com/NASA/posts/pfbid02abcXYZ",
            "facebook",
            "https://www.facebook.com/NASA/posts/pfbid02abcXYZ",
            "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com"
            "%2FNASA%2Fposts%2Fpfbid02abcXYZ",
        ),
        ("https://m.facebook.com/watch/?v=123456789", "facebook", None, None),
        ("https://facebook.com/NASA/videos/some-title/123456789/", "facebook", None, None),
        ("https://www.facebook.com/reel/123456789", "facebook", None, None),
    ],
)
def test_provider_addresses_are_recognised(
    url: str, provider: str, original: str | None, frame: str | None
) -> None:
    embed = find_embed(url)
    assert embed is not None and embed.provider == provider
    assert embed.frame.startswith(FRAME_ORIGINS)
    if original:
        assert embed.url == original
    if frame:
        assert embed.frame == frame


@pytest.mark.parametrize(
    "url",
    [
        f"https://youtube.com.evil.example/watch?v={VIDEO}",
        f"https://evil.example/youtube.com/watch?v={VIDEO}",
        f"https://notyoutube.com/watch?v={VIDEO}",
        f"https://www.youtube.com@evil.example/watch?v={VIDEO}",
        f"https://www.youtube.com:8443/watch?v={VIDEO}",
        f"javascript:alert(1)//youtube.com/watch?v={VIDEO}",
        f"data:text/html,<script>alert(1)</script>youtu.be/{VIDEO}",
        f"ftp://www.youtube.com/watch?v={VIDEO}",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=<script>xx",
        "https://www.youtube.com/channel/UCabcdefghijk",
        "https://x.com.evil.example/jack/status/20",
        "https://x.com/jack",
        "https://x.com/jack/status/notanumber",
        'https://twitter.com/i/status/20"onload=alert(1)',
        "https://facebook.com.evil.example/NASA/posts/1",
        "https://www.facebook.com/NASA",
        "https://www.facebook.com/plugins/post.php?href=https://evil.example",
        "https://fb.com.evil.example/watch/?v=1",
        f"https://www.y\u043eutube.com/watch?v={VIDEO}",  # a Cyrillic o
        "",
    ],
)
def test_other_addresses_are_not_embeds(url: str) -> None:
    assert find_embed(url) is None


def test_a_paragraph_of_only_the_address_becomes_a_box_that_loads_nothing() -> None:
    html = render_body(f"Before.\n\nhttps://youtu.be/{VIDEO}\n\nAfter.")
    assert "<iframe" not in html and "<script" not in html
    assert (
        '<div class="embed" data-embed="youtube" '
        f'data-embed-src="https://www.youtube-nocookie.com/embed/{VIDEO}" '
        'data-embed-title="YouTube video">'
        f'<a href="https://www.youtube.com/watch?v={VIDEO}" rel="noopener noreferrer nofollow">'
        "Load YouTube video \u2014 this loads content from youtube.com</a></div>"
    ) in html
    assert html.startswith("<p>Before.</p>") and html.rstrip().endswith("<p>After.</p>")


def test_an_autolink_alone_is_an_embed_too() -> None:
    assert 'data-embed="x"' in render_body("<https://x.com/jack/status/20>")


@pytest.mark.parametrize(
    "source",
    [
        f"Watch https://youtu.be/{VIDEO} tonight.",
        f"[the speech](https://youtu.be/{VIDEO})",  # a link the writer worded stays a link
        f"`https://youtu.be/{VIDEO}`",
        f"    https://youtu.be/{VIDEO}",  # code
        f"https://youtube.com.evil.example/watch?v={VIDEO}",
        f"<https://youtube.com.evil.example/watch?v={VIDEO}>",
        "javascript:alert(1)",
        "[x](javascript:alert(1))",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_anything_else_stays_ordinary_text_or_links(source: str) -> None:
    html = render_body(source)
    assert "data-embed" not in html and 'class="embed"' not in html
    assert 'href="javascript:' not in html and 'href="data:' not in html


def test_typed_html_cannot_fake_a_box() -> None:
    fake = '<div class="embed" data-embed-src="https://evil.example/x"><a href="#">Load</a></div>'
    html = render_body(fake)
    assert "<div" not in html and "&lt;div" in html


def test_embeds_as_links_gives_the_address_as_a_plain_link() -> None:
    html = render_body("https://x.com/jack/status/20\n\nText.")
    assert embeds_as_links(html) == (
        '<p><a href="https://x.com/jack/status/20">https://x.com/jack/status/20</a></p>\n\n'
        "<p>Text.</p>\n"
    )


def test_text_and_word_counts_see_the_address_not_the_box() -> None:
    source = f"One two.\n\nhttps://youtu.be/{VIDEO}"
    assert plain_text(source) == f"One two.\nhttps://youtu.be/{VIDEO}"
    assert word_count(source) == 3


def test_the_csp_frames_exactly_the_providers_and_keeps_scripts_our_own() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["frame-src"].split() == ["'self'", *FRAME_ORIGINS]
    assert directives["script-src"] == "'self'"
