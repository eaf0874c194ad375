"""A reader's cached page answered before Flask (editorial/site/hitfirst.py, issue 14).

The layer must be invisible: for every request it answers, Flask's own path (reached here by
sending a cookie, which the layer leaves to Flask) gives the same status, headers and bytes; it
answers only what it can answer from fresh copies, so a publish still shows at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.services.transitions import transition_story
from editorial.site import cache
from editorial.site.hitfirst import HitFirst
from editorial.workflow import Action, StoryState
from tests.conftest import REDIS_URL, Factory, make_app, need_service
from tests.web.sitekit import article_path

PAGE_CACHE_REDIS = REDIS_URL.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_REDIS_CACHE_DB", "4")
REQUEST_ID = {"X-Request-ID": "reader-request-0001"}


@dataclass
class Site:
    app: Flask
    client: FlaskClient
    cookied: FlaskClient  # sends a cookie (any): the layer leaves its requests to Flask
    layer: HitFirst
    make: Factory
    desk: Desk
    editor: Person
    story: Story
    dispatched: list[str]  # the paths Flask's request machinery answered


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def site(tmp_path: Path, request: pytest.FixtureRequest, make: Factory) -> Iterator[Site]:
    """The memory cache on SQLite; on PostgreSQL, Redis behind it (as in production)."""
    extra = {}
    if request.param == "postgresql":
        need_service("Redis", PAGE_CACHE_REDIS)
        import redis

        redis.Redis.from_url(PAGE_CACHE_REDIS).flushdb()
        extra["REDIS_URL"] = PAGE_CACHE_REDIS
    app = make_app(tmp_path, request.param, request, **extra)
    with app.app_context():
        desk = make.desk("National")
        reporter, editor = make.reporter(desk), make.editor(desk)
        story = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, headline="Old")
        dispatched: list[str] = []
        full = app.full_dispatch_request

        def counted() -> object:
            from flask import request as flask_request

            dispatched.append(flask_request.path)
            return full()

        app.full_dispatch_request = counted  # type: ignore[method-assign]
        cookied = app.test_client()
        cookied.set_cookie("consent", "1")
        assert isinstance(app.wsgi_app, HitFirst)
        yield Site(
            app, app.test_client(), cookied, app.wsgi_app, make, desk, editor, story, dispatched
        )
        db.session.remove()
        db.engine.dispose()


def _same(fast: TestResponse, full: TestResponse) -> None:
    """Status, bytes and every header alike (Date only present: the clock moves)."""
    assert fast.status_code == full.status_code
    assert fast.get_data() == full.get_data()
    assert {k: v for k, v in fast.headers if k != "Date"} == {
        k: v for k, v in full.headers if k != "Date"
    }
    assert sorted(k for k, _v in fast.headers) == sorted(k for k, _v in full.headers)


def _served_first(site: Site, path: str, **headers: str) -> TestResponse:
    """A plain GET that the layer answered (Flask dispatched nothing for it)."""
    before = len(site.dispatched)
    response = site.client.get(path, headers=REQUEST_ID | headers)
    assert len(site.dispatched) == before, f"{path} {headers} went through Flask"
    return response


def _through_flask(site: Site, path: str, **headers: str) -> TestResponse:
    """The same request answered by Flask alone (the layer taken out for it)."""
    before = len(site.dispatched)
    site.app.wsgi_app = site.layer.inner  # type: ignore[method-assign]
    try:
        response = site.client.get(path, headers=REQUEST_ID | headers)
    finally:
        site.app.wsgi_app = site.layer  # type: ignore[method-assign]
    assert len(site.dispatched) == before + 1
    return response


def test_a_hit_is_the_same_answer_as_flasks(site: Site) -> None:
    for path in ("/", article_path(site.story), "/national/", "/feed.xml"):
        site.client.get(path)  # rendered by Flask, which notes the path
        fast = _served_first(site, path)
        assert fast.headers["X-Page-Cache"] == "hit"
        _same(fast, _through_flask(site, path))


def test_a_kept_answer_is_sent_again_with_its_own_date_and_request_id(site: Site) -> None:
    path = article_path(site.story)
    site.client.get(path)
    assembled = _served_first(site, path)  # the first plain hit assembles it and keeps it
    assert len(site.layer.answers) == 1
    again = site.client.get(path, headers={"X-Request-ID": "reader-request-0002"})
    assert again.headers["X-Request-ID"] == "reader-request-0002" and "Date" in again.headers
    again.headers["X-Request-ID"] = REQUEST_ID["X-Request-ID"]
    _same(again, assembled)
    _same(_served_first(site, path), _through_flask(site, path))
    assert len(site.layer.answers) == 1


def test_kept_answers_are_bounded_by_their_bytes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from editorial.site import hitfirst

    paths = ["/", article_path(site.story)]
    for path in paths:
        site.client.get(path)
    sizes = [len(_served_first(site, path).get_data()) for path in paths]
    site.layer.answers.clear()
    site.layer.answer_bytes = 0
    monkeypatch.setattr(hitfirst, "MAX_ANSWER_BYTES", max(sizes) + 1)  # room for one
    for path in paths:
        _served_first(site, path)
        assert len(site.layer.answers) == 1 and site.layer.answer_bytes <= max(sizes)


def test_a_copy_remembers_a_bounded_number_of_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MEMO_SIZE", 2)
    entry = cache.Entry("text/html", b"<p>", ("site",), 1, 0.0)
    made: list[int] = []
    for key in (1, 1, 2, 3, 3):
        assert entry.remembered(key, lambda key=key: made.append(key) or key * 10) == key * 10
    assert made == [1, 2, 3] and len(entry.memo) <= 2


def test_revalidations_are_the_same_answer_as_flasks(site: Site) -> None:
    path = article_path(site.story)
    first = site.client.get(path)
    validators = [
        {"If-None-Match": first.headers["ETag"]},
        {"If-Modified-Since": first.headers["Last-Modified"]},
        {"If-None-Match": '"some-other-page"'},
    ]
    statuses = []
    for asked in validators:
        fast = _served_first(site, path, **asked)
        _same(fast, _through_flask(site, path, **asked))
        statuses.append(fast.status_code)
    assert statuses == [304, 304, 200]


def test_an_unconditional_answer_is_what_make_conditional_would_give(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """site.cache.answer calls werkzeug's make_conditional only for a request with a validator,
    a precondition or a range; for any other, the same headers (a Date among them) without it."""
    path = article_path(site.story)
    site.client.get(path)
    plain = _served_first(site, path)
    assert "Date" in plain.headers
    monkeypatch.setattr(cache, "CONDITIONAL", frozenset({"REQUEST_METHOD"}))  # every request
    _same(plain, _served_first(site, path))
    _same(plain, _through_flask(site, path))


def test_only_plain_reader_gets_of_known_fresh_pages_skip_flask(site: Site) -> None:
    path = article_path(site.story)
    site.client.get(path)
    before = len(site.dispatched)
    site.client.get(path, query_string="page=1")
    site.cookied.get(path)
    site.client.head(path)
    site.client.get("/latest")  # never answered yet in this process
    assert len(site.dispatched) == before + 4


def test_a_publish_goes_through_flask_and_shows_at_once(site: Site) -> None:
    desk, editor, make = site.desk, site.editor, site.make
    news = make.story(make.reporter(desk), desk, StoryState.APPROVED, editor=editor)
    site.client.get("/")
    assert news.headline not in _served_first(site, "/").get_data(as_text=True)

    transition_story(news, Action.PUBLISH, actor=editor)
    before = len(site.dispatched)
    fresh = site.client.get("/")
    assert len(site.dispatched) == before + 1  # stale in memory: Flask renders it
    assert news.headline in fresh.get_data(as_text=True)
    assert news.headline in _served_first(site, "/").get_data(as_text=True)
