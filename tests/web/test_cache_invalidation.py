"""The page cache invalidates only what a change changes (issue 14).

A publish, a correction, a withdrawal, a placement change, an embargo lifting and midnight in
Dhaka each show on every page that should change, at once, and nowhere else: an unrelated
archive article, section, feed and tag page stay cached (X-Page-Cache: hit), and an article
showing the change only in a fragment (Latest News, Top News, More articles, the masthead date)
is still a hit for its own copy. With two app instances sharing Redis and the database (two
processes), a change made through one shows there at once and on the other once its numbers
are CHECK_SECONDS old (a quarter of a second), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from editorial import create_app
from editorial.extensions import db
from editorial.models import Placement, Story
from editorial.services.cache import CHECK_SECONDS, bump, read_numbers, story_key
from editorial.services.revisions import CorrectionInput
from editorial.services.stories import StoryInput, save_story, set_placement
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.conftest import REDIS_URL, Factory, IsolatedClient, base_config, make_app, need_service
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path

paper = sitekit.paper
PAGE_CACHE_REDIS = REDIS_URL.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_REDIS_CACHE_DB", "4")
NEWS = "Flood barrages opened"
DHAKA = ZoneInfo("Asia/Dhaka")


@dataclass
class Scene:
    """A news story about to change and the archive around it."""

    news: Story  # National, tagged Floods: approved, not yet public
    archive: Story  # Sports, tagged Cricket: shares nothing with the news
    neighbour: Story  # National: shows the news only in its More articles fragment

    def changed(self) -> list[str]:
        """Pages that show the news story itself."""
        return ["/", "/latest", "/national/", "/feed.xml", "/national/feed.xml", "/api/stories"]

    def untouched(self) -> list[str]:
        """Pages whose own copy must survive any change to the news story."""
        return [
            article_path(self.archive),
            article_path(self.neighbour),
            "/sports/",
            "/sports/feed.xml",
            "/tag/cricket",
            f"/api/stories/{self.archive.id}",
        ]


def _scene(paper: Paper) -> Scene:
    archive = paper.story(
        headline="Mirpur Test ends in a draw", desk=paper.sports, tags=["Cricket"]
    )
    neighbour = paper.story(headline="Ferry timetable changes", tags=["Transport"])
    news = paper.story(StoryState.APPROVED, headline=NEWS, tags=["Floods"])
    return Scene(news, archive, neighbour)


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _warm(client: FlaskClient, urls: list[str]) -> None:
    for url in urls:
        client.get(url)
        assert client.get(url).headers.get("X-Page-Cache") == "hit", url


def _assert_hits(client: FlaskClient, urls: list[str]) -> None:
    for url in urls:
        assert client.get(url).headers.get("X-Page-Cache") == "hit", f"{url} was re-rendered"


def _side(html: str, heading: str) -> str:
    """An article's fragment: from its heading to the end of the section."""
    start = html.index(f'id="{heading}"')
    return html[start : html.index("</section>", start)]


def _shows(client: FlaskClient, url: str, text: str) -> bool:
    return text in _text(client, url)


@pytest.fixture
def scene(paper: Paper) -> Scene:
    return _scene(paper)


def test_a_publish_refreshes_its_pages_and_no_other_article(
    client: FlaskClient, paper: Paper, scene: Scene
) -> None:
    _warm(client, scene.changed() + scene.untouched())
    assert client.get("/tag/floods").status_code == 404  # no public story yet

    transition_story(scene.news, Action.PUBLISH, actor=paper.editor)

    for url in [*scene.changed(), "/tag/floods", article_path(scene.news)]:
        assert _shows(client, url, NEWS), f"the publish is missing from {url}"
    _assert_hits(client, scene.untouched())
    archive = _text(client, article_path(scene.archive))
    assert NEWS in _side(archive, "side-latest-heading")  # a fragment, refreshed
    neighbour = _text(client, article_path(scene.neighbour))
    assert NEWS in _side(neighbour, "more-heading")
    own = client.get(article_path(scene.news)).get_data(as_text=True)
    assert NEWS not in _side(own, "side-latest-heading")  # its own story is left out


def test_a_correction_shows_on_its_pages_only(
    client: FlaskClient, paper: Paper, scene: Scene
) -> None:
    transition_story(scene.news, Action.PUBLISH, actor=paper.editor)
    path = article_path(scene.news)
    _warm(client, [*scene.changed(), *scene.untouched(), path])
    story = db.session.get(Story, scene.news.id)
    assert story is not None
    save_story(
        story,
        StoryInput(headline="Flood barrages closed again", body=story.body, desk_id=story.desk_id),
        actor=paper.editor,
        expected_version=story.version,
        correction=CorrectionInput(note="The barrages were closed, not opened."),
    )
    assert "The barrages were closed, not opened." in _text(client, path)
    for url in scene.changed():
        assert _shows(client, url, "Flood barrages closed again"), url
    _assert_hits(client, scene.untouched())
    archive = _text(client, article_path(scene.archive))
    assert "Flood barrages closed again" in _side(archive, "side-latest-heading")


