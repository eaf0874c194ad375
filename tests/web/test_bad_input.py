"""Issue 8: input that used to give a 500 and lose text, on SQLite and on PostgreSQL.

Tags that collide after normalising, NUL and other control characters in any field, query or
path, and days the budget and calendar cannot show.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Comment, Desk, Person, Story, Tag
from editorial.models.loading import STORY_WHOLE, load_missing
from editorial.services.errors import ValidationFailed
from editorial.services.stories import StoryInput, create_story
from editorial.workflow import StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, post_form, reload

NUL = "\x00"


@pytest.fixture
def web(any_app: Flask) -> FlaskClient:
    """A test client on SQLite, then on PostgreSQL."""
    return any_app.test_client()


def _story(headline: str) -> Story:
    return db.session.scalars(
        select(Story).options(*STORY_WHOLE).where(Story.headline == headline)
    ).one()


# --- Tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Dhaka, dhaka", ["Dhaka"]),
        ("Flood!, flood?", ["Flood!"]),
        ("Padma Bridge, padma-bridge, PADMA  BRIDGE", ["Padma Bridge"]),
        ("ঢাকা, ঢাকা!", ["ঢাকা"]),
    ],
)
def test_tags_that_differ_by_case_or_punctuation_are_one_tag(
    web: FlaskClient, nr: Newsroom, typed: str, kept: list[str]
) -> None:
    login(web, nr.reporter)
    response = post_form(web, "/newsroom/stories/new", nr.form(tags=typed))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    story = _story(nr.form()["headline"])
    assert [t.name for t in story.tags] == kept

    edit = f"/newsroom/stories/{story.id}/edit"
    response = post_form(web, edit, nr.form(tags=typed.upper() + ", " + typed, version="1"))
    assert response.status_code == 302
    assert [t.name for t in reload(story).tags] == kept


def test_an_existing_tag_is_reused_whatever_the_spelling(any_app: Flask, nr: Newsroom) -> None:
    first = create_story(
        StoryInput(headline="One", desk_id=nr.desk.id, tags=["Monsoon"]), actor=nr.reporter
    )
    second = create_story(
        StoryInput(headline="Two", desk_id=nr.desk.id, tags=["monsoon!", "MONSOON"]),
        actor=nr.reporter,
    )
    load_missing(first, "tags")
    load_missing(second, "tags")
    assert [t.id for t in second.tags] == [t.id for t in first.tags]
    assert db.session.scalars(select(Tag.name)).all() == ["Monsoon"]


@pytest.mark.parametrize("typed", ["!!!", "Dhaka, ???", "x" * 61])
def test_an_unusable_tag_is_refused_and_the_text_kept(
    web: FlaskClient, nr: Newsroom, typed: str
) -> None:
    login(web, nr.reporter)
    response = post_form(web, "/newsroom/stories/new", nr.form(tags=typed))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "not a usable tag" in html or "Tags are at most 60" in html
    for text in (nr.form()["headline"], nr.form()["body"], typed):
        assert str(escape(text)) in html
    assert db.session.scalar(select(Story.id)) is None

    story = Factory().story(nr.reporter, nr.desk, headline="Kept")
    response = post_form(
        web, f"/newsroom/stories/{story.id}/edit", nr.form(tags=typed, version="1")
    )
    assert response.status_code == 422
    assert str(escape(nr.form()["body"])) in response.get_data(as_text=True)
    assert reload(story).version == 1


def test_the_service_refuses_a_tag_with_no_letters(any_app: Flask, nr: Newsroom) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_story(StoryInput(headline="H", desk_id=nr.desk.id, tags=["--"]), actor=nr.reporter)
    assert "tags" in refused.value.errors


# --- NUL and other control characters -----------------------------------------------------

CONTROLS = "\x00\x01\x08\x0b\x0c\x1b\x7f"


def test_control_characters_are_stripped_from_story_text(web: FlaskClient, nr: Newsroom) -> None:
    login(web, nr.reporter)
    fields = {
        "headline": f"Flood{NUL} warning for{CONTROLS} Sylhet",
        "standfirst": f"Rivers{NUL} rise.",
        "body": f"The Surma{NUL} is above danger level.\n\n\tSecond{CONTROLS} paragraph.",
        "byline": f"Staff{NUL} Reporter",
        "dateline": f"SYL{NUL}HET",
        "slug": f"flood-{NUL}warning",
        "tags": f"Flood{NUL}, Sylhet",
    }
    response = post_form(web, "/newsroom/stories/new", nr.form(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    story = _story("Flood warning for Sylhet")
    assert story.body == "The Surma is above danger level.\n\n\tSecond paragraph."
    assert (story.standfirst, story.byline, story.dateline, story.slug) == (
        "Rivers rise.",
        "Staff Reporter",
        "SYLHET",
        "flood-warning",
    )
    assert [t.name for t in story.tags] == ["Flood", "Sylhet"]

    response = post_form(
        web,
        f"/newsroom/stories/{story.id}/edit",
        nr.form(headline=f"Edited{NUL}", body=f"New{NUL} text", version=f"1{NUL}"),
    )
    assert response.status_code == 302
    assert (reload(story).headline, reload(story).body) == ("Edited", "New text")


def test_control_characters_in_notes_and_comments(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(web, nr.editor)
    response = post_form(
        web, f"/newsroom/stories/{story.id}/comments", {"comment": f"Check{NUL} the figures"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Comment.body)) == "Check the figures"
    response = post_form(
        web,
        f"/newsroom/stories/{story.id}/actions/request_changes",
        {"note": f"Needs{NUL} a source", "version": str(story.version)},
    )
    assert response.status_code == 302
    assert reload(story).state == StoryState.CHANGES_REQUESTED


def test_control_characters_in_sign_in_and_forgot_password(web: FlaskClient, make: Factory) -> None:
    make.reporter(email="rafiq@example.test", password="correct horse battery")
    token = csrf_token(web)
    response = web.post(
        "/login",
        data={
            "email": f"rafiq{NUL}@example.test",
            "password": f"wrong{NUL}",
            "csrf_token": token,
        },
    )
    assert response.status_code in {200, 401}
    assert "rafiq@example.test" in response.get_data(as_text=True)
    response = web.post(
        "/password/forgot", data={"email": f"rafiq@example.test{NUL}", "csrf_token": token}
    )
    assert response.status_code == 200


def test_control_characters_in_account_and_admin_forms(web: FlaskClient, make: Factory) -> None:
    admin = make.admin(name="Farhana Haque")
    login(web, admin)
    token = csrf_token(web, "/account")
    response = web.post(
        "/account", data={"name": f"Farhana{NUL} Haque", "byline": f"Ed{NUL}", "csrf_token": token}
    )
    assert response.status_code in {200, 302}
    assert db.session.get(Person, admin.id).name == "Farhana Haque"
    response = web.post(
        "/admin/desks/", data={"name": f"Cli{NUL}mate", "slug": "", "csrf_token": token}
    )
    assert response.status_code in {200, 302}
    assert db.session.scalar(select(Desk.name).where(Desk.slug == "climate")) == "Climate"


@pytest.mark.parametrize(
    "path",
    [
        "/newsroom/search?q=flood%00",
        "/newsroom/search?q=%00&from=2026-01-01%00",
        "/search?q=%00%01",
        "/admin/staff/?q=%00",
        "/admin/audit?action=%00&actor=%00",
        "/newsroom/budget?day=%00",
        "/api/stories?section=%00",
        "/tag/%00",
        "/national%00/",
        "/password/reset/abc%00def",
    ],
)
def test_control_characters_in_queries_and_paths_are_never_a_5xx(
    web: FlaskClient, make: Factory, path: str
) -> None:
    login(web, make.admin())
    assert web.get(path).status_code < 500


# --- Budget and calendar ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "/newsroom/budget?day=0001-01-01",
        "/newsroom/budget?day=9999-12-31",
        "/newsroom/budget?day=2026-00-10",
        "/newsroom/budget?day=2026-13-01",
        "/newsroom/budget?day=2026-01-32",
        "/newsroom/budget?day=yesterday",
        "/newsroom/calendar?month=0001-01",
        "/newsroom/calendar?month=9999-12",
        "/newsroom/calendar?month=2026-00",
        "/newsroom/calendar?month=2026-13",
        "/newsroom/calendar?month=garbage",
        "/newsroom/search?from=0001-01-01&to=9999-12-31",
    ],
)
def test_days_the_budget_and_calendar_cannot_show_are_a_400(
    web: FlaskClient, nr: Newsroom, query: str
) -> None:
    login(web, nr.editor)
    response = web.get(query)
    assert response.status_code == 400, (query, response.status_code)
    assert "showing" in response.get_data(as_text=True) or "outside" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "query", ["/newsroom/budget?day=1900-01-01", "/newsroom/calendar?month=2999-12"]
)
def test_the_first_and_last_days_shown_have_working_neighbours(
    web: FlaskClient, nr: Newsroom, query: str
) -> None:
    login(web, nr.editor)
    assert web.get(query).status_code == 200
