"""A news day on the public site: a big archive, readers, a publish every 30 s, a live story.

    .venv/bin/python bench/news_day.py --redis-url redis://127.0.0.1:6380/7      # 100,000 stories
    .venv/bin/python bench/news_day.py --stories 10000 --seconds 30 --speed 3 --redis-url ...

Creates `editorial_bench_news_day` beside the test database on 127.0.0.1:5432 (PostgreSQL;
dropped afterwards unless `--keep`), fills it with one INSERT ... SELECT (7 desks, 20 tags, the
ten newest stories in Top News), FLUSHes the given Redis database (give one of your own) and
starts `gunicorn -w 2` (the production app: page cache in Redis, each worker's memory in front).

Readers (`--connections` keep-alive threads) ask for an article 80% of the time, chosen
Zipf-like by age (rank r with weight 1/r: the newest stories are read most, every story now
and then), the homepage 10% and a section's first page 10%. Each run lasts `--seconds`:

1. a warm-up (not counted);
2. a quiet day: readers only;
3. a news day: the same readers while a process of the bench publishes a story every 30 s and
   posts an entry to a live story every 10 s, through the services (`--speed N` divides both
   periods); 2 and 3 take turns `--rounds` times, so the cache warming favours neither.

It prints throughput, the page cache's hit ratio (X-Page-Cache of the answers) and p50/p99 for
each day and the news day's as a ratio to the quiet day's (target: throughput at least 80%),
and the RSS of each web worker after each day. Then, in the same run, the cached homepage and
an article alone against a constant-bytes Flask app (gunicorn -w 2, the same bytes at the same
paths, the two taking turns in one-second slices): requests/s as a share of that limit
(`--hit-only`: that comparison alone).
"""

from __future__ import annotations

import argparse
import bisect
import http.client
import itertools
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pgkit import bench_app, drop_database, fresh_database
from bench.site import BIN, HOST, Server, drive_python, get
from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.services.desks import create_desk
from editorial.services.live import EntryInput, post_entry, start_live_coverage
from editorial.services.staff import create_person
from editorial.services.stories import StoryInput, create_story
from editorial.services.transitions import transition_story
from editorial.workflow import Action, Role

BENCH_DB = "editorial_bench_news_day"
DESKS = ["National", "City", "Business", "International", "Sports", "Opinion", "Diplomatic"]
TAGS = 20
PUBLISH_EVERY, LIVE_EVERY = 30.0, 10.0
SHARE_ARTICLE, SHARE_HOME = 0.8, 0.1

ARCHIVE = """
INSERT INTO stories (headline, slug, standfirst, body, body_html, search_text, byline, dateline,
    desk_id, state, placement, word_count, version, was_submitted, publish_error, created_at,
    modified_at, published_at, first_published_at, created_by_id, lead_caption)
SELECT 'Archive story ' || n || ': the river authority moves the first launch to dawn',
    'archive-story-' || n, 'Launches from Sadarghat will leave half an hour later.',
    'An archive body ' || n, repeat('<p>Paragraph of the archive story ' || n
    || ': the river authority said launches would leave later through the fog season.</p>', 12),
    'an archive body ' || n, 'Staff Reporter', 'DHAKA', :first_desk + n % :desks, 'published',
    CASE WHEN n <= 10 THEN 'top' ELSE 'none' END, 400, 1, true, '',
    now() - n * interval '1 minute', now() - n * interval '1 minute',
    now() - n * interval '1 minute', now() - n * interval '1 minute', :person, ''
FROM generate_series(1, :count) AS n
"""
TAGGED = """
INSERT INTO story_tags (story_id, tag_id) SELECT id, :first_tag + id % :tags FROM stories
"""


