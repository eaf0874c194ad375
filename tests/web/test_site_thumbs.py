"""Issue 10: listings show a published story's lead photo as a small <img>, sized (no layout
shift), lazy except the homepage lead, with the photo's alt text; a photo whose only story is
not public never appears, not even its key. One query loads every thumbnail of a page.
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.models import Desk, Person, Placement, Rendition, Story
from editorial.services import commit, photos
from editorial.services.stories import set_placement
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests import photokit
from tests.conftest import Factory
from tests.web.sitekit import article_path
from tests.web.test_loading import measure

ALT = "Boats moored on the Buriganga at dawn"


class Newsroom:
    def __init__(self, make: Factory) -> None:
        self.make = make
        self.desk: Desk = make.desk("National")
        self.reporter: Person = make.reporter(self.desk)
        self.editor: Person = make.editor(self.desk)

    def photo(self, size: tuple[int, int] = (900, 600), alt: str = ALT) -> int:
        content = photokit.jpeg(size)
        photo = photos.upload_photo(
            io.BytesIO(content),
            photos.PhotoInput(credit="Rafiq Ahmed", alt_text=alt),
            actor=self.reporter,
        )
        return photo.id

    def story(self, state: StoryState, headline: str, photo_id: int | None) -> Story:
        return self.make.story(
            self.reporter,
            self.desk,
            state,
            editor=self.editor,
            headline=headline,
            tags=["Floods"],
            lead_photo_id=photo_id,
        )


@pytest.fixture
def newsroom(any_app: Flask, make: Factory) -> Newsroom:
    return Newsroom(make)


def keys(photo_id: int) -> list[str]:
    return list(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)))


def thumb_picture(html: str, story: Story) -> str | None:
    """The <picture> of the thumbnail linking to this story, if the page has one."""
    found = re.search(
        rf'<a class="thumb" href="{re.escape(article_path(story))}"[^>]*>'
        r"(<picture>(?:<source [^>]*>)*<img [^>]*></picture>)</a>",
        html,
    )
    return found.group(1) if found else None


def thumb_img(html: str, story: Story) -> str | None:
    """The <img> of the thumbnail linking to this story, if the page has one."""
    picture = thumb_picture(html, story)
    return re.search(r"<img [^>]*>", picture).group(0) if picture else None


def test_listings_show_thumbnails_of_public_stories_only(
    newsroom: Newsroom, any_app: Flask
) -> None:
    shown = newsroom.photo()
    hidden = newsroom.photo((800, 500), alt="A secret picture")
    with_photo = newsroom.story(StoryState.PUBLISHED, "Flood boats return", shown)
    set_placement(with_photo, Placement.TOP, actor=newsroom.editor)
    plain = newsroom.story(StoryState.PUBLISHED, "Flood talks resume", None)
    for state in (StoryState.DRAFT, StoryState.APPROVED, StoryState.WITHDRAWN):
        newsroom.story(state, f"Flood {state.value}", hidden)
    embargoed = newsroom.story(StoryState.PUBLISHED, "Flood embargoed", hidden)
    later = utcnow() + timedelta(days=1)
    db.session.execute(update(Story).where(Story.id == embargoed.id).values(embargo_at=later))
    commit()
    other = newsroom.story(StoryState.PUBLISHED, "Flood aid arrives", shown)
    reader = any_app.test_client()

    pages = ["/", "/latest", "/national/", "/tag/floods", "/search?q=flood", article_path(other)]
    for path in pages:
        html = reader.get(path).get_data(as_text=True)
        for key in keys(hidden):
            assert key not in html, (path, "the key of a photo no public story uses leaked")
        assert "A secret picture" not in html, path
        assert thumb_img(html, plain) is None, path
        if path == article_path(other):  # More articles: the others from the desk
            img = thumb_img(html, with_photo)
        else:
            img = thumb_img(html, other) or thumb_img(html, with_photo)
        assert img, (path, "no thumbnail")
        for attribute in (f'alt="{ALT}"', 'width="900"', 'height="600"', 'loading="lazy"'):
            assert attribute in img, (path, attribute)
        picture = thumb_picture(html, other) or thumb_picture(html, with_photo)
        for srcset in re.findall(r'srcset="([^"]+)"', picture):
            for url in (part.split()[0] for part in srcset.split(", ")):
                with reader.get(url) as response:
                    assert response.status_code == 200, (path, url)


def test_the_homepage_lead_loads_its_photo_first(newsroom: Newsroom, any_app: Flask) -> None:
    lead = newsroom.story(StoryState.PUBLISHED, "Flood boats return", newsroom.photo())
    set_placement(lead, Placement.TOP, actor=newsroom.editor)
    html = any_app.test_client().get("/").get_data(as_text=True)
    block = re.search(r'<article class="lead-story">.*?</article>', html, re.S).group(0)
    img = thumb_img(block, lead)
    assert img and 'fetchpriority="high"' in img and "loading=" not in img
    assert f'alt="{ALT}"' in img and 'width="900"' in img


def test_thumbnails_cost_one_query_whatever_the_number_of_stories(
    newsroom: Newsroom, any_app: Flask
) -> None:
    any_app.config["PUBLIC_CACHE_ENABLED"] = False  # every request renders: the cold cost
    client = any_app.test_client()
    photo_id = newsroom.photo()

    def publish(count: int) -> Story:
        made = [newsroom.story(StoryState.PUBLISHED, f"Flood {n}", photo_id) for n in range(count)]
        set_placement(made[0], Placement.TOP, actor=newsroom.editor)
        return made[0]

    first = publish(3)
    paths = {
        "home": "/",
        "latest": "/latest",
        "section": "/national/",
        "tag": "/tag/floods",
        "search": "/search?q=flood",
        "article": article_path(first),
    }
    few = measure(any_app, client, paths)
    publish(25)
    many = measure(any_app, client, paths)
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}
    assert client.get("/latest").get_data(as_text=True).count('<a class="thumb"') == 20
