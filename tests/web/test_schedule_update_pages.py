"""Schedule update (issue 12) through the pages, on SQLite and PostgreSQL: "Publish at" in
newsroom local time, readers keep the live text until then, every bad input refused on the
form with the update kept, "Unschedule update", and a failed one in "Needs attention"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from editorial.models import Story, StoryUpdate
from editorial.services import scheduled_updates
from editorial.services.stories import StoryInput
from editorial.services.transitions import transition_story
from editorial.services.unpublishing import set_unpublish
from editorial.services.updates import pending_update, save_update, transition_update
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState, UpdateState
from tests.conftest import Factory, login
from tests.web.conftest import BAD_LOCAL_TIMES, Newsroom, post_form, reload
from tests.web.sitekit import article_path

DHAKA = ZoneInfo("Asia/Dhaka")
LIVE = "The ferry leaves at nine."
NEW = "The ferry leaves at ten."
NOTICE = "Updated with the new departure time."


@pytest.fixture
def web(any_app: Flask) -> FlaskClient:
    """A test client on SQLite, then on PostgreSQL."""
    return any_app.test_client()


def published(nr: Newsroom, make: Factory) -> Story:
    return make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Ferry", body=LIVE
    )


def pending(nr: Newsroom, story: Story, *, approve: bool = True) -> StoryUpdate:
    """The reporter's update of `story`, submitted and (unless told) approved by the desk."""
    text = StoryInput(headline=story.headline, body=NEW, desk_id=story.desk_id, slug=story.slug)
    save_update(story, text, actor=nr.reporter, expected_version=0)
    transition_update(story, Action.SUBMIT_UPDATE, actor=nr.reporter)
    if approve:
        transition_update(story, Action.APPROVE_UPDATE, actor=nr.editor)
    update = pending_update(story.id)
    assert update is not None
    return update


def local_input(minutes: int) -> tuple[str, datetime]:
    """What a person types in "Publish at" for `minutes` from now, and that time."""
    local = (utcnow() + timedelta(minutes=minutes)).astimezone(DHAKA).replace(microsecond=0)
    return local.strftime("%Y-%m-%dT%H:%M:%S"), local


def schedule(
    client: FlaskClient, story: Story, version: int, when: str, **fields: str
) -> TestResponse:
    form = {"action": "schedule_update", "update_version": str(version), "publish_at": when}
    form |= {"notice_kind": "update"}
    form |= {"notice_note": NOTICE} | fields
    return post_form(client, f"/newsroom/stories/{story.id}/update/actions/schedule_update", form)


def page(client: FlaskClient, story: Story) -> str:
    return client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


def unchanged(story: Story, before: StoryUpdate) -> None:
    """The update is kept exactly as it was: approved, same version, no time."""
    after = pending_update(story.id)
    assert after is not None and after.state == UpdateState.APPROVED
    assert after.version == before.version and after.publish_at is None
    assert after.body == NEW and reload(story).body == LIVE


