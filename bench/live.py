"""Benchmark live coverage: a live story with 1,000 entries against a plain article, same run.

    .venv/bin/python bench/live.py                        # fresh SQLite database in /tmp
    .venv/bin/python bench/live.py --database-url postgresql+psycopg://postgres@127.0.0.1/live
    .venv/bin/python bench/live.py --entries 10000 --requests 100

A fresh instance (SQLite in a temporary folder, or the given empty PostgreSQL database,
migrated): one desk, an editor and a reporter, a plain published article, and a published live
story of the same text with --entries entries (one INSERT). With the Flask test client (server
time, no network; a few warm-up requests, then --requests timed ones, the two pages taking
turns so both see the same machine):

1. the reader page p50/p95, cold (PUBLIC_CACHE_ENABLED off: every request renders) and cached
   (the server-side page cache on), live story against the plain article;
2. the cost of polling: for --seconds each, in one thread (one worker), requests/s of the
   fragment answered 304 (If-None-Match with the current ETag), of the fragment as a cached
   200, and of the cached plain article; then what 1,000 readers polling every 5 s (200
   requests/s) cost as a share of that one worker;
3. the first request after a new entry (a render, then cached again).

Prints each figure and its ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import contextvars
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from editorial import create_app  # noqa: E402
from editorial.extensions import db  # noqa: E402
from editorial.models import Desk, LiveEntry, Person, Story  # noqa: E402
from editorial.rendering import render_body  # noqa: E402
from editorial.services import commit  # noqa: E402
from editorial.services.cache import purge_public_cache  # noqa: E402
from editorial.services.live import EntryInput, post_entry, start_live_coverage  # noqa: E402
from editorial.services.staff import create_person  # noqa: E402
from editorial.services.stories import StoryInput, create_story  # noqa: E402
from editorial.services.transitions import transition_story  # noqa: E402
from editorial.site.queries import story_url  # noqa: E402
from editorial.timeutil import utcnow  # noqa: E402
from editorial.workflow import Action, Role  # noqa: E402

BODY = "\n\n".join(
    f"Paragraph {n}: counting continued through the evening across the city's wards, "
    "officials said, with results from the outer districts expected after midnight."
    for n in range(1, 13)
)
READERS, POLL_SECONDS = 1000, 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database to migrate and fill")
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--seconds", type=float, default=3.0, help="per throughput run")
    return parser.parse_args()


def make_app(url: str, folder: Path, cache: bool) -> Flask:
    return create_app(
        {
            "EDITORIAL_ENV": "testing",
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "INSTANCE_PATH": str(folder),
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_OUTBOX": str(folder / "outbox"),
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": "",
            "PUBLIC_CACHE_ENABLED": cache,
            "CELERY": {"broker_url": "memory://", "task_always_eager": True},
        }
    )


def person(name: str, role: Role, desk: Desk) -> Person:
    return create_person(
        email=f"{name.lower()}@bench.test",
        name=name,
        roles={role, Role.REPORTER},
        desk_ids=[desk.id],
        password="bench-password-123",
        actor=None,
    )


def build(app: Flask, entries: int) -> tuple[str, str]:
    """The plain article's path and the live story's path."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        desk = Desk(name="City", slug="city")
        db.session.add(desk)
        db.session.commit()
        editor = person("Editor", Role.DESK_EDITOR, desk)
        reporter = person("Reporter", Role.REPORTER, desk)
        paths = []
        for headline in ("City polls: the results", "City polls: counting live"):
            story = create_story(
                StoryInput(headline=headline, body=BODY, desk_id=desk.id), actor=reporter
            )
            for action in (Action.SUBMIT, Action.APPROVE, Action.PUBLISH):
                transition_story(
                    story, action, actor=reporter if action is Action.SUBMIT else editor
                )
            story = db.session.get(Story, story.id)
            paths.append(story_url(desk.slug, story.first_published_at, story.slug))
        start_live_coverage(story, actor=editor)
        start = utcnow() - timedelta(seconds=entries)
        rows = [
            {
                "story_id": story.id,
                "author_id": reporter.id,
                "body": f"Ward {n} declared: turnout **{40 + n % 20} per cent**.",
                "body_html": render_body(f"Ward {n} declared: turnout **{40 + n % 20} per cent**."),
                "link": "",
                "is_pinned": n == 1,
                "created_at": start + timedelta(seconds=n),
            }
            for n in range(1, entries + 1)
        ]
        for chunk in range(0, len(rows), 1000):
            db.session.execute(insert(LiveEntry), rows[chunk : chunk + 1000])
        purge_public_cache()
        commit()
        return paths[0], paths[1]


