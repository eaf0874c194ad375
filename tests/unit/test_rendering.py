"""Story text: XSS payloads never survive rendering (TRUST 10); slugs and word counts."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from editorial.rendering import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    render_body,
    sanitise_html,
    slugify,
    word_count,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<body onload=alert(1)>",
    '<p onclick="alert(1)" style="color:red">x</p>',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[x](java\x00script:alert(1))",
    "[x](\x01javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "[x](vbscript:msgbox(1))",
    '<a href="VBScript:msgbox(1)">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background-image:url(javascript:alert(1))">x</div>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<details open ontoggle="alert(1)">x</details>',
    '<video><source onerror="alert(1)"></video>',
    '<a href="https://example.com" onmouseover="alert(1)">x</a>',
    '[x](https://example.com "title" onmouseover=alert(1))',
    '<a href="https://example.com" target="_blank">x</a>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
]

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class Markup(HTMLParser):
    """Collects every tag and attribute of a rendered fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def as_browser_reads(url: str) -> str:
    """A URL as a browser sees its scheme: entities decoded, controls and spaces dropped."""
    decoded = html.unescape(url)
    return re.sub(r"[\x00-\x20\x7f]", "", decoded).lower()


def assert_harmless(fragment: str) -> None:
    markup = Markup()
    markup.feed(fragment)
    markup.close()
    for tag, attrs in markup.tags:
        assert tag in ALLOWED_TAGS, f"<{tag}> survived: {fragment!r}"
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        for name, value in attrs:
            assert name in allowed, f"{tag}[{name}] survived: {fragment!r}"
            if name == "href":
                assert not as_browser_reads(value or "").startswith(DANGEROUS_SCHEMES), fragment
    lowered = fragment.lower()
    for marker in ("<script", "<svg", "<iframe", "<object", "<embed", "<style", "<form", "<meta"):
        assert marker not in lowered, f"{marker} survived: {fragment!r}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_never_survives_render_body(payload: str) -> None:
    assert_harmless(render_body(payload))
    assert_harmless(render_body(f"Intro paragraph.\n\n{payload}\n\n- a list item {payload}"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_never_survives_sanitise_html(payload: str) -> None:
    assert_harmless(sanitise_html(payload))


def test_ordinary_markup_is_kept() -> None:
    rendered = render_body(
        "## Section\n\n**Bold** and *italic*, a [link](https://example.com/a?b=1), "
        "[mail](mailto:desk@example.com)\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    for fragment in ("<h2>", "<strong>", "<em>", "<blockquote>", "<table>", "<td>"):
        assert fragment in rendered
    assert 'href="https://example.com/a?b=1"' in rendered
    assert 'href="mailto:desk@example.com"' in rendered
    assert 'rel="noopener noreferrer nofollow"' in rendered


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    assert "&lt;b&gt;" in render_body("<b>not bold</b>")


# --- slugs -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headline", "slug"),
    [
        ("Cabinet approves budget", "cabinet-approves-budget"),
        ("  Hello, World! It's 2025  ", "hello-world-it-s-2025"),
        ("Rohingya: 'We want to go home'", "rohingya-we-want-to-go-home"),
        ("ঢাকায় বৃষ্টি, জনজীবন বিপর্যস্ত", "ঢাকায়-বৃষ্টি-জনজীবন-বিপর্যস্ত"),
        ("ঢাকা: ২০২৫ সালের বাজেট", "ঢাকা-২০২৫-সালের-বাজেট"),
        ("Padma Bridge — পদ্মা সেতু", "padma-bridge-পদ্মা-সেতু"),
        ("\uff26\uff55\uff4c\uff4c", "full"),  # fullwidth letters fold (NFKC)
        ("...", "story"),
        ("!!! ??? ---", "story"),
        ("", "story"),
    ],
)
def test_slugify(headline: str, slug: str) -> None:
    assert slugify(headline) == slug


def test_slug_keeps_bangla_combining_marks() -> None:
    # Vowel signs and hasanta are marks (category M): dropping them would garble the word.
    assert slugify("বিপর্যস্ত") == "বিপর্যস্ত"


def test_slug_is_capped_without_trailing_hyphen() -> None:
    slug = slugify("word " * 40)
    assert len(slug) <= 80 and not slug.endswith("-")
    assert len(slugify("ক" * 300)) == 80


# --- word counts -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", 0),
        ("One two three.", 3),
        ("ঢাকায় বৃষ্টি, জনজীবন বিপর্যস্ত। আজ সকাল থেকে", 7),
        ("**বাংলা** লেখা\n\nদ্বিতীয় অনুচ্ছেদ।", 4),
        ("Mixed বাংলা and English", 4),
        ("<script>alert(1)</script> two", 2),
    ],
)
def test_word_count(body: str, words: int) -> None:
    assert word_count(body) == words
