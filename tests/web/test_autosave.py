"""Autosave: a working copy per story (or new draft) and person, never a revision, never the
story's version; restore or discard it; every bad input answered clearly, on SQLite and
PostgreSQL (the app fixture `any_app`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from editorial.extensions import db
from editorial.models import BODY_MAX, AuditEvent, Revision, Story, WorkingCopy
from editorial.services.staff import revoke_sessions
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, post_form, reload

DRAFT = "d0c5a1e2-7b3f-4c2a-9e01-aa55cc77ee99"


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def copies() -> list[WorkingCopy]:
    db.session.expire_all()
    return list(db.session.scalars(select(WorkingCopy).order_by(WorkingCopy.id)))


def fields(nr: Newsroom, **overrides: str) -> dict[str, str]:
    form = nr.form(**overrides)
    form.pop("action")
    return form


def autosave(
    client: FlaskClient,
    path: str,
    payload: dict[str, Any] | str,
    *,
    token: str | None = None,
) -> TestResponse:
    """POST JSON as editor.js does: the CSRF token in X-CSRFToken, asking for JSON."""
    headers = {"Accept": "application/json"}
    if token is None:
        token = csrf_token(client, "/newsroom/")
    if token:
        headers["X-CSRFToken"] = token
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(path, data=data, content_type="application/json", headers=headers)


def story_autosave(client: FlaskClient, story: Story, base: int, /, **fields: str) -> TestResponse:
    """An autosave of the story's fields from the editor opened on version `base`."""
    fields.pop("version", None)
    return autosave(
        client, f"/newsroom/stories/{story.id}/autosave", {"version": base, "fields": fields}
    )