def fill(stories: int) -> tuple[int, int]:
    """The archive, an editor of every desk and a live story: (editor id, live story id)."""
    desks = [create_desk(name, actor=None) for name in DESKS]
    editor = create_person(
        email="editor@bench.test",
        name="Bench Editor",
        roles={Role.DESK_EDITOR, Role.REPORTER},
        desk_ids=[d.id for d in desks],
        password=None,
    )
    create_person(
        email="reporter@bench.test",
        name="Bench Reporter",
        roles={Role.REPORTER},
        desk_ids=[d.id for d in desks],
        password=None,
    )
    db.session.execute(
        sa.text(
            "INSERT INTO tags (name, slug) SELECT 'Tag ' || n, 'tag-' || n "
            "FROM generate_series(1, :tags) AS n"
        ),
        {"tags": TAGS},
    )
    first_tag = db.session.scalar(sa.text("SELECT min(id) FROM tags"))
    started = time.perf_counter()
    db.session.execute(
        sa.text(ARCHIVE),
        {"first_desk": desks[0].id, "desks": len(desks), "person": editor.id, "count": stories},
    )
    db.session.execute(sa.text(TAGGED), {"first_tag": first_tag, "tags": TAGS})
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    print(f"archive of {stories:,} stories in {time.perf_counter() - started:.1f} s")
    live = publish_one(editor, desks[0], "Live: the budget session, as it happens")
    start_live_coverage(live, actor=editor)
    return editor.id, live.id


def publish_one(editor: Person, desk: Desk, headline: str) -> Story:
    """A reporter's story, approved and published by the editor (no one approves their own)."""
    reporter = db.session.scalar(sa.select(Person).where(Person.email == "reporter@bench.test"))
    assert reporter is not None
    story = create_story(
        StoryInput(
            headline=headline,
            standfirst="Filed during the bench's news day.",
            body="A new story, published now.\n\n" * 8,
            byline="Staff Reporter",
            dateline="DHAKA",
            desk_id=desk.id,
        ),
        actor=reporter,
    )
    transition_story(story, Action.SUBMIT, actor=reporter, note="bench")
    for action in (Action.APPROVE, Action.PUBLISH):
        transition_story(story, action, actor=editor, note="bench")
    return story


def article_paths(tz: str) -> list[str]:
    """Every public article's path, newest first."""
    zone = ZoneInfo(tz)
    rows = db.session.execute(
        sa.select(Story.slug, Story.first_published_at, Desk.slug)
        .join(Desk, Desk.id == Story.desk_id)
        .where(Story.state == "published")
        .order_by(Story.first_published_at.desc())
    )
    return [
        f"/{desk}/{first.astimezone(zone):%Y/%m/%d}/{slug}" for slug, first, desk in rows if first
    ]


# --- readers --------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        for key, count in other.statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + count


@dataclass
class Day:
    name: str
    rps: float
    hit_ratio: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    rss_mb: list[float]


class Readers:
    """Zipf-like choice of articles by age, plus the homepage and sections' first pages."""

    def __init__(self, articles: list[str], sections: list[str], seed: int = 14) -> None:
        self.articles, self.sections = articles, sections
        self.cumulative = list(
            itertools.accumulate(1 / rank for rank in range(1, len(articles) + 1))
        )
        self.seed = seed
        self.runs = 0  # each run draws new readers: a replay would find its own copies

    def path(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < SHARE_ARTICLE:
            pick = bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])
            return self.articles[min(pick, len(self.articles) - 1)]
        if roll < SHARE_ARTICLE + SHARE_HOME:
            return "/"
        return rng.choice(self.sections)

    def run(self, port: int, seconds: float, connections: int) -> tuple[Tally, float]:
        stop_at = time.perf_counter() + seconds
        total, lock = Tally(), threading.Lock()
        self.runs += 1
        run = self.runs

        def reader(number: int) -> None:
            rng = random.Random(f"{self.seed}-{run}-{number}")
            mine = Tally()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    connection.request("GET", self.path(rng))
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    mine.errors += 1
                    connection.close()
                    continue
                mine.latencies.append((time.perf_counter() - started) * 1000)
                status = response.getheader("X-Page-Cache") or str(response.status)
                mine.statuses[status] = mine.statuses.get(status, 0) + 1
                if response.status != 200:
                    mine.errors += 1
                if response.will_close:
                    connection.close()
            connection.close()
            with lock:
                total.add(mine)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(connections)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return total, time.perf_counter() - began


