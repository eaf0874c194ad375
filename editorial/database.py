"""Database engine tuning: SQLite needs help to behave like a server database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.engine.base import ExceptionContextImpl
from sqlalchemy.engine.interfaces import DBAPIModule

# Execution option for a transaction that only reads (the public site): on SQLite it begins
# deferred and takes no write lock, so readers in other processes never queue behind it.
READ_ONLY = "editorial_read_only"


def tune_sqlite(engine: Engine) -> None:
    """Make SQLite safe for several processes: WAL, a busy timeout and immediate write locks.

    pysqlite's default deferred BEGIN lets two connections read, then both try to upgrade to a
    write lock and one fails with "database is locked". Beginning every transaction with
    BEGIN IMMEDIATE serialises writers up front; WAL keeps readers of other processes unblocked.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # WAL: a snapshot read, no lock taken. On the cursor: a reader's page begins one
            # on every render, and exec_driver_sql's execution was a fiftieth of it.
            cursor_rows(connection, "BEGIN", (), fetch=False)
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class CursorExecution:
    """The execution context statement events are given for a statement run by cursor_rows(),
    where SQLAlchemy would give its own: listeners read its dialect, and some keep their state
    on it from before the statement to after it or to its error (Sentry's SQLAlchemy
    integration, on by itself with a DSN, sets its span there: with None, every reader's page
    failed once Sentry was on)."""

    executemany = False

    def __init__(self, connection: Connection, cursor: Any, sql: str, values: Any) -> None:
        self.connection, self.dialect = connection, connection.dialect
        self.cursor, self.statement, self.parameters = cursor, sql, values


def cursor_rows(connection: Connection, sql: str, values: Any, *, fetch: bool = True) -> list[Any]:
    """Run `sql` on the connection's DBAPI cursor, as SQLAlchemy would but for its result
    layer (editorial.site.prepared): statement events fire when someone listens (query
    counts, plan tests, benchmarks, Sentry), a driver error is raised as SQLAlchemy's
    DBAPIError and told to handle_error listeners, and a lost connection is invalidated. The
    rows as the driver gives them."""
    cursor = connection.connection.cursor()
    events = connection._has_events or connection.engine._has_events  # as SQLAlchemy checks
    context = CursorExecution(connection, cursor, sql, values) if events else None
    try:
        if events:
            connection.dispatch.before_cursor_execute(
                connection, cursor, sql, values, context, False
            )
        cursor.execute(sql, values)
        fetched = list(cursor.fetchall()) if fetch else []
        if events:
            connection.dispatch.after_cursor_execute(
                connection, cursor, sql, values, context, False
            )
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, cursor, sql, values, error, context) from error
    finally:
        cursor.close()
    return fetched


def _wrapped(
    connection: Connection,
    cursor: Any,
    sql: str,
    values: Any,
    error: DBAPIModule.Error,
    context: CursorExecution | None,
) -> BaseException:
    """The driver's error as SQLAlchemy raises it; a lost connection leaves the pool. The
    handle_error listeners hear of it, as from SQLAlchemy's own execution, so what they began
    before the statement ends (a handler's own replacement exception is not taken up)."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    wrapped = exc.DBAPIError.instance(
        sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
    )
    if dialect._has_events:
        told = ExceptionContextImpl(
            error, wrapped, connection.engine, dialect, connection, cursor, sql, values,
            context, lost, True, False,  # type: ignore[arg-type]
        )  # fmt: skip
        for listener in dialect.dispatch.handle_error:
            listener(told)
    if lost:
        connection.invalidate(error)
    return wrapped


# Search indexes are made by hand in migration 0002 (dialect-specific); autogenerate and the
# models-versus-migrations test must leave them alone.
SEARCH_OBJECTS = {"search_vector", "ix_stories_search_vector"}


def include_object(
    _obj: Any, name: str | None, _type: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic filter: everything except the hand-made search objects."""
    return not (name in SEARCH_OBJECTS or (name or "").startswith("story_search"))
