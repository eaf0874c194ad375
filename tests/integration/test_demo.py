"""`flask demo`: a newsroom that looks like a real paper, idempotent; `--stories N` for load."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import Correction, Desk, Notification, Placement, Story
from editorial.models.loading import STORY_CARD
from editorial.models.notification import WAITING_EMAIL
from editorial.workflow import StoryState


def _states() -> dict[str, int]:
    rows = db.session.execute(select(Story.state, func.count()).group_by(Story.state))
    return {state: count for state, count in rows}


def test_demo_seeds_every_state_once_then_adds_generated_stories(any_app: Flask) -> None:
    runner = any_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Sign in at /login" in result.output
    states = _states()
    assert set(states) == {s.value for s in StoryState}, states
    assert 25 <= sum(states.values()) <= 40
    published = db.session.scalars(
        select(Story).options(*STORY_CARD).where(Story.state == StoryState.PUBLISHED)
    ).all()
    assert {story.desk.slug for story in published} == {
        "national",
        "diplomatic",
        "city",
        "business",
        "international",
        "sports",
        "opinion",
    }
    assert sum(story.placement == Placement.TOP for story in published) >= 4
    assert db.session.scalar(select(func.count(Correction.id))) >= 1
    bylines = {story.byline for story in published}
    assert {"Diplomatic Correspondent", "Staff Reporter"} <= bylines
    assert any(b.startswith("Our Correspondent, ") for b in bylines)
    assert {story.dateline for story in published} >= {"DHAKA", "SYLHET", "CHATTOGRAM"}
    scheduled = db.session.scalar(select(Story).where(Story.state == StoryState.SCHEDULED))
    assert scheduled is not None and scheduled.publish_at is not None
    _seeded_notifications_are_settled()

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert _states() == states

    client = any_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "Top News" in home and 'class="lead-story"' in home
    _generated_stories_are_added(any_app)


def _seeded_notifications_are_settled() -> None:
    """The seeded history made notifications (else this check proves nothing); the demo
    people start with none unread and no e-mail waiting about stories made "days ago"."""
    assert db.session.scalar(select(func.count(Notification.id))) > 0
    assert (
        db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None)))
        == 0
    )
    waiting = select(func.count(Notification.id)).where(Notification.email_state.in_(WAITING_EMAIL))
    assert db.session.scalar(waiting) == 0


def _generated_stories_are_added(any_app: Flask) -> None:
    """`flask demo --stories 200` on top of the demo (one seeding per database keeps it quick)."""
    runner = any_app.test_cli_runner()
    before = _states()
    result = runner.invoke(args=["demo", "--stories", "200"])
    assert result.exit_code == 0, result.output
    assert "added 200 generated published stories" in result.output
    after = _states()
    assert after[StoryState.PUBLISHED] == before[StoryState.PUBLISHED] + 200
    assert {k: v for k, v in after.items() if k != StoryState.PUBLISHED} == {
        k: v for k, v in before.items() if k != StoryState.PUBLISHED
    }
    per_desk = db.session.execute(
        select(Desk.slug, func.count(Story.id)).join(Story).group_by(Desk.slug)
    ).all()
    assert len(per_desk) == 7
    client = any_app.test_client()
    listed, url = 0, "/api/stories?per_page=100"
    while url:  # the API counts nothing: walk its pages
        page = client.get(url).get_json()
        listed, url = listed + len(page["stories"]), page["next"]
    assert listed == after[StoryState.PUBLISHED]
    # generated text is searchable like any other (FTS trigger / generated column)
    generated = db.session.scalar(
        select(Story).where(Story.byline == "Staff Reporter", Story.dateline == "KHULNA")
    )
    if generated is not None:
        found = client.get("/search?q=khulna").get_data(as_text=True)
        assert generated.headline.split()[0] in found