def test_an_editor_schedules_an_update_in_dhaka_time_and_readers_keep_the_live_text(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = published(nr, make)
    update = pending(nr, story)
    login(web, nr.editor)
    html = page(web, story)
    assert 'id="update-publish-at"' in html and ">Schedule update</button>" in html
    typed, local = local_input(24 * 60)
    response = schedule(web, story, update.version, typed)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    scheduled = pending_update(story.id)
    assert scheduled is not None and scheduled.state == UpdateState.SCHEDULED
    assert scheduled.publish_at == local.astimezone(UTC)
    html = page(web, story)
    assert f"Scheduled to go live {local:%d %b %Y, %H:%M}" in html and "Asia/Dhaka" in html
    assert f"with the update notice “{NOTICE}”" in html
    assert f"“{NOTICE}”." not in html  # the notice's own full stop ends the sentence
    assert ">Unschedule update</button>" in html
    assert f'value="{local:%Y-%m-%dT%H:%M}"' in html  # "Schedule update" again moves it
    article = web.get(article_path(story)).get_data(as_text=True)
    assert LIVE in article and NEW not in article and NOTICE not in article


def test_unschedule_update_keeps_it_approved(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = published(nr, make)
    update = pending(nr, story)
    login(web, nr.editor)
    typed, _ = local_input(60)
    assert schedule(web, story, update.version, typed).status_code == 302
    version = pending_update(story.id).version
    response = post_form(
        web,
        f"/newsroom/stories/{story.id}/update/actions/unschedule_update",
        {"update_version": str(version)},
    )
    assert response.status_code == 302
    after = pending_update(story.id)
    assert after is not None and after.state == UpdateState.APPROVED
    html = page(web, story)
    assert "Scheduled to go live" not in html and ">Schedule update</button>" in html


@pytest.mark.parametrize(("value", "message"), BAD_LOCAL_TIMES)
def test_bad_publish_times_give_clear_errors_and_keep_the_update(
    web: FlaskClient, nr: Newsroom, make: Factory, value: str, message: str
) -> None:
    story = published(nr, make)
    update = pending(nr, story)
    login(web, nr.editor)
    response = schedule(web, story, update.version, value)
    assert 400 <= response.status_code < 500
    html = response.get_data(as_text=True)
    assert message in html and 'id="update-publish-at-error"' in html
    assert f'value="{value}"' in html and NOTICE in html  # what was typed is kept
    unchanged(story, update)


def test_a_publish_time_at_or_after_the_unpublish_time_is_refused(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = published(nr, make)
    set_unpublish(story, actor=nr.editor, unpublish_at=utcnow() + timedelta(hours=2), note="x")
    update = pending(nr, story)
    login(web, nr.editor)
    typed, _ = local_input(3 * 60)
    response = schedule(web, story, update.version, typed)
    assert 400 <= response.status_code < 500
    html = response.get_data(as_text=True)
    assert "is not before the story&#39;s unpublish time" in html
    assert 'id="update-publish-at-error"' in html and f'value="{typed}"' in html
    unchanged(story, update)
    typed, _ = local_input(60)
    assert schedule(web, story, update.version, typed).status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"notice_kind": "apology"}, "Choose No notice, Update or Correction."),
        ({"notice_kind": "update", "notice_note": "  "}, "Write the notice readers will see."),
        ({"notice_kind": "", "notice_note": "Orphan."}, "Choose Correction or Update"),
    ],
    ids=["junk-kind", "kind-without-text", "text-without-kind"],
)
def test_bad_notices_are_refused_and_keep_the_update(
    web: FlaskClient, nr: Newsroom, make: Factory, fields: dict[str, str], message: str
) -> None:
    story = published(nr, make)
    update = pending(nr, story)
    login(web, nr.editor)
    typed, _ = local_input(60)
    response = schedule(web, story, update.version, typed, **fields)
    assert 400 <= response.status_code < 500
    html = response.get_data(as_text=True)
    assert message in html and 'id="update-publish-at"' in html  # told on the form
    assert f'value="{typed}"' in html  # the time typed is kept
    unchanged(story, update)


def test_a_stale_update_version_is_a_conflict(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = published(nr, make)
    update = pending(nr, story)
    login(web, nr.editor)
    typed, _ = local_input(60)
    response = schedule(web, story, update.version - 1, typed)
    assert response.status_code == 409
    assert "update" in response.get_data(as_text=True).lower()
    unchanged(story, update)


def test_a_reporter_may_not_schedule(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = published(nr, make)
    update = pending(nr, story)
    login(web, nr.reporter)
    assert 'id="update-publish-at"' not in page(web, story)
    typed, _ = local_input(60)
    assert schedule(web, story, update.version, typed).status_code == 403
    # Never allowed is said before the form is read: a bad time is still a 403, not a 422.
    for bad in ("", "not a time", "2026-13-45T99:99"):
        assert schedule(web, story, update.version, bad).status_code == 403
    unchanged(story, update)


def test_an_update_only_submitted_cannot_be_scheduled(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = published(nr, make)
    update = pending(nr, story, approve=False)
    login(web, nr.editor)
    assert 'id="update-publish-at"' not in page(web, story)
    typed, _ = local_input(60)
    response = schedule(web, story, update.version, typed)
    assert response.status_code == 409
    after = pending_update(story.id)
    assert after is not None and after.state == UpdateState.SUBMITTED and after.publish_at is None


def test_a_failed_scheduled_update_needs_attention(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = published(nr, make)
    fine = published(nr, make)
    update, other = pending(nr, story), pending(nr, fine)
    login(web, nr.editor)
    typed, _ = local_input(60)
    assert schedule(web, story, update.version, typed).status_code == 302
    later, _ = local_input(3 * 60)
    assert schedule(web, fine, other.version, later).status_code == 302
    transition_story(story, Action.WITHDRAW, actor=nr.editor, note="Legal hold.")
    now = utcnow() + timedelta(minutes=90)  # the first is due, the second not yet
    assert scheduled_updates.publish_due_updates(now) == []
    html = web.get("/newsroom/").get_data(as_text=True)
    assert 'class="list late-updates"' in html and "Update failed" in html
    assert "its scheduled update was not published" in html
    assert html.count(f'href="/newsroom/stories/{story.id}"') >= 1
    assert (
        f'href="/newsroom/stories/{fine.id}"'
        not in html.split("late-updates")[1].split("</table>")[0]
    )
    login(web, nr.other_editor)
    assert "late-updates" not in web.get("/newsroom/").get_data(as_text=True)
