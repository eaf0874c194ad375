"""Time: aware UTC inside, newsroom local time (default Asia/Dhaka) at the edges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware UTC in Python, on PostgreSQL and on SQLite alike.

    SQLite has no time zones, so values are stored as naive UTC there and made aware on the way
    out; naive values on the way in are a programming error and are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        """On SQLite, SQLAlchemy's own parsing of the stored text and the UTC zone in one step,
        once per text: through the decorator's wrapper a date cost three calls, and a cold
        homepage reads 150 (the same values as process_result_value gives:
        tests/unit/test_timeutil.py)."""
        impl: Any = self.impl_instance.dialect_impl(dialect)
        parse: Callable[[str], datetime] | None = (
            impl.result_processor(dialect, coltype) if dialect.name == "sqlite" else None
        )
        if parse is None:
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            return None if value is None else _sqlite_instant(parse, value)

        return process


# One memo for every column: a page's dates are mostly the same stories' as the last page's,
# a datetime is immutable, and a lookup costs a quarter of a parse.
@lru_cache(maxsize=8192)
def _sqlite_instant(parse: Callable[[str], datetime], text: str) -> datetime:
    return parse(text).replace(tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """The newsroom time zone."""
    return ZoneInfo(name)


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """Parse 'YYYY-MM-DDTHH:MM' (an HTML datetime-local value) or 'YYYY-MM-DD HH:MM' as local
    newsroom time and return the aware UTC instant. Raises ValueError with a readable message."""
    cleaned = (text or "").strip().replace("T", " ")
    if not cleaned:
        raise ValueError("Enter a date and time, e.g. 2026-12-01 18:30.")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(cleaned, fmt)
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"“{text}” is not a date and time; use YYYY-MM-DD HH:MM.")
    return naive.replace(tzinfo=tz).astimezone(UTC)


def format_local(value: datetime | None, tz: ZoneInfo, fmt: str = "%d %b %Y, %H:%M") -> str:
    """Human display of an instant in newsroom time, e.g. '30 Dec 2025, 18:05'."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime(fmt)
