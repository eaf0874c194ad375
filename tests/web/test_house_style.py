"""The house-style checklist (issue 13): admins set it per desk; Publish now and Schedule list
what fails; a desk editor overrides only with a note, audited and shown in the history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, HouseStyle
from editorial.services.housestyle import desk_style, set_house_style
from editorial.style import StyleSettings
from editorial.timeutil import format_local, utcnow, zone
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload

STRICT = StyleSettings(
    needs_dateline=True,
    needs_byline=True,
    needs_standfirst=True,
    needs_photo_credit=True,
    headline_max=40,
    body_min_words=50,
)


@pytest.fixture
def both(any_app: Flask) -> Iterator[FlaskClient]:
    yield any_app.test_client()


def test_admin_sets_a_desks_checklist(both: FlaskClient, nr: Newsroom, make: Factory) -> None:
    admin = make.admin()
    login(both, admin)
    path = f"/admin/desks/{nr.desk.id}/style"
    assert "Dateline present and in capitals" in both.get(path).get_data(as_text=True)
    form = {"needs_dateline": "1", "needs_standfirst": "1", "headline_max": "70"}
    assert post_form(both, path, form).status_code == 302
    assert desk_style(nr.desk.id) == StyleSettings(
        needs_dateline=True, needs_standfirst=True, headline_max=70
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "desk.style_changed"))
    assert event is not None and event.actor_id == admin.id
    html = both.get(path).get_data(as_text=True)
    assert (
        'id="headline_max" name="headline_max" type="text" inputmode="numeric" value="70"' in html
    )


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("headline_max", "-5"),
        ("headline_max", "0"),
        ("headline_max", "abc"),
        ("headline_max", "250"),
        ("body_min_words", "-1"),
        ("body_min_words", "12.5"),
        ("body_min_words", "99999999999999999999999"),
    ],
)
def test_impossible_settings_are_refused_clearly(
    both: FlaskClient, nr: Newsroom, make: Factory, field: str, raw: str
) -> None:
    login(both, make.admin())
    response = post_form(
        both, f"/admin/desks/{nr.desk.id}/style", {"needs_byline": "1", field: raw}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved" in html and "is not a usable number" in html
    assert (
        f'value="{raw}"' in html
        and 'id="needs_byline" name="needs_byline" value="1" checked' in html
    )
    assert db.session.get(HouseStyle, nr.desk.id) is None


def test_the_database_refuses_a_negative_length_too(any_app: Flask, nr: Newsroom) -> None:
    from sqlalchemy.exc import IntegrityError

    db.session.add(HouseStyle(desk_id=nr.desk.id, headline_max=-1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def publish(client: FlaskClient, story, **fields: str):
    data = {"version": str(reload(story).version), **fields}
    return post_form(client, f"/newsroom/stories/{story.id}/actions/publish", data)


def test_publish_lists_what_fails_and_overrides_need_a_note(
    both: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    set_house_style(nr.desk, STRICT, actor=None)
    story = make.story(
        nr.reporter,
        nr.desk,
        StoryState.APPROVED,
        editor=nr.editor,
        headline="A headline far longer than this desk's forty characters",
        dateline="DHAKA",
        byline="Staff Reporter",
    )
    login(both, nr.editor)
    page = unescape(both.get(f"/newsroom/stories/{story.id}").get_data(as_text=True))
    assert "House style: 3 problems" in page
    for problem in (
        "The headline has 55 characters; this desk's limit is 40.",
        "The standfirst is missing.",
        "The body has 5 words; this desk asks for at least 50.",
    ):
        assert problem in page

    refused = publish(both, story)
    assert refused.status_code == 400
    assert "fails the desk's house style (3 problems" in unescape(refused.get_data(as_text=True))
    assert reload(story).state == StoryState.APPROVED

    no_note = publish(both, story, style_override="1", style_note="  ")
    assert no_note.status_code == 400
    assert "say why in the override note" in no_note.get_data(as_text=True)
    assert reload(story).state == StoryState.APPROVED

    done = publish(both, story, style_override="1", style_note="Breaking: fix the copy later.")
    assert done.status_code == 302
    assert reload(story).state == StoryState.PUBLISHED
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "story.style_overridden")
    )
    assert event is not None and event.story_id == story.id and event.actor_id == nr.editor.id
    assert event.note == "Breaking: fix the copy later." and len(event.data["failures"]) == 3
    history = both.get(f"/newsroom/stories/{story.id}/history").get_data(as_text=True)
    assert (
        "Went ahead despite the house-style checklist" in history
        and "Breaking: fix the copy later." in history
    )


def test_schedule_runs_the_checklist_and_a_passing_story_goes_through(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    set_house_style(nr.desk, StyleSettings(needs_standfirst=True), actor=None)
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    login(client, nr.editor)
    at = format_local(utcnow() + timedelta(hours=2), zone("Asia/Dhaka"), "%Y-%m-%dT%H:%M")
    path = f"/newsroom/stories/{story.id}/actions/schedule"
    refused = post_form(client, path, {"version": str(story.version), "publish_at": at})
    assert refused.status_code == 400 and "The standfirst is missing." in refused.get_data(
        as_text=True
    )
    assert f'value="{at}"' in refused.get_data(as_text=True)  # the time typed is kept

    passing = make.story(
        nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor, standfirst="Why it matters."
    )
    assert "House style:" not in client.get(f"/newsroom/stories/{passing.id}").get_data(
        as_text=True
    )
    ok = post_form(
        client,
        f"/newsroom/stories/{passing.id}/actions/schedule",
        {"version": str(passing.version), "publish_at": at},
    )
    assert ok.status_code == 302 and reload(passing).state == StoryState.SCHEDULED
