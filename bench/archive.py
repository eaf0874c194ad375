"""Benchmark what the size of the archive costs readers: 1,000 stories against 100,000 (issue 14).

    .venv/bin/python bench/archive.py                        # SQLite and PostgreSQL
    .venv/bin/python bench/archive.py --backend sqlite --requests 100
    .venv/bin/python bench/archive.py --small 1000 --large 100000 --requests 60

For each backend, two fresh databases (SQLite files in /tmp; PostgreSQL
`editorial_bench_archive_small` and `_large` beside the test database, dropped at the end) get
7 desks and `--small` and `--large` published stories, one every 20 minutes back from now: the
newest `--small` are the same stories in both, the large archive only has older ones behind
them. The cold pages (page cache off: every request renders) are timed with the Flask test
client, the two archives taking turns request by request: an article, the homepage, a
section's first page and a deep page of that section (its keyset page 40 stories from the
oldest: page 7 of the small archive's section, page 700 of the large one's). The pages show
the same stories, so the ratio is what the archive's size alone costs (target: within 1.3x).
It also times the queries the old design ran on each cold listing (an exact count, an OFFSET
to a deep page, every embargo of the archive) beside their replacements, in the same run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pgkit import bench_app, drop_database, fresh_database  # noqa: E402
from editorial.extensions import db  # noqa: E402
from editorial.models import Desk, Person, Story, Tag, story_authors, story_tags  # noqa: E402
from editorial.public import NOW  # noqa: E402
from editorial.searchtext import document  # noqa: E402
from editorial.site import queries  # noqa: E402
from editorial.timeutil import utcnow  # noqa: E402
from editorial.workflow import StoryState  # noqa: E402

BENCH_DB = "editorial_bench_archive"
DESKS = ["National", "City", "Diplomatic", "Business", "Sport", "Culture", "International"]
WORDS = str.split(
    "government minister budget parliament city police court river flood water price market "
    "bank export garment factory workers road bridge metro election commission voters party "
    "leader opposition students university hospital health cricket match festival rain"
)
BATCH = 5000
TOP_NEWEST = 200
TARGET = 1.3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1971)
    return parser.parse_args()


# --- filling ------------------------------------------------------------------------------------


def setup(app) -> tuple[list[int], int, int]:
    """Desks, one reporter and one tag; their ids."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.insert(Desk),
            [{"name": n, "slug": n.lower(), "position": i} for i, n in enumerate(DESKS)],
        )
        desk_ids = list(connection.scalars(sa.select(Desk.id).order_by(Desk.id)))
        person = connection.scalar(
            sa.insert(Person)
            .values(email="bench@bench.example", name="Bench Reporter", created_at=utcnow())
            .returning(Person.id)
        )
        tag = connection.scalar(sa.insert(Tag).values(name="Flood", slug="flood").returning(Tag.id))
    return desk_ids, person, tag


def stories(
    rng: random.Random, first_id: int, count: int, newest: datetime, ids: tuple[list[int], int]
) -> Iterator[dict]:
    """`count` published stories, one every 20 minutes back from `newest`, ids from first_id;
    about 1 in 100 had an embargo (long lifted); 8 of the newest 200 are in Top News (the
    same in both archives, so the pages show the same stories)."""
    desk_ids, person = ids
    for n in range(count):
        when = newest - timedelta(minutes=20 * n, seconds=rng.random())
        body = " ".join(rng.choices(WORDS, k=rng.randint(60, 160)))
        headline = " ".join(rng.choices(WORDS, k=8)).capitalize()
        story_id = first_id + n
        yield {
            "id": story_id,
            "headline": headline,
            "slug": f"story-{story_id}",
            "standfirst": " ".join(rng.choices(WORDS, k=20)),
            "body": body,
            "body_html": f"<p>{body}</p>",
            "search_text": document(headline, "", body),
            "byline": "Staff Reporter",
            "dateline": "DHAKA",
            "desk_id": desk_ids[story_id % len(desk_ids)],
            "state": StoryState.PUBLISHED.value,
            "placement": "top" if story_id % 25 == 0 and story_id <= TOP_NEWEST else "none",
            "word_count": body.count(" ") + 1,
            "version": 3,
            "was_submitted": True,
            "publish_error": "",
            "embargo_at": when - timedelta(hours=1) if story_id % 100 == 0 else None,
            "created_at": when - timedelta(hours=2),
            "modified_at": when,
            "submitted_at": when - timedelta(hours=1),
            "published_at": when,
            "first_published_at": when,
            "created_by_id": person,
        }


def add_stories(app, rows: Iterator[dict], person: int, tag: int) -> int:
    """Insert in batches, with an author and (1 in 10) the tag each; how many."""
    added = 0
    with app.app_context(), db.engine.begin() as connection:
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            connection.execute(sa.insert(Story.__table__), batch)
            connection.execute(
                sa.insert(story_authors),
                [{"story_id": r["id"], "person_id": person} for r in batch],
            )
            tagged = [{"story_id": r["id"], "tag_id": tag} for r in batch if r["id"] % 10 == 0]
            if tagged:
                connection.execute(sa.insert(story_tags), tagged)
            added += len(batch)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as c:
                c.execute(sa.text("ANALYZE"))
    return added


