"""The story page's buttons, pressed through the web: each action, its note, its errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import AuditEvent, Placement, Story
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import BAD_LOCAL_TIMES, Newsroom, post_form, reload, snapshot

DHAKA = ZoneInfo("Asia/Dhaka")


def act(client: FlaskClient, story: Story, action: str, **fields: str):
    data = {"version": str(story.version), **fields}
    return post_form(client, f"/newsroom/stories/{story.id}/actions/{action}", data)


def events(story: Story, action: str) -> int:
    return db.session.scalar(
        select(func.count()).where(AuditEvent.story_id == story.id, AuditEvent.action == action)
    )


def page(client: FlaskClient, story: Story) -> str:
    return client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


def test_story_page_shows_only_allowed_buttons(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.reporter)
    html = page(client, story)
    assert ">Recall</button>" in html
    for label in ("Approve", "Request changes", "Publish now", "Schedule", "Spike"):
        assert f">{label}</button>" not in html, label
    login(client, nr.editor)
    html = page(client, story)
    for label in ("Approve", "Request changes", "Spike"):
        assert f">{label}</button>" in html, label
    assert ">Note</label>" in html
    assert f'name="version" value="{story.version}"' in html
    for part in ("Edit", "Preview", "History", "Comments"):
        assert part in html


def test_editor_requests_changes_with_a_note(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    response = act(client, story, "request_changes", note="   ")
    assert response.status_code == 400
    assert "needs a note" in response.get_data(as_text=True)
    assert reload(story).state == StoryState.SUBMITTED
    assert events(story, "story.changes_requested") == 0

    response = act(client, story, "request_changes", note="Second source, please.")
    assert response.status_code == 302
    assert reload(story).state == StoryState.CHANGES_REQUESTED
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "story.changes_requested")
    ).one()
    assert event.note == "Second source, please." and event.actor_id == nr.editor.id


def test_editor_approves_and_publishes_now(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    assert act(client, story, "approve").status_code == 302
    story = reload(story)
    assert story.state == StoryState.APPROVED
    html = page(client, story)
    assert ">Publish now</button>" in html and ">Publish at</label>" in html
    assert act(client, story, "publish").status_code == 302
    story = reload(story)
    assert story.state == StoryState.PUBLISHED and story.published_at is not None


def test_schedule_in_dhaka_time_is_stored_as_utc(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    login(client, nr.editor)
    local = (
        (utcnow() + timedelta(days=2))
        .astimezone(DHAKA)
        .replace(hour=18, minute=30, second=0, microsecond=0)
    )
    response = act(client, story, "schedule", publish_at=local.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    story = reload(story)
    assert story.state == StoryState.SCHEDULED
    assert story.publish_at == local.astimezone(UTC)
    assert story.publish_at.hour == 12 and story.publish_at.minute == 30  # Dhaka is UTC+6
    assert local.strftime("%d %b %Y, 18:30") in page(client, story)
    # seconds, as a browser sends them with step=1
    response = act(client, story, "schedule", publish_at=local.strftime("%Y-%m-%dT%H:%M:15"))
    assert response.status_code == 302 and reload(story).publish_at.second == 15

    assert act(client, reload(story), "unschedule").status_code == 302
    story = reload(story)
    assert story.state == StoryState.APPROVED and story.publish_at is None


@pytest.mark.parametrize(("value", "message"), BAD_LOCAL_TIMES)
def test_bad_schedule_times_give_clear_errors(
    client: FlaskClient, nr: Newsroom, make: Factory, value: str, message: str
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    login(client, nr.editor)
    response = act(client, story, "schedule", publish_at=value)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="publish-at-error"' in html and f'value="{value}"' in html
    assert reload(story).state == StoryState.APPROVED
    assert events(story, "story.scheduled") == 0


def test_past_time_error_speaks_local_time(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    login(client, nr.editor)
    past = (utcnow() - timedelta(hours=3)).astimezone(DHAKA)
    response = act(client, story, "schedule", publish_at=past.strftime("%Y-%m-%dT%H:%M"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"{past:%d %b %Y, %H:%M} (Asia/Dhaka) has already passed (it is now" in html


def test_withdraw_spike_and_restore_need_notes(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    published = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    login(client, nr.editor)
    assert act(client, published, "withdraw").status_code == 400
    assert act(client, published, "withdraw", note="Legal advice.").status_code == 302
    assert reload(published).state == StoryState.WITHDRAWN
    assert act(client, reload(published), "republish").status_code == 302
    assert reload(published).state == StoryState.PUBLISHED

    draft = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    assert act(client, draft, "spike").status_code == 400
    assert reload(draft).state == StoryState.SUBMITTED
    assert act(client, draft, "spike", note="Duplicate of the agency copy.").status_code == 302
    assert reload(draft).state == StoryState.SPIKED
    assert act(client, reload(draft), "restore").status_code == 302
    assert reload(draft).state == StoryState.DRAFT


def test_reporter_recalls_own_submission(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.reporter)
    assert act(client, story, "recall").status_code == 302
    assert reload(story).state == StoryState.DRAFT


@pytest.mark.parametrize(
    ("state", "action", "fields"),
    [
        (StoryState.SUBMITTED, "approve", {}),
        (StoryState.APPROVED, "schedule", {"publish_at": "2031-01-01T10:00"}),
        (StoryState.APPROVED, "publish", {}),
        (StoryState.SCHEDULED, "publish", {}),
        (StoryState.SUBMITTED, "request_changes", {"note": "x"}),
        (StoryState.PUBLISHED, "withdraw", {"note": "x"}),
        (StoryState.SUBMITTED, "spike", {"note": "x"}),
    ],
)
def test_reporter_posting_editor_actions_gets_403_and_nothing_changes(
    client: FlaskClient, nr: Newsroom, make: Factory, state, action, fields
) -> None:
    story = make.story(nr.reporter, nr.desk, state, editor=nr.editor)
    login(client, nr.reporter)
    client.get("/newsroom/")
    before = snapshot()
    response = act(client, story, action, **fields)
    assert response.status_code == 403
    after = snapshot()
    after.pop("login_sessions", None), before.pop("login_sessions", None)
    assert after == before  # nothing changed, no audit event


def test_editor_of_another_desk_cannot_act(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.other_editor)
    assert act(client, story, "approve").status_code == 404
    assert reload(story).state == StoryState.SUBMITTED


def test_editor_cannot_approve_own_story(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.editor, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    assert ">Approve</button>" not in page(client, story)
    assert act(client, story, "approve").status_code == 403
    assert reload(story).state == StoryState.SUBMITTED


def test_wrong_state_or_stale_version_is_409(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    stale_version = story.version
    assert act(client, story, "approve").status_code == 302
    response = post_form(
        client,
        f"/newsroom/stories/{story.id}/actions/approve",
        {"version": str(stale_version)},
    )
    assert response.status_code == 409
    assert "cannot be approved" in response.get_data(as_text=True)
    assert events(story, "story.approved") == 1
    # a request made on an old version of the page: refused, nothing changed
    response = post_form(
        client,
        f"/newsroom/stories/{story.id}/actions/publish",
        {"version": str(stale_version)},
    )
    assert response.status_code == 409
    assert reload(story).state == StoryState.APPROVED


def test_action_without_version_or_unknown_action(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    path = f"/newsroom/stories/{story.id}/actions"
    assert post_form(client, f"{path}/approve", {}).status_code == 400
    assert post_form(client, f"{path}/approve", {"version": "x"}).status_code == 400
    assert post_form(client, f"{path}/publish_scheduled", {"version": "1"}).status_code == 404
    assert post_form(client, f"{path}/delete", {"version": "1"}).status_code == 404
    assert reload(story).state == StoryState.SUBMITTED
    response = client.post(f"{path}/approve", data={"version": str(story.version)})
    assert response.status_code == 400  # no CSRF token
    assert reload(story).state == StoryState.SUBMITTED


def test_get_never_changes_anything(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    client.get("/newsroom/")
    before = snapshot()
    for path in ("actions/approve", "placement", "edit", "history", "compare", "preview"):
        client.get(f"/newsroom/stories/{story.id}/{path}")
    after = snapshot()
    after.pop("login_sessions", None), before.pop("login_sessions", None)
    assert after == before


def test_placement_toggle_for_desk_editors(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    path = f"/newsroom/stories/{story.id}/placement"
    login(client, nr.reporter)
    assert "Put in Top News" not in page(client, story)
    assert post_form(client, path, {"placement": "top"}).status_code == 403
    login(client, nr.editor)
    assert "Put in Top News" in page(client, story)
    assert post_form(client, path, {"placement": "top"}).status_code == 302
    assert reload(story).placement == Placement.TOP
    assert "Remove from Top News" in page(client, story)
    assert post_form(client, path, {"placement": "sideways"}).status_code == 400
    assert post_form(client, path, {"placement": "none"}).status_code == 302
    assert reload(story).placement == Placement.NONE


def test_story_page_metadata(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    embargo = datetime(2031, 5, 1, 4, 0, tzinfo=UTC)
    story = make.story(
        nr.reporter,
        nr.desk,
        byline="Diplomatic Correspondent",
        dateline="Dhaka",
        embargo_at=embargo,
    )
    login(client, nr.reporter)
    html = page(client, story)
    for text in (
        "state-draft",
        "National",
        "Shirin Sultana",
        "Diplomatic Correspondent",
        "DHAKA",
        "01 May 2031, 10:00",  # embargo, in Dhaka time
        "<dt>Words</dt><dd>5</dd>",
        "<dt>Version</dt><dd>1</dd>",
        "<p>The body of the story.</p>",
    ):
        assert text in html, text


def test_a_stale_action_keeps_the_note_typed(any_app: Flask, nr: Newsroom, make: Factory) -> None:
    """Found by the fuzz test: a 409 (someone acted first) showed the page without the note."""
    client = any_app.test_client()
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.editor)
    note = "Check the toll figures <b>&</b> the quote"
    response = act(client, story, "request_changes", note=note, version=str(story.version - 1))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this story first" in html
    assert str(escape(note)) in html
    assert reload(story).state == StoryState.SUBMITTED
