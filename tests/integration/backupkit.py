"""Helpers for the backup tests: empty target databases, archives rewritten by hand."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from editorial import create_app
from editorial.extensions import db
from tests.conftest import PG_TEST_DB, base_config

Members = dict[str, bytes]


def empty_database_url(backend: str, tmp: Path, request: pytest.FixtureRequest, n: int) -> str:
    """A database with nothing in it (PostgreSQL: created bare; SQLite: no file yet)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'empty-{n}.sqlite3'}"
    source = sa.engine.make_url(request.getfixturevalue("pg_database"))
    name = f"{PG_TEST_DB}_empty_{n}"
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return source.set(database=name).render_as_string(hide_password=False)


def app_on(url: str, instance: Path) -> Flask:
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(base_config(instance, url))


@pytest.fixture
def empty_app(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], Flask]:
    """Call with a backend: an app on an empty database and an empty instance folder."""
    made: list[Flask] = []

    def make(backend: str) -> Flask:
        n = len(made) + 1
        url = empty_database_url(backend, tmp_path, request, n)
        app = app_on(url, tmp_path / f"instance-{n}")
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def read_members(path: Path) -> Members:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def write_members(path: Path, members: Members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def manifest_of(members: Members) -> dict:
    return json.loads(members["manifest.json"])


def with_manifest(members: Members, manifest: dict, *, rehash: bool) -> Members:
    """The members with a new manifest; `rehash` recomputes the checksums to match."""
    if rehash and isinstance(manifest["files"], dict):
        for name, entry in manifest["files"].items():
            entry["sha256"] = hashlib.sha256(members[name]).hexdigest()
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def files_under(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    """Run `flask backup ...` on `app`; its exit code and output (stdout and stderr)."""
    db.session.remove()  # the command may end every session on the database it replaces
    with app.app_context():  # the command runs on the current app: make it `app`
        result = app.test_cli_runner().invoke(args=["backup", *args])
        db.session.remove()
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def iter_rows(app: Flask, table: str) -> Iterator[tuple]:
    with app.app_context():
        yield from db.session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()