@pytest.fixture
def web(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


def test_autosave_keeps_a_copy_and_never_a_revision(web: FlaskClient, nr: Newsroom, make: Factory):
    story = make.story(nr.reporter, nr.desk, headline="Padma bridge toll")
    login(web, nr.reporter)
    before = (count(Revision), count(AuditEvent))
    typed = fields(nr, body="Tolls rose.\n\nA second paragraph, never saved.", version="1")
    response = story_autosave(web, story, 1, **typed)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["saved"] is True and re.fullmatch(r"\d\d:\d\d", answer["saved_at_local"])
    assert answer["csrf_token"] and answer["others"] == [] and answer["version"] == 1
    assert reload(story).version == 1 and reload(story).body == "The body of the story."
    assert (count(Revision), count(AuditEvent)) == before
    [copy] = copies()
    assert copy.key == f"story:{story.id}" and copy.base_version == 1
    assert copy.fields["body"] == typed["body"]

    # Opening the editor again (another device, a crashed browser) offers it.
    html = web.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert f"Restore your unsaved changes from {answer['saved_at_local']}" in html
    assert ">Discard</button>" in html
    assert "A second paragraph, never saved." not in html  # offered, not yet in the form
    html = web.get(f"/newsroom/stories/{story.id}/edit?restore=1").get_data(as_text=True)
    assert "A second paragraph, never saved." in html and "are in the form below" in html

    # A real save clears it, and the next page tells the script to forget its browser copy.
    response = post_form(web, f"/newsroom/stories/{story.id}/edit", nr.form(**typed))
    assert response.status_code == 302
    assert copies() == []
    html = web.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert f'data-saved-copy="story:{story.id}"' in html and "Restore your" not in html
    html = web.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert 'data-saved-copy=""' in html  # said once


def test_discard_forgets_the_copy(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    assert story_autosave(web, story, 1, **fields(nr, body="Scrap this.")).status_code == 200
    response = post_form(web, f"/newsroom/stories/{story.id}/autosave/discard")
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    assert copies() == []
    assert "Restore your" not in web.get(f"/newsroom/stories/{story.id}/edit").get_data(True)


def test_new_story_copy_is_offered_restored_and_cleared_by_the_first_save(
    web: FlaskClient, nr: Newsroom
) -> None:
    login(web, nr.reporter)
    typed = fields(nr, headline="Never saved: rain in Sylhet", body="Heavy rain.")
    response = autosave(web, "/newsroom/stories/new/autosave", {"draft": DRAFT, "fields": typed})
    assert response.status_code == 200, response.get_data(as_text=True)
    when = response.get_json()["saved_at_local"]
    assert count(Story) == 0
    html = web.get("/newsroom/stories/new").get_data(as_text=True)
    assert f"Restore your unsaved changes from {when}" in html
    assert "Never saved: rain in Sylhet" in html  # the offer names its headline
    html = web.get(f"/newsroom/stories/new?restore={DRAFT}").get_data(as_text=True)
    assert 'value="Never saved: rain in Sylhet"' in html and f'value="{DRAFT}"' in html

    response = post_form(web, "/newsroom/stories/new", nr.form(**typed, draft=DRAFT))
    assert response.status_code == 302 and count(Story) == 1
    assert copies() == []
    html = web.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-saved-copy="new:{DRAFT}"' in html


def test_discard_a_new_draft(web: FlaskClient, nr: Newsroom) -> None:
    login(web, nr.reporter)
    autosave(web, "/newsroom/stories/new/autosave", {"draft": DRAFT, "fields": fields(nr)})
    response = post_form(web, "/newsroom/stories/new/autosave/discard", {"draft": DRAFT})
    assert response.status_code == 302 and copies() == []


def test_autosave_racing_a_real_save(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    """The save commits first; the autosave sent before it (same text) arrives after."""
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    typed = fields(nr, body="Final text.", version="1")
    assert post_form(web, f"/newsroom/stories/{story.id}/edit", nr.form(**typed)).status_code == 302
    late = story_autosave(web, story, 1, **typed)
    assert late.status_code == 409 and late.get_json()["saved"] is True
    assert "version 2" in late.get_json()["error"]
    assert reload(story).version == 2 and count(Revision) == 2
    # It holds what was saved: nothing to offer.
    assert "Restore your" not in web.get(f"/newsroom/stories/{story.id}/edit").get_data(True)

    # Typing that reached only the autosave (different text, old version) is offered, and
    # saving it shows the conflict page: nothing is lost either way.
    story_autosave(web, story, 1, **fields(nr, body="Typed after, in the old tab."))
    html = web.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert "Restore your" in html and "made on version 1" in html
    html = web.get(f"/newsroom/stories/{story.id}/edit?restore=1").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in html
    response = post_form(
        web,
        f"/newsroom/stories/{story.id}/edit",
        nr.form(body="Typed after, in the old tab.", version="1"),
    )
    assert response.status_code == 409 and "Typed after, in the old tab." in response.get_data(True)
    assert len(copies()) == 1  # kept until a save succeeds


def test_two_tabs_autosaving(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    path = f"/newsroom/stories/{story.id}/autosave"
    one = autosave(web, path, {"version": 1, "client": "tab-one", "fields": fields(nr, body="A")})
    two = autosave(web, path, {"version": 1, "client": "tab-two", "fields": fields(nr, body="B")})
    assert one.status_code == two.status_code == 200
    assert one.get_json()["other_tab"] is False and two.get_json()["other_tab"] is True
    [copy] = copies()
    assert copy.fields["body"] == "B" and copy.client == "tab-two"
    assert reload(story).version == 1 and count(Revision) == 1
    assert two.get_json()["others"] == []  # the same person is not "someone else"


@pytest.mark.parametrize("state", [StoryState.SUBMITTED, StoryState.PUBLISHED])
def test_autosave_after_the_story_moved_on(
    web: FlaskClient, nr: Newsroom, make: Factory, state: StoryState
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    transition_story(story, Action.SUBMIT, actor=nr.reporter)
    if state is StoryState.PUBLISHED:
        transition_story(reload(story), Action.APPROVE, actor=nr.editor)
        transition_story(reload(story), Action.PUBLISH, actor=nr.editor)
    moved = reload(story)
    response = story_autosave(web, story, 1, **fields(nr, body="Typed while it moved on."))
    assert response.status_code == 409, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["saved"] is True and "nothing is lost" in answer["error"]
    assert state.label.lower() in answer["error"]
    after = reload(story)
    assert (after.state, after.version, after.body) == (state, moved.version, moved.body)
    assert len(copies()) == 1
    # The author can no longer edit: the story page keeps the text for them.
    html = web.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)
    assert "Your unsaved changes from" in html and "Typed while it moved on." in html
    response = post_form(web, f"/newsroom/stories/{story.id}/autosave/discard")
    assert response.headers["Location"].endswith(f"/newsroom/stories/{story.id}")
    assert copies() == []


def test_autosave_refused_for_a_story_i_may_not_edit(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    secret = "Unpublished scoop text"
    mine = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, body=secret)
    login(web, nr.reporter)
    response = story_autosave(web, mine, reload(mine).version, **fields(nr))
    assert response.status_code == 403 and response.get_json()["saved"] is False
    other = make.story(nr.outsider, nr.other_desk, body=secret)
    response = story_autosave(web, other, 1, **fields(nr))
    assert response.status_code == 404
    assert secret not in response.get_data(as_text=True)
    assert copies() == []


def test_autosave_without_csrf_is_refused(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    for token in ("", "not-a-token"):
        response = autosave(
            web,
            f"/newsroom/stories/{story.id}/autosave",
            {"version": 1, "fields": fields(nr)},
            token=token,
        )
        assert response.status_code == 403, token
        assert "security token" in response.get_json()["error"]
        response = autosave(
            web, "/newsroom/stories/new/autosave", {"draft": DRAFT, "fields": {}}, token=token
        )
        assert response.status_code == 403
    assert copies() == []


def test_a_body_over_the_limit(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    response = story_autosave(web, story, 1, **fields(nr, body="ক" * (BODY_MAX + 1)))
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert "200,001 characters; the limit is 200,000" in error and "kept in this browser" in error
    assert copies() == []
    response = story_autosave(web, story, 1, **fields(nr, body="ক" * BODY_MAX))
    assert response.status_code == 200 and len(copies()[0].fields["body"]) == BODY_MAX


def test_a_session_that_expired_mid_edit(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    token = login(web, nr.reporter)
    csrf = csrf_token(web, "/newsroom/")
    assert story_autosave(web, story, 1, **fields(nr, body="Before it expired.")).status_code == 200
    revoke_sessions(token=token)
    db.session.commit()
    response = autosave(
        web,
        f"/newsroom/stories/{story.id}/autosave",
        {"version": 1, "fields": fields(nr, body="After.")},
        token=csrf,
    )
    assert response.status_code == 401 and response.is_json  # the script keeps it locally
    login(web, nr.reporter)  # signed in again
    html = web.get(f"/newsroom/stories/{story.id}/edit?restore=1").get_data(as_text=True)
    assert "Before it expired." in html


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ("not json", 400),
        ("[1, 2]", 400),
        ({"version": 1, "fields": {"body": 5}}, 400),
        ({"version": 1, "fields": "text"}, 400),
        ({"fields": {"body": "x"}}, 400),
        ({"version": "garbage", "fields": {"body": "x"}}, 400),
        ({"version": 1, "fields": {"body": "NUL\x00 and \x07 bell", "state": "published"}}, 200),
        ({"version": 1}, 200),  # a heartbeat
    ],
)
def test_bad_autosave_requests_are_answered_clearly(
    web: FlaskClient, nr: Newsroom, make: Factory, payload: Any, status: int
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    response = autosave(web, f"/newsroom/stories/{story.id}/autosave", payload)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    if status == 400:
        assert response.get_json()["error"]
    for copy in copies():
        assert copy.fields["body"] == "NUL and  bell" and "state" not in copy.fields
    assert reload(story).state == StoryState.DRAFT


@pytest.mark.parametrize("draft", ["", "short", "../../etc", "x" * 41])
def test_new_story_autosave_needs_a_draft_key(web: FlaskClient, nr: Newsroom, draft: str) -> None:
    login(web, nr.reporter)
    response = autosave(web, "/newsroom/stories/new/autosave", {"draft": draft, "fields": {}})
    assert response.status_code == 400 and "draft key" in response.get_json()["error"]
    assert copies() == []


def test_anonymous_autosave_gets_401_json(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    token = csrf_token(web, "/login")
    payload = {"version": 1, "fields": {"body": "x"}}
    response = autosave(web, f"/newsroom/stories/{story.id}/autosave", payload, token=token)
    assert response.status_code == 401 and response.is_json and copies() == []


def test_copies_are_private_to_their_person(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    story_autosave(web, story, 1, **fields(nr, body="Only Shirin sees this."))
    login(web, nr.editor)
    for path in (
        f"/newsroom/stories/{story.id}/edit",
        f"/newsroom/stories/{story.id}/edit?restore=1",
    ):
        html = web.get(path).get_data(as_text=True)
        assert "Only Shirin sees this." not in html and "Restore your" not in html
    post_form(web, f"/newsroom/stories/{story.id}/autosave/discard")
    assert len(copies()) == 1  # the editor's Discard touches only the editor's copy