def test_a_withdrawal_leaves_every_page_at_once(
    client: FlaskClient, paper: Paper, scene: Scene
) -> None:
    transition_story(scene.news, Action.PUBLISH, actor=paper.editor)
    path = article_path(scene.news)
    _warm(client, [*scene.changed(), *scene.untouched(), path, "/tag/floods"])
    transition_story(scene.news, Action.WITHDRAW, actor=paper.editor, note="Legal advice.")
    assert client.get(path).status_code == 410
    assert client.get("/tag/floods").status_code == 404
    for url in [*scene.changed(), *scene.untouched()]:
        assert not _shows(client, url, NEWS), f"withdrawn story still on {url}"
    _assert_hits(client, scene.untouched())


def test_a_placement_reaches_the_homepage_and_every_top_news_sidebar(
    client: FlaskClient, paper: Paper, scene: Scene
) -> None:
    transition_story(scene.news, Action.PUBLISH, actor=paper.editor)
    _warm(client, ["/", *scene.untouched()])
    archive_path = article_path(scene.archive)
    assert "side-top-heading" not in _text(client, archive_path)  # nothing placed yet
    set_placement(scene.news, Placement.TOP, actor=paper.editor)
    home = _text(client, "/")
    assert NEWS in home[home.index('class="lead-story"') : home.index('id="top-news-heading"')]
    _assert_hits(client, scene.untouched())
    assert NEWS in _side(_text(client, archive_path), "side-top-heading")


def test_an_embargo_lifting_needs_no_write(
    client: FlaskClient, paper: Paper, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    transition_story(scene.news, Action.PUBLISH, actor=paper.editor)
    story = db.session.get(Story, scene.news.id)
    assert story is not None
    lifts = utcnow() + timedelta(seconds=30)
    save_story(
        story,
        StoryInput(headline=NEWS, body=story.body, desk_id=story.desk_id, embargo_at=lifts),
        actor=paper.editor,
        expected_version=story.version,
    )
    path = article_path(scene.news)
    _warm(client, [*scene.changed(), *scene.untouched()])
    assert client.get(path).status_code == 404
    assert not _shows(client, "/", NEWS)

    later = lifts + timedelta(seconds=1)
    import editorial.site.cache as cache
    import editorial.site.queries as queries

    monkeypatch.setattr(queries, "utcnow", lambda: later)
    monkeypatch.setattr(cache, "utcnow", lambda: later)
    assert client.get(path).status_code == 200
    for url in scene.changed():
        assert _shows(client, url, NEWS), f"the lifted story is missing from {url}"
    _assert_hits(client, scene.untouched())
    assert NEWS in _side(_text(client, article_path(scene.archive)), "side-latest-heading")


def test_midnight_in_dhaka_changes_the_masthead_date_everywhere(
    client: FlaskClient, paper: Paper, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    import editorial.site.cache as cache
    import editorial.templating as templating

    local = utcnow().astimezone(DHAKA)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), DHAKA)
    clock = {"now": midnight - timedelta(seconds=10)}
    monkeypatch.setattr(cache, "utcnow", lambda: clock["now"])
    monkeypatch.setattr(templating, "utcnow", lambda: clock["now"])
    urls = ["/", *scene.untouched()[:3]]
    _warm(client, urls)
    before, after = (f"{day:%A}, {day:%B} {day.day}, {day.year}" for day in (local, midnight))
    assert all(before in _text(client, url) for url in urls)

    clock["now"] = midnight + timedelta(seconds=10)
    for url in urls:
        response = client.get(url)
        assert response.headers["X-Page-Cache"] == "hit", url  # only the date is new
        assert after in response.get_data(as_text=True), url


def test_a_page_names_its_keys_for_a_cdn(client: FlaskClient, paper: Paper, scene: Scene) -> None:
    response = client.get(article_path(scene.archive))
    keys = set(response.headers["Surrogate-Key"].split())
    assert {f"story:{scene.archive.id}", f"desk:{paper.sports.id}", "latest", "site"} <= keys
    assert set(response.headers["Cache-Tag"].split(",")) == keys


