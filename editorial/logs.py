"""Structured logs: a request id on every line of a request, secrets redacted.

structlog renders both its own and the standard library's records (the existing
`logging.getLogger(__name__)` calls), JSON in production and readable in development.
An incoming X-Request-ID is kept only when it looks like an id; otherwise one is made.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid
from typing import Any

import structlog
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_prerun,
)
from flask import Flask, Response, request
from structlog.typing import EventDict

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
SECRET_KEYS = re.compile(r"pass(word|wd)?|token|secret|authorization|cookie|api_?key|dsn", re.I)
URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
REDACTED = "[redacted]"


def redact(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """Drop the values of secret-looking keys and the password in any URL."""
    for key, value in event.items():
        if SECRET_KEYS.search(key):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = URL_PASSWORD.sub(r"\1" + REDACTED + "@", value)
    return event


def formatter(fmt: str) -> structlog.stdlib.ProcessorFormatter:
    """A logging formatter: `json` (production) or `console` (development)."""
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),  # log.info(..., extra={"story_id": ...}) as keys
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact,
            renderer,
        ],
    )


def log_format(env: str) -> str:
    return os.environ.get("LOG_FORMAT") or ("json" if env == "production" else "console")


def begin_request(incoming: str) -> str:
    """Bind this request's id (the incoming X-Request-ID if it looks like one) to its lines."""
    request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id


def _begin_request() -> None:
    begin_request(request.headers.get("X-Request-ID", ""))


def _end_request(response: Response) -> Response:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    return response


def init_app(app: Flask) -> None:
    """Bind a request id per request; outside tests, render the root logger's lines."""
    app.before_request(_begin_request)
    app.after_request(_end_request)
    root = logging.getLogger()
    if app.testing or any(getattr(h, "editorial", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format(app.config["EDITORIAL_ENV"])))
    handler.editorial = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """A task queued by a request carries the request's id to the worker."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@task_prerun.connect
def _bind_task_context(task: Any = None, task_id: str | None = None, **_kwargs: Any) -> None:
    """Every line of a task names it, and the request that queued it (if one did)."""
    structlog.contextvars.clear_contextvars()
    request_id = getattr(task.request, "request_id", None) if task is not None else None
    context = {"task_id": task_id, "task": getattr(task, "name", None)}
    if request_id:
        context["request_id"] = request_id
    structlog.contextvars.bind_contextvars(**context)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _render_celery_lines(logger: logging.Logger | None = None, **_kwargs: Any) -> None:
    """A worker or beat replaces the root logger's handlers with Celery's own: render their
    lines like the web's (JSON in production), request and task ids included."""
    fmt = log_format(os.environ.get("EDITORIAL_ENV", "production"))
    for handler in logger.handlers if logger is not None else []:
        handler.setFormatter(formatter(fmt))