def get(client: FlaskClient, path: str, headers: dict[str, str] | None = None):
    """One request in a context of its own, as a real one is (no app context, no `g`, shared
    with the bench's)."""
    return contextvars.Context().run(client.get, path, headers=headers or {})


def timed(client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    response = get(client, path, headers)
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 304):
        sys.exit(f"{path} answered {response.status_code}")
    return elapsed


def latencies(client: FlaskClient, paths: list[str], requests: int) -> dict[str, list[float]]:
    for path in paths:
        for _ in range(5):
            timed(client, path)
    found: dict[str, list[float]] = {path: [] for path in paths}
    for _ in range(requests):
        for path in paths:
            found[path].append(timed(client, path))
    return found


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def throughputs(calls: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Requests per second of each call, taking turns in rounds of 20 (a burst of load elsewhere
    on the machine hits them all alike) for about `seconds` each."""
    spent = dict.fromkeys(calls, 0.0)
    done = dict.fromkeys(calls, 0)
    while min(spent.values()) < seconds:
        for name, call in calls.items():
            started = time.perf_counter()
            for _ in range(20):
                call()
            spent[name] += time.perf_counter() - started
            done[name] += 20
    return {name: done[name] / spent[name] for name in calls}


def main() -> None:
    args = parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        logging.disable(logging.INFO)
        started = time.perf_counter()
        plain, live = build(make_app(url, folder, cache=False), args.entries)
        print(
            f"{args.entries:,} entries on {url.split(':')[0]} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(f"plain article {plain}\nlive story    {live}\n")

        print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'p95 x plain':>12}")
        for label, cache in (("cold", False), ("cached", True)):
            app = make_app(url, folder, cache)
            found = latencies(app.test_client(), [plain, live], args.requests)
            base = p(found[plain], 95)
            for name, path in (("plain article", plain), ("live story", live)):
                values = found[path]
                print(
                    f"{name + ' (' + label + ')':34} {p(values, 50):8.2f} {p(values, 95):8.2f} "
                    f"{p(values, 95) / base:11.2f}x"
                )

        app = make_app(url, folder, cache=True)
        client = app.test_client()
        fragment = live + "/live"
        etag = get(client, fragment).headers["ETag"]
        get(client, plain)
        runs = {
            "cached plain article (200)": lambda: get(client, plain),
            "fragment, cached (200)": lambda: get(client, fragment),
            "fragment, not changed (304)": lambda: get(client, fragment, {"If-None-Match": etag}),
        }
        rates = throughputs(runs, args.seconds)
        base = rates["cached plain article (200)"]
        print(f"\n{'one worker, one thread':34} {'req/s':>8} {'x plain':>8}")
        for name, rate in rates.items():
            print(f"{name:34} {rate:8.0f} {rate / base:7.2f}x")
        load = READERS / POLL_SECONDS
        share = load / rates["fragment, not changed (304)"]
        print(
            f"\n{READERS:,} readers polling every {POLL_SECONDS} s = {load:.0f} req/s: "
            f"{share:.0%} of one worker (all 304s)"
        )

        after, warm = [], []
        for n in range(20):
            with app.app_context():
                story = db.session.scalar(
                    db.select(Story).where(Story.live_started_at.is_not(None))
                )
                editor = db.session.scalar(db.select(Person).where(Person.name == "Editor"))
                post_entry(story, EntryInput(body=f"Bench entry {n}."), actor=editor)
            started = time.perf_counter()
            response = get(client, fragment, {"If-None-Match": etag})
            after.append(time.perf_counter() - started)
            assert response.status_code == 200, "a new entry must change the fragment's ETag"
            etag = response.headers["ETag"]
            warm.append(timed(client, fragment, {"If-None-Match": etag}))
        print(
            "the first poll after a new entry (a render): median "
            f"{statistics.median(after) * 1000:.2f} ms, "
            f"{statistics.median(after) / statistics.median(warm):.1f}x the 304s that follow"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