class Newsroom(multiprocessing.Process):
    """Publishes a story every `publish_every` s and posts a live entry every `live_every` s,
    in a process of its own (so the readers' threads do not wait for it on the GIL)."""

    def __init__(self, url: str, editor_id: int, live_id: int, speed: float) -> None:
        super().__init__(daemon=True)
        self.url, self.editor_id, self.live_id = url, editor_id, live_id
        self.publish_every, self.live_every = PUBLISH_EVERY / speed, LIVE_EVERY / speed
        self.stop = multiprocessing.Event()
        self._published, self._entries = (
            multiprocessing.Value("i", 0),
            multiprocessing.Value("i", 0),
        )

    @property
    def published(self) -> int:
        return int(self._published.value)

    @property
    def entries(self) -> int:
        return int(self._entries.value)

    def run(self) -> None:
        app = bench_app(self.url)
        with app.app_context():
            editor = db.session.get(Person, self.editor_id)
            desks = list(db.session.scalars(sa.select(Desk).order_by(Desk.id)))
            assert editor is not None
            next_publish, next_entry = time.monotonic(), time.monotonic()
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_publish:
                    desk = desks[self.published % len(desks)]
                    publish_one(editor, desk, f"News day story {self.published + 1}")
                    self._published.value += 1
                    next_publish += self.publish_every
                if now >= next_entry:
                    live = db.session.get(Story, self.live_id)
                    assert live is not None
                    post_entry(live, EntryInput(body=f"Entry {self.entries + 1}."), actor=editor)
                    self._entries.value += 1
                    next_entry += self.live_every
                self.stop.wait(max(0.0, min(next_publish, next_entry) - time.monotonic()))
            db.session.remove()


def rss_mb(pids: list[int]) -> list[float]:
    sizes = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def day(name: str, runs: list[tuple[Tally, float]], server: Server) -> Day:
    """The runs of one kind of day taken together."""
    tally, elapsed = Tally(), sum(seconds for _tally, seconds in runs)
    for part, _seconds in runs:
        tally.add(part)
    hits, misses = tally.statuses.get("hit", 0), tally.statuses.get("miss", 0)
    cuts = statistics.quantiles(tally.latencies, n=100)
    return Day(
        name,
        len(tally.latencies) / elapsed,
        hits / max(1, hits + misses),
        cuts[49],
        cuts[98],
        len(tally.latencies),
        tally.errors,
        rss_mb(server.worker_pids()),
    )


def days(
    readers: Readers, server: Server, args: argparse.Namespace, url: str, ids: tuple[int, int]
) -> tuple[Day, Day, list[Newsroom]]:
    """Quiet and news days taking turns (`--rounds` each, after a warm-up), so the cache
    warming up over the run favours neither."""
    readers.run(server.port, args.seconds, args.connections)  # the warm-up
    quiet, busy, newsrooms = [], [], []
    for _round in range(args.rounds):
        quiet.append(readers.run(server.port, args.seconds, args.connections))
        newsroom = Newsroom(url, *ids, args.speed)
        newsroom.start()
        busy.append(readers.run(server.port, args.seconds, args.connections))
        newsroom.stop.set()
        newsroom.join()
        newsrooms.append(newsroom)
    return day("quiet", quiet, server), day("news day", busy, server), newsrooms


# --- the constant-bytes limit ---------------------------------------------------------------------

CONSTANT_APP = """
from pathlib import Path
from flask import Flask, Response

app = Flask(__name__)
PAGES = {line.split(" ", 1)[1]: Path(line.split(" ", 1)[0]).read_bytes()
         for line in Path("pages.txt").read_text().splitlines()}


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def page(path):
    return Response(PAGES["/" + path], content_type="text/html; charset=utf-8")
"""


def constant_server(server: Server, paths: list[str], folder: Path, port: int) -> Server:
    """A Flask app (gunicorn -w 2 on `port`, not yet started) that answers each of `paths`
    with the bytes `server` gives for it now, as constants."""
    lines = []
    for number, path in enumerate(paths):
        status, body = get(path, server.port)
        assert status == 200, path
        (folder / f"page{number}.html").write_bytes(body)
        lines.append(f"page{number}.html {path}")
    (folder / "pages.txt").write_text("\n".join(lines) + "\n")
    (folder / "constant.py").write_text(CONSTANT_APP)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(folder)}
    log = folder / "constant.log"
    return Server(env, log, app="constant:app", port=port, cwd=folder, probe="/")


