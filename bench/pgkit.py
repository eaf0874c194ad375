"""What the PostgreSQL benchmarks share: a database of their own beside the test database,
and an app on it with the test settings (eager Celery, limits in memory)."""

from __future__ import annotations

import os
import tempfile

import sqlalchemy as sa
from flask import Flask

from editorial import create_app

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_database(name: str, *, reuse: bool = False) -> str:
    """(Re)create database `name` on the test server (kept as it is with `reuse`); its URL."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not (reuse and exists):
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(False)


def drop_database(name: str) -> None:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench_app(url: str) -> Flask:
    return create_app(
        {
            "EDITORIAL_ENV": "testing",
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="editorial-bench-"),
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "CELERY": {"broker_url": "memory://", "task_always_eager": True},
        }
    )
