"""Dump, stage and swap the database, on SQLite and PostgreSQL.

A restore never writes into the live database: the archive's copy is staged beside it (a file
next to the SQLite file, a new PostgreSQL database), migrated there, and only then swapped in
(a file rename, or two database renames), so a failure at any step leaves the old one intact.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from editorial.backups.archive import BackupError
from editorial.database import tune_sqlite
from editorial.extensions import db

TOOL_TIMEOUT_SECONDS = 3600


class Database(Protocol):
    dialect: str
    member: str

    def dump(self, out: Path) -> list[str]: ...
    def is_empty(self) -> bool: ...
    def stage(self, dump: Path) -> URL: ...
    def swap(self, staged: URL) -> None: ...
    def discard(self, staged: URL) -> None: ...


def engine_for(url: URL) -> sa.Engine:
    """A short-lived engine (no pool) tuned like the app's."""
    engine = sa.create_engine(url, poolclass=NullPool)
    tune_sqlite(engine)
    return engine


def revisions_at(url: URL) -> list[str]:
    """The database's Alembic revisions (empty if it was never migrated)."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return []
            return sorted(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def has_rows(url: URL) -> bool:
    """True if any of the app's tables holds a row (a migrated, unused database is empty)."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            existing = set(sa.inspect(connection).get_table_names())
            for table in db.metadata.sorted_tables:
                query = sa.select(sa.literal(1)).select_from(table).limit(1)
                if table.name in existing and connection.execute(query).first():
                    return True
        return False
    finally:
        engine.dispose()


class SqliteDatabase:
    """A SQLite file, copied with SQLite's online backup API."""

    dialect = "sqlite"
    member = "database.sqlite3"

    def __init__(self, url: URL) -> None:
        self.url = url
        self.path = Path(url.database or "")

    def dump(self, out: Path) -> list[str]:
        """A consistent copy while the app writes: the backup API copies every page in one
        step under a read transaction, which WAL lets writers work beside."""
        if not self.path.is_file():
            raise BackupError(f"the database file {self.path} does not exist.")
        source = sqlite3.connect(self.path)
        copy = sqlite3.connect(out)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return revisions_at(self.url.set(database=str(out)))

    def is_empty(self) -> bool:
        return not self.path.exists() or not has_rows(self.url)

    def stage(self, dump: Path) -> URL:
        staged = self.path.with_name(f"{self.path.name}.restoring")
        self.discard(self.url.set(database=str(staged)))
        shutil.copyfile(dump, staged)
        return self.url.set(database=str(staged))

    def swap(self, staged: URL) -> None:
        # The old file's WAL must not be replayed into the new one: remove it first.
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        os.replace(staged.database or "", self.path)

    def discard(self, staged: URL) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{staged.database}{suffix}").unlink(missing_ok=True)


def run_tool(args: list[str], env: dict[str, str]) -> None:
    """Run pg_dump or pg_restore; a failure becomes a BackupError with its own words."""
    try:
        result = subprocess.run(
            args,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{args[0]} is not installed; install the PostgreSQL client of the server's "
            "major version (postgresql-client-15 for compose's postgres:15)."
        ) from error
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-3:]
        hint = ""
        if "version mismatch" in result.stderr:
            hint = " The client must be at least the server's major version (compose: both 15)."
        raise BackupError(f"{args[0]} failed: {' / '.join(detail)}.{hint}")


class PostgresDatabase:
    """A PostgreSQL database: pg_dump in custom format, pg_restore into a staging database."""

    dialect = "postgresql"
    member = "database.pgdump"

    def __init__(self, url: URL) -> None:
        self.url = url
        self.name = url.database or ""

    def _env(self, database: str) -> dict[str, str]:
        """libpq's variables: the password never appears on a command line."""
        values = {
            "PGHOST": self.url.host,
            "PGPORT": str(self.url.port or 5432),
            "PGUSER": self.url.username,
            "PGPASSWORD": self.url.password,
            "PGDATABASE": database,
        }
        return {key: str(value) for key, value in values.items() if value}

    @contextlib.contextmanager
    def _admin(self) -> Iterator[sa.Connection]:
        """A connection to the maintenance database, outside any transaction."""
        engine = sa.create_engine(
            self.url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as connection:
                yield connection
        except sa.exc.DBAPIError as error:  # no right to create databases, say
            raise BackupError(f"PostgreSQL refused: {str(error.orig).strip()}") from error
        finally:
            engine.dispose()

    def _exists(self, connection: sa.Connection, name: str) -> bool:
        query = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
        return connection.execute(query, {"name": name}).first() is not None

    def _rename(self, connection: sa.Connection, name: str, to: str) -> None:
        connection.execute(sa.text(f"ALTER DATABASE {quote(name)} RENAME TO {quote(to)}"))

    def dump(self, out: Path) -> list[str]:
        revisions = revisions_at(self.url)
        run_tool(["pg_dump", "--format=custom", f"--file={out}"], self._env(self.name))
        return revisions

    def is_empty(self) -> bool:
        with self._admin() as connection:
            exists = self._exists(connection, self.name)
        return not exists or not has_rows(self.url)

    def stage(self, dump: Path) -> URL:
        staged = self.url.set(database=f"{self.name[:40]}_restoring_{secrets.token_hex(4)}")
        with self._admin() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {quote(staged.database or '')}"))
        args = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
        args += ["--single-transaction", f"--dbname={staged.database}", str(dump)]
        try:
            run_tool(args, self._env(staged.database or ""))
        except BackupError:
            self.discard(staged)
            raise
        return staged

    def swap(self, staged: URL) -> None:
        """Close the target to new sessions, end the old ones, rename it aside and the staged
        database into its place; the old one is dropped only once the new one is there."""
        aside = f"{self.name[:40]}_replaced_{secrets.token_hex(4)}"
        with self._admin() as connection:
            had_target = self._exists(connection, self.name)
            if had_target:
                self._close(connection)
                self._rename(connection, self.name, aside)
            try:
                self._rename(connection, staged.database or "", self.name)
            except sa.exc.DBAPIError:
                if had_target:
                    self._rename(connection, aside, self.name)
                    connection.execute(
                        sa.text(f"ALTER DATABASE {quote(self.name)} ALLOW_CONNECTIONS true")
                    )
                raise
            if had_target:
                connection.execute(sa.text(f"DROP DATABASE {quote(aside)} WITH (FORCE)"))

    def _close(self, connection: sa.Connection) -> None:
        """No new sessions on the target, and the open ones (web, workers) ended."""
        connection.execute(sa.text(f"ALTER DATABASE {quote(self.name)} ALLOW_CONNECTIONS false"))
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": self.name},
        )

    def discard(self, staged: URL) -> None:
        with self._admin() as connection:
            name = quote(staged.database or "")
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def quote(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return postgresql.dialect().identifier_preparer.quote(name)


def database_of(url: str | URL) -> Database:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteDatabase(parsed)
    if parsed.get_backend_name() == "postgresql":
        return PostgresDatabase(parsed)
    raise BackupError(f"backups support SQLite and PostgreSQL, not {parsed.get_backend_name()}.")
