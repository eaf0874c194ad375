"""`PORT=8000 make run`: every absolute link the system writes points at port 8000 unless
SITE_URL is set (CONTRACT, second round; issue 8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from editorial.extensions import db
from editorial.services.accounts import send_invitation
from tests.conftest import Factory, make_app
from tests.web import sitekit
from tests.web.conftest import outbox_messages
from tests.web.sitekit import Paper, article_path

paper = sitekit.paper
THIS_MACHINE = re.compile(r"https?://127\.0\.0\.1(?::(\d+))?")


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch) -> Iterator[Flask]:
    """The app as `PORT=8000 make run` starts it: PORT set, SITE_URL not."""
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.delenv("SITE_URL", raising=False)
    app = make_app(tmp_path, "sqlite", request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def ports(text: str) -> set[str | None]:
    """The ports of every link to this machine in `text` (None: no port, i.e. 80)."""
    return {match.group(1) for match in THIS_MACHINE.finditer(text)}


def test_every_absolute_link_follows_port(
    app: Flask, client: FlaskClient, paper: Paper, make: Factory
) -> None:
    story = paper.story(headline="Ferry timetable changes", tags=["Rivers"])
    send_invitation(make.reporter(paper.national), actor=None)
    pages = {
        path: client.get(path)
        for path in (
            "/",
            article_path(story),
            "/national/",
            "/feed.xml",
            "/national/feed.xml",
            "/sitemap.xml",
            "/sitemaps/sections.xml",
            "/sitemaps/stories-1.xml",
            "/news-sitemap.xml",
            "/robots.txt",
            "/api/stories",
            f"/api/stories/{story.id}",
        )
    }
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert ports(response.get_data(as_text=True)) == {"8000"}, path

    mail = outbox_messages(app)
    assert {m["Subject"].split(":")[0] for m in mail} >= {"Published"}  # the author's e-mail
    assert any("/invite/" in m.get_body(("plain",)).get_content() for m in mail)
    for message in mail:
        for part in message.walk():
            if part.get_content_maintype() == "text":
                assert ports(part.get_content()) == {"8000"}, message["Subject"]


def test_site_url_wins_over_port(monkeypatch) -> None:
    from editorial.config import site_url

    assert site_url({"PORT": "8000", "SITE_URL": "https://news.example/"}) == "https://news.example"
    assert site_url({"PORT": "8000"}) == "http://127.0.0.1:8000"
    assert site_url({}) == "http://127.0.0.1:5000"
