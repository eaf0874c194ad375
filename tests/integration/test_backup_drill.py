"""The restore drill (TRUST 33): a backup taken while the newsroom writes, restored into an empty
database and media folder, brings back every story, revision, audit event, comment and photo,
consistent with one another, and the restored app serves them, the photo's renditions too."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from editorial.extensions import db
from editorial.models import Desk, Person, Revision, Story
from editorial.models.loading import STORY_CARD
from editorial.services import photos
from editorial.services.comments import add_comment
from editorial.services.stories import StoryInput, create_story, save_story
from editorial.services.transitions import transition_story
from editorial.site.queries import story_url
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory
from tests.integration.backupkit import files_under, invoke

APPEND_ONLY = ["revisions", "audit_events", "comments"]
TABLES = ["stories", *APPEND_ONLY]


def newsroom_round(desk_id: int, reporter_id: int, editor_id: int, n: int) -> None:
    """One story's life: written, edited, commented on, submitted, approved, published."""
    reporter, editor = db.session.get(Person, reporter_id), db.session.get(Person, editor_id)
    assert reporter and editor
    text = StoryInput(headline=f"Drill story {n}", body=f"First text {n}.", desk_id=desk_id)
    story = create_story(text, actor=reporter)
    text.body = f"Second text {n}, edited."
    story = save_story(story, text, actor=reporter, expected_version=story.version)
    add_comment(story, f"Comment on story {n}", actor=editor)
    for action, actor in ((Action.SUBMIT, reporter), (Action.APPROVE, editor)):
        story = transition_story(story, action, actor=actor)
    transition_story(story, Action.PUBLISH, actor=editor)


class Writer(threading.Thread):
    """The newsroom at work in its own app context until told to stop."""

    def __init__(self, app: Flask, ids: tuple[int, int, int]) -> None:
        super().__init__(daemon=True)
        self.app, self.ids = app, ids
        self.rounds = 0
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.progress = threading.Condition()

    def run(self) -> None:
        with self.app.app_context():
            try:
                while not self.stopping.is_set():
                    newsroom_round(*self.ids, 1000 + self.rounds)
                    with self.progress:
                        self.rounds += 1
                        self.progress.notify_all()
            except BaseException as error:
                self.error = error
            finally:
                db.session.remove()

    def wait_for(self, rounds: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.rounds >= rounds or self.error, 120)
        assert self.error is None, self.error

    def finish(self) -> int:
        self.stopping.set()
        self.join(120)
        assert self.error is None, self.error
        return self.rounds


def rows(app: Flask, table: str) -> set[tuple]:
    with app.app_context():
        result = db.session.execute(sa.text(f"SELECT * FROM {table}")).all()
        db.session.remove()
    return {tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in r) for r in result}


def snapshot(app: Flask) -> dict[str, set[tuple]]:
    return {table: rows(app, table) for table in TABLES}


def assert_consistent(app: Flask) -> None:
    """Each story's text is its newest revision's, its revisions run 1..n, and every revision
    and comment has its audit event: nothing of a transaction is missing."""
    with app.app_context():
        for story in db.session.scalars(sa.select(Story)):
            revisions = db.session.scalars(
                sa.select(Revision).where(Revision.story_id == story.id).order_by(Revision.number)
            ).all()
            assert [r.number for r in revisions] == list(range(1, len(revisions) + 1)), story.id
            newest = revisions[-1]
            assert (newest.headline, newest.body) == (story.headline, story.body), story.id
        missing = db.session.execute(
            sa.text(
                "SELECT c.id FROM comments c LEFT JOIN audit_events a ON a.subject_type = "
                "'comment' AND a.subject_id = c.id WHERE a.id IS NULL"
            )
        ).all()
        assert missing == []
        db.session.remove()


def assert_served(app: Flask) -> int:
    """Every published story's article page answers 200 on the restored app."""
    with app.app_context():
        published = list(
            db.session.scalars(
                sa.select(Story).options(*STORY_CARD).where(Story.state == "published")
            )
        )
        urls = [story_url(s.desk.slug, s.first_published_at, s.slug) for s in published]
        db.session.remove()
        client = app.test_client()
        assert client.get("/").status_code == 200
        statuses = [client.get(url).status_code for url in urls]
    assert statuses == [200] * len(urls)
    return len(urls)


def pictured_story(make: Factory, desk: Desk) -> str:
    """A published story with an uploaded lead photo (renditions made on upload); its URL."""
    reporter, editor = make.reporter(desk), make.editor(desk)
    content = io.BytesIO(photokit.jpeg((900, 600)))
    data = photos.PhotoInput(credit="Rafiq Ahmed", alt_text="Boats on the Buriganga")
    photo = photos.upload_photo(content, data, actor=reporter)
    story = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, lead_photo_id=photo.id)
    return story_url(desk.slug, story.first_published_at, story.slug)


def photo_served(app: Flask, url: str) -> list[bytes]:
    """The rendition files the article page links to, as a reader's browser fetches them."""
    client = app.test_client()
    page = client.get(url).get_data(as_text=True)
    sources = sorted(set(re.findall(r'src="(/media/[^"]+)"', page)))
    assert sources, "the article shows its photo"
    files = []
    for source in sources:
        answer = client.get(source)
        assert answer.status_code == 200, source
        files.append(answer.get_data())
        answer.close()  # a file response holds the file open until closed
    return files


def test_restore_drill(
    any_app: Flask, make: Factory, empty_app: Callable[[str], Flask], tmp_path: Path
) -> None:
    backend = db.engine.dialect.name
    desk = make.desk("National")
    ids = (desk.id, make.reporter(desk).id, make.editor(desk).id)
    media = Path(any_app.config["INSTANCE_PATH"]) / "media"
    pictured = pictured_story(make, desk)  # a real upload: its original and renditions
    for n in range(3):
        newsroom_round(*ids, n)
    db.session.remove()

    writer = Writer(any_app, ids)
    writer.start()
    writer.wait_for(2)
    before = snapshot(any_app)  # committed before the backup began: all must come back
    code, output = invoke(any_app, "create", "--to", str(tmp_path / "drill.tar.gz"))
    assert code == 0, output
    writer.wait_for(writer.rounds + 2)  # it kept writing through the backup
    writer.finish()
    after = snapshot(any_app)

    target = empty_app(backend)
    code, output = invoke(target, "restore", "--from", str(tmp_path / "drill.tar.gz"))
    assert code == 0, output
    restored = snapshot(target)
    for table in APPEND_ONLY:
        assert before[table] <= restored[table] <= after[table], table
    story_ids = {row[0] for row in restored["stories"]}
    assert (
        {row[0] for row in before["stories"]} <= story_ids <= {row[0] for row in after["stories"]}
    )
    assert_consistent(target)
    assert assert_served(target) >= 6
    assert files_under(Path(target.config["INSTANCE_PATH"]) / "media") == files_under(media)
    assert photo_served(target, pictured) == photo_served(any_app, pictured)
