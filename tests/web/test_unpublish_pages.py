"""Scheduled unpublish through the web, on SQLite and PostgreSQL: the field "Unpublish at" in
newsroom local time, "Cancel unpublish", every bad input refused with a clear message and what
was typed kept, and an overdue or failed withdrawal in "Needs attention"."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select, update

from editorial.extensions import db
from editorial.models import AuditEvent, Story
from editorial.services import commit
from editorial.services.unpublishing import set_unpublish, unpublish_due_stories
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import BAD_LOCAL_TIMES, Newsroom, post_form, reload
from tests.web.sitekit import article_path

DHAKA = ZoneInfo("Asia/Dhaka")
S = StoryState


@pytest.fixture
def web(any_app: Flask) -> FlaskClient:
    """A test client on SQLite, then on PostgreSQL."""
    return any_app.test_client()


def set_time(client: FlaskClient, story: Story, when: str, note: str = "Rights expire."):
    return post_form(
        client, f"/newsroom/stories/{story.id}/unpublish", {"unpublish_at": when, "note": note}
    )


def page(client: FlaskClient, story: Story) -> str:
    return client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


def events(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def local_input(minutes: int) -> tuple[str, object]:
    local = (utcnow() + timedelta(minutes=minutes)).astimezone(DHAKA).replace(microsecond=0)
    return local.strftime("%Y-%m-%dT%H:%M:%S"), local


def test_editor_sets_and_cancels_an_unpublish_in_dhaka_time(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor)
    login(web, nr.editor)
    html = page(web, story)
    assert ">Unpublish at</label>" in html and ">Schedule unpublish</button>" in html
    assert ">Cancel unpublish</button>" not in html
    typed, local = local_input(24 * 60)
    response = set_time(web, story, typed, "Court order.")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    story = reload(story)
    assert story.unpublish_at == local.astimezone(UTC) and story.state == S.PUBLISHED
    html = page(web, story)
    assert f"{local:%d %b %Y, %H:%M}" in html and "Court order." in html
    assert ">Cancel unpublish</button>" in html

    response = post_form(web, f"/newsroom/stories/{story.id}/unpublish/cancel")
    assert response.status_code == 302
    assert reload(story).unpublish_at is None
    assert events("story.unpublish.set") == events("story.unpublish.cancelled") == 1


@pytest.mark.parametrize(("value", "message"), BAD_LOCAL_TIMES)
def test_bad_unpublish_times_give_clear_errors_and_keep_the_note(
    web: FlaskClient, nr: Newsroom, make: Factory, value: str, message: str
) -> None:
    story = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor)
    login(web, nr.editor)
    response = set_time(web, story, value, "Kept as typed.")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="unpublish-at-error"' in html
    assert "Kept as typed." in html and f'value="{value}"' in html
    assert reload(story).unpublish_at is None and events("story.unpublish.set") == 0


def test_an_unpublish_before_the_publish_time_is_refused(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, S.SCHEDULED, editor=nr.editor)  # in an hour
    login(web, nr.editor)
    typed, _ = local_input(30)
    response = set_time(web, story, typed)
    assert response.status_code == 400
    assert "is not after the story&#39;s publish time" in response.get_data(as_text=True)
    assert reload(story).unpublish_at is None
    typed, _ = local_input(120)
    assert set_time(web, story, typed).status_code == 302


def test_an_unpublish_needs_a_note(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor)
    login(web, nr.editor)
    typed, _ = local_input(60)
    response = set_time(web, story, typed, "   ")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Schedule unpublish needs a note" in html and f'value="{typed}"' in html
    response = set_time(web, story, typed, "x" * 5001)
    assert response.status_code == 400 and "at most 5,000 characters" in response.text
    assert reload(story).unpublish_at is None


@pytest.mark.parametrize("state", [S.DRAFT, S.WITHDRAWN, S.APPROVED])
def test_no_unpublish_on_a_story_with_nothing_to_withdraw(
    web: FlaskClient, nr: Newsroom, make: Factory, state: StoryState
) -> None:
    story = make.story(nr.reporter, nr.desk, state, editor=nr.editor)
    login(web, nr.editor)
    assert ">Unpublish at</label>" not in page(web, story)
    typed, _ = local_input(60)
    response = set_time(web, story, typed, "Kept.")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert str(escape(f"This story is {state.label.lower()}; it cannot be given")) in html
    cancel = post_form(web, f"/newsroom/stories/{story.id}/unpublish/cancel")
    assert cancel.status_code == 409
    assert reload(story).unpublish_at is None


def test_only_the_desk_editors_may_set_it(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor)
    typed, _ = local_input(60)
    login(web, nr.reporter)
    assert ">Unpublish at</label>" not in page(web, story)
    assert set_time(web, story, typed).status_code == 403
    login(web, nr.other_editor)
    assert set_time(web, story, typed).status_code == 404  # another desk's: not even seen
    assert reload(story).unpublish_at is None


def test_after_its_time_the_story_answers_410(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor)
    path = article_path(story)
    assert web.get(path).status_code == 200
    at = utcnow() + timedelta(minutes=5)
    set_unpublish(story, actor=nr.editor, unpublish_at=at, note="Rights expire.")
    assert unpublish_due_stories(at) == [story.id]
    assert web.get(path).status_code == 410
    login(web, nr.editor)
    history = web.get(f"/newsroom/stories/{story.id}/history").get_data(as_text=True)
    assert "Withdrawn by the scheduler at its unpublish time" in history
    assert "Rights expire." in history


def test_late_and_failed_unpublishes_need_attention(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    late = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor, headline="Late one")
    failed = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor, headline="Broken")
    fine = make.story(nr.reporter, nr.desk, S.PUBLISHED, editor=nr.editor, headline="Fine one")
    past = utcnow() - timedelta(minutes=5)
    for story in (late, failed, fine):
        set_unpublish(story, actor=nr.editor, unpublish_at=utcnow() + timedelta(hours=1), note="x")
    db.session.execute(update(Story).where(Story.id == late.id).values(unpublish_at=past))
    db.session.execute(
        update(Story)
        .where(Story.id == failed.id)
        .values(unpublish_failed_at=past, unpublish_error="OperationalError: disk full")
    )
    commit()
    login(web, nr.editor)
    html = web.get("/newsroom/").get_data(as_text=True)
    assert "Late one" in html and "Overdue by" in html
    assert "Broken" in html and "Unpublish failed" in html and "disk full" in html
    assert "Fine one" not in html
    login(web, nr.other_editor)
    assert "Late one" not in web.get("/newsroom/").get_data(as_text=True)
