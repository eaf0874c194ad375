"""Issue 10, TRUST 30-31: a photo placed in the body of a story readers may not see is nowhere
public: not its files at /media/, not its caption, credit or file names on any page, feed,
sitemap, search or API answer. Drafts, stories in review, approved, scheduled, embargoed and
withdrawn ones; then the same story published shows them (the positive control), and the API
carries each public story's photos, lead and body. SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Person, Photo, Rendition, Story
from editorial.services import photos
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory
from tests.web.conftest import Newsroom, reload
from tests.web.sitekit import article_path

MARKER = "Kingfisher"
HIDDEN = [
    StoryState.DRAFT,
    StoryState.SUBMITTED,
    StoryState.APPROVED,
    StoryState.SCHEDULED,
    "embargoed",
    StoryState.WITHDRAWN,
]


def _photo(actor: Person, size: tuple[int, int] = (800, 533), **fields: str) -> Photo:
    data = photos.PhotoInput(
        **{"caption": "", "credit": "Rafiq Ahmed", "alt_text": "Boats", **fields}
    )
    return photos.upload_photo(io.BytesIO(photokit.jpeg(size)), data, actor=actor)


def _keys(photo_id: int) -> list[str]:
    return list(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)))


def _hidden(make: Factory, nr: Newsroom, state: StoryState | str, body: str) -> Story:
    if state != "embargoed":
        return make.story(
            nr.reporter, nr.desk, state, editor=nr.editor, headline="Hidden story", body=body
        )
    story = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Hidden story"
    )
    data = StoryInput(
        headline=story.headline,
        body=body,
        desk_id=story.desk_id,
        slug=story.slug,
        embargo_at=utcnow() + timedelta(days=1),
    )
    return save_story(story, data, actor=nr.editor, expected_version=story.version)


def _statuses(client: FlaskClient, keys: list[str]) -> set[int]:
    found = set()
    for key in keys:
        with client.get(f"/media/{key}") as response:
            found.add(response.status_code)
    return found


@pytest.fixture(autouse=True)
def _each_database(any_app: Flask) -> Flask:
    return any_app


@pytest.fixture
def reader(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


def _public_urls(anchor: Story, hidden: Story) -> list[str]:
    return [
        "/",
        "/latest",
        "/national/",
        "/feed.xml",
        "/national/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        f"/search?q={MARKER.lower()}",
        "/api/stories",
        f"/api/stories/{anchor.id}",
        f"/api/stories/{hidden.id}",
        article_path(anchor),
        article_path(hidden),
    ]


@pytest.mark.parametrize("state", HIDDEN)
def test_a_hidden_storys_body_photo_is_nowhere_public(
    make: Factory, nr: Newsroom, reader: FlaskClient, state: StoryState | str
) -> None:
    photo = _photo(nr.reporter, caption=f"{MARKER} library caption", credit=f"{MARKER} Agency")
    body = f'The text.\n\n![{MARKER} alt](photo:{photo.id} "{MARKER} at the river")'
    hidden = _hidden(make, nr, state, body)
    anchor = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Anchor story"
    )
    keys = _keys(photo.id)
    assert keys
    for key in keys:
        with reader.get(f"/media/{key}") as response:
            assert response.status_code == 404, key
    for url in _public_urls(anchor, hidden):
        with reader.get(url) as response:
            text = response.get_data(as_text=True)
            assert response.status_code in (200, 404, 410), url
            assert MARKER not in text, url
            assert not any(key in text for key in keys), url
            if url.endswith(f"/api/stories/{hidden.id}") or url == article_path(hidden):
                assert response.status_code in (404, 410), url


def test_published_the_body_photo_is_public_and_in_the_api(
    make: Factory, nr: Newsroom, reader: FlaskClient
) -> None:
    lead = _photo(nr.reporter, size=(1200, 800), caption="Lead caption", alt_text="Ferry")
    inside = _photo(nr.reporter, caption=f"{MARKER} library caption", credit="Agency")
    body = f'The text.\n\n![{MARKER} alt](photo:{inside.id} "{MARKER} at the river")'
    story = _hidden(make, nr, StoryState.APPROVED, body)
    data = StoryInput(
        headline=story.headline,
        body=story.body,
        desk_id=story.desk_id,
        slug=story.slug,
        lead_photo_id=lead.id,
        lead_caption="Per-story lead caption",
    )
    story = save_story(reload(story), data, actor=nr.editor, expected_version=story.version)
    transition_story(reload(story), Action.PUBLISH, actor=nr.editor)

    detail = reader.get(f"/api/stories/{story.id}").get_json()
    listed = next(
        s for s in reader.get("/api/stories").get_json()["stories"] if s["id"] == story.id
    )
    assert listed["images"] == detail["images"]
    first, second = detail["images"]
    site = reader.application.config["SITE_URL"]
    assert first["role"] == "lead" and second["role"] == "body"
    assert (first["caption"], first["credit"], first["alt"]) == (
        "Per-story lead caption",
        "Rafiq Ahmed",
        "Ferry",
    )
    assert (first["width"], first["height"]) == (1200, 800)
    assert (second["caption"], second["credit"], second["alt"]) == (
        f"{MARKER} at the river",
        "Agency",
        f"{MARKER} alt",
    )
    assert (second["width"], second["height"]) == (800, 533)
    types = {r["type"] for r in second["renditions"]}
    assert {"image/webp", "image/jpeg"} <= types
    for image in (first, second):
        assert image["url"].startswith(site + "/media/") and image["url"].endswith(".jpg")
        for url in [image["url"], *(r["url"] for r in image["renditions"])]:
            with reader.get(url.removeprefix(site)) as response:
                assert response.status_code == 200, url
    html = reader.get(article_path(story)).get_data(as_text=True)
    assert f"{MARKER} at the river" in html and '<figure class="body-photo">' in html

    transition_story(reload(story), Action.WITHDRAW, actor=nr.editor, note="Legal advice.")
    for key in _keys(inside.id) + _keys(lead.id):
        with reader.get(f"/media/{key}") as response:
            assert response.status_code == 404, key
    assert reader.get(f"/api/stories/{story.id}").status_code == 404
    assert MARKER not in reader.get("/api/stories").get_data(as_text=True)


def test_a_photo_shared_with_a_draft_is_public_through_the_published_story_only(
    make: Factory, nr: Newsroom, reader: FlaskClient
) -> None:
    shared, draft_only = _photo(nr.reporter), _photo(nr.reporter)
    make.story(
        nr.reporter,
        nr.desk,
        StoryState.PUBLISHED,
        editor=nr.editor,
        body=f"![a](photo:{shared.id})",
    )
    make.story(nr.reporter, nr.desk, body=f"![a](photo:{shared.id})\n\n![b](photo:{draft_only.id})")
    assert _statuses(reader, _keys(shared.id)) == {200}
    assert _statuses(reader, _keys(draft_only.id)) == {404}
    listing = reader.get("/api/stories").get_data(as_text=True)
    assert not any(key in listing for key in _keys(draft_only.id))
