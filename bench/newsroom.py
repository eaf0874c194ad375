"""Benchmark the newsroom pages on a big archive: 100,000 stories, 7 desks, 200 staff.

    .venv/bin/python bench/newsroom.py                       # fresh database editorial_bench
    .venv/bin/python bench/newsroom.py --stories 20000 --requests 30
    .venv/bin/python bench/newsroom.py --database-url postgresql+psycopg://postgres@host/db
    .venv/bin/python bench/newsroom.py --keep --reuse        # keep the database; reuse it next time

Without --database-url, a database `editorial_bench` is created next to
postgresql+psycopg://postgres@127.0.0.1:5432/test (dropped first, and again at the end unless
--keep). A given --database-url must point at an empty database; it is migrated and filled, and
never dropped. The archive is written with COPY (the services would take an hour), with
revisions and audit events only for a sample of stories. Then, signed in as a desk editor of two
desks, each page is requested with the Flask test client (a few warm-up requests, then
--requests timed ones; server time, no network) and the median and p95 are printed with the
number of SQL statements per request, next to a baseline measured the same way in the same run:
/robots.txt (no database) and the newsroom home of a signed-in admin (no stories: the cost of
sign-in, layout and the unread badge).
Target (issue 3): p95 under 50 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pgkit import bench_app, drop_database, fresh_database  # noqa: E402
from editorial import keyset  # noqa: E402
from editorial.admin.common import PER_PAGE as AUDIT_PAGE  # noqa: E402
from editorial.extensions import db  # noqa: E402
from editorial.models import (  # noqa: E402
    AuditEvent,
    Desk,
    Notification,
    Person,
    Revision,
    StaffRole,
    Story,
    desk_members,
    story_authors,
)
from editorial.models.loading import actor_of  # noqa: E402
from editorial.models.staff import EMAIL_PREFERENCES  # noqa: E402
from editorial.newsroom.queries import NOTIFICATIONS_PAGE  # noqa: E402
from editorial.newsroom.queries import PAGE_SIZE as SEARCH_PAGE  # noqa: E402
from editorial.searchtext import document  # noqa: E402
from editorial.services.staff import start_session  # noqa: E402
from editorial.workflow import Role, StoryState  # noqa: E402

BENCH_DB = "editorial_bench"
DESKS = ["National", "City", "Diplomatic", "Business", "Sport", "Culture", "International"]
STAFF = 200
TARGET_P95_MS = 50.0
S = StoryState
# Share of the archive in each state; the rest is published.
STATE_SHARES = {
    S.DRAFT: 0.03,
    S.SUBMITTED: 0.007,
    S.CHANGES_REQUESTED: 0.005,
    S.APPROVED: 0.003,
    S.SCHEDULED: 0.007,
    S.WITHDRAWN: 0.003,
    S.SPIKED: 0.015,
}


def words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = words("the of and to in a on said for with at by from that")
NEWS_WORDS = words(
    "government minister budget parliament city police court river flood water price market "
    "bank export garment factory workers road bridge metro election commission voters party "
    "leader opposition students university hospital health doctors cricket tigers match series "
    "festival film book fair rain monsoon cyclone coast power gas fuel rice onion traffic fire "
    "ঢাকা বাংলাদেশ সরকার বাজেট নির্বাচন বৃষ্টি নদী সেতু মেট্রো ক্রিকেট বাজার দাম শিক্ষার্থী "
    "হাসপাতাল পুলিশ আদালত বন্যা ঘূর্ণিঝড় বিদ্যুৎ গ্যাস চাল পেঁয়াজ যানজট আগুন উপকূল"
)
SYLLABLES = words("ka ri mo ta ne lu sha po di ra bo chi ge na vi to ar el in um")
COMMON_WORD, RARE_WORD = "dhaka", "hilsa"  # in about 1 in 4 stories, and 1 in 1,000
BANGLA_QUERY = "বাজেট নদী"  # two words of middling frequency


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words with Zipf-like weights: a few everywhere, most rare, as in a real archive.

    A realistic spread matters: PostgreSQL estimates prefix searches from the most common
    lexemes only when there are at least 100 of them, and plans differ for common and rare
    words.
    """
    invented = (
        {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(6000)}
        - set(NEWS_WORDS)
        - {COMMON_WORD, RARE_WORD}
    )
    pool = sorted(invented)
    rng.shuffle(pool)
    for i, word in enumerate(NEWS_WORDS):  # the news words: common, but none everywhere
        pool.insert(20 + 7 * i, word)
    weights = [1 / (rank + 10) ** 1.05 for rank in range(len(pool))]
    return pool, list(itertools.accumulate(weights))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database to fill")
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="do not drop editorial_bench")
    parser.add_argument("--reuse", action="store_true", help="reuse a filled editorial_bench")
    parser.add_argument("--seed", type=int, default=1971)
    return parser.parse_args()


