"""The story editor in the browser's shoes: write, save, submit; every bad input keeps the text."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import BODY_MAX, AuditEvent, Correction, Revision, Story
from editorial.models.loading import STORY_WHOLE
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def only_story() -> Story:
    return db.session.scalars(select(Story).options(*STORY_WHOLE)).one()


def test_editor_has_contract_labels_and_buttons(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    html = client.get("/newsroom/").get_data(as_text=True)
    assert ">New story</a>" in html
    html = client.get("/newsroom/stories/new").get_data(as_text=True)
    for label in ("Headline", "Standfirst", "Body", "Byline", "Dateline", "Desk"):
        assert re.search(rf"<label for=\"\w+\">{label}</label>", html), label
    for label in ("Slug", "Tags", "Embargo"):
        assert f">{label}</label>" in html
    assert ">Save draft</button>" in html and ">Submit for review</button>" in html
    assert 'type="datetime-local"' in html


def test_reporter_writes_saves_and_submits(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    response = post_form(client, "/newsroom/stories/new", nr.form())
    assert response.status_code == 302
    story = only_story()
    assert story.state == StoryState.DRAFT and story.authors == [nr.reporter]
    assert story.dateline == "DHAKA" and story.byline == "Staff Reporter"
    edit = f"/newsroom/stories/{story.id}/edit"
    assert response.headers["Location"].endswith(edit)
    html = client.get(edit).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in html

    response = post_form(
        client, edit, nr.form(body="A longer body.\n\nWith two paragraphs.", version="1")
    )
    assert response.status_code == 302
    assert reload(story).version == 2 and reload(story).body.startswith("A longer body")

    response = post_form(client, edit, nr.form(version="2", action="submit"))
    assert response.status_code == 302
    story = reload(story)
    assert story.state == StoryState.SUBMITTED
    assert response.headers["Location"].endswith(f"/newsroom/stories/{story.id}")
    assert count(Revision) == 3


def test_new_story_submitted_in_one_go(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    assert post_form(client, "/newsroom/stories/new", nr.form(action="submit")).status_code == 302
    assert only_story().state == StoryState.SUBMITTED


def test_empty_headline_keeps_every_character(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    body = "Line one <b>&amp; “quotes”</b>\r\n\r\n  indented ৳ ঢাকা\t tab"
    response = post_form(client, "/newsroom/stories/new", nr.form(headline="   ", body=body))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A headline is required." in html
    assert str(escape(body)) in html
    assert 'aria-describedby="headline-hint headline-error"' in html
    assert count(Story) == 0


def test_submit_with_empty_body_shows_error_and_keeps_text(
    client: FlaskClient, nr: Newsroom
) -> None:
    login(client, nr.reporter)
    headline = "Headline kept exactly: ঢাকায় বৃষ্টি <i>"
    response = post_form(
        client,
        "/newsroom/stories/new",
        nr.form(headline=headline, body="   ", action="submit"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The body is empty" in html and str(escape(headline)) in html
    story = only_story()
    assert story.state == StoryState.DRAFT  # saved as a draft, not submitted
    assert f'action="/newsroom/stories/{story.id}/edit"' in html


def test_headline_over_200_characters(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    headline = "ক" * 201
    response = post_form(client, "/newsroom/stories/new", nr.form(headline=headline))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "at most 200 characters; this one has 201" in html and headline in html
    assert count(Story) == 0


def test_unknown_desk_and_desk_not_mine(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    for desk, message in (
        ("99999", "There is no such desk"),
        ("sports", "There is no such desk"),
        (str(nr.other_desk.id), "You are not on the Sports desk"),
        ("", "Choose a desk."),
    ):
        response = post_form(client, "/newsroom/stories/new", nr.form(desk=desk))
        assert response.status_code == 422, desk
        html = response.get_data(as_text=True)
        assert message in html, desk
        assert "Padma bridge toll revenue" in html
    assert count(Story) == 0


def test_desk_choices_are_my_desks(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    html = client.get("/newsroom/stories/new").get_data(as_text=True)
    assert f'<option selected value="{nr.desk.id}">National</option>' in html
    assert "Sports" not in html


def test_body_over_limit_keeps_text(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    body = ("The quick brown fox. " * 10_000)[: BODY_MAX + 1]
    response = post_form(client, "/newsroom/stories/new", nr.form(body=body))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "the limit is 200,000" in html
    assert body in html  # nothing truncated
    assert count(Story) == 0


def test_body_over_limit_on_edit_keeps_text(client: FlaskClient, nr: Newsroom, make) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.reporter)
    body = "x" * (BODY_MAX + 5)
    response = post_form(
        client, f"/newsroom/stories/{story.id}/edit", nr.form(body=body, version="1")
    )
    assert response.status_code == 422 and body in response.get_data(as_text=True)
    assert reload(story).version == 1


def test_bangla_body_of_200000_characters_saves(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    body = ("আমার সোনার বাংলা " * 20_000)[:BODY_MAX]
    assert len(body) == BODY_MAX and len(body.encode()) > 500_000
    response = post_form(client, "/newsroom/stories/new", nr.form(body=body))
    assert response.status_code == 302
    assert only_story().body == body


def test_edit_without_or_with_garbage_version_is_400(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.reporter)
    path = f"/newsroom/stories/{story.id}/edit"
    for version in (None, "", "abc", "-1", "1.0", "٣", "1; DROP TABLE stories"):
        data = nr.form(headline="Overwritten?")
        if version is not None:
            data["version"] = version
        response = post_form(client, path, data)
        assert response.status_code == 400, version
    story = reload(story)
    assert story.headline != "Overwritten?" and story.version == 1


def test_stale_version_gives_conflict_with_both_texts(
    client: FlaskClient, app, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, body="Original first paragraph.")
    path = f"/newsroom/stories/{story.id}/edit"
    other = app.test_client()
    login(other, nr.editor)
    theirs = nr.form(body="The editor's version of the text.", version="1")
    assert post_form(other, path, theirs).status_code == 302

    login(client, nr.reporter)
    mine = "My own careful rewrite, with <em>markup</em> & more."
    response = post_form(client, path, nr.form(body=mine, version="1"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert str(escape(mine)) in html  # my text, in the form
    assert "The editor&#39;s version of the text." in html  # the current text
    assert "<del>" in html and "<ins>" in html  # what changed
    assert 'name="version" type="hidden" value="2"' in html  # resave from the current one
    assert reload(story).body == "The editor's version of the text."

    response = post_form(client, path, nr.form(body=mine, version="2"))
    assert response.status_code == 302
    assert reload(story).body == mine


def test_missing_csrf_keeps_text_and_changes_nothing(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.reporter)
    client.get("/newsroom/")  # a session exists, but the form carries no token
    body = "Text typed over a long afternoon: ঢাকা <script>x</script>"
    response = client.post(
        f"/newsroom/stories/{story.id}/edit", data=nr.form(body=body, version="1")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing was saved" in html and str(escape(body)) in html
    assert 'name="csrf_token" type="hidden" value="' in html  # a fresh token to save with
    assert reload(story).version == 1

    response = client.post(
        "/newsroom/stories/new", data=nr.form(body=body, csrf_token="forged-token")
    )
    assert response.status_code == 400 and str(escape(body)) in response.get_data(as_text=True)
    assert count(Story) == 1


def test_extra_fields_are_ignored(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    login(client, nr.reporter)
    extra = {
        "state": "published",
        "author_id": str(nr.editor.id),
        "published_at": "2020-01-01T00:00",
        "role": "admin",
        "version": "77",
    }
    response = post_form(client, "/newsroom/stories/new", nr.form(**extra))
    assert response.status_code == 302
    story = only_story()
    assert story.state == StoryState.DRAFT and story.published_at is None
    assert [a.id for a in story.authors] == [nr.reporter.id] and story.version == 1
    response = post_form(
        client, f"/newsroom/stories/{story.id}/edit", nr.form(**{**extra, "version": "1"})
    )
    assert response.status_code == 302
    story = reload(story)
    assert story.state == StoryState.DRAFT and story.published_at is None
    assert [a.id for a in story.authors] == [nr.reporter.id]


def test_reporter_cannot_edit_submitted_story(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.reporter)
    path = f"/newsroom/stories/{story.id}/edit"
    assert client.get(path).status_code == 403
    assert post_form(client, path, nr.form(version=str(story.version))).status_code == 403


def test_embargo_in_local_time_and_bad_embargo(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    response = post_form(client, "/newsroom/stories/new", nr.form(embargo="next tuesday"))
    assert response.status_code == 422
    assert "is not a date and time" in response.get_data(as_text=True)
    response = post_form(client, "/newsroom/stories/new", nr.form(embargo="2031-03-26T09:00"))
    assert response.status_code == 302
    assert only_story().embargo_at.isoformat() == "2031-03-26T03:00:00+00:00"


def test_editor_corrects_a_published_story(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    login(client, nr.editor)
    path = f"/newsroom/stories/{story.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert ">This is a correction</label>" in html and ">Correction note</label>" in html
    version = str(story.version)

    response = post_form(client, path, nr.form(version=version, is_correction="y"))
    assert response.status_code == 422
    assert "Write the correction readers will see." in response.get_data(as_text=True)

    note = "An earlier version gave the wrong toll figure."
    response = post_form(
        client, path, nr.form(version=version, is_correction="y", correction_note=note)
    )
    assert response.status_code == 302
    story = reload(story)
    correction = db.session.scalars(select(Correction)).one()
    assert correction.note == note and correction.is_correction
    assert story.public_updated_at is not None and story.state == StoryState.PUBLISHED
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "story.corrected"))
    assert note in client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)

    response = post_form(
        client, path, nr.form(version=str(story.version), update_note="Adds the minister's reply.")
    )
    assert response.status_code == 302
    notes = db.session.scalars(select(Correction).order_by(Correction.id)).all()
    assert [n.is_correction for n in notes] == [True, False]


def test_admin_without_desk_is_told_why(client: FlaskClient, make: Factory) -> None:
    login(client, make.admin())
    html = client.get("/newsroom/stories/new").get_data(as_text=True)
    assert "You are not on any desk yet" in html
