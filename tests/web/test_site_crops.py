"""Issue 10: the public pages use the crops cut around the focal point — cards (3:2) in
<picture> with AVIF/WebP and a JPEG fallback on every list, the square on a list item's phone
thumbnail, the 1200 x 630 share card for og:image and JSON-LD; the feed's media:content and the
print stylesheet keep the photo. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from sqlalchemy import select

from editorial import imaging
from editorial.extensions import db
from editorial.models import Desk, Person, Placement, Rendition, Story
from editorial.services import photos
from editorial.services.stories import set_placement
from editorial.workflow import StoryState
from tests import photokit
from tests.conftest import Factory
from tests.web.sitekit import article_path, jsonld

PRINT_CSS = Path(__file__).resolve().parents[2] / "editorial" / "static" / "css" / "site-print.css"
ALT = "A ferry leaves Sadarghat"


class Paper:
    def __init__(self, make: Factory) -> None:
        self.make = make
        self.desk: Desk = make.desk("National")
        self.reporter: Person = make.reporter(self.desk)
        self.editor: Person = make.editor(self.desk)
        content = photokit.jpeg((2000, 1200))
        self.photo_id = photos.upload_photo(
            io.BytesIO(content),
            photos.PhotoInput(credit="Rafiq Ahmed", alt_text=ALT, caption="Ferry"),
            actor=self.reporter,
        ).id

    def story(self, headline: str) -> Story:
        return self.make.story(
            self.reporter,
            self.desk,
            StoryState.PUBLISHED,
            editor=self.editor,
            headline=headline,
            tags=["Ferries"],
            lead_photo_id=self.photo_id,
        )

    def keys(self, crop: str) -> dict[str, str]:
        """key -> format of the photo's renditions of `crop`."""
        rows = db.session.execute(
            select(Rendition.key, Rendition.format).where(
                Rendition.photo_id == self.photo_id, Rendition.crop == crop
            )
        )
        return {key: fmt for key, fmt in rows}


@pytest.fixture
def paper(any_app: Flask, make: Factory) -> Paper:
    return Paper(make)


def _picture(html: str, story: Story) -> str:
    found = re.search(
        rf'<a class="thumb" href="{re.escape(article_path(story))}"[^>]*>(<picture>.*?</picture>)',
        html,
    )
    assert found, "no <picture> thumbnail"
    return found.group(1)


def _urls(fragment: str) -> set[str]:
    return {
        part.split()[0].removeprefix("/media/")
        for srcset in re.findall(r'srcset="([^"]+)"', fragment)
        for part in srcset.split(", ")
    } | {src.removeprefix("/media/") for src in re.findall(r' src="([^"]+)"', fragment)}


def test_every_list_shows_the_card_crop_in_modern_formats(paper: Paper, any_app: Flask) -> None:
    top = paper.story("Ferry top")
    set_placement(top, Placement.TOP, actor=paper.editor)
    newest = paper.story("Ferry newest")  # Top News' first is the homepage lead, checked below
    card, square = paper.keys("card"), paper.keys("square")
    reader = any_app.test_client()
    pages = {
        "/": newest,  # the desk's block
        "/latest": top,
        "/national/": top,
        "/tag/ferries": top,
        "/search?q=ferry": top,
        article_path(newest): top,  # More articles
    }
    for path, story in pages.items():
        html = reader.get(path).get_data(as_text=True)
        picture = _picture(html, story)
        for fmt in imaging.rendition_formats():
            if fmt != "jpeg":
                assert f'<source type="image/{fmt}"' in picture, (path, fmt)
        img = re.search(r"<img [^>]*>", picture).group(0)
        assert 'width="1024" height="683"' in img and f'alt="{ALT}"' in img, path
        assert 'loading="lazy"' in img, path
        shown = _urls(picture)
        assert shown <= set(card) | set(square), (path, "not a crop")
        assert {card[k] for k in shown if k in card} == set(imaging.rendition_formats())
        listing = path in ("/latest", "/national/", "/tag/ferries", "/search?q=ferry")
        assert bool(shown & set(square)) == listing, (path, "the square is for list items")
        if listing:
            assert '<source media="(max-width: 699px)"' in picture and 'width="320"' in picture
        for url in shown:
            with reader.get(f"/media/{url}") as response:
                assert response.status_code == 200, (path, url)

    html = reader.get("/").get_data(as_text=True)
    block = re.search(r'<article class="lead-story">.*?</article>', html, re.S).group(0)
    img = re.search(r"<img [^>]*>", _picture(block, top)).group(0)
    assert 'fetchpriority="high"' in img and "loading=" not in img


def test_the_share_card_is_the_1200_by_630_crop(paper: Paper, any_app: Flask) -> None:
    story = paper.story("Ferry share")
    (social,) = paper.keys("social")
    html = any_app.test_client().get(article_path(story)).get_data(as_text=True)
    site = any_app.config["SITE_URL"]
    assert f'<meta property="og:image" content="{site}/media/{social}">' in html
    assert '<meta property="og:image:width" content="1200">' in html
    assert '<meta property="og:image:height" content="630">' in html
    assert f'<meta property="og:image:alt" content="{ALT}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    (image,) = [block["image"] for block in jsonld(html) if "image" in block]
    assert image == {
        "@type": "ImageObject",
        "url": f"{site}/media/{social}",
        "width": 1200,
        "height": 630,
        "caption": "Ferry",
        "creditText": "Rafiq Ahmed",
    }
    # The lead figure stays the whole frame, loaded first.
    figure = re.search(r'<figure class="lead-photo">.*?</figure>', html, re.S).group(0)
    assert _urls(figure) <= set(paper.keys(""))
    assert 'fetchpriority="high"' in figure


def test_the_feed_carries_a_whole_frame_jpeg(paper: Paper, any_app: Flask) -> None:
    story = paper.story("Ferry feed")
    parsed = feedparser.parse(any_app.test_client().get("/feed.xml").get_data())
    (media,) = next(e for e in parsed.entries if e.title == story.headline).media_content
    key = media["url"].rsplit("/", 1)[1]
    assert paper.keys("").get(key) == "jpeg"
    assert (media["width"], media["height"]) == ("1024", "614")


def test_the_print_stylesheet_keeps_the_lead_photo() -> None:
    css = PRINT_CSS.read_text()
    hidden = re.search(r"([^{}]*)\{\s*display:\s*none", css).group(1)
    for selector in ("lead-photo", "figure", "picture", "img", "article-figure"):
        assert selector not in hidden, selector
    rule = re.search(r"\.lead-photo img\s*\{([^}]*)\}", css)
    assert rule and "max-width: 100%" in rule.group(1)
    assert re.search(r"\.lead-photo\s*\{[^}]*break-inside:\s*avoid", css)
