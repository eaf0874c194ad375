"""What do `flask backup create` and `restore` cost over the bare tools they wrap?

    .venv/bin/python bench/backup.py [--stories 10000] [--photos 200] [--backend sqlite|postgresql]

For each backend: a fresh database with the demo newsroom plus N generated stories and a media
folder of P photos (200 KB of random bytes each: they do not compress, like JPEGs), then times

- create: `create_backup` (snapshot, media copy, checksums, tar.gz) against the bare tools
  (SQLite: the online backup API into a file; PostgreSQL: `pg_dump -Fc` into a file; both plus
  a copy of the media folder);
- restore: `restore_backup --force` (verification, staging, migrations, swap, media) against
  the bare load (SQLite: copying the snapshot file; PostgreSQL: `pg_restore` into an empty
  database; both plus a copy of the media folder);

and prints seconds, sizes and each figure as a multiple of its baseline. PostgreSQL databases
`editorial_bench_backup_*` are created beside TEST_DATABASE_URL's and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def fresh_url(backend: str, folder: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{name}.sqlite3'}"
    base = sa.engine.make_url(PG_URL)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop(url: str) -> None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def make_app(url: str, instance: Path):
    from editorial import create_app

    instance.mkdir(parents=True, exist_ok=True)
    return create_app(
        {
            "EDITORIAL_ENV": "testing",
            "SECRET_KEY": "bench-secret-key-not-for-production-use",
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "CELERY": {"broker_url": "memory://", "task_always_eager": True},
        }
    )


def seed(app, stories: int, photos: int) -> None:
    from flask_migrate import upgrade

    from editorial.demo import seed_demo
    from editorial.demo_stories import seed_generated_stories

    with app.app_context():
        upgrade()
        seed_demo()
        seed_generated_stories(stories)
    media = Path(app.config["INSTANCE_PATH"]) / "media" / "photos"
    media.mkdir(parents=True)
    for n in range(photos):
        (media / f"photo-{n:04}.jpg").write_bytes(os.urandom(200_000))


def bare_snapshot(url: str, out: Path, media: Path, media_copy: Path) -> None:
    shutil.copytree(media, media_copy)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source, copy = sqlite3.connect(parsed.database or ""), sqlite3.connect(out)
        source.backup(copy)
        copy.close()
        source.close()
        return
    subprocess.run(["pg_dump", "-Fc", f"--file={out}", libpq(parsed)], check=True)


def bare_load(url: str, snapshot: Path, media: Path, media_copy: Path) -> None:
    shutil.copytree(media, media_copy)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copyfile(snapshot, parsed.database or "")
        return
    args = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction"]
    subprocess.run([*args, f"--dbname={libpq(parsed)}", str(snapshot)], check=True)


def libpq(url: sa.engine.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def run(backend: str, stories: int, photos: int) -> None:
    from editorial.backups import create_backup, restore_backup

    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        folder = Path(tmp)
        tag = f"editorial_bench_backup_{os.getpid()}"
        source_url = fresh_url(backend, folder, f"{tag}_source")
        bare_url = fresh_url(backend, folder, f"{tag}_bare")
        target_url = fresh_url(backend, folder, f"{tag}_target")
        try:
            source = make_app(source_url, folder / "source")
            seed(source, stories, photos)
            snapshot = folder / "bare.snapshot"
            archive = folder / "backup.tar.gz"
            media = folder / "source" / "media"
            bare_create = timed(lambda: bare_snapshot(source_url, snapshot, media, folder / "m1"))
            with source.app_context():
                ours_create = timed(lambda: create_backup(archive))
            bare_restore = timed(
                lambda: bare_load(bare_url, snapshot, folder / "m1", folder / "m2")
            )
            target = make_app(target_url, folder / "target")
            with target.app_context():
                ours_restore = timed(lambda: restore_backup(archive, force=True))
            report(backend, stories, photos, snapshot, archive)
            print(f"  create : {ours_create:6.2f} s, bare snapshot {bare_create:6.2f} s "
                  f"({ours_create / bare_create:4.1f}x)")  # fmt: skip
            print(f"  restore: {ours_restore:6.2f} s, bare load     {bare_restore:6.2f} s "
                  f"({ours_restore / bare_restore:4.1f}x)")  # fmt: skip
        finally:
            for url in (source_url, bare_url, target_url):
                drop(url)


def report(backend: str, stories: int, photos: int, snapshot: Path, archive: Path) -> None:
    media_mb = photos * 0.2
    print(f"{backend}: demo + {stories:,} stories, {photos} photos ({media_mb:.0f} MB)")
    print(f"  database snapshot {snapshot.stat().st_size / 1e6:.1f} MB, "
          f"archive {archive.stat().st_size / 1e6:.1f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgresql"]:
        run(backend, args.stories, args.photos)


if __name__ == "__main__":
    main()
