"""Prometheus metrics at /metrics: request latency by route rule, behind a bearer token.

The route label is the URL rule (`/news/<slug>`), never the raw path: one label per article
would explode the series count. Without METRICS_TOKEN the endpoint is always 404; with it,
only `Authorization: Bearer <token>` is answered (compared in constant time). Several
gunicorn workers share their numbers through prometheus-client's multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set (see gunicorn.conf.py for the dead-worker hook).
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from editorial import livemetrics
from editorial.instruments import REQUEST_LATENCY

bp = Blueprint("metrics", __name__)

UNMATCHED = "<unmatched>"


def _authorised() -> bool:
    """True only for `Authorization: Bearer $METRICS_TOKEN`; an unset token admits nobody."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _registry() -> CollectorRegistry:
    """Every process's numbers in multiprocess mode; this process's otherwise."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format for the monitoring system; 404 for everyone else."""
    if not _authorised():
        abort(404)
    body = generate_latest(_registry()) + livemetrics.exposition()
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def observe(route: str, method: str, status: int, started: float) -> None:
    """Count one answer of `route` (its URL rule) that began at `started` (perf_counter)."""
    REQUEST_LATENCY.labels(route, method, str(status)).observe(time.perf_counter() - started)


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule else UNMATCHED
        observe(route, request.method, response.status_code, started)
    return response


def init_app(app: Flask) -> None:
    """Time every request and serve /metrics."""
    app.config.setdefault("METRICS_TOKEN", os.environ.get("METRICS_TOKEN") or None)
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
    livemetrics.init_app(app)