def constant_limit(server: Server, article: str, args: argparse.Namespace, folder: Path) -> None:
    """Cached homepage and article against a Flask app returning the same bytes as constants.

    Both servers run at once and take turns in one-second slices (ours, theirs, per page), so a
    change in the shared machine's load falls on both sides of each ratio alike.
    """
    slices = max(1, round(args.limit_seconds))
    with constant_server(server, ["/", article], folder, args.port + 1) as limit:
        print(f"\n{'cached page':18} {'req/s':>8} {'constant app':>13} {'share':>7}")
        for name, path in (("homepage", "/"), ("article", article)):
            counts = {server.port: [0.0, 0.0], limit.port: [0.0, 0.0]}  # requests, seconds
            for _ in range(slices):
                for port, tally in counts.items():
                    result = drive_python(
                        name, path, args.limit_seconds / slices, args.connections, port=port
                    )
                    tally[0] += result.requests
                    tally[1] += result.requests / result.rps if result.rps else 0.0
            mine, theirs = (tally[0] / tally[1] for tally in counts.values())
            print(f"{name:18} {mine:8.0f} {theirs:13.0f} {mine / theirs:7.0%}")


# --- main -----------------------------------------------------------------------------------------


def report(quiet: Day, busy: Day, newsrooms: list[Newsroom]) -> None:
    print(
        f"\n{'day':10} {'req/s':>8} {'hit ratio':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9} {'errors':>6}  RSS per worker (MB)"
    )
    for row in (quiet, busy):
        rss = ", ".join(f"{size:.0f}" for size in row.rss_mb)
        print(
            f"{row.name:10} {row.rps:8.0f} {row.hit_ratio:10.1%} {row.p50_ms:8.1f} "
            f"{row.p99_ms:8.1f} {row.requests:9} {row.errors:6}  {rss}"
        )
    print(
        f"news day against the quiet day: throughput {busy.rps / quiet.rps:.0%}, "
        f"hit ratio {busy.hit_ratio / quiet.hit_ratio:.0%}, p99 {busy.p99_ms / quiet.p99_ms:.2f}x "
        f"({sum(n.published for n in newsrooms)} stories published, "
        f"{sum(n.entries for n in newsrooms)} live entries)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="per day (and the warm-up)")
    parser.add_argument("--rounds", type=int, default=2, help="quiet and news days, in turn")
    parser.add_argument("--limit-seconds", type=float, default=8.0, help="per constant-limit run")
    parser.add_argument("--speed", type=float, default=1.0, help="divide the newsroom's periods")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=5107)
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/15",
        help="a Redis database of your own: it is FLUSHed",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--hit-only", action="store_true", help="no days: only cached pages against the limit"
    )
    args = parser.parse_args()

    url = fresh_database(BENCH_DB)
    app = bench_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        editor_id, live_id = fill(args.stories)
        articles = article_paths(app.config["EDITORIAL_TIMEZONE"])
        sections = [f"/{slug}/" for slug in db.session.scalars(sa.select(Desk.slug))]
        db.session.remove()
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="editorial-news-day-"))
    env = {
        key: value for key, value in os.environ.items() if key not in {"PUBLIC_CACHE_ENABLED"}
    } | {
        "EDITORIAL_ENV": "production",
        "EDITORIAL_INSTANCE": str(folder),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": url,
        "REDIS_URL": args.redis_url,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    print(
        f"bench: {args.stories:,} stories on PostgreSQL, Redis {args.redis_url}, gunicorn -w 2 "
        f"on {HOST}:{args.port}, {args.connections} readers, {args.seconds:.0f} s a day, "
        f"newsroom {args.speed:g}x"
    )
    readers = Readers(articles, sections)
    try:
        with Server(env, folder / "gunicorn.log", port=args.port) as server:
            if not args.hit_only:
                quiet, busy, newsrooms = days(readers, server, args, url, (editor_id, live_id))
                report(quiet, busy, newsrooms)
            constant_limit(server, articles[len(articles) // 2], args, folder)
    finally:
        if not args.keep:
            drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
