"""Real database failures for tests: a trigger that makes one kind of statement fail.

A test that says "the database failed" must make the database fail, so the production code's
own handling (its rollback, its exception classes, its fallbacks) is what runs. A `Refusal` is a
BEFORE trigger, on SQLite and on PostgreSQL alike, that aborts the statement when a condition on
the new row holds, with an error the driver raises as it would for any failed statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Refusal:
    """`event` (INSERT or UPDATE) on `table` fails while `condition` (SQL over NEW) holds.

    With `once`, only the first matching row fails (PostgreSQL only: a sequence counts the
    matches, and a sequence is not rolled back with the failed transaction).
    """

    table: str
    event: str
    condition: str
    message: str = "refused by the test"
    once: bool = False
    name: str = "test_refusal"

    def install(self, session: Session) -> None:
        for statement in self._create(session.get_bind().dialect.name):
            session.execute(text(statement))
        session.commit()

    def remove(self, session: Session) -> None:
        """Drop it (a PostgreSQL test database outlives the test; only its rows are emptied)."""
        session.rollback()
        for statement in self._drop(session.get_bind().dialect.name):
            session.execute(text(statement))
        session.commit()

    def _create(self, dialect: str) -> list[str]:
        if dialect == "sqlite":
            if self.once:
                raise NotImplementedError("a refusal `once` needs PostgreSQL's sequences")
            return [
                f"CREATE TRIGGER {self.name} BEFORE {self.event} ON {self.table} "
                f"WHEN {self.condition} BEGIN SELECT RAISE(ABORT, '{self.message}'); END"
            ]
        condition = self.condition
        statements = []
        if self.once:
            statements.append(f"CREATE SEQUENCE {self.name}_count")
            condition = f"({condition}) AND nextval('{self.name}_count') = 1"
        return [
            *statements,
            f"CREATE FUNCTION {self.name}() RETURNS trigger AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION '{self.message}'; END IF; "
            f"RETURN NEW; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {self.name} BEFORE {self.event} ON {self.table} "
            f"FOR EACH ROW EXECUTE FUNCTION {self.name}()",
        ]

    def _drop(self, dialect: str) -> list[str]:
        if dialect == "sqlite":
            return [f"DROP TRIGGER IF EXISTS {self.name}"]
        return [
            f"DROP TRIGGER IF EXISTS {self.name} ON {self.table}",
            f"DROP FUNCTION IF EXISTS {self.name}()",
            f"DROP SEQUENCE IF EXISTS {self.name}_count",
        ]

    def matches(self, session: Session) -> int:
        """How many rows met the condition so far (a `once` refusal on PostgreSQL)."""
        counted = f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {self.name}_count"
        return session.scalar(text(counted))
