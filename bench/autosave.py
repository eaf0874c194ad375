"""Autosave and presence requests on PostgreSQL, against a newsroom page measured in the same run.

    .venv/bin/python bench/autosave.py                      # 100,000 stories, 300 requests each
    .venv/bin/python bench/autosave.py --stories 10000 --requests 100
    .venv/bin/python bench/autosave.py --keep               # keep editorial_bench_autosave

Creates `editorial_bench_autosave` beside the test database on 127.0.0.1:5432, migrates it,
fills the archive with one INSERT ... SELECT over generate_series (seconds), and makes one
desk editor's story through the services. Then, with the Flask test client (server time, no
network), requests round-robin so noise elsewhere on the machine hits all alike:

- the baseline: that story's newsroom page (GET /newsroom/stories/<id>);
- an autosave of a 5,000-character body (a long news story), and of a 200,000-character one
  (the limit);
- a heartbeat (presence only, as the script sends every 20 s when nothing changed);
- an autosave of a new, never-saved story;
- the editor's live preview (POST /newsroom/editor/preview, toolbar.js) of a 5,000-character
  Markdown body (paragraphs, bold, links, a library photo and a YouTube embed) and of a
  200,000-character one.

It prints the median and p95 of each, the SQL statements per request, and each p95 against the
baseline's p95. The load one editor adds follows from editor.js: one autosave per pause in
typing (3 s), at most one per 10 s while typing without a pause, and a heartbeat every 20 s
otherwise: at most 6 requests a minute while typing, 3 while the tab sits open. The live
preview asks after each pause of 0.6 s in typing (PREVIEW_DELAY in toolbar.js; twice what the
last preview took when that is longer, and one at a time): at most 100 a minute for someone who
pauses after every word, a few a minute for steady typing.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pgkit import bench_app, drop_database, fresh_database
from editorial.extensions import db
from editorial.models import Person
from editorial.services.desks import create_desk
from editorial.services.staff import create_person, start_session
from editorial.services.stories import StoryInput, create_story
from editorial.workflow import Role

BENCH_DB = "editorial_bench_autosave"
TYPING_PER_MINUTE = 60 / 10  # AUTOSAVE_MAX_WAIT in editor.js
IDLE_PER_MINUTE = 60 / 20  # HEARTBEAT in editor.js
PREVIEW_PER_MINUTE = 60 / 0.6  # PREVIEW_DELAY in toolbar.js: a pause after every word
PARAGRAPH = (
    "Toll collection on the Padma bridge has **crossed Tk 2,000 crore**, the "
    "[bridge authority](https://example.com/padma) said on *Sunday*, as traffic grew.\n\n"
)


def markdown_body(length: int) -> str:
    """A Markdown body of about `length` characters, as a long story has it."""
    extras = '## The toll\n\n![Boats](photo:1 "Launches")\n\n'
    extras += "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n"
    return (extras + PARAGRAPH * (length // len(PARAGRAPH) + 1))[:length]


ARCHIVE = """
INSERT INTO stories (headline, slug, standfirst, body, body_html, search_text, byline, dateline,
    desk_id, state, placement, word_count, version, was_submitted, publish_error, created_at,
    modified_at, published_at, first_published_at, created_by_id, lead_caption)
SELECT 'Archive story ' || n, 'archive-story-' || n, 'A standfirst.', 'An archive body ' || n,
    '<p>An archive body ' || n || '</p>', 'an archive body ' || n, 'Staff Reporter', 'DHAKA',
    :desk, 'published', 'none', 4, 1, true, '', now() - n * interval '1 minute',
    now() - n * interval '1 minute', now() - n * interval '1 minute',
    now() - n * interval '1 minute', :person, ''
