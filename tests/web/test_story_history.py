"""History, compare and restore; comments with @mentions; the notification centre; preview."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import AuditEvent, Comment, Notification, Revision
from editorial.newsroom.diff import line_diff, word_diff
from editorial.services.stories import StoryInput, save_story
from editorial.wording import event_words
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload


def edit(story, person, **changes) -> None:
    story = reload(story)
    fields = {
        "headline": story.headline,
        "standfirst": story.standfirst,
        "body": story.body,
        "byline": story.byline,
        "dateline": story.dateline,
        "desk_id": story.desk_id,
        **changes,
    }
    save_story(story, StoryInput(**fields), actor=person, expected_version=story.version)


def test_history_lists_revisions_and_audit_trail(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    edit(story, nr.editor, body="Edited by the desk.")
    login(client, nr.reporter)
    html = client.get(f"/newsroom/stories/{story.id}/history").get_data(as_text=True)
    assert "Created" in html and "Nasreen Akter" in html and "Shirin Sultana" in html
    for action in ("story.created", "story.submitted", "story.edited"):
        assert event_words(action) in html and action not in html  # said in words
    assert 'name="a" value="1"' in html and 'name="b" value="2"' in html
    assert "Restore" not in html  # a reporter cannot edit a submitted story


def test_compare_shows_word_and_line_changes(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(
        nr.reporter, nr.desk, headline="Rain floods Dhaka streets", body="Para one.\n\nPara two."
    )
    edit(story, nr.reporter, headline="Rain floods old Dhaka streets", body="Para one.\n\nPara 2.")
    login(client, nr.reporter)
    html = client.get(f"/newsroom/stories/{story.id}/compare?a=1&b=2").get_data(as_text=True)
    assert re.search(r"<ins>\s?old\s?</ins>", html)
    assert "<del>two.</del><ins>2.</ins>" in html
    assert client.get(f"/newsroom/stories/{story.id}/compare").status_code == 200  # defaults
    assert client.get(f"/newsroom/stories/{story.id}/compare?a=x&b=2").status_code == 400
    assert client.get(f"/newsroom/stories/{story.id}/compare?a=1&b=7").status_code == 404


def test_diff_helpers() -> None:
    assert [(s.kind, s.text) for s in word_diff("a b c", "a x c")] == [
        ("equal", "a "),
        ("delete", "b"),
        ("insert", "x"),
        ("equal", " c"),
    ]
    old = "\n".join(f"line {n}" for n in range(40))
    new = old.replace("line 20", "line twenty")
    lines = line_diff(old, new)
    assert [line.kind for line in lines].count("change") == 1
    assert lines[0].kind == "skip" and lines[0].skipped == 17 and lines[-1].kind == "skip"
    huge = "word " * 5000
    assert word_diff(huge, huge + "more")  # falls back to whole blocks, does not hang


def test_restore_an_old_revision(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, body="The original text.")
    edit(story, nr.reporter, body="A worse rewrite.")
    login(client, nr.reporter)
    path = f"/newsroom/stories/{story.id}/revisions/1/restore"
    assert post_form(client, path, {}).status_code == 400  # no version
    response = post_form(client, path, {"version": "1"})  # stale
    assert response.status_code == 409 and "Nothing was restored" in response.get_data(as_text=True)
    assert post_form(client, path, {"version": "2"}).status_code == 302
    story = reload(story)
    assert story.body == "The original text." and story.version == 3
    latest = db.session.scalars(select(Revision).order_by(Revision.number.desc())).first()
    assert latest.number == 3 and latest.summary == "Restored revision 1"


def test_comments_and_mentions_notify(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    path = f"/newsroom/stories/{story.id}/comments"
    login(client, nr.editor)
    html = client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)
    assert ">Comment</label>" in html
    response = post_form(client, path, {"comment": "   "})
    assert response.status_code == 400 and "Write a comment first." in response.get_data(
        as_text=True
    )
    text = "Check the toll figure, @shirin.sultana, and @rahim.uddin too."
    response = post_form(client, path, {"comment": text})
    assert response.status_code == 302 and "#comment-" in response.headers["Location"]
    assert db.session.scalars(select(Comment)).one().body == text
    mentions = db.session.scalars(
        select(Notification).where(Notification.kind == "comment.mention")
    ).all()
    # the colleague cannot see the story, so is not told about it
    assert [n.person_id for n in mentions] == [nr.reporter.id]
    assert mentions[0].link.startswith(f"/newsroom/stories/{story.id}")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "story.commented"))
    assert client.get(path).status_code == 302


def test_notification_centre_marks_read(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    first = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline="First story")
    second = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, headline="Second story")
    login(client, nr.editor)
    html = client.get("/newsroom/notifications").get_data(as_text=True)
    assert html.index("Second story") < html.index("First story")  # newest first
    assert html.count('class="notification unread"') == 2
    assert '<span class="badge">2<span class="visually-hidden"> unread</span></span>' in html
    assert f'href="/newsroom/stories/{first.id}"' in html

    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    response = post_form(client, f"/newsroom/notifications/{rows[0].id}/read")
    assert response.status_code == 302
    html = client.get("/newsroom/notifications").get_data(as_text=True)
    assert html.count('class="notification unread"') == 1 and '<span class="badge">1<' in html

    login(client, nr.reporter)  # someone else's notification
    assert post_form(client, f"/newsroom/notifications/{rows[1].id}/read").status_code == 404
    login(client, nr.editor)
    assert post_form(client, "/newsroom/notifications/read-all").status_code == 302
    html = client.get("/newsroom/notifications").get_data(as_text=True)
    assert 'class="notification unread"' not in html and 'class="badge"' not in html
    assert second.id


def test_preview_as_readers_see_it(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk, body="A **bold** claim.", byline="Staff Reporter")
    login(client, nr.reporter)
    response = client.get(f"/newsroom/stories/{story.id}/preview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Preview - not published" in html
    assert story.headline in html and "<strong>bold</strong>" in html and "Staff Reporter" in html
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Cache-Control"] == "no-store"