def test_an_etag_changes_with_a_fragment(client: FlaskClient, paper: Paper, scene: Scene) -> None:
    path = article_path(scene.archive)
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    transition_story(scene.news, Action.PUBLISH, actor=paper.editor)
    fresh = client.get(path, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and NEWS in fresh.get_data(as_text=True)
    assert fresh.headers["X-Page-Cache"] == "hit"


# --- two processes: two app instances on one database and one Redis --------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def two_apps(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Flask]]:
    need_service("Redis", PAGE_CACHE_REDIS)
    import redis

    redis.Redis.from_url(PAGE_CACHE_REDIS).flushdb()
    first = make_app(tmp_path, request.param, request, REDIS_URL=PAGE_CACHE_REDIS)
    url = first.config["SQLALCHEMY_DATABASE_URI"]
    second = create_app(base_config(tmp_path, url, REDIS_URL=PAGE_CACHE_REDIS))
    second.test_client_class = IsolatedClient
    with first.app_context():
        yield first, second
        db.session.remove()
        db.engine.dispose()
    with second.app_context():
        db.engine.dispose()
    redis.Redis.from_url(PAGE_CACHE_REDIS).flushdb()


@pytest.mark.services
def test_a_publish_in_one_process_shows_in_the_other_within_its_window(
    two_apps: tuple[Flask, Flask], make: Factory
) -> None:
    first, second = two_apps
    national, sports = make.desk("National"), make.desk("Sports")
    reporter, editor = make.reporter(national, sports), make.editor(national, sports)
    scene = Scene(
        news=make.story(reporter, national, StoryState.APPROVED, editor=editor, headline=NEWS),
        archive=make.story(reporter, sports, StoryState.PUBLISHED, editor=editor, tags=["Cricket"]),
        neighbour=make.story(reporter, national, StoryState.PUBLISHED, editor=editor),
    )
    here, there = first.test_client(), second.test_client()
    urls = [*scene.changed(), *scene.untouched()]
    _warm(there, urls)
    _assert_hits(here, urls)  # the other process's copies, from Redis

    transition_story(scene.news, Action.PUBLISH, actor=editor)  # through the first app
    time.sleep(CHECK_SECONDS)  # the other process's numbers may be this old, no older
    for client in (there, here):
        for url in scene.changed():
            assert _shows(client, url, NEWS), f"the publish is missing from {url}"
        _assert_hits(client, scene.untouched())
        archive = _text(client, article_path(scene.archive))
        assert NEWS in _side(archive, "side-latest-heading")

    transition_story(scene.news, Action.WITHDRAW, actor=editor, note="Legal advice.")
    time.sleep(CHECK_SECONDS)
    for client in (there, here):
        assert client.get(article_path(scene.news)).status_code == 410
        for url in urls:
            assert not _shows(client, url, NEWS), f"withdrawn story still on {url}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def two_processes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Flask]]:
    """Two app instances on one database (no Redis: the numbers are the database's alone)."""
    first = make_app(tmp_path, request.param, request)
    second = create_app(base_config(tmp_path, first.config["SQLALCHEMY_DATABASE_URI"]))
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The monotonic clock the numbers' windows are timed by, moved only by the test."""
    import editorial.services.cache as numbers

    now = {"now": 1000.0}
    monkeypatch.setattr(numbers.time, "monotonic", lambda: now["now"])
    return now


def test_numbers_are_fresh_at_once_where_committed_and_within_the_window_elsewhere(
    two_processes: tuple[Flask, Flask], clock: dict[str, float]
) -> None:
    assert CHECK_SECONDS <= 0.25  # a publish shows everywhere well within its promised second
    committing, reader = two_processes
    key = story_key(7)
    with reader.app_context():
        before = read_numbers({key})
    with committing.app_context():
        assert read_numbers({key}) == before  # its window is open too
        bump(key)
        assert read_numbers({key}) == before  # not committed yet: nobody sees it
        db.session.commit()
        after = read_numbers({key})
    assert after[key] > before[key] and after["*"] > before["*"]

    clock["now"] += CHECK_SECONDS  # the reader's window is this old: still its numbers
    with reader.app_context():
        assert read_numbers({key}) == before
    clock["now"] += 0.001  # past it: read again
    with reader.app_context():
        assert read_numbers({key}) == after


def test_only_a_committed_bump_closes_the_window(
    app: Flask, clock: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    import editorial.services.cache as numbers

    reads: list[set[str]] = []
    select_numbers = numbers._select_numbers

    def counted(keys: set[str]) -> dict[str, int]:
        reads.append(keys)
        return select_numbers(keys)

    monkeypatch.setattr(numbers, "_select_numbers", counted)
    key = story_key(7)
    read_numbers({key})
    bump(key)
    db.session.rollback()
    db.session.commit()  # a later commit that bumped nothing
    read_numbers({key})
    assert len(reads) == 1
