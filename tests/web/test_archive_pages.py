"""Issue 14: listings page by a keyset cursor (?before= / ?after=), count nothing, and keep old
?page=N links answering; junk cursors are a 400 that says so, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from editorial.keyset import BAD_CURSOR
from editorial.models import Desk, Story
from editorial.site import queries
from editorial.workflow import StoryState
from tests.conftest import Factory
from tests.web import sitekit
from tests.web.sitekit import Paper, set_published

paper = sitekit.paper

NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
PREV = re.compile(r'<a rel="prev" href="([^"]+)"')


def _html(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _link(pattern: re.Pattern[str], html: str) -> str | None:
    found = pattern.search(html)
    return found.group(1).replace("&amp;", "&") if found else None


def _numbered(paper: Paper, count: int, desk: Desk | None = None) -> list[Story]:
    stories = [paper.story(headline=f"Numbered story {n}", desk=desk) for n in range(count)]
    for n, story in enumerate(stories):
        set_published(story, datetime(2025, 12, 1 + n, tzinfo=UTC))
    return stories


def _shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Numbered story (\d+)", html)]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)


@pytest.mark.usefixtures("small_pages")
@pytest.mark.parametrize("path", ["/national/", "/latest", "/tag/teesta"])
def test_older_and_newer_walk_the_whole_listing(
    client: FlaskClient, paper: Paper, path: str
) -> None:
    stories = [paper.story(headline=f"Numbered story {n}", tags=["Teesta"]) for n in range(5)]
    for n, story in enumerate(stories):
        set_published(story, datetime(2025, 12, 1 + n, tzinfo=UTC))
    first = _html(client, path)
    assert _shown(first) == [4, 3]
    assert PREV.search(first) is None
    second_url = _link(NEXT, first)
    assert second_url and "?before=" in second_url and second_url.startswith(path)
    second = _html(client, second_url)
    assert _shown(second) == [2, 1] and "(older stories)" in second
    third = _html(client, _link(NEXT, second) or "")
    assert _shown(third) == [0] and NEXT.search(third) is None
    back = _html(client, _link(PREV, third) or "")
    assert _shown(back) == [2, 1]
    assert _shown(_html(client, _link(PREV, back) or "")) == [4, 3]


@pytest.mark.usefixtures("small_pages")
def test_an_older_page_keeps_its_stories_after_a_publish(client: FlaskClient, paper: Paper) -> None:
    _numbered(paper, 5)
    second_url = _link(NEXT, _html(client, "/national/")) or ""
    paper.story(headline="Numbered story 9")  # published now: the newest
    assert _shown(_html(client, second_url)) == [2, 1]
    assert _shown(_html(client, "/national/")) == [9, 4]


@pytest.mark.usefixtures("small_pages")
def test_listings_count_nothing(client: FlaskClient, paper: Paper) -> None:
    _numbered(paper, 3)
    html = _html(client, "/national/")
    assert "Page 1 of" not in html and " articles" not in html
    assert "Older stories" in html


@pytest.mark.usefixtures("small_pages")
def test_old_page_links_move_to_the_same_place(client: FlaskClient, paper: Paper) -> None:
    _numbered(paper, 5)
    first = client.get("/national/?page=1")
    assert first.status_code == 301 and first.headers["Location"] == "/national/"
    moved = client.get("/national/?page=2")
    assert moved.status_code == 301 and "?before=" in moved.headers["Location"]
    assert _shown(_html(client, moved.headers["Location"])) == [2, 1]
    assert _shown(_html(client, client.get("/latest?page=3").headers["Location"])) == [0]
    assert client.get("/national/?page=4").status_code == 404


@pytest.mark.usefixtures("small_pages")
def test_the_section_alias_keeps_the_cursor(client: FlaskClient, paper: Paper) -> None:
    _numbered(paper, 3)
    older = _link(NEXT, _html(client, "/national/")) or ""
    cursor = older.split("?", 1)[1]
    moved = client.get(f"/section/national/?{cursor}")
    assert moved.status_code == 301 and moved.headers["Location"] == older


def test_a_cursor_past_the_end_is_404(client: FlaskClient, paper: Paper) -> None:
    paper.story()
    assert client.get("/national/?before=1.1").status_code == 404  # 1970: nothing older
    assert client.get("/national/?after=99999999999999999.1").status_code == 404


@pytest.fixture
def any_paper(any_app: Flask, make: Factory) -> Paper:
    """The small paper on SQLite, then on PostgreSQL."""
    national, sports = make.desk("National"), make.desk("Sports")
    reporter = make.reporter(national, sports)
    return Paper(make, national, sports, reporter, make.editor(national, sports))


JUNK = [
    "",
    "abc",
    "1",
    "1.",
    ".1",
    "1.2.3",
    "-1.5",
    "1.-5",
    "1.0",
    "1.2147483648",
    "123456789012345678.1",
    "1764583200000000.99999999999",
    "١٢٣.٤",  # Arabic-Indic digits: isdigit() says yes, int() would take them
    "1.5\x00",
    "1e9.5",
    " 1.5",
    "1.5 ",
    "0x10.5",
    "9" * 10_000 + ".1",
]


@pytest.mark.parametrize("name", ["before", "after"])
def test_junk_cursors_are_400_with_a_message(any_paper: Paper, any_app: Flask, name: str) -> None:
    any_paper.story(headline="A public story", tags=["Teesta"])
    client = any_app.test_client()
    for path in ("/national/", "/latest", "/tag/teesta", "/section/national/"):
        for junk in JUNK:
            response = client.get(path, query_string={name: junk})
            # Control characters are dropped from every argument before a view reads it.
            allowed = (200, 301, 404) if "\x00" in junk else (301, 400)
            assert response.status_code in allowed, (path, junk, response.status_code)
            if response.status_code == 400:
                assert str(escape(BAD_CURSOR)) in response.get_data(as_text=True)
    both = client.get("/national/?before=1764583200000000.5&after=1764583200000000.5")
    assert both.status_code == 400


def test_good_cursors_answer_on_every_backend(any_paper: Paper, any_app: Flask) -> None:
    story = any_paper.story(headline="A public story")
    set_published(story, datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC))
    client = any_app.test_client()
    cursor = queries.Cursor(datetime(2025, 12, 1, 10, 0, 0, 123457, tzinfo=UTC), 1)
    assert "A public story" in _html(client, f"/national/?before={cursor.token()}")
    exact = queries.Cursor(datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC), story.id)
    assert client.get(f"/national/?before={exact.token()}").status_code == 404  # itself: no
    assert client.get(f"/national/?before=99999999999999999.{2**31 - 1}").status_code == 200


@pytest.mark.parametrize(
    "when",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_a_cursor_reads_back_exactly(when: datetime) -> None:
    cursor = queries.Cursor(when, 42)
    assert queries.Cursor.parse(cursor.token()) == cursor


def test_the_search_page_still_counts_and_numbers(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="Flood waters rise", state=StoryState.PUBLISHED)
    html = _html(client, "/search?q=flood")
    assert "1 result for" in html
