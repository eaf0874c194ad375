"""My stories, the desk queue, the budget, the calendar and search."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, update

from editorial.extensions import db
from editorial.models import Person, Story, story_authors
from editorial.newsroom.queries import MY_STORIES_PER_STATE
from editorial.newsroom.routes import waited
from editorial.services import commit
from editorial.timeutil import utcnow
from editorial.workflow import Role, StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom
from tests.web.test_queries import counting

DHAKA = ZoneInfo("Asia/Dhaka")


def set_fields(story: Story, **values) -> None:
    db.session.execute(update(Story).where(Story.id == story.id).values(**values))
    commit()


def test_nav_has_every_section(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    login(client, nr.reporter)
    html = client.get("/newsroom/").get_data(as_text=True)
    for label in ("New story", "My stories", "Desk queue", "Budget", "Calendar", "Search"):
        assert f">{label}</a>" in html, label
    assert "Notifications" in html and ">Admin</a>" not in html
    login(client, make.person(Role.ADMIN, Role.REPORTER, desks=[nr.desk]))
    assert ">Admin</a>" in client.get("/newsroom/").get_data(as_text=True)


def test_my_stories_by_state(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    make.story(nr.reporter, nr.desk, headline="My draft")
    make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline="My submitted story")
    make.story(nr.colleague, nr.desk, headline="Colleague's draft")
    login(client, nr.reporter)
    html = client.get("/newsroom/").get_data(as_text=True)
    assert "My draft" in html and "My submitted story" in html
    assert "Colleague" not in html
    assert html.index('id="group-draft"') < html.index('id="group-submitted"')
    assert "Needs attention" not in html  # reporters have no desk to watch


def test_needs_attention_lists_overdue_and_failed(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    late = make.story(nr.reporter, nr.desk, StoryState.SCHEDULED, editor=nr.editor)
    failed = make.story(nr.reporter, nr.desk, StoryState.SCHEDULED, editor=nr.editor)
    fine = make.story(nr.reporter, nr.desk, StoryState.SCHEDULED, editor=nr.editor)
    elsewhere = make.story(nr.outsider, nr.other_desk, StoryState.SCHEDULED, editor=nr.other_editor)
    set_fields(late, publish_at=utcnow() - timedelta(minutes=10))
    set_fields(elsewhere, publish_at=utcnow() - timedelta(minutes=10))
    set_fields(failed, publish_failed_at=utcnow(), publish_error="SMTP? no: database gone")
    login(client, nr.editor)
    html = client.get("/newsroom/").get_data(as_text=True)
    section = html[html.index("Needs attention") :]
    assert late.headline in section and failed.headline in section
    assert "Publish failed" in section and "database gone" in section
    assert fine.headline not in section and elsewhere.headline not in section


def test_desk_queue_oldest_first_with_waiting_time(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    newer = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline="Newer story")
    older = make.story(
        nr.colleague, nr.desk, StoryState.SUBMITTED, headline="Older story", body="one two three"
    )
    make.story(nr.outsider, nr.other_desk, StoryState.SUBMITTED, headline="Sports story")
    make.story(nr.reporter, nr.desk, headline="Still a draft")
    set_fields(older, submitted_at=utcnow() - timedelta(hours=2, minutes=15, seconds=5))
    set_fields(newer, submitted_at=utcnow() - timedelta(minutes=5, seconds=5))
    login(client, nr.editor)
    html = client.get("/newsroom/queue").get_data(as_text=True)
    assert html.index("Older story") < html.index("Newer story")
    assert "Sports story" not in html and "Still a draft" not in html
    assert "2 h 15 min" in html and "5 min" in html
    assert re.search(r'<td class="num"[^>]*>3</td>', html)  # word count
    assert "Rahim Uddin" in html and "National" in html
    login(client, nr.reporter)  # a reporter sees only their own submissions
    html = client.get("/newsroom/queue").get_data(as_text=True)
    assert "Newer story" in html and "Older story" not in html


def test_waited_format() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=DHAKA)
    assert waited(now - timedelta(seconds=30), now) == "under a minute"
    assert waited(now - timedelta(minutes=7), now) == "7 min"
    assert waited(now - timedelta(hours=2, minutes=15), now) == "2 h 15 min"
    assert waited(now - timedelta(days=3, hours=4), now) == "3 d 4 h"


def test_budget_for_a_day_by_state_in_local_time(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    day = (utcnow() + timedelta(days=3)).astimezone(DHAKA).date()
    at = datetime(day.year, day.month, day.day, 0, 30, tzinfo=DHAKA)  # 18:30 UTC the day before
    scheduled = make.story(
        nr.reporter, nr.desk, StoryState.SCHEDULED, editor=nr.editor, headline="Early edition"
    )
    set_fields(scheduled, publish_at=at)
    other_day = make.story(
        nr.reporter, nr.desk, StoryState.SCHEDULED, editor=nr.editor, headline="Other day"
    )
    set_fields(other_day, publish_at=at - timedelta(hours=1))
    today_draft = make.story(nr.reporter, nr.desk, headline="Draft touched today")
    login(client, nr.editor)
    html = client.get(f"/newsroom/budget?day={day.isoformat()}").get_data(as_text=True)
    assert "Early edition" in html and "<strong>00:30</strong>" in html
    assert "Other day" not in html and today_draft.headline not in html
    html = client.get("/newsroom/budget").get_data(as_text=True)  # today
    assert "Draft touched today" in html and 'id="budget-draft"' in html
    response = client.get("/newsroom/budget?day=31-12-2025")
    assert response.status_code == 400 and "is not a date" in response.get_data(as_text=True)


def test_calendar_month_grid(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    when = (utcnow() + timedelta(days=40)).astimezone(DHAKA).replace(hour=9, minute=15)
    story = make.story(
        nr.reporter, nr.desk, StoryState.SCHEDULED, editor=nr.editor, headline="Budget speech"
    )
    set_fields(story, publish_at=when)
    published = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Out already"
    )
    login(client, nr.editor)
    html = client.get(f"/newsroom/calendar?month={when:%Y-%m}").get_data(as_text=True)
    assert '<table class="calendar">' in html and "Budget speech" in html and "09:15" in html
    assert f"Calendar: {when:%B %Y}" in html
    html = client.get("/newsroom/calendar").get_data(as_text=True)
    assert published.headline in html
    response = client.get("/newsroom/calendar?month=2026-13")
    assert response.status_code == 400 and "is not a month" in response.get_data(as_text=True)


def test_search_filters_and_visibility(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    make.story(nr.reporter, nr.desk, headline="Election commission meets", body="Turnout.")
    make.story(
        nr.colleague, nr.desk, StoryState.SUBMITTED, headline="Election results", body="Votes."
    )
    make.story(nr.outsider, nr.other_desk, headline="Election of the cricket board")
    make.story(nr.reporter, nr.desk, headline="ঢাকায় নির্বাচন", body="ভোট গ্রহণ চলছে")
    login(client, nr.editor)
    html = client.get("/newsroom/search?q=elect").get_data(as_text=True)
    assert "Election commission meets" in html and "Election results" in html
    assert "cricket" not in html  # another desk's story
    html = client.get("/newsroom/search?q=elect&state=submitted").get_data(as_text=True)
    assert "Election results" in html and "Election commission" not in html
    html = client.get(f"/newsroom/search?author={nr.reporter.id}").get_data(as_text=True)
    assert "Election commission meets" in html and "Election results" not in html
    html = client.get(f"/newsroom/search?desk={nr.desk.id}&q=ভোট").get_data(as_text=True)
    assert "ঢাকায় নির্বাচন" in html
    today = utcnow().astimezone(DHAKA).date()
    html = client.get(f"/newsroom/search?from={today}&to={today}").get_data(as_text=True)
    assert "Election results" in html
    tomorrow = today + timedelta(days=1)
    html = client.get(f"/newsroom/search?from={tomorrow}").get_data(as_text=True)
    assert "Election" not in html.split("</form>", 1)[1]
    login(client, nr.reporter)
    html = client.get("/newsroom/search?q=election").get_data(as_text=True)
    assert "Election commission meets" in html and "Election results" not in html


def test_search_paginates_25_a_page(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    for n in range(27):
        make.story(nr.reporter, nr.desk, headline=f"Monsoon report {n:02d}")
    login(client, nr.reporter)
    html = client.get("/newsroom/search?q=monsoon").get_data(as_text=True)
    assert html.count("Monsoon report") == 25 and 'rel="next"' in html
    older = re.search(r'rel="next" href="([^"]+)"', html)
    assert older is not None and "before=" in older[1] and "q=monsoon" in older[1]
    html = client.get(older[1].replace("&amp;", "&")).get_data(as_text=True)
    assert html.count("Monsoon report") == 2 and 'rel="prev"' in html and 'rel="next"' not in html


def test_search_bad_filters_are_clear(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    response = client.get("/newsroom/search?state=lost&desk=x&from=yesterday")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Unknown state." in html and "Unknown desk." in html and "is not a date" in html
    assert client.get("/newsroom/search?page=-4&q=a").status_code == 200


def add_published(author: Person, desk_id: int, count: int, changed: datetime) -> None:
    """`count` published stories by `author`, changed after `changed` (one bulk insert)."""
    ids = db.session.scalars(
        insert(Story).returning(Story.id, sort_by_parameter_order=True),
        [
            {
                "headline": f"Published {n}",
                "slug": f"published-{changed:%s}-{n}",
                "desk_id": desk_id,
                "state": StoryState.PUBLISHED,
                "published_at": changed + timedelta(minutes=n),
                "modified_at": changed + timedelta(minutes=n),
                "created_by_id": author.id,
            }
            for n in range(count)
        ],
    ).all()
    db.session.execute(
        insert(story_authors), [{"story_id": i, "person_id": author.id} for i in ids]
    )
    commit()


def test_my_stories_keeps_an_old_draft_behind_hundreds_of_newer_stories(
    any_app: Flask, make: Factory
) -> None:
    """The cap is per state: 230 newer published stories do not push the old draft off."""
    desk = make.desk("Home")
    reporter = make.reporter(desk)
    draft = make.story(reporter, desk, headline="An old draft")
    set_fields(draft, modified_at=utcnow() - timedelta(days=400))
    client = any_app.test_client()
    login(client, reporter)
    add_published(reporter, desk.id, 3, utcnow() - timedelta(days=10))
    with counting(any_app) as few:
        client.get("/newsroom/")
    add_published(reporter, desk.id, 227, utcnow() - timedelta(days=5))
    with counting(any_app) as many:
        html = client.get("/newsroom/").get_data(as_text=True)
    assert len(many) == len(few)
    assert 'id="group-draft"' in html, "the drafts section is gone"
    drafts = html[html.index('id="group-draft"') : html.index('id="group-published"')]
    assert "An old draft" in drafts
    published = html[html.index('id="group-published"') :]
    assert '<span class="count">230</span>' in published
    assert published.count(">Published ") == MY_STORIES_PER_STATE
    assert f"Showing the {MY_STORIES_PER_STATE} most recently changed" in published
    assert ">Published 226<" in published  # the newest first
