"""Issue 14: the newsroom's and admin's long lists (the notification centre, the audit log,
story search, the photo library) page by a keyset cursor, not OFFSET; a cursor the site never
wrote is a 400 that says so, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import update

from editorial.extensions import db
from editorial.keyset import BAD_CURSOR
from editorial.models import Story
from editorial.newsroom import library, queries
from editorial.services.notifications import notify
from editorial.workflow import Role, StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom
from tests.web.test_archive_pages import JUNK
from tests.web.test_photo_library import _photo, _uploaded_at

LINK = re.compile(r'rel="(next|prev)" href="([^"]+)"')
SUBJECT = re.compile(r"Notice (\d+)")
FILTERED = {"action": "desk."}
PAST = {"before": "1.1", "after": "9" * 17 + ".1"}  # nothing older than 1970, newer than 5138


HEADLINE = re.compile(r"Monsoon report (\d+)")
PHOTO = re.compile(r'aria-label="Photo (\d+): details"')
START = datetime(2026, 3, 1, 6, tzinfo=UTC)


def _page(
    client: FlaskClient, url: str, rows: re.Pattern[str] = SUBJECT
) -> tuple[list[int], dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    links = {rel: href.replace("&amp;", "&") for rel, href in LINK.findall(html)}
    shown = dict.fromkeys(rows.findall(html))  # a subject is also its button's label
    return [int(n) for n in shown], links


def _walk(client: FlaskClient, url: str, rows: re.Pattern[str]) -> list[list[int]]:
    """Every page from `url` following Older to the last, each link checked to carry the
    first page's query string; then back following Newer, which must give the same pages."""
    asked = parse_qs(urlsplit(url).query)
    pages, links = [], {"next": url}
    while "next" in links:
        shown, links = _page(client, links["next"], rows)
        pages.append(shown)
        for href in links.values():
            assert {k: v for k, v in parse_qs(urlsplit(href).query).items() if k in asked} == asked
    back = [pages[-1]]
    while "prev" in links:
        shown, links = _page(client, links["prev"], rows)
        back.append(shown)
    assert back[::-1] == pages
    return pages


def test_the_notification_centre_walks_older_and_newer(
    client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "NOTIFICATIONS_PAGE", 2)
    desk = make.desk("National")
    editor = make.editor(desk)
    story = make.story(make.reporter(desk), desk, StoryState.SUBMITTED)
    for n in range(5):
        notify([editor], kind="submitted", story=story, subject=f"Notice {n}", message="")
    db.session.commit()
    login(client, editor)
    first, links = _page(client, "/newsroom/notifications")
    assert first == [4, 3] and "prev" not in links and "?before=" in links["next"]
    second, links = _page(client, links["next"])
    notify([editor], kind="submitted", story=story, subject="Notice 5", message="")
    db.session.commit()  # a newer one: a numbered page 2 would now start at Notice 4
    assert second == [2, 1] and _page(client, links["next"])[0] == [0]
    assert _page(client, links["prev"])[0] == [4, 3]


@pytest.mark.parametrize("name", ["before", "after"])
def test_junk_cursors_are_400_with_a_message(any_app: Flask, make: Factory, name: str) -> None:
    desk = make.desk("National")
    # An admin who edits a desk: the search then has a desk to walk from the cursor.
    admin = make.person(Role.ADMIN, Role.DESK_EDITOR, Role.REPORTER, desks=[desk])
    story = make.story(make.reporter(desk), desk, StoryState.SUBMITTED)
    notify([admin], kind="submitted", story=story, subject="Notice 1", message="")
    _photo(admin, caption="Boats")
    db.session.commit()
    client = any_app.test_client()
    login(client, admin)
    lists = [
        ("/newsroom/notifications", {}),
        ("/admin/audit", {}),
        ("/admin/audit", FILTERED),
        ("/newsroom/search", {}),
        ("/newsroom/search", {"q": "story", "state": "submitted"}),
        ("/newsroom/media/", {}),
        ("/newsroom/media/", {"q": "boats", "use": "unused"}),
    ]
    for path, args in lists:
        for junk in JUNK:
            response = client.get(path, query_string={**args, name: junk})
            # Control characters are dropped from every argument before a view reads it.
            expected = 200 if "\x00" in junk else 400
            assert response.status_code == expected, (path, junk, response.status_code)
            if expected == 400:
                assert str(escape(BAD_CURSOR)) in response.get_data(as_text=True)
        both = client.get(path, query_string={**args, "before": "1.1", "after": "1.1"})
        assert both.status_code == 400
        past = client.get(path, query_string={**args, name: PAST[name]})
        assert past.status_code == 200  # nothing older (newer): an empty page, not an error