# --- the database ----------------------------------------------------------------------------
# --- filling -----------------------------------------------------------------------------------
def row(columns: list[sa.Column], values: dict) -> tuple:
    """A full row for COPY: given values, else the column's scalar default, else NULL."""
    out = []
    for column in columns:
        if column.name in values:
            out.append(values[column.name])
        elif column.default is not None and column.default.is_scalar:
            out.append(column.default.arg)
        else:
            out.append(None)
    return tuple(out)


def copy_rows(connection, table: sa.Table, rows: Iterator[dict]) -> int:
    """COPY rows into a table through psycopg (fast: no per-row round trip)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    # Generated columns are the database's; serial keys too, unless the rows bring their own.
    columns = [
        c
        for c in table.columns
        if c.computed is None
        and c.name != "search_vector"
        and not (c.primary_key and c.autoincrement is not False and c.name not in first)
    ]
    names = ", ".join(f'"{c.name}"' for c in columns)
    count = 0
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for values in (first, *rows):
            copy.write_row(row(columns, values))
            count += 1
    return count


def text(rng: random.Random, vocab: tuple[list[str], list[float]], words: int) -> str:
    picked = rng.choices(vocab[0], cum_weights=vocab[1], k=words)
    for n in range(0, words, 9):  # function words between the content words
        picked[n] = rng.choice(FUNCTION_WORDS)
    if rng.random() < 0.1:
        picked[rng.randrange(words)] = COMMON_WORD
    if rng.random() < 0.0004:
        picked[rng.randrange(words)] = RARE_WORD
    return " ".join(picked)


def fill(app, n_stories: int, seed: int) -> dict:
    """Write desks, staff and the archive; return what the timing needs."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.execute(
                sa.insert(Desk),
                [
                    {"name": name, "slug": name.lower(), "position": i}
                    for i, name in enumerate(DESKS)
                ],
            )
            desk_ids = list(connection.scalars(sa.select(Desk.id).order_by(Desk.id)))
            people = []
            for n in range(STAFF):
                role = Role.ADMIN if n < 2 else Role.DESK_EDITOR if n < 30 else Role.REPORTER
                people.append(
                    {
                        "email": f"staff{n}@bench.example",
                        "name": f"Staff Member {n:03d}",
                        "default_byline": "Staff Reporter",
                        "is_active": True,
                        **dict.fromkeys(EMAIL_PREFERENCES, "none"),
                        "credential_epoch": 0,
                        "created_at": now,
                        "_role": role,
                    }
                )
            ids = list(
                connection.scalars(
                    sa.insert(Person).returning(Person.id, sort_by_parameter_order=True),
                    [{k: v for k, v in p.items() if k != "_role"} for p in people],
                )
            )
            roles, members = [], []
            by_desk: dict[int, list[int]] = {d: [] for d in desk_ids}
            for i, (person_id, person) in enumerate(zip(ids, people, strict=True)):
                role = person["_role"]
                roles.append({"person_id": person_id, "role": role.value})
                if role is Role.ADMIN:
                    continue
                if role is Role.DESK_EDITOR:
                    roles.append({"person_id": person_id, "role": Role.REPORTER.value})
                desks = {desk_ids[i % len(desk_ids)]}
                if i % 9 == 0:
                    desks.add(desk_ids[(i + 1) % len(desk_ids)])  # some work for two desks
                for desk in desks:
                    members.append({"desk_id": desk, "person_id": person_id})
                    by_desk[desk].append(person_id)
            connection.execute(sa.insert(StaffRole), roles)
            connection.execute(sa.insert(desk_members), members)
            # The editor we sign in as: an editor of the two biggest desks.
            editor_id = next(
                p
                for p, person in zip(ids, people, strict=True)
                if person["_role"] is Role.DESK_EDITOR
                and sum(1 for m in members if m["person_id"] == p) == 2
            )
            idle_id = ids[0]  # an admin: a signed-in newsroom page with no stories (baseline)

            stories, authors = [], []
            states = [s for s in STATE_SHARES for _ in range(round(STATE_SHARES[s] * 1000))]
            states += [S.PUBLISHED] * (1000 - len(states))
            for n in range(1, n_stories + 1):
                desk = desk_ids[n % len(desk_ids)]
                author = rng.choice(by_desk[desk])
                state = rng.choice(states)
                # Newer stories are denser: a daily's archive grows, and today is busy.
                age = timedelta(days=min(rng.expovariate(1 / 200), 1500), seconds=rng.random())
                if n > n_stories - 300:
                    age = timedelta(hours=rng.uniform(0, 20))
                changed = now - age
                body = text(rng, vocab, rng.randint(60, 160))
                values = {
                    "id": n,
                    "headline": text(rng, vocab, rng.randint(5, 11)).capitalize()[:200],
                    "slug": f"story-{n}",
                    "standfirst": text(rng, vocab, 20),
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "byline": "Staff Reporter",
                    "dateline": "DHAKA",
                    "desk_id": desk,
                    "state": state.value,
                    "placement": "top" if state is S.PUBLISHED and n % 997 == 0 else "none",
                    "word_count": body.count(" ") + 1,
                    "version": 3,
                    "was_submitted": state is not S.DRAFT,
                    "publish_error": "",
                    "created_at": changed - timedelta(hours=2),
                    "modified_at": changed,
                    "created_by_id": author,
                }
                values["search_text"] = document(
                    values["headline"], values["standfirst"], values["body"]
                )
                if state is not S.DRAFT:
                    values["submitted_at"] = changed - timedelta(hours=1)
                if state in {S.PUBLISHED, S.WITHDRAWN}:
                    values |= {"published_at": changed, "first_published_at": changed}
                if state is S.SCHEDULED:
                    values["publish_at"] = now + timedelta(hours=rng.uniform(1, 24 * 14))
                stories.append(values)
                authors.append({"story_id": n, "person_id": author})
                if n % 15 == 0:
                    second = rng.choice(by_desk[desk])
                    if second != author:
                        authors.append({"story_id": n, "person_id": second})
            print(f"generated {n_stories:,} stories in {time.perf_counter() - started:.1f} s")
            # One GIN build after the load is much faster than 100,000 insertions into it.
            connection.execute(sa.text("DROP INDEX ix_stories_search_vector"))
            copy_rows(connection, Story.__table__, iter(stories))
            connection.execute(
                sa.text("CREATE INDEX ix_stories_search_vector ON stories USING gin(search_vector)")
            )
            connection.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('stories', 'id'), :n)"),
                {"n": n_stories},
            )
            copy_rows(connection, story_authors, iter(authors))

            # Revisions and audit events for a sample (the story pages are timed on it).
            editor_desks = {m["desk_id"] for m in members if m["person_id"] == editor_id}
            sample = [s for s in stories if s["desk_id"] in editor_desks][-4000::20]
            copy_rows(connection, Revision.__table__, revisions(sample, rng))
            copy_rows(connection, AuditEvent.__table__, audit_events(stories))
            copy_rows(connection, AuditEvent.__table__, staff_events(ids, now, rng))
            copy_rows(
                connection, Notification.__table__, notifications(stories, editor_desks, editor_id)
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    print(f"filled {n_stories:,} stories in {time.perf_counter() - started:.1f} s")
    return {
        "editor_id": editor_id,
        "idle_id": idle_id,
        "sample": [s["id"] for s in sample][:50],
        "desk_id": sorted(editor_desks)[0],
        "author_id": sample[0]["created_by_id"],
    }


def revisions(sample: list[dict], rng: random.Random) -> Iterator[dict]:
    for story in sample:
        for number in range(1, rng.randint(2, 6)):
            yield {
                "story_id": story["id"],
                "number": number,
                "headline": story["headline"],
                "standfirst": story["standfirst"],
                "body": story["body"],
                "byline": story["byline"],
                "dateline": story["dateline"],
                "summary": "",
                "created_at": story["created_at"] + timedelta(minutes=number),
                "created_by_id": story["created_by_id"],
            }


def audit_events(stories: list[dict]) -> Iterator[dict]:
    """Every story's creation, and its publication if it was published: the log's bulk."""
    for story in stories:
        yield {
            "at": story["created_at"],
            "actor_id": story["created_by_id"],
            "action": "story.created",
            "story_id": story["id"],
            "subject_type": "story",
            "subject_id": story["id"],
            "to_state": "draft",
            "note": "",
            "data": '{"revision": 1}',
        }
        if story.get("published_at"):
            yield {
                "at": story["published_at"],
                "actor_id": story["created_by_id"],
                "action": "story.published",
                "story_id": story["id"],
                "subject_type": "story",
                "subject_id": story["id"],
                "from_state": "approved",
                "to_state": "published",
                "note": "",
                "data": "{}",
            }


SIGN_INS = 400  # per member of staff: a couple of years of daily sign-ins


def staff_events(people: list[int], now: datetime, rng: random.Random) -> Iterator[dict]:
    """Sign-ins: what a staff member's history on the admin page is mostly made of."""
    for person_id in people:
        for n in range(SIGN_INS):
            yield {
                "at": now - timedelta(days=n, seconds=rng.random() * 3600),
                "actor_id": person_id,
                "action": "staff.signed_in",
                "subject_type": "staff",
                "subject_id": person_id,
                "note": "",
                "data": "{}",
            }


def notifications(stories: list[dict], editor_desks: set[int], editor_id: int) -> Iterator[dict]:
    """Each author told of each story's publication; the signed-in editor, of every story
    submitted on their desks (thousands: the notification centre's worst case)."""
    for story in stories:
        base = {
            "story_id": story["id"],
            "subject": story["headline"][:200],
            "message": "",
            "link": f"/newsroom/stories/{story['id']}",
            "created_at": story["modified_at"],
            "read_at": story["modified_at"] if story["id"] % 3 else None,
            "email_state": "none",
            "email_attempts": 0,
        }
        if story.get("published_at"):
            yield base | {"person_id": story["created_by_id"], "kind": "published"}
        if story["desk_id"] in editor_desks and story.get("submitted_at"):
            yield base | {"person_id": editor_id, "kind": "submitted"}


def existing(app) -> dict:
    """What fill() returns, read back from a reused database."""
    with app.app_context():
        editor_id = db.session.scalar(
            sa.select(desk_members.c.person_id)
            .join(StaffRole, StaffRole.person_id == desk_members.c.person_id)
            .where(StaffRole.role == Role.DESK_EDITOR)
            .group_by(desk_members.c.person_id)
            .having(sa.func.count() == 2)
            .order_by(desk_members.c.person_id)
            .limit(1)
        )
        desks = actor_of(db.session.get(Person, editor_id)).desk_ids
        sample = list(
            db.session.scalars(
                sa.select(Revision.story_id).distinct().order_by(Revision.story_id.desc()).limit(50)
            )
        )
        return {
            "editor_id": editor_id,
            "idle_id": db.session.scalar(
                sa.select(sa.func.min(StaffRole.person_id)).where(StaffRole.role == Role.ADMIN)
            ),
            "sample": sample,
            "desk_id": min(desks),
            "author_id": db.session.get(Story, sample[0]).created_by_id,
            # Where page 40 of the notifications and of a search, and page 200 of the audit log
            # start (keyset cursors: the pages have no numbers any more). The search's: about
            # page 40 (the editor's desks only, not the few stories they wrote elsewhere).
            "search_cursor": deep_cursor(
                sa.select(Story.modified_at, Story.id)
                .where(Story.state == StoryState.PUBLISHED, Story.desk_id.in_(desks))
                .order_by(Story.modified_at.desc(), Story.id.desc()),
                39 * SEARCH_PAGE,
            ),
            "notice_cursor": deep_cursor(
                sa.select(Notification.created_at, Notification.id)
                .where(Notification.person_id == editor_id)
                .order_by(Notification.created_at.desc(), Notification.id.desc()),
                39 * NOTIFICATIONS_PAGE,
            ),
            "audit_cursor": deep_cursor(
                sa.select(AuditEvent.at, AuditEvent.id).order_by(
                    AuditEvent.at.desc(), AuditEvent.id.desc()
                ),
                199 * AUDIT_PAGE,
            ),
        }


def deep_cursor(statement: sa.Select, offset: int) -> str:
    """The ?before= cursor of the page `offset` rows down a list (read once, with OFFSET)."""
    row = db.session.execute(statement.offset(offset - 1).limit(1)).one()
    return keyset.Cursor(row[0], row[1]).token()


# --- timing ------------------------------------------------------------------------------------
class StatementCounter:
    """Counts the SQL statements the app sends (to spot a page whose queries grow) and the
    time spent waiting for them."""

    def __init__(self, engine) -> None:
        self.count, self.seconds, self._started = 0, 0.0, 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_args) -> None:
        self.seconds += time.perf_counter() - self._started


