"""Site-wide settings and heartbeats of background jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime, utcnow


class SiteSetting(Model):
    """A setting admins change at run time (tagline, self-approval...)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class CacheToken(Model):
    """A public cache dependency key ("story:12", "desk:3", "latest", "site"...) and the number
    of the last change that touched it; the row keyed "*" is the counter those numbers come
    from (see editorial.services.cache)."""

    __tablename__ = "cache_tokens"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class Heartbeat(Model):
    """When a periodic job last ran (the publish sweep), for /healthz and the newsroom."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(Text, default="")


class MetricCounter(Model):
    """A monotonic counter kept in the database, so work done by any process (a worker in
    another container) shows in /metrics: e-mail outcomes, publish-lag histogram buckets."""

    __tablename__ = "metric_counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[float] = mapped_column(Float, default=0.0)