def test_story_search_walks_older_and_newer_keeping_its_filters(
    any_app: Flask, nr: Newsroom, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    editor = make.editor(nr.desk, nr.other_desk)  # two desks: a union of two index walks
    desks = [(nr.reporter, nr.desk), (nr.outsider, nr.other_desk)]
    made = [make.story(*desks[n % 2], headline=f"Monsoon report {n}") for n in range(7)]
    left_out = [
        make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline="Monsoon report 99"),
        make.story(nr.reporter, nr.desk, headline="Cricket report 98"),
    ]
    # Stories 2 and 3 changed in the same microsecond: the id orders them.
    changed = {s.id: START + timedelta(minutes=2 if n == 3 else n) for n, s in enumerate(made)}
    changed |= {s.id: START + timedelta(minutes=3) for s in left_out}
    for story_id, at in changed.items():
        db.session.execute(update(Story).where(Story.id == story_id).values(modified_at=at))
    db.session.commit()
    newest_first = sorted(made, key=lambda s: (changed[s.id], s.id), reverse=True)
    client = any_app.test_client()
    login(client, editor)
    pages = _walk(client, "/newsroom/search?q=monsoon&state=draft", HEADLINE)
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [n for p in pages for n in p] == [int(s.headline.split()[-1]) for s in newest_first]
    # A numbered page of before keyset pages is ignored: the first page, not a 500.
    first, _ = _page(client, "/newsroom/search?q=monsoon&state=draft&page=3", HEADLINE)
    assert first == pages[0]


def test_the_photo_library_walks_older_and_newer_keeping_its_filters(
    any_app: Flask, nr: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "PAGE_SIZE", 2)
    boats = [_photo(nr.reporter, desk_id=nr.desk.id, caption=f"Boat {n}") for n in range(5)]
    _photo(nr.reporter, desk_id=nr.other_desk.id, caption="Boat elsewhere")
    _photo(nr.reporter, desk_id=nr.desk.id, caption="Rain")
    for n, photo in enumerate(boats):
        _uploaded_at(photo, START + timedelta(minutes=min(n, 3)))  # 3 and 4: the same instant
    client = any_app.test_client()
    login(client, nr.reporter)
    pages = _walk(client, f"/newsroom/media/?q=boat&desk={nr.desk.id}", PHOTO)
    newest_first = sorted(boats, key=lambda p: (min(boats.index(p), 3), p.id), reverse=True)
    assert pages == [[p.id for p in newest_first[i : i + 2]] for i in (0, 2, 4)]
    first, _ = _page(client, f"/newsroom/media/?q=boat&desk={nr.desk.id}&page=2", PHOTO)
    assert first == pages[0]  # an old numbered page: ignored, the first page


QUEUED = re.compile(r"Queued report (\d+)")


def test_the_desk_queue_walks_on_from_the_oldest(
    any_app: Flask, nr: Newsroom, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "QUEUE_PAGE", 2)
    made = [
        make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline=f"Queued report {n}")
        for n in range(5)
    ]
    make.story(nr.outsider, nr.other_desk, StoryState.SUBMITTED, headline="Queued report 99")
    # Reports 1 and 2 were submitted in the same microsecond: the id orders them.
    submitted = {
        s.id: START + timedelta(minutes=min(n, 1) if n < 3 else n) for n, s in enumerate(made)
    }
    for story_id, at in submitted.items():
        db.session.execute(update(Story).where(Story.id == story_id).values(submitted_at=at))
    db.session.commit()
    client = any_app.test_client()
    login(client, nr.editor)
    pages, links = [], {"next": "/newsroom/queue"}
    while "next" in links:
        shown, links = _page(client, links["next"], QUEUED)
        pages.append(shown)
        assert "prev" not in links  # one way, from the oldest; "Oldest first" starts again
    assert pages == [[0, 1], [2, 3], [4]]
    # A story with no submission time (none is written so) comes first, on both databases.
    undated = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline="Queued report 5")
    db.session.execute(update(Story).where(Story.id == undated.id).values(submitted_at=None))
    db.session.commit()
    shown, links = _page(client, "/newsroom/queue", QUEUED)
    assert shown == [5, 0] and _page(client, links["next"], QUEUED)[0] == [1, 2]
    first = client.get("/newsroom/queue").get_data(as_text=True)
    assert "6 waiting, 2 a screen." in first and "Oldest first" not in first
    later = client.get("/newsroom/queue", query_string={"after": "1.1"}).get_data(as_text=True)
    assert "Oldest first" in later and "Queued report 0" in later
    for junk in JUNK:
        response = client.get("/newsroom/queue", query_string={"after": junk})
        assert response.status_code == (200 if "\x00" in junk else 400), junk
    assert client.get("/newsroom/queue", query_string={"before": "1.1"}).status_code == 400
    past = client.get("/newsroom/queue", query_string={"after": PAST["after"]})
    assert past.status_code == 200 and "Nothing further down the queue" in past.get_data(
        as_text=True
    )
    assert "Queued report" not in past.get_data(as_text=True)
