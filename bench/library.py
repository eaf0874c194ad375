"""Benchmark the photo library's grid on a big library: 20,000 photos with tags, on PostgreSQL.

    .venv/bin/python bench/library.py                  # fresh database editorial_bench_library
    .venv/bin/python bench/library.py --photos 50000 --runs 30

Rows are inserted directly (no files: the grid reads rows only). Each query of the grid
(`newsroom.library.library`) runs a few times to warm up, then --runs timed times; the median
is printed with its ratio to the plain first page measured the same way in the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pgkit import bench_app, drop_database, fresh_database  # noqa: E402
from editorial import keyset  # noqa: E402
from editorial.extensions import db  # noqa: E402
from editorial.models import Desk, Person, Photo, PhotoTag  # noqa: E402
from editorial.newsroom.library import PAGE_SIZE, LibraryFilters, library  # noqa: E402

BENCH_DB = "editorial_bench_library"
WORDS = [
    "boats",
    "river",
    "rain",
    "flood",
    "market",
    "cricket",
    "bridge",
    "budget",
    "dawn",
    "fog",
    "traffic",
    "street",
]
TAGS = ["Dhaka", "Sylhet", "Floods 2026", "Monsoon", "Cricket", "Padma bridge", "Election"]
TZ = ZoneInfo("Asia/Dhaka")


def fill(count: int, rng: random.Random) -> None:
    desks = [Desk(name=name, slug=name.lower()) for name in ("National", "City", "Sport")]
    people = [
        Person(name=f"Photographer {n}", email=f"p{n}@bench.test", password_hash="x")
        for n in range(20)
    ]
    db.session.add_all([*desks, *people])
    db.session.flush()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "content_hash": f"{n:064x}",
            "original_key": f"{n:064x}.jpg",
            "format": "JPEG",
            "size_bytes": 1_000_000,
            "width": 4000,
            "height": 3000,
            "caption": " ".join(rng.choices(WORDS, k=8)),
            "credit": f"Photographer {n % 20} / Star",
            "alt_text": " ".join(rng.choices(WORDS, k=4)),
            "focal_x": 0.5,
            "focal_y": 0.5,
            "desk_id": desks[n % 3].id,
            "uploaded_by_id": people[n % 20].id,
            "created_at": start + timedelta(minutes=17 * n),
            "renditions_ready_at": start,
        }
        for n in range(count)
    ]
    db.session.execute(sa.insert(Photo), rows)
    ids = list(db.session.scalars(sa.select(Photo.id)))
    tags = [
        {"photo_id": photo_id, "name": tag, "key": tag.lower().replace(" ", "-")}
        for photo_id in ids
        for tag in rng.sample(TAGS, 2)
    ]
    db.session.execute(sa.insert(PhotoTag), tags)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def timed(filters: LibraryFilters, runs: int, before: keyset.Cursor | None = None) -> float:
    for _ in range(3):
        library(filters, TZ, before=before)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        library(filters, TZ, before=before)
        samples.append(time.perf_counter() - began)
        db.session.rollback()
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = fresh_database(BENCH_DB)
    app = bench_app(url)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            fill(args.photos, random.Random(10))
            desk_id = db.session.scalar(sa.select(Desk.id).limit(1))
            cases = {
                "first page": LibraryFilters(),
                "one common word": LibraryFilters(q="boats"),
                "two words": LibraryFilters(q="boats fog"),
                "a tag": LibraryFilters(q="sylhet"),
                "a word nowhere": LibraryFilters(q="elephant"),
                "desk + a month": LibraryFilters(
                    desk_id=desk_id, day_from=date(2026, 3, 1), day_to=date(2026, 3, 31)
                ),
                "unused": LibraryFilters(use="unused"),
            }
            base = timed(cases["first page"], args.runs)
            print(f"{args.photos:,} photos, PostgreSQL, median of {args.runs}")
            timings = {name: timed(filters, args.runs) for name, filters in cases.items()}
            # Where page 100 starts (a keyset cursor: the pages have no numbers any more).
            row = db.session.execute(
                sa.select(Photo.created_at, Photo.id)
                .order_by(Photo.created_at.desc(), Photo.id.desc())
                .offset(99 * PAGE_SIZE - 1)
                .limit(1)
            ).one()
            deep = keyset.Cursor(row.created_at, row.id)
            timings["page 100"] = timed(LibraryFilters(), args.runs, before=deep)
            for name, median in timings.items():
                print(f"  {name:<18} {median:7.2f} ms  {median / base:5.1f}x the first page")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
