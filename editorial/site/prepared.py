"""Reader-page statements compiled once per database and run on the driver's cursor.

A cold article runs a dozen short SELECTs, the same ones on every render. Through
`Connection.execute` Latest News took 190 µs, of which SQLite took 40: the cache key, the
execution context, the result's metadata and a Row per row are SQLAlchemy's own work, paid
again for every statement. A `Prepared` statement does that work once per dialect: the SQL, the
parameters in order with their bind processors, and each column's result processor (dates
from SQLite's text, our UTC dates, SQLite's booleans). What is left per execution is what
SQLAlchemy would have sent and done to the values, on the same connection and transaction.
Rows come back as plain tuples.

They run through editorial.database.cursor_rows: statement events still fire
(before/after_cursor_execute), so query counts, the archive's plan tests and the benchmarks
see these statements as any other; a driver error is raised as SQLAlchemy would raise it, a
lost connection invalidated as it would be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.selectable import CompoundSelect, Select

from editorial.database import cursor_rows

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class Plan:
    """One statement as one dialect runs it."""

    sql: str
    order: tuple[str, ...] | None  # the parameters' names in order (qmark), None: by name
    defaults: Mapping[str, Any]  # values compiled into the statement (a state, a limit)
    binds: tuple[tuple[str, Processor], ...]  # what turns a value into the driver's
    results: tuple[tuple[int, Processor], ...]  # what turns a column back into ours

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = {**self.defaults, **given}
        for name, process in self.binds:
            values[name] = process(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def values(self, fetched: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not self.results:
            return list(fetched)
        rows = []
        for row in fetched:
            row = list(row)
            for index, process in self.results:
                row[index] = process(row[index])
            rows.append(tuple(row))
        return rows


def plan_of(statement: Select | CompoundSelect, dialect: Dialect) -> Plan:
    compiled = statement.compile(dialect=dialect)
    sql = str(compiled)
    if "POSTCOMPILE" in sql:  # an expanding IN or a literal-rendered value
        raise ValueError("a prepared statement takes only plain bind parameters")
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    defaults = compiled.params
    binds = tuple(
        (name, process)
        for name in dict.fromkeys(order or defaults)
        if (process := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
    )
    results = tuple(
        (index, process)
        for index, column in enumerate(statement.selected_columns)
        if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
    )
    return Plan(sql, order, defaults, binds, results)


class Prepared:
    """A SELECT built once (bind parameters for what varies), compiled once per dialect."""

    def __init__(self, statement: Select | CompoundSelect) -> None:
        self.statement = statement
        self.columns = tuple(statement.selected_columns.keys())
        self._plans: dict[str, Plan] = {}

    def plan(self, dialect: Dialect) -> Plan:
        name = f"{dialect.name}+{dialect.driver}"  # the driver decides the parameter style
        found = self._plans.get(name)
        if found is None:
            found = self._plans[name] = plan_of(self.statement, dialect)
        return found

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        plan = self.plan(connection.dialect)
        return plan.values(cursor_rows(connection, plan.sql, plan.parameters(params)))