# --- timing -------------------------------------------------------------------------------------


def targets(app) -> dict[str, str]:
    """The pages to time, read from the database: the newest story, the first desk's section
    and its deep page (the page that starts 40 stories from the desk's oldest)."""
    with app.test_request_context():
        db.session.execute(sa.text("SELECT 1"))
        newest = queries.cards(queries.card_query(), 1)[0]
        desk = queries.sections()[0]
        query = queries.desk_stories(desk.id)
        total = queries.count(query)
        deep = queries.page_start(query, total - 40)
        db.session.rollback()
    assert deep is not None
    return {
        "article": newest.url,
        "homepage": "/",
        "section page 1": desk.url,
        "deep section page": f"{desk.url}?before={deep.token()}",
    }


def time_pages(
    sides: list[tuple[object, dict[str, str]]], warmup: int, n: int
) -> list[dict[str, list[float]]]:
    """Each side's pages (an app and its paths), the sides taking turns request by request,
    so a burst of load elsewhere on the machine hits both archives alike."""
    clients = [app.test_client() for app, _ in sides]  # type: ignore[attr-defined]
    samples: list[dict[str, list[float]]] = [{name: [] for name in pages} for _, pages in sides]
    for i in range(warmup + n):
        for name in sides[0][1]:
            for side, client in enumerate(clients):
                path = sides[side][1][name]
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (path, response.status_code)
                if i >= warmup:
                    samples[side][name].append(elapsed)
    return samples


def old_design(app) -> dict[str, Callable[[], object]]:
    """The queries every cold listing ran before keyset pages, and their replacements."""
    embargoed = (Story.state == StoryState.PUBLISHED) & Story.embargo_at.is_not(None)

    def run(query: sa.Select) -> object:
        return db.session.execute(query, {NOW: utcnow()}).all()

    with app.app_context():
        desk_id = db.session.scalar(sa.select(sa.func.min(Desk.id)))
        query = queries.desk_stories(desk_id)
        deep = max(0, queries.count(query) - 40)
        db.session.rollback()
    return {
        "old: exact count of a section": lambda: queries.count(query),
        "old: OFFSET to a deep page": lambda: run(query.limit(20).offset(deep)),
        "old: every embargo of the archive": lambda: run(
            sa.select(Story.embargo_at).where(embargoed)
        ),
        "new: embargo lifts (latest, coming)": queries.embargo_lifts,
    }


def time_queries(sides: list[tuple[object, dict]], n: int) -> list[dict[str, list[float]]]:
    """The old design's queries and their replacements, on each side in turn."""
    samples: list[dict[str, list[float]]] = [{name: [] for name in calls} for _, calls in sides]
    for _ in range(n):
        for side, (app, calls) in enumerate(sides):
            with app.app_context():  # type: ignore[attr-defined]
                for name, call in calls.items():
                    started = time.perf_counter()
                    queries.begin_read()  # as the site reads: no SQLite write lock
                    call()
                    samples[side][name].append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
    return samples


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def report(backend: str, small: int, large: int, before: dict, after: dict) -> None:
    print(f"\n{backend}: cold pages (page cache off), Flask test client, ms")
    print(
        f"{'page':<38}{small:>9,} med{large:>9,} med{'ratio':>8}{'p95 small':>11}"
        f"{'p95 large':>11}  within {TARGET}x"
    )
    for name in before:
        a, b = statistics.median(before[name]), statistics.median(after[name])
        ratio = b / a
        print(
            f"{name:<38}{a:13.2f}{b:13.2f}{ratio:8.2f}{p95(before[name]):11.2f}"
            f"{p95(after[name]):11.2f}  {'yes' if ratio <= TARGET else 'NO'}"
        )


def archive(backend: str, name: str, count: int, args: argparse.Namespace, folder: Path):
    """A migrated app on a fresh database holding `count` stories; the newest are the same
    stories whatever the count (the same seed, the same times): only older ones are added."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    else:
        url = fresh_database(f"{BENCH_DB}_{name}")
    app = bench_app(url)
    app.config["PUBLIC_CACHE_ENABLED"] = False
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    desk_ids, person, tag = setup(app)
    started = time.perf_counter()
    rows = stories(random.Random(args.seed), 1, count, NEWEST, (desk_ids, person))
    add_stories(app, rows, person, tag)
    print(f"{backend}: {count:,} stories in {time.perf_counter() - started:.1f} s")
    return app


NEWEST = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


def bench(backend: str, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="editorial-bench-archive-"))
    apps = []
    try:
        for name, count in (("small", args.small), ("large", args.large)):
            apps.append(archive(backend, name, count, args, folder))
        sides = [(app, targets(app)) for app in apps]
        small, large = time_pages(sides, args.warmup, args.requests)
        queried = time_queries([(app, old_design(app)) for app in apps], args.requests)
        report(backend, args.small, args.large, small | queried[0], large | queried[1])
    finally:
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            shutil.rmtree(app.instance_path, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        if backend == "postgresql":
            for name in ("small", "large"):
                drop_database(f"{BENCH_DB}_{name}")


def main() -> None:
    args = parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        bench(backend, args)


if __name__ == "__main__":
    main()
