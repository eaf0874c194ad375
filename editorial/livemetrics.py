"""Numbers /metrics reads at scrape time: the database, the broker, the database's counters.

What a worker does (publishing, sending mail, making renditions) happens in another process,
often another container, than the web process being scraped: those numbers come from
MetricCounter rows written with the work. States right now (overdue stories, the last sweep,
queue depths) are read fresh on every scrape. Only the page cache, which lives in the web
processes, is counted in-process (and summed over gunicorn workers by the multiprocess mode).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from celery import Celery
from flask import Flask, Response, current_app
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import Heartbeat, Story, StoryUpdate
from editorial.services import counters
from editorial.services.publishing import SWEEP_HEARTBEAT
from editorial.timeutil import utcnow
from editorial.workflow import StoryState, UpdateState

log = logging.getLogger(__name__)

# The newsroom's "needs attention" list uses the same grace (publishing.overdue_stories,
# unpublishing.OVERDUE_GRACE).
OVERDUE_GRACE = timedelta(seconds=30)
PAGE_CACHE = Counter(
    "editorial_page_cache_requests_total",
    "Public pages answered by the page cache: hit, miss, or revalidated (a 304).",
    ["result"],
)
COUNTED_CACHE_RESULTS = {"hit", "miss", "revalidated"}


class Families:
    """The scrape-time families, empty until filled by collect()."""

    def __init__(self) -> None:
        self.lag = HistogramMetricFamily(
            "editorial_publish_lag_seconds",
            "Seconds from a story's scheduled time to its committed publish, by kind.",
            labels=["kind"],
        )
        self.email = CounterMetricFamily(
            "editorial_emails",
            "E-mail attempts by outcome: sent, retried (a transient failure) or failed.",
            labels=["outcome"],
        )
        self.renditions = CounterMetricFamily(
            "editorial_rendition_jobs",
            "Photo rendition jobs run by the workers, by outcome: done or failed.",
            labels=["outcome"],
        )
        self.overdue = GaugeMetricFamily(
            "editorial_stories_overdue",
            "Scheduled stories more than 30 s past their time, not marked failed.",
        )
        self.failed = GaugeMetricFamily(
            "editorial_stories_publish_failed",
            "Scheduled stories whose publish failed, waiting for an editor.",
        )
        self.unpublish_overdue = GaugeMetricFamily(
            "editorial_stories_unpublish_overdue",
            "Published stories more than 30 s past their unpublish time, not marked failed.",
        )
        self.unpublish_failed = GaugeMetricFamily(
            "editorial_stories_unpublish_failed",
            "Published stories whose scheduled unpublish failed, waiting for an editor.",
        )
        self.update_overdue = GaugeMetricFamily(
            "editorial_updates_overdue",
            "Scheduled updates more than 30 s past their time, not marked failed.",
        )
        self.update_failed = GaugeMetricFamily(
            "editorial_updates_publish_failed",
            "Scheduled updates whose publish failed, waiting for an editor.",
        )
        self.sweep = GaugeMetricFamily(
            "editorial_publish_sweep_age_seconds",
            "Seconds since the publish sweep last ran (+Inf if it never ran).",
        )
        self.queue = GaugeMetricFamily(
            "editorial_celery_queue_length",
            "Messages waiting in each Celery queue on the broker.",
            labels=["queue"],
        )

    def all(self) -> list[Metric]:
        return [
            self.lag,
            self.email,
            self.renditions,
            self.overdue,
            self.failed,
            self.unpublish_overdue,
            self.unpublish_failed,
            self.update_overdue,
            self.update_failed,
            self.sweep,
            self.queue,
        ]


def _lag(family: HistogramMetricFamily, values: dict[counters.Key, float]) -> None:
    kinds = sorted({label for name, label in values if name == counters.LAG_COUNT})
    for kind in kinds:
        running, buckets = 0.0, []
        for upper in counters.PUBLISH_LAG_BUCKETS:
            running += values.get((counters.LAG_BUCKET, counters.bucket_label(kind, upper)), 0)
            buckets.append((floatToGoString(upper), running))
        family.add_metric([kind], buckets, values.get((counters.LAG_SUM, kind), 0.0))


def _stories(overdue: GaugeMetricFamily, failed: GaugeMetricFamily) -> None:
    now = utcnow()
    scheduled = Story.state == StoryState.SCHEDULED
    late, broken = db.session.execute(
        select(
            func.count().filter(
                Story.publish_at < now - OVERDUE_GRACE, Story.publish_failed_at.is_(None)
            ),
            func.count().filter(Story.publish_failed_at.is_not(None)),
        ).where(scheduled)
    ).one()
    overdue.add_metric([], late)
    failed.add_metric([], broken)


def _unpublishes(overdue: GaugeMetricFamily, failed: GaugeMetricFamily) -> None:
    now = utcnow()
    late, broken = db.session.execute(
        select(
            func.count().filter(
                Story.unpublish_at < now - OVERDUE_GRACE, Story.unpublish_failed_at.is_(None)
            ),
            func.count().filter(Story.unpublish_failed_at.is_not(None)),
        ).where(Story.state == StoryState.PUBLISHED)
    ).one()
    overdue.add_metric([], late)
    failed.add_metric([], broken)


def _updates(overdue: GaugeMetricFamily, failed: GaugeMetricFamily) -> None:
    now = utcnow()
    late, broken = db.session.execute(
        select(
            func.count().filter(
                StoryUpdate.publish_at < now - OVERDUE_GRACE,
                StoryUpdate.publish_failed_at.is_(None),
            ),
            func.count().filter(StoryUpdate.publish_failed_at.is_not(None)),
        ).where(StoryUpdate.state == UpdateState.SCHEDULED)
    ).one()
    overdue.add_metric([], late)
    failed.add_metric([], broken)


def _sweep(family: GaugeMetricFamily) -> None:
    beat = db.session.get(Heartbeat, SWEEP_HEARTBEAT)
    family.add_metric([], (utcnow() - beat.at).total_seconds() if beat else math.inf)


def queue_names(celery_app: Celery) -> list[str]:
    """The default queue and every queue the configuration names (queues, routes)."""
    conf = celery_app.conf
    names = {conf.task_default_queue} | {queue.name for queue in conf.task_queues or ()}
    routes = conf.task_routes if isinstance(conf.task_routes, dict) else {}
    names |= {route["queue"] for route in routes.values() if isinstance(route, dict)}
    return sorted(names)


def queue_lengths(celery_app: Celery) -> dict[str, int]:
    """Waiting messages per queue (LLEN on Redis, a count of visible rows on the embedded
    broker); empty if the broker does not answer."""
    lengths = {}
    try:
        with celery_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
            channel: Any = connection.default_channel  # kombu's virtual channel, untyped
            for name in queue_names(celery_app):
                # Not passive: kombu's passive check (EXISTS) ignores global_keyprefix and
                # would call every prefixed queue missing. Declaring a virtual queue that
                # exists already changes nothing.
                lengths[name] = channel.queue_declare(queue=name).message_count
    except Exception as error:
        log.warning("metrics: the broker did not answer (%s)", error)
        return {}
    return lengths


class LiveCollector(Collector):
    """The scrape-time families; describe() names them without touching anything."""

    def describe(self) -> Iterator[Metric]:
        yield from Families().all()

    def collect(self) -> Iterator[Metric]:
        families = Families()
        values = counters.read_all()
        _lag(families.lag, values)
        by_name = {counters.EMAIL: families.email, counters.RENDITION_JOBS: families.renditions}
        for (name, label), value in sorted(values.items()):
            if name in by_name:
                by_name[name].add_metric([label], value)
        _stories(families.overdue, families.failed)
        _unpublishes(families.unpublish_overdue, families.unpublish_failed)
        _updates(families.update_overdue, families.update_failed)
        _sweep(families.sweep)
        db.session.rollback()
        for queue, length in queue_lengths(current_app.extensions["celery"]).items():
            families.queue.add_metric([queue], length)
        yield from families.all()


def exposition() -> bytes:
    """The scrape-time families in the Prometheus text format (inside a request)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LiveCollector())
    return generate_latest(registry)


def count_page_cache(response: Response) -> Response:
    """Count a page-cache answer by its X-Page-Cache result."""
    count_cache_result(response.headers.get("X-Page-Cache"))
    return response


def count_cache_result(result: str | None) -> None:
    if result in COUNTED_CACHE_RESULTS:
        PAGE_CACHE.labels(result).inc()


def init_app(app: Flask) -> None:
    app.after_request(count_page_cache)
