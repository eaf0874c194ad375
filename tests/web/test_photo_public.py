"""Issue 10, TRUST 30-31: a photo is public only while a public story uses it.

Every rendition of a photo whose only story is a draft, submitted, approved, scheduled,
spiked, embargoed or withdrawn answers 404, exactly like a name that never existed; so do
the original's name and hash. Once the story is published it answers with the file and a year
of immutable caching; withdrawing the story takes it down again. SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.models import Person, Photo, Rendition, Story
from editorial.services import commit, photos
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory
from tests.web.sitekit import article_path, jsonld


class Desk:
    """A desk with a reporter and an editor, and a photo uploaded by the reporter."""

    def __init__(self, make: Factory) -> None:
        desk = make.desk("National")
        self.desk = desk
        self.reporter: Person = make.reporter(desk)
        self.editor: Person = make.editor(desk)
        self.make = make
        content = photokit.jpeg((900, 600), exif=photokit.exif_bytes(gps=True))
        self.photo = photos.upload_photo(
            io.BytesIO(content),
            photos.PhotoInput(credit="Rafiq Ahmed", alt_text="Boats"),
            actor=self.reporter,
        )
        self.photo_id = self.photo.id

    def story(self, state: StoryState) -> Story:
        story = self.make.story(self.reporter, self.desk, state, editor=self.editor)
        lead(story, self.photo_id)
        return story

    def keys(self) -> list[str]:
        return list(
            db.session.scalars(select(Rendition.key).where(Rendition.photo_id == self.photo_id))
        )


def lead(story: Story, photo_id: int) -> None:
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo_id))
    commit()


@pytest.fixture
def newsroom(any_app: Flask, make: Factory) -> Desk:
    return Desk(make)


@pytest.fixture
def reader(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


def _answers(reader: FlaskClient, keys: list[str]) -> set[int]:
    statuses = set()
    for key in keys:
        with reader.get(f"/media/{key}") as response:
            statuses.add(response.status_code)
    return statuses


@pytest.mark.parametrize(
    "state",
    [
        StoryState.DRAFT,
        StoryState.SUBMITTED,
        StoryState.APPROVED,
        StoryState.SCHEDULED,
        StoryState.SPIKED,
        StoryState.WITHDRAWN,
    ],
)
def test_a_photo_of_an_unpublished_story_is_not_public(
    newsroom: Desk, reader: FlaskClient, state: StoryState
) -> None:
    newsroom.story(state)
    keys = newsroom.keys()
    assert keys
    assert _answers(reader, keys) == {404}


def test_a_photo_used_by_no_story_is_not_public(newsroom: Desk, reader: FlaskClient) -> None:
    assert _answers(reader, newsroom.keys()) == {404}


def test_an_embargoed_storys_photo_is_not_public(newsroom: Desk, reader: FlaskClient) -> None:
    story = newsroom.story(StoryState.PUBLISHED)
    data = StoryInput(
        headline=story.headline,
        body=story.body,
        desk_id=story.desk_id,
        slug=story.slug,
        embargo_at=utcnow() + timedelta(days=1),
    )
    save_story(story, data, actor=newsroom.editor, expected_version=story.version)
    assert _answers(reader, newsroom.keys()) == {404}


def test_published_then_withdrawn(newsroom: Desk, reader: FlaskClient) -> None:
    story = newsroom.story(StoryState.APPROVED)
    keys = newsroom.keys()
    assert _answers(reader, keys) == {404}

    transition_story(story, Action.PUBLISH, actor=newsroom.editor)
    for key in keys:
        with reader.get(f"/media/{key}") as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.mimetype in ("image/avif", "image/webp", "image/jpeg")
            image = Image.open(io.BytesIO(response.get_data()))
            assert not image.getexif()  # read back: no GPS, no serial, nothing
            assert photokit.SERIAL.encode() not in response.get_data()

    transition_story(story, Action.WITHDRAW, actor=newsroom.editor, note="Legal advice.")
    assert _answers(reader, keys) == {404}


def test_the_original_is_never_served(newsroom: Desk, reader: FlaskClient) -> None:
    newsroom.story(StoryState.PUBLISHED)
    photo = db.session.get(Photo, newsroom.photo_id)
    assert _answers(reader, newsroom.keys()) == {200}
    guesses = [photo.original_key, photo.content_hash, f"../originals/{photo.original_key}"]
    assert _answers(reader, guesses) == {404}
    with reader.get(f"/media/..%2Foriginals%2F{photo.original_key}") as response:
        assert response.status_code == 404


def test_the_article_shows_its_lead_photo(newsroom: Desk, reader: FlaskClient) -> None:
    story = newsroom.story(StoryState.APPROVED)
    db.session.execute(
        update(Story).where(Story.id == story.id).values(lead_caption="Boats at dawn")
    )
    commit()
    transition_story(story, Action.PUBLISH, actor=newsroom.editor)
    html = reader.get(article_path(story)).get_data(as_text=True)

    figure = re.search(r'<figure class="lead-photo">.*?</figure>', html, re.S)
    assert figure, "no lead <figure>"
    img = re.search(r"<img [^>]*>", figure.group(0)).group(0)
    for attribute in ('alt="Boats"', 'width="900"', 'height="600"', 'fetchpriority="high"'):
        assert attribute in img, attribute
    srcset = re.search(r'srcset="([^"]+)"', img).group(1)
    assert srcset.count("/media/") == 3 and " 900w" in srcset
    assert '<source type="image/webp"' in figure.group(0)
    assert '<figcaption>Boats at dawn <span class="credit">Rafiq Ahmed</span></figcaption>' in (
        figure.group(0)
    )
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    (image,) = [block["image"] for block in jsonld(html) if "image" in block]
    assert image["url"] == og_image and image["creditText"] == "Rafiq Ahmed"
    for url in [og_image, *(part.split()[0] for part in srcset.split(", "))]:
        with reader.get(url.removeprefix(reader.application.config["SITE_URL"])) as response:
            assert response.status_code == 200, url


def test_an_article_without_a_photo_has_no_figure(newsroom: Desk, reader: FlaskClient) -> None:
    story = newsroom.make.story(
        newsroom.reporter, newsroom.desk, StoryState.PUBLISHED, editor=newsroom.editor
    )
    html = reader.get(article_path(story)).get_data(as_text=True)
    assert "<figure" not in html and "og:image" not in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_the_feed_item_carries_media_content(newsroom: Desk, reader: FlaskClient) -> None:
    story = newsroom.story(StoryState.PUBLISHED)
    plain = newsroom.make.story(
        newsroom.reporter, newsroom.desk, StoryState.PUBLISHED, editor=newsroom.editor
    )
    parsed = feedparser.parse(reader.get("/feed.xml").get_data())
    items = {entry.title: entry for entry in parsed.entries}
    (media,) = items[story.headline].media_content
    assert (media["medium"], media["type"], media["width"]) == ("image", "image/jpeg", "900")
    assert "media_content" not in items[plain.headline]
    site = reader.application.config["SITE_URL"]
    with reader.get(media["url"].removeprefix(site)) as response:
        assert response.status_code == 200
