"""Wording a reader or a new colleague sees: no "the The", no raw codes, no "0 results"."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Notification, Story
from editorial.services import accounts
from editorial.services.publishing import publish_due_stories
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web import sitekit
from tests.web.conftest import account_link, follow_redirect
from tests.web.sitekit import Paper

paper = sitekit.paper


def test_the_invitation_names_the_newsroom_once(client: FlaskClient, make: Factory, outbox) -> None:
    person = make.reporter(name="Shahana")
    accounts.send_invitation(person, actor=make.admin())
    message = outbox()[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["Subject"] == "You are invited to The Dhaka Chronicle newsroom"
    for body in (text, html):
        assert "an account in The Dhaka Chronicle newsroom" in body
        assert "the The" not in body
    page = client.get(urlsplit(account_link(message)).path).get_data(as_text=True)
    assert "Choose a password for The Dhaka Chronicle newsroom." in page
    assert "the The" not in page


def test_the_reset_names_the_newsroom_once_and_asks_for_the_new_password(
    client: FlaskClient, make: Factory, outbox
) -> None:
    person = make.reporter()
    accounts.send_password_reset(person, actor=None)
    message = outbox()[0]
    assert message["Subject"] == "Reset your The Dhaka Chronicle newsroom password"
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "the password of your The Dhaka Chronicle newsroom account" in body
        assert "the The" not in body
    path = urlsplit(account_link(message)).path
    token = csrf_token(client, path)
    password = "a brand new passphrase"
    response = client.post(
        path, data={"password": password, "confirm": password, "csrf_token": token}
    )
    # The sentence once ended "…and it.": the page after the reset names what to sign in with.
    page = follow_redirect(client, response).get_data(as_text=True)
    assert "Sign in with your e-mail address and your new password." in page


def test_a_search_with_no_results_says_so(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="Floods in Sylhet")
    html = client.get("/search?q=cricket").get_data(as_text=True)
    assert "No stories match “cricket”." in html
    assert "0 results" not in html
    found = client.get("/search?q=floods").get_data(as_text=True)
    assert "1 result for “floods”, newest first" in found


def test_the_scheduler_is_named_naturally(paper: Paper) -> None:
    story = paper.story(StoryState.SCHEDULED)
    assert publish_due_stories(utcnow() + timedelta(hours=2)) == [story.id]
    messages = db.session.scalars(
        select(Notification.message).where(Notification.kind == "story.publish_scheduled")
    ).all()
    assert messages and set(messages) == {"Published by the scheduler."}


def test_history_says_events_in_words(app: Flask, client: FlaskClient, paper: Paper) -> None:
    story = paper.story(StoryState.SUBMITTED)
    login(client, paper.editor)
    html = client.get(f"/newsroom/stories/{story.id}/history").get_data(as_text=True)
    assert "Created the story" in html and "Submitted for review" in html
    assert "story.created" not in html and "story.submitted" not in html
    assert db.session.get(Story, story.id) is not None


def test_newsroom_admin_and_sign_in_pages_link_the_favicon(
    client: FlaskClient, make: Factory
) -> None:
    icon = '<link rel="icon" href="/static/img/favicon.svg"'
    assert icon in client.get("/login").get_data(as_text=True)
    login(client, make.admin())
    for path in ("/newsroom/", "/newsroom/search", "/admin/", "/account"):
        assert icon in client.get(path).get_data(as_text=True), path
    response = client.get("/static/img/favicon.svg")
    assert response.status_code == 200
    response.close()
