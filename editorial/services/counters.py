"""Counters kept in the database (MetricCounter), for /metrics.

The worker that publishes or sends mail may live in another container than the web process
that answers /metrics, so what it counts is written to the database: e-mail outcomes in the
transaction that records them, publish lags just after the publish commits (in the publish
transaction the counter rows would be locked through its whole commit, and four concurrent
chunks queued behind one another: p99 lag 0.76 s became 2.3 s in bench/publish_lag.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from editorial.extensions import db
from editorial.models import MetricCounter
from editorial.services import commit

# Seconds from a story's scheduled time to its committed publish (bench/publish_lag.py: p99
# 0.76 s for 1,000 at once; the sweep bounds a lost task at a few seconds).
PUBLISH_LAG_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, math.inf)
LAG_BUCKET, LAG_SUM, LAG_COUNT = "publish_lag_bucket", "publish_lag_sum", "publish_lag_count"
EMAIL = "email"
RENDITION_JOBS = "rendition_jobs"

Key = tuple[str, str]


def add(counts: Mapping[Key, float]) -> None:
    """Add to counters in the current transaction, in one statement. Rows go in key order,
    so two transactions never take their locks in opposite orders (no deadlock)."""
    if not counts:
        return
    rows = [{"name": n, "label": label, "value": v} for (n, label), v in sorted(counts.items())]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MetricCounter).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["name", "label"],
        set_={"value": MetricCounter.value + statement.excluded.value},
    )
    # No autoflush: the caller's pending rows are written at its commit, as without us.
    with db.session.no_autoflush:
        db.session.execute(statement)


def bucket_label(kind: str, upper: float) -> str:
    return f"{kind} {upper:g}"


def publish_lags(kind: str, lags: Iterable[float]) -> dict[Key, float]:
    """The histogram counts for these lags: each in the first bucket that holds it."""
    counts: defaultdict[Key, float] = defaultdict(float)
    for lag in lags:
        upper = next(b for b in PUBLISH_LAG_BUCKETS if lag <= b)
        counts[(LAG_BUCKET, bucket_label(kind, upper))] += 1
        counts[(LAG_SUM, kind)] += lag
        counts[(LAG_COUNT, kind)] += 1
    return counts


def add_now(counts: Mapping[Key, float]) -> None:
    """Add to counters in a transaction of its own (locks held for one statement)."""
    add(counts)
    commit()


def count_email(outcome: str) -> None:
    """One e-mail sent, retried or failed."""
    add_now({(EMAIL, outcome): 1})


def count_rendition_job(outcome: str) -> None:
    """One photo's rendition job done or failed (the worker's process is not the scraped one)."""
    add_now({(RENDITION_JOBS, outcome): 1})


def read_all() -> dict[Key, float]:
    return {(c.name, c.label): c.value for c in db.session.scalars(select(MetricCounter))}