def signed_in_client(app, person_id: int):
    client = app.test_client()
    with app.app_context():
        token = start_session(db.session.get(Person, person_id))
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def get(client, url: str, counter: StatementCounter) -> tuple[float, float, float, int]:
    """One GET: its time, the app's CPU time and the time waiting for the database (ms), and
    the SQL statements it sent."""
    count, seconds = counter.count, counter.seconds
    started, cpu = time.perf_counter(), time.thread_time()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.thread_time() - cpu) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, cpu, (counter.seconds - seconds) * 1000, counter.count - count


def summary(samples: list[tuple[float, float, float, int]]) -> dict:
    times = sorted(s[0] for s in samples)
    return {
        "median": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "cpu": statistics.median(s[1] for s in samples),
        "db": statistics.median(s[2] for s in samples),
        "statements": max(s[3] for s in samples),
    }


def pages(info: dict) -> list[tuple[str, list[str]]]:
    today = datetime.now(ZoneInfo("Asia/Dhaka")).date()
    month_ago = (today - timedelta(days=30)).isoformat()
    return [
        ("desk queue", ["/newsroom/queue"]),
        ("budget (today)", ["/newsroom/budget"]),
        ("my stories / home", ["/newsroom/"]),
        ("calendar", ["/newsroom/calendar"]),
        (f"search q={COMMON_WORD}", [f"/newsroom/search?q={COMMON_WORD}"]),
        (f"search q={RARE_WORD}", [f"/newsroom/search?q={RARE_WORD}"]),
        (f"search q={BANGLA_QUERY}", [f"/newsroom/search?q={BANGLA_QUERY}"]),
        ("search state=published", ["/newsroom/search?state=published"]),
        ("search desk+state", [f"/newsroom/search?desk={info['desk_id']}&state=submitted"]),
        ("search author", [f"/newsroom/search?author={info['author_id']}"]),
        (
            "search q+dates",
            [f"/newsroom/search?q=budget&from={month_ago}&to={today.isoformat()}"],
        ),
        (
            "search page 40",
            [f"/newsroom/search?state=published&before={info['search_cursor']}"],
        ),
        ("story page", [f"/newsroom/stories/{i}" for i in info["sample"]]),
        ("notifications", ["/newsroom/notifications"]),
        (
            "notifications page 40",
            [f"/newsroom/notifications?before={info['notice_cursor']}"],
        ),
        ("story history", [f"/newsroom/stories/{i}/history" for i in info["sample"]]),
    ]


