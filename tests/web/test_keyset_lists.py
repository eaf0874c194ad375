"""Issue 14: the newsroom's and admin's long lists (the notification centre, the audit log)
page by a keyset cursor, not OFFSET; a cursor the site never wrote is a 400 that says so, on
SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from editorial.extensions import db
from editorial.keyset import BAD_CURSOR
from editorial.newsroom import queries
from editorial.services.notifications import notify
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.test_archive_pages import JUNK

LINK = re.compile(r'rel="(next|prev)" href="([^"]+)"')
SUBJECT = re.compile(r"Notice (\d+)")
FILTERED = {"action": "desk."}
PAST = {"before": "1.1", "after": "9" * 17 + ".1"}  # nothing older than 1970, newer than 5138


def _page(client: FlaskClient, url: str) -> tuple[list[int], dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    links = {rel: href.replace("&amp;", "&") for rel, href in LINK.findall(html)}
    shown = dict.fromkeys(SUBJECT.findall(html))  # a subject is also its button's label
    return [int(n) for n in shown], links


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
    admin = make.admin()
    story = make.story(make.reporter(desk), desk, StoryState.SUBMITTED)
    notify([admin], kind="submitted", story=story, subject="Notice 1", message="")
    db.session.commit()
    client = any_app.test_client()
    login(client, admin)
    lists = [("/newsroom/notifications", {}), ("/admin/audit", {}), ("/admin/audit", FILTERED)]
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
