"""Old cookies lose their power: password change, deactivation and demotion (TRUST.md case 21)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from editorial.extensions import db
from editorial.models import Person, Story
from editorial.models.loading import load_access
from editorial.services import staff
from editorial.workflow import Role, StoryState
from tests.conftest import Factory, csrf_token, login

PASSWORD = "correct horse battery"
NEW = "a brand new passphrase"


def _approve(client: FlaskClient, story: Story, token_from: str):
    """POST Approve with this browser's own (still valid) CSRF token."""
    token = csrf_token(client, token_from)
    return client.post(
        f"/newsroom/stories/{story.id}/actions/approve",
        data={"csrf_token": token, "version": str(story.version), "note": ""},
    )


def test_password_change_kills_the_other_browsers_cookie(app: Flask, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    phone, laptop = app.test_client(), app.test_client()
    login(phone, person)
    login(laptop, person)
    token = csrf_token(laptop, "/account/password")
    response = laptop.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW, "csrf_token": token},
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # the browser that changed it stays in
    assert phone.get("/account").status_code == 302  # the other one is signed out


def test_deactivated_session_ends_at_next_request(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    admin = make.admin()
    person = make.reporter(password=PASSWORD)
    login(client, person)
    assert client.get("/account").status_code == 200
    staff.deactivate(person, actor=admin)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_demoted_editor_cannot_approve_with_yesterdays_session(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    desk = make.desk()
    admin = make.admin()
    editor = make.editor(desk)
    story = make.story(make.reporter(desk), desk, StoryState.SUBMITTED)
    login(client, editor)
    assert client.get("/account").status_code == 200
    staff.update_person(
        db.session.get(Person, editor.id),
        actor=admin,
        name=editor.name,
        byline="",
        roles={Role.REPORTER},
        desk_ids=[desk.id],
    )
    response = _approve(client, story, "/login")  # signed out: the sign-in form has a token
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.get(Story, story.id).state == StoryState.SUBMITTED


def test_roles_are_read_every_request(app: Flask, client: FlaskClient, make: Factory) -> None:
    """Even a session that was not ended cannot use a role the database no longer grants."""
    desk = make.desk()
    editor = make.editor(desk)
    story = make.story(make.reporter(desk), desk, StoryState.SUBMITTED)
    login(client, editor)
    load_access(editor)
    editor.set_roles({Role.REPORTER})
    db.session.commit()
    assert _approve(client, story, "/account").status_code in (403, 404)
    assert db.session.get(Story, story.id).state == StoryState.SUBMITTED


def test_signing_in_makes_a_new_session(app: Flask, client: FlaskClient, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    with client.session_transaction() as session:
        session["_user_id"] = "planted-by-an-attacker"
    token = csrf_token(client)
    client.post("/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token})
    with client.session_transaction() as session:
        assert session["_user_id"] != "planted-by-an-attacker"
    assert client.get("/account").status_code == 200
