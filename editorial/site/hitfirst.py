"""A reader's cached page answered before Flask's request machinery (issue 14).

A cache hit is a dictionary lookup, one memoised read of its keys' numbers and a join of bytes;
around it, Flask pushes a request context, routes, opens a session, runs the rate limiter's,
CSRF's, the metrics' and the logs' hooks before the view and seven after it: most of a hit's
time. This WSGI layer answers the plainest requests, a GET with no query string and no cookie
of a path the site has already answered in this process, straight from the process's memory
when the page and every fragment in it are there and fresh (site.cache.near_hit, the same
freshness rule). The answer is built by the same code as the view's (site.cache.answer: ETag,
Last-Modified, 304s, Cache-Control, the CDN's keys) and gets the same security headers,
request id and metrics as every Flask answer. Anything else, or anything missing, stale or
failing, goes to Flask unchanged: what a reader receives is the same either way.

The finished answer of a plain hit (status, headers, the assembled bytes) is kept by its ETag,
which names every copy it was made of and the day: the next plain hit of the same copies
sends it again with its own Date and request id, instead of assembling it and building
werkzeug's headers once more (that was two thirds of a hit's time here). Freshness is still
judged on every request, before the ETag is even made.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask, Request, Response
from werkzeug.http import http_date

from editorial import livemetrics, logs, metrics, security
from editorial.site import cache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


# Per request: the clock and the request id; the rest of a plain hit's answer is its copies'.
VOLATILE = frozenset({"Date", "X-Request-ID"})
# Finished answers kept per process, then start again: a bound on their bytes, as the page
# cache has (a copy is at most 2 MB, but a crawl of the archive meets thousands).
MAX_ANSWER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """A plain hit's finished answer, the same for every request that meets the same copies:
    its ETag names them (the page's and each fragment's number and render time) and the day,
    which is all its bytes and headers are made of, less VOLATILE."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def respond(self, request_id: str) -> WSGIApplication:
        def respond(_environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            own = [("Date", http_date()), ("X-Request-ID", request_id)]
            start_response(self.status, [*self.headers, *own])
            return [self.body]

        return respond


class HitFirst:
    """Wraps the app's WSGI callable; see the module's docstring."""

    def __init__(self, app: Flask, inner: WSGIApplication) -> None:
        self.app, self.inner = app, inner
        self.answers: dict[str, Answer] = {}
        self.answer_bytes = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        plain = environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING")
        cached = self.app.config.get("PUBLIC_CACHE_ENABLED", True)  # off: nothing to answer
        if plain and cached and "HTTP_COOKIE" not in environ:
            try:
                respond = self._hit(environ, started)
            except Exception:  # Flask answers it: its error page, its error report
                respond = None
            if respond is not None:
                return respond(environ, start_response)
        return self.inner(environ, start_response)

    def _hit(self, environ: WSGIEnvironment, started: float) -> WSGIApplication | None:
        with self.app.app_context():
            asked = self.app.request_class(environ)
            known = cache.remembered(asked.path)
            if known is None:
                return None
            route, rule = known
            local = cache.local_now()
            key = route.key(asked.path, asked.args, local)
            served = cache.near_hit(key)
            if served is None:
                return None
            request_id = logs.begin_request(environ.get("HTTP_X_REQUEST_ID", ""))
            # A request with a validator or a range is answered afresh (a 304 is its own).
            etag = (
                ""
                if cache.CONDITIONAL.intersection(environ)
                else served.etag(key, str(local.date()))
            )
            finished = self.answers.get(etag) if etag else None
            respond: WSGIApplication
            if finished is None:
                response = self._answer(served, key, local, asked, request_id)
                if etag and response.status_code == 200:
                    self._keep(etag, response, environ)
                livemetrics.count_page_cache(response)  # a hit, or a 304 "revalidated"
                respond, status = response, response.status_code
            else:
                livemetrics.count_cache_result(served.status)
                respond, status = finished.respond(request_id), 200
            metrics.observe(rule, "GET", status, started)
            return respond

    def _answer(
        self, served: cache.Served, key: str, local: datetime, asked: Request, request_id: str
    ) -> Response:
        response = cache.answer(served, key, local, asked)
        # What Flask's after-request hooks add to a site page (editorial/__init__.py).
        security.security_headers(response)
        # Flask-Login's after-request hook reads the session on every request, so Flask
        # names the cookie in Vary on every answer; a CDN is told to ignore cookies.
        response.vary.add("Cookie")
        response.headers["X-Request-ID"] = request_id
        return response

    def _keep(self, etag: str, response: Response, environ: WSGIEnvironment) -> None:
        body = response.get_data()
        if self.answer_bytes + len(body) > MAX_ANSWER_BYTES:
            self.answers.clear()
            self.answer_bytes = 0
        headers = response.get_wsgi_headers(environ).to_wsgi_list()
        kept = [(name, value) for name, value in headers if name not in VOLATILE]
        self.answers[etag] = Answer(response.status, kept, body)
        self.answer_bytes += len(body)


def init_app(app: Flask) -> None:
    """Put the layer in front of Flask (inside any proxy fix, which wraps it later)."""
    app.wsgi_app = HitFirst(app, app.wsgi_app)  # type: ignore[method-assign]