def admin_pages(info: dict) -> list[tuple[str, list[str]]]:
    """Pages an admin reads (issue 14): a staff member's history, the audit log."""
    return [
        ("staff member + history", [f"/admin/staff/{info['editor_id']}"]),
        ("audit log", ["/admin/audit"]),
        ("audit log action=", ["/admin/audit?action=story.published"]),
        ("audit log rare action", ["/admin/audit?action=staff.locked"]),
        ("audit log story.*", ["/admin/audit?action=story."]),
        ("audit log actor=", [f"/admin/audit?actor={info['author_id']}"]),
        ("audit log page 200", [f"/admin/audit?before={info['audit_cursor']}"]),
    ]


def run_timings(app, info: dict, warmup: int, n: int) -> None:
    """Round-robin over every page, so a burst of load elsewhere hits all of them alike."""
    with app.app_context():
        counter = StatementCounter(db.engine)
    editor = signed_in_client(app, info["editor_id"])
    admin = signed_in_client(app, info["idle_id"])
    targets = [
        ("baseline /robots.txt", app.test_client(), ["/robots.txt"]),
        ("baseline admin home", admin, ["/newsroom/"]),
    ] + [(name, editor, urls) for name, urls in pages(info)]
    targets += [(name, admin, urls) for name, urls in admin_pages(info)]
    samples: dict[str, list[tuple]] = {name: [] for name, *_ in targets}
    for i in range(warmup + n):
        for name, client, urls in targets:
            sample = get(client, urls[i % len(urls)], counter)
            if i >= warmup:
                samples[name].append(sample)
    results = {name: summary(samples[name]) for name, *_ in targets}
    base = results["baseline admin home"]["median"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{n} requests per page (round-robin), Flask test client, server time in ms.")
    print(f"Load average during the run: {load} on {os.cpu_count()} CPUs.")
    print("x home: median / the admin home's median (sign-in, layout, unread badge).")
    print("cpu: median CPU time of the app (Python); db: median wait for SQL (both ms);")
    print("SQL: statements per request. On a busy machine, cpu + db < median: the rest is waiting.")
    print(
        f"{'page':<28}{'median':>8}{'p95':>8}{'x home':>8}{'cpu':>7}{'db':>7}{'SQL':>5}"
        "  p95 < 50 ms"
    )
    for name, r in results.items():
        ok = "yes" if r["p95"] < TARGET_P95_MS else "NO"
        print(
            f"{name:<28}{r['median']:8.1f}{r['p95']:8.1f}{r['median'] / base:8.1f}"
            f"{r['cpu']:7.1f}{r['db']:7.1f}{r['statements']:5d}  {ok}"
        )


def main() -> None:
    args = parse_args()
    url = args.database_url or fresh_database(BENCH_DB, reuse=args.reuse)
    app = bench_app(url)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            filled = db.session.scalar(sa.select(sa.func.count()).select_from(Story))
            db.session.remove()
        if filled and not args.reuse:
            sys.exit(f"{url} already holds {filled:,} stories: give an empty database (or --reuse)")
        # The deep pages' cursors are read back from the database either way.
        info = existing(app) if filled else fill(app, args.stories, args.seed) | existing(app)
        run_timings(app, info, args.warmup, args.requests)
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(app.instance_path, ignore_errors=True)
        if not args.database_url and not args.keep:
            drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
