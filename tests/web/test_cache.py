"""Caching: ETags and 304s, Cache-Control, and a server-side page cache that a publish,
correction, withdrawal or placement change invalidates at once (in memory or in Redis)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.http import parse_date

from editorial.extensions import db
from editorial.models import Placement
from editorial.services.revisions import CorrectionInput
from editorial.services.stories import StoryInput, save_story, set_placement
from editorial.services.transitions import transition_story
from editorial.site.cache import CACHE_CONTROL, TwoTier
from editorial.workflow import Action, Role, StoryState
from tests.conftest import REDIS_URL, Factory, login, make_app, need_service
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path

paper = sitekit.paper
# This suite's Redis database (other suites use others); FLUSHDB only ever touches it.
PAGE_CACHE_REDIS = REDIS_URL.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_REDIS_CACHE_DB", "4")


def test_etag_and_304(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="First story")
    first = client.get("/")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == CACHE_CONTROL
    assert "public" in CACHE_CONTROL and "s-maxage" in CACHE_CONTROL
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert client.get("/", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/?preview=1", headers={"If-None-Match": etag}).status_code == 304

    paper.story(headline="Second story")
    fresh = client.get("/", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "Second story" in fresh.get_data(as_text=True)
    assert fresh.headers["ETag"] != etag


def test_etag_differs_per_page_and_url(client: FlaskClient, paper: Paper) -> None:
    for n in range(3):
        paper.story(headline=f"Story {n}")
    tags = {client.get(url).headers["ETag"] for url in ["/", "/latest", "/national/", "/feed.xml"]}
    assert len(tags) == 4
    assert client.get("/?utm_source=x").headers["ETag"] == client.get("/").headers["ETag"]


def test_server_cache_hits_and_publish_invalidates(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="Already out")
    assert client.get("/").headers["X-Page-Cache"] == "miss"
    assert client.get("/").headers["X-Page-Cache"] == "hit"
    story = paper.story(StoryState.APPROVED, headline="Breaking: just published")
    assert "Breaking" not in client.get("/").get_data(as_text=True)
    transition_story(story, Action.PUBLISH, actor=paper.editor)
    page = client.get("/")
    assert page.headers["X-Page-Cache"] == "miss"
    latest = page.get_data(as_text=True).split('id="latest-news-heading"')[1]
    assert "Breaking: just published" in latest


def _lead(client: FlaskClient) -> str:
    html = client.get("/").get_data(as_text=True)
    return html[html.index('class="lead-story"') : html.index('id="top-news-heading"')]


def test_placement_and_correction_invalidate(client: FlaskClient, paper: Paper) -> None:
    placed = paper.story(headline="Older but important")
    paper.story(headline="Newer and ordinary")
    assert "Newer and ordinary" in _lead(client)  # nothing placed: the latest story leads
    set_placement(placed, Placement.TOP, actor=paper.editor)
    assert "Older but important" in _lead(client)
    path = article_path(placed)
    assert client.get(path).headers["X-Page-Cache"] == "miss"
    assert client.get(path).headers["X-Page-Cache"] == "hit"
    save_story(
        placed,
        StoryInput(headline=placed.headline, body=placed.body, desk_id=placed.desk_id),
        actor=paper.editor,
        expected_version=placed.version,
        correction=CorrectionInput(note="The figure was wrong."),
    )
    assert "The figure was wrong." in client.get(path).get_data(as_text=True)
    set_placement(placed, Placement.NONE, actor=paper.editor)
    assert "Newer and ordinary" in _lead(client)


def test_cache_off_still_correct(client: FlaskClient, paper: Paper, app: Flask) -> None:
    app.config["PUBLIC_CACHE_ENABLED"] = False
    paper.story(headline="One")
    first = client.get("/")
    assert first.headers["X-Page-Cache"] == "off"
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    paper.story(headline="Two")
    assert "Two" in client.get("/").get_data(as_text=True)


def test_redirects_and_errors_are_public_but_uncached(client: FlaskClient, paper: Paper) -> None:
    for url, status in [("/section/national/", 301), ("/nope/", 404)]:
        response = client.get(url)
        assert response.status_code == status
        assert response.headers["Cache-Control"] == CACHE_CONTROL
        assert "ETag" not in response.headers


def test_last_modified_follows_publishing(client: FlaskClient, paper: Paper) -> None:
    story = paper.story()
    modified = parse_date(client.get(article_path(story)).headers["Last-Modified"])
    db.session.refresh(story)
    assert modified is not None
    assert modified >= story.published_at.replace(microsecond=0)


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    need_service("Redis", PAGE_CACHE_REDIS)
    import redis

    redis.Redis.from_url(PAGE_CACHE_REDIS).flushdb()
    app = make_app(tmp_path, "sqlite", request, REDIS_URL=PAGE_CACHE_REDIS)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    redis.Redis.from_url(PAGE_CACHE_REDIS).flushdb()


@pytest.mark.services
def test_redis_page_cache_is_shared_and_invalidated(redis_app: Flask, make: Factory) -> None:
    import redis

    desk = make.desk("National")
    reporter, editor = make.reporter(desk), make.editor(desk)
    make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, headline="In Redis")
    one, two = redis_app.test_client(), redis_app.test_client()
    assert one.get("/").headers["X-Page-Cache"] == "miss"
    assert two.get("/").headers["X-Page-Cache"] == "hit"
    keys = redis.Redis.from_url(PAGE_CACHE_REDIS).keys("editorial:page:*")
    assert keys, "the page was not stored in Redis"
    story = make.story(reporter, desk, StoryState.APPROVED, editor=editor, headline="Fresh news")
    transition_story(story, Action.PUBLISH, actor=editor)
    assert "Fresh news" in one.get("/").get_data(as_text=True)


def test_unreachable_redis_is_only_a_miss(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    app = make_app(tmp_path, "sqlite", request, REDIS_URL="redis://127.0.0.1:1/4")
    with app.app_context():
        client = app.test_client()
        assert client.get("/").status_code == 200
        # Redis away: the process's own memory still serves (a copy is judged by the database).
        assert client.get("/").headers["X-Page-Cache"] == "hit"
        assert isinstance(app.extensions["site.page_cache"], TwoTier)
        db.session.remove()
        db.engine.dispose()


def test_a_hit_keeps_its_headers_and_sets_no_cookie(
    client: FlaskClient, paper: Paper, make: Factory
) -> None:
    """A reader's cache hit (no limiter check, no session signer, headers built once) carries
    every security and caching header, and a signed-in editor gets the same public copy."""
    paper.story(headline="Out for everyone")
    assert client.get("/").headers["X-Page-Cache"] == "miss"
    hit = client.get("/")
    assert hit.headers["X-Page-Cache"] == "hit"
    assert "frame-ancestors 'none'" in hit.headers["Content-Security-Policy"]
    assert hit.headers["X-Content-Type-Options"] == "nosniff"
    assert hit.headers["X-Frame-Options"] == "DENY"
    assert hit.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in hit.headers["Permissions-Policy"]
    assert hit.headers["Cache-Control"] == CACHE_CONTROL and hit.headers["Surrogate-Key"]
    assert "Set-Cookie" not in hit.headers
    assert len(hit.headers.getlist("Content-Security-Policy")) == 1

    login(client, make.person(Role.DESK_EDITOR))
    staff = client.get("/")
    assert staff.headers["X-Page-Cache"] == "hit"
    assert staff.get_data() == hit.get_data()
