"""UTCDateTime's result processing: SQLite's fused step gives what the decorator gave."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from editorial.timeutil import UTCDateTime


def _decorated(dialect, text: str | None) -> datetime | None:
    """SQLAlchemy's own steps: the stored text parsed, then process_result_value."""
    parse = DateTime(timezone=True).dialect_impl(dialect).result_processor(dialect, None)
    return UTCDateTime().process_result_value(parse(text), dialect)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-04 10:11:12.123456",  # as SQLAlchemy stores a datetime
        "2026-12-04 10:11:12",  # CURRENT_TIMESTAMP, a server default
        "2024-02-29 23:59:59.000001",
        None,
    ],
)
def test_sqlite_reads_the_same_aware_utc_instant(text: str | None) -> None:
    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    found = process(text)
    assert found == _decorated(dialect, text)
    if found is not None:
        assert found.tzinfo is UTC


def test_postgresql_keeps_the_decorators_processing() -> None:
    dialect = postgresql.dialect()
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    dhaka = datetime.fromisoformat("2026-12-04T16:11:12+06:00")
    found = process(dhaka) if process else UTCDateTime().process_result_value(dhaka, dialect)
    assert found == dhaka and found.tzinfo is UTC
