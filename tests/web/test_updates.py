"""Pending updates through the pages (TRUST 31): readers keep the live text everywhere while an
update is pending; the desk sees the diff, approves and publishes it with a public notice; a
live copy changed meanwhile is compared three ways and rebased, never silently undone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, Story
from editorial.services.revisions import CorrectionInput
from editorial.services.scheduled_updates import schedule_update
from editorial.services.stories import StoryInput, save_story
from editorial.services.updates import pending_update, save_update, transition_update
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.conftest import login
from tests.web import sitekit
from tests.web.conftest import post_form
from tests.web.sitekit import Paper, article_path, jsonld

paper = sitekit.paper
MARKER = "Wombat"  # only in the pending update: headline, slug, body, tags
QUERY_STRINGS = ["", "?preview=1", "?page=2", "?state=draft"]


def _published(paper: Paper) -> Story:
    return paper.story(
        StoryState.PUBLISHED,
        headline="Ferry timetable changes",
        body="The ferry leaves at nine.\n\nTickets cost fifty taka.",
        tags=["Transport"],
    )


def _typed(story: Story, **changes: object) -> StoryInput:
    fields: dict[str, object] = {
        "headline": story.headline,
        "body": story.body,
        "desk_id": story.desk_id,
        "slug": story.slug,
        "tags": ["Transport"],
    }
    return StoryInput(**(fields | changes))  # type: ignore[arg-type]


def _pending_secret(paper: Paper, story: Story) -> None:
    secret = _typed(
        story,
        headline=f"{MARKER} ferry timetable",
        body=f"The {MARKER.lower()} ferry leaves at ten.",
        slug=f"{MARKER.lower()}-ferry",
        tags=[f"{MARKER}s"],
        standfirst=f"{MARKER} standfirst",
    )
    save_update(story, secret, actor=paper.reporter, expected_version=0)
    transition_update(story, Action.SUBMIT_UPDATE, actor=paper.reporter)
    transition_update(story, Action.APPROVE_UPDATE, actor=paper.make.editor(paper.national))


def _public_urls(story: Story) -> list[str]:
    return [
        "/",
        "/latest",
        "/national/",
        "/section/national/",
        "/tag/transport",
        f"/tag/{MARKER.lower()}s",
        f"/search?q={MARKER.lower()}",
        "/search?q=ferry",
        "/feed.xml",
        "/national/feed.xml",
        "/sitemap.xml",
        "/sitemaps/stories-1.xml",
        "/news-sitemap.xml",
        "/api/stories",
        f"/api/stories/{story.id}",
        article_path(story),
    ]


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    if response.status_code in (301, 302):
        response = client.get(response.headers["Location"])
    return response.get_data(as_text=True)


@pytest.mark.parametrize("scheduled", [False, True], ids=["approved", "scheduled"])
def test_a_pending_update_is_nowhere_public(
    client: FlaskClient, paper: Paper, scheduled: bool
) -> None:
    story = _published(paper)
    paper.top(story)
    _pending_secret(paper, story)
    if scheduled:  # its time and its notice are not public either, until it goes live
        notice = CorrectionInput(f"{MARKER} notice.", is_correction=False)
        at = utcnow() + timedelta(hours=1)
        schedule_update(
            story, actor=paper.make.editor(paper.national), publish_at=at, notice=notice
        )
    for base in _public_urls(story):
        for qs in QUERY_STRINGS:
            url = base + ("&" + qs[1:] if "?" in base and qs else qs)
            text = _text(client, url)
            # The search page repeats the (lower-case) query; the update's text never shows.
            leaks = [MARKER, f"{MARKER.lower()}-ferry", f"{MARKER.lower()} ferry"]
            assert not [m for m in leaks if m in text], f"update leaked on {url}"
    page = _text(client, article_path(story))
    assert "The ferry leaves at nine." in page
    [data] = jsonld(page)
    assert data["headline"] == "Ferry timetable changes"
    assert client.get(f"/national/2020/01/01/{MARKER.lower()}-ferry").status_code == 404


def _story_page(client: FlaskClient, story: Story) -> str:
    return client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


def _editor_form(story: Story, version: int, body: str, action: str) -> dict[str, str]:
    return {
        "headline": story.headline,
        "standfirst": "",
        "body": body,
        "byline": story.byline,
        "dateline": "DHAKA",
        "desk": str(story.desk_id),
        "slug": story.slug,
        "tags": "Transport",
        "update_version": str(version),
        "action": action,
    }


def test_a_reporter_updates_and_the_desk_publishes_with_a_notice(
    client: FlaskClient, paper: Paper
) -> None:
    story = _published(paper)
    path = article_path(story)
    login(client, paper.reporter)
    edit = client.get(f"/newsroom/stories/{story.id}/edit")
    assert edit.status_code == 302 and edit.headers["Location"].endswith("/update")
    page = client.get(f"/newsroom/stories/{story.id}/update").get_data(as_text=True)
    assert "Save update" in page and "Submit update for review" in page
    new_body = "The ferry leaves at ten.\n\nTickets cost fifty taka."
    saved = post_form(
        client, f"/newsroom/stories/{story.id}/update", _editor_form(story, 0, new_body, "save")
    )
    assert saved.status_code == 302
    assert "leaves at nine" in _text(client, path)
    submitted = post_form(
        client,
        f"/newsroom/stories/{story.id}/update",
        _editor_form(story, 1, new_body, "submit_update"),
    )
    assert submitted.status_code == 302
    assert pending_update(story.id).state == "submitted"

    other_editor = paper.make.editor(paper.national)
    login(client, other_editor)
    desk_view = _story_page(client, story)
    assert "Pending update" in desk_view and "Approve update" in desk_view
    assert re.search(r"<ins[^>]*>ten\.?</ins>", desk_view) or "<ins>ten" in desk_view
    queue = client.get("/newsroom/queue").get_data(as_text=True)
    assert "Ferry timetable changes" in queue and "Update" in queue
    approve = post_form(
        client,
        f"/newsroom/stories/{story.id}/update/actions/approve_update",
        {"update_version": "3"},  # saved (1), saved again and submitted (2, 3)
    )
    assert approve.status_code == 302
    assert "Publish update now" in _story_page(client, story)
    published = post_form(
        client,
        f"/newsroom/stories/{story.id}/update/actions/publish_update",
        {"update_version": "4", "notice_kind": "update", "notice_note": "New departure time."},
    )
    assert published.status_code == 302
    article = _text(client, path)
    assert "The ferry leaves at ten." in article
    assert "notice-update" in article and "New departure time." in article
    assert pending_update(story.id) is None


def test_a_stale_update_save_is_a_conflict_and_keeps_the_text(
    client: FlaskClient, paper: Paper
) -> None:
    story = _published(paper)
    save_update(story, _typed(story, body="Theirs."), actor=paper.editor, expected_version=0)
    login(client, paper.reporter)
    stale = post_form(
        client,
        f"/newsroom/stories/{story.id}/update",
        _editor_form(story, 0, "My careful words.", "save"),
    )
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "My careful words." in text and "one pending update per story" in text
    assert pending_update(story.id).body == "Theirs."


def test_publishing_over_a_correction_needs_the_three_way_rebase(
    client: FlaskClient, paper: Paper
) -> None:
    story = _published(paper)
    reporter, editor = paper.reporter, paper.make.editor(paper.national)
    body = "The ferry leaves at nine.\n\nTickets cost sixty taka."
    save_update(story, _typed(story, body=body), actor=reporter, expected_version=0)
    transition_update(story, Action.SUBMIT_UPDATE, actor=reporter)
    transition_update(story, Action.APPROVE_UPDATE, actor=editor)
    db.session.refresh(story)
    corrected = "The ferry leaves at half past nine.\n\nTickets cost fifty taka."
    save_story(
        story,
        _typed(story, body=corrected),
        actor=paper.editor,
        expected_version=story.version,
        correction=CorrectionInput(note="The departure time was wrong."),
    )
    login(client, editor)
    assert "The live copy changed after this update was started" in _story_page(client, story)
    refused = post_form(
        client,
        f"/newsroom/stories/{story.id}/update/actions/publish_update",
        {"update_version": "3"},
    )
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/update/compare")
    compare = client.get(f"/newsroom/stories/{story.id}/update/compare")
    text = compare.get_data(as_text=True)
    assert "Rebase on the live copy" in text and "half past nine" in text
    db.session.refresh(story)
    rebased = post_form(
        client,
        f"/newsroom/stories/{story.id}/update/compare",
        {"update_version": "3", "live_version": str(story.version)},
    )
    assert rebased.status_code == 302, rebased.get_data(as_text=True)
    update = pending_update(story.id)
    assert update.body == "The ferry leaves at half past nine.\n\nTickets cost sixty taka."
    post_form(
        client,
        f"/newsroom/stories/{story.id}/update/actions/publish_update",
        {"update_version": str(update.version)},
    )
    assert "half past nine" in _text(client, article_path(story))
    assert "sixty taka" in _text(client, article_path(story))


def test_a_direct_change_by_the_desk_is_audited_as_one(client: FlaskClient, paper: Paper) -> None:
    story = _published(paper)
    login(client, paper.editor)
    page = client.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert "changes the live story at once" in page
    data = _editor_form(story, 0, "Directly changed.", "save") | {"version": str(story.version)}
    assert post_form(client, f"/newsroom/stories/{story.id}/edit", data).status_code == 302
    last = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.story_id == story.id).order_by(AuditEvent.id)
    ).all()[-1]
    assert last == "story.edited.live"


@pytest.mark.parametrize("action", ["approve_update", "publish_update", "nonsense"])
def test_update_buttons_for_reporters_are_refused(
    client: FlaskClient, paper: Paper, action: str
) -> None:
    story = _published(paper)
    _pending_secret(paper, story)
    login(client, paper.reporter)
    response = post_form(
        client, f"/newsroom/stories/{story.id}/update/actions/{action}", {"update_version": "3"}
    )
    assert response.status_code in (403, 404)
    assert pending_update(story.id) is not None


def test_a_stale_rebase_is_a_conflict_not_an_error(client: FlaskClient, paper: Paper) -> None:
    """Found by the fuzzer: the refused rebase's rollback left the page without its person."""
    story = _published(paper)
    for body in ("First try.", "Second try."):
        pending = pending_update(story.id)
        version = pending.version if pending else 0
        save_update(story, _typed(story, body=body), actor=paper.reporter, expected_version=version)
    login(client, paper.reporter)
    db.session.refresh(story)
    stale = post_form(
        client,
        f"/newsroom/stories/{story.id}/update/compare",
        {"update_version": "1", "live_version": str(story.version)},
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    assert pending_update(story.id).body == "Second try."
