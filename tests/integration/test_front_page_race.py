"""Editors reordering Top News at once (issue 13): exactly one order wins, whole, with one audit
event; every other editor gets StaleFrontPage (the conflict message), nothing half-applied.

Each editor runs in its own thread with its own app context and database session, having read
the same front-page version; all are released together. On PostgreSQL the losers block on the
front page row's lock and then find its version moved on; on SQLite the write lock queues them.
"""

from __future__ import annotations

import itertools
import threading

from flask import Flask
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import AuditEvent, Person, Placement
from editorial.models.loading import actor_of
from editorial.services.errors import StaleFrontPage
from editorial.services.frontpage import front_page_ids, front_page_version, save_front_page
from editorial.services.stories import set_placement
from editorial.workflow import StoryState
from tests.conftest import Factory

EDITORS = 6


def test_editors_reordering_at_once_lose_no_order(any_app: Flask, make: Factory) -> None:
    desk = make.desk()
    reporter = make.reporter(desk)
    editors = [make.editor(make.desk() if i else desk) for i in range(EDITORS)]
    stories = []
    for n in range(4):
        story = make.story(
            reporter, desk, StoryState.PUBLISHED, editor=editors[0], headline=f"S{n}"
        )
        set_placement(story, Placement.TOP, actor=editors[0])
        stories.append(story.id)
    seen = front_page_version()
    orders = [list(p) for p in itertools.islice(itertools.permutations(stories), 1, EDITORS + 1)]
    editor_ids = [e.id for e in editors]
    db.session.commit()
    barrier = threading.Barrier(EDITORS)
    results: list[object] = [None] * EDITORS

    def run(i: int) -> None:
        with any_app.app_context():
            try:
                editor = db.session.get(Person, editor_ids[i])
                actor_of(editor)  # loaded before the race
                db.session.commit()
                barrier.wait(timeout=30)
                results[i] = save_front_page(orders[i], actor=editor, expected_version=seen)
            except StaleFrontPage as conflict:
                results[i] = str(conflict)
            except Exception as error:  # reported by the assertions below
                results[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "an editor hung"
    db.session.expire_all()

    winners = [i for i, result in enumerate(results) if result == seen + 1]
    assert len(winners) == 1, results
    losers = [r for i, r in enumerate(results) if i not in winners]
    assert all(
        isinstance(r, str) and r.startswith("Someone else changed the front page") for r in losers
    ), losers
    assert front_page_ids() == orders[winners[0]]  # the winner's order, whole
    assert front_page_version() == seen + 1
    events = db.session.scalar(
        select(func.count()).where(AuditEvent.action == "frontpage.arranged")
    )
    assert events == 1