FROM generate_series(1, :count) AS n
"""


def fill(stories: int) -> tuple[int, int]:
    """The archive, a desk editor and their story: (person id, story id)."""
    desk = create_desk("National", actor=None)
    editor = create_person(
        email="editor@bench.test",
        name="Bench Editor",
        roles={Role.DESK_EDITOR, Role.REPORTER},
        desk_ids=[desk.id],
        password=None,
    )
    started = time.perf_counter()
    db.session.execute(sa.text(ARCHIVE), {"desk": desk.id, "person": editor.id, "count": stories})
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    print(f"archive of {stories:,} stories in {time.perf_counter() - started:.1f} s")
    story = create_story(
        StoryInput(headline="The story being edited", body="A body.", desk_id=desk.id),
        actor=editor,
    )
    return editor.id, story.id


class Statements:
    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_args: object) -> None:
        self.count += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    url = fresh_database(BENCH_DB)
    app = bench_app(url)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            person_id, story_id = fill(args.stories)
            token = start_session(db.session.get(Person, person_id))
            statements = Statements(db.engine)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        page = client.get(f"/newsroom/stories/{story_id}/edit").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert csrf, "no CSRF token on the editor"
        headers = {"Accept": "application/json", "X-CSRFToken": csrf.group(1)}
        fields = {"headline": "The story being edited", "desk": "1", "dateline": "DHAKA"}

        def autosave(body: str) -> dict:
            return {"version": 1, "client": "bench-tab", "fields": {**fields, "body": body}}

        kinds = {
            "baseline: story page": ("GET", f"/newsroom/stories/{story_id}", None, 200),
            "autosave 5,000 chars": (
                "POST", f"/newsroom/stories/{story_id}/autosave", autosave("w" * 5_000), 200
            ),
            "autosave 200,000 chars": (
                "POST", f"/newsroom/stories/{story_id}/autosave", autosave("w" * 200_000), 200
            ),
            "heartbeat": (
                "POST", f"/newsroom/stories/{story_id}/autosave", {"version": 1}, 200
            ),
            "new story autosave": (
                "POST",
                "/newsroom/stories/new/autosave",
                {"draft": "bench-draft-key", "fields": {**fields, "body": "w" * 5_000}},
                200,
            ),
            "live preview 5,000 chars": (
                "POST", "/newsroom/editor/preview", {"body": markdown_body(5_000)}, 200
            ),
            "live preview 200,000": (
                "POST", "/newsroom/editor/preview", {"body": markdown_body(200_000)}, 200
            ),
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in kinds}
        sql: dict[str, int] = dict.fromkeys(kinds, 0)
        for round_ in range(args.warmup + args.requests):
            for name, (method, path, payload, status) in kinds.items():
                data = json.dumps(payload) if payload is not None else None
                before = statements.count
                started = time.perf_counter()
                response = client.open(
                    path, method=method, data=data, content_type="application/json", headers=headers
                )
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == status, (name, response.status_code)
                if round_ >= args.warmup:
                    times[name].append(elapsed)
                    sql[name] = max(sql[name], statements.count - before)

        def p95(values: list[float]) -> float:
            ordered = sorted(values)
            return ordered[max(0, round(0.95 * len(ordered)) - 1)]

        base = p95(times["baseline: story page"])
        print(f"\n{args.requests} requests each, {args.stories:,} stories, PostgreSQL, server time")
        print(f"{'request':<26}{'median ms':>10}{'p95 ms':>9}{'SQL':>5}{'p95 x base':>12}")
        for name, values in times.items():
            print(
                f"{name:<26}{statistics.median(values):10.1f}{p95(values):9.1f}{sql[name]:5d}"
                f"{p95(values) / base:12.2f}"
            )
        typing = statistics.median(times["autosave 5,000 chars"])
        print(
            f"\none editor adds at most {TYPING_PER_MINUTE:.0f} requests a minute while typing, "
            f"{IDLE_PER_MINUTE:.0f} while the tab is open: about "
            f"{TYPING_PER_MINUTE * typing / 1000:.2f} s of server time a minute while typing"
        )
        shown = statistics.median(times["live preview 5,000 chars"])
        print(
            f"the live preview of a 5,000-character body: p95 "
            f"{p95(times['live preview 5,000 chars']) / base:.2f} x the story page's p95; at "
            f"most {PREVIEW_PER_MINUTE:.0f} a minute (a pause after every word), about "
            f"{PREVIEW_PER_MINUTE * shown / 1000:.2f} s of server time a minute"
        )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
