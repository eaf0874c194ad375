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
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response

from editorial import livemetrics, logs, metrics, security
from editorial.site import cache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class HitFirst:
    """Wraps the app's WSGI callable; see the module's docstring."""

    def __init__(self, app: Flask, inner: WSGIApplication) -> None:
        self.app, self.inner = app, inner

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        plain = environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING")
        if plain and "HTTP_COOKIE" not in environ:
            try:
                response = self._hit(environ, started)
            except Exception:  # Flask answers it: its error page, its error report
                response = None
            if response is not None:
                return response(environ, start_response)
        return self.inner(environ, start_response)

    def _hit(self, environ: WSGIEnvironment, started: float) -> Response | None:
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
            response = cache.answer(served, key, local, asked)
            # What Flask's after-request hooks add to a site page (editorial/__init__.py).
            security.security_headers(response)
            # Flask-Login's after-request hook reads the session on every request, so Flask
            # names the cookie in Vary on every answer; a CDN is told to ignore cookies.
            response.vary.add("Cookie")
            response.headers["X-Request-ID"] = logs.begin_request(
                environ.get("HTTP_X_REQUEST_ID", "")
            )
            livemetrics.count_page_cache(response)
            metrics.observe(rule, "GET", response.status_code, started)
            return response


def init_app(app: Flask) -> None:
    """Put the layer in front of Flask (inside any proxy fix, which wraps it later)."""
    app.wsgi_app = HitFirst(app, app.wsgi_app)  # type: ignore[method-assign]
