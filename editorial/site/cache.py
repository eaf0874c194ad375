"""Public page caching: ETags, 304 answers, Cache-Control, and a server-side page cache.

One token decides freshness: the site generation (editorial.services.cache), which every
publish, correction, withdrawal and placement change replaces in its own transaction, plus the
last embargo that lifted and the newsroom's date (the masthead shows it). The token is part of
every ETag and every cache key, so a committed change makes every cached copy unreachable at
once, in every process, whether the copies live in Redis or in a process's memory.

Pages never vary by reader: public views do not look at who is signed in.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, make_response, request

from editorial.extensions import db
from editorial.services.cache import GENERATION_KEY, generation_time
from editorial.site import queries
from editorial.timeutil import utcnow, zone

log = logging.getLogger(__name__)

# Browsers revalidate every time (a cheap 304 while nothing changed), so a reader sees a publish
# at once; shared caches (a CDN) may answer for a second, which collapses a burst of readers
# into about one origin request per second per URL, and may serve a stale copy if we are down.
# No stale-while-revalidate: after a quiet spell it would hand out the pre-publish homepage.
CACHE_CONTROL = "public, max-age=0, s-maxage=1, stale-if-error=3600"
CACHE_KEY = "site.page_cache"
EMBARGO_KEY = "site.embargo_lifts"
MAX_ENTRY_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SiteState:
    """What every public page's freshness depends on."""

    token: str
    changed_at: datetime


def _read_generation() -> str:
    """The site generation, read outside any transaction.

    A cached page must not wait for a transaction: on SQLite every one takes the write lock.
    A plain autocommit read sees the latest committed token (WAL), which is all we need: the
    page is rendered (or fetched) after this read, so it is never older than the token.
    """
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT value FROM site_settings WHERE key = '{GENERATION_KEY}'")
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
    return row[0] if row else "0"


def _last_lift(generation: str, now: datetime) -> datetime | None:
    """The latest embargo lift up to `now` (lift times are re-read once per generation)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    known = app.extensions.get(EMBARGO_KEY)
    if known is None or known[0] != generation:
        queries.begin_read()
        lifts = queries.embargo_lifts()
        queries.release()
        known = app.extensions[EMBARGO_KEY] = (generation, lifts)
    lifts = known[1]
    index = bisect.bisect_right(lifts, now)
    return lifts[index - 1] if index else None


def site_state() -> SiteState:
    """The freshness token for this request (computed once per request)."""
    if "site_state" not in g:
        generation = _read_generation()
        now = utcnow()
        lifted = _last_lift(generation, now)
        tz = zone(current_app.config["EDITORIAL_TIMEZONE"])
        today = now.astimezone(tz).date()
        midnight = datetime.combine(today, clock(), tz).astimezone(UTC)
        changed = max(t for t in (generation_time(generation), lifted, midnight) if t)
        lift_mark = f"{lifted.timestamp():.0f}" if lifted else "-"
        g.site_state = SiteState(
            f"{generation}/{lift_mark}/{today}", changed.replace(microsecond=0)
        )
    state: SiteState = g.site_state  # g is untyped
    return state


# --- the page cache -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    content_type: str
    body: bytes

    def dump(self) -> bytes:
        return self.content_type.encode() + b"\n" + self.body

    @classmethod
    def load(cls, data: bytes) -> Entry:
        content_type, _, body = data.partition(b"\n")
        return cls(content_type.decode(), body)


class LocalCache:
    """In-process LRU with a time limit (when no Redis is configured)."""

    def __init__(self, ttl: int, max_entries: int = 512) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: OrderedDict[str, tuple[float, Entry]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def set(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl, entry)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class RedisCache:
    """Pages shared by every web process through Redis; a Redis failure is only a miss."""

    def __init__(self, url: str, ttl: int, namespace: str) -> None:
        import redis

        self.ttl = ttl
        self.prefix = f"editorial:page:{namespace}:"
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._errors = redis.RedisError

    def get(self, key: str) -> Entry | None:
        try:
            data = self.client.get(self.prefix + key)
        except self._errors as error:
            log.warning("page cache read failed: %s", error)
            return None
        # Always bytes (the client is made without decode_responses); the check tells mypy.
        return Entry.load(data) if isinstance(data, bytes) and data else None

    def set(self, key: str, entry: Entry) -> None:
        try:
            self.client.set(self.prefix + key, entry.dump(), ex=self.ttl)
        except self._errors as error:
            log.warning("page cache write failed: %s", error)


def _make_cache(app: Flask) -> LocalCache | RedisCache:
    # Entries are keyed by generation, so the time limit only bounds memory and picks up
    # what changes without a new generation (nothing public, today).
    ttl = int(app.config.get("PUBLIC_CACHE_SECONDS", 60))
    url = app.config.get("REDIS_URL")
    if url:
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        namespace = hashlib.sha256(database.encode()).hexdigest()[:12]
        return RedisCache(url, ttl, namespace)
    return LocalCache(ttl)


def page_cache() -> LocalCache | RedisCache | None:
    """The server-side page cache, or None when PUBLIC_CACHE_ENABLED is off."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("PUBLIC_CACHE_ENABLED", True):
        return None
    cache: LocalCache | RedisCache | None = app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = app.extensions[CACHE_KEY] = _make_cache(app)
    return cache


# --- the decorator every public view wears ------------------------------------------------------


def public_headers(response: Response) -> Response:
    """Cache-Control for any public answer (pages, redirects, 404s and 410s alike)."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _key(state: SiteState, vary: tuple[str, ...], clock: int) -> str:
    args = "&".join(f"{name}={request.args.get(name, '')}" for name in vary)
    slot = int(time.time() // clock) if clock else 0
    material = f"{state.token}\n{request.path}\n{args}\n{slot}"
    return hashlib.sha256(material.encode()).hexdigest()


def _finish(response: Response, etag: str, state: SiteState, status: str) -> Response:
    response.set_etag(etag)
    response.last_modified = state.changed_at
    response.headers["X-Page-Cache"] = status
    return public_headers(response)


def public_page(
    *, vary: tuple[str, ...] = (), store: bool = True, clock: int = 0
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Make a public view cacheable: ETag/Last-Modified, 304s, and the server-side cache.

    `vary` names the query arguments the page depends on (e.g. page, q); any other query
    string is ignored, so `?preview=1` or `?state=draft` is the same public page. `clock`
    (seconds) is for pages that also change with time alone: a new copy every `clock` seconds.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            state = site_state()
            key = _key(state, vary, clock)
            etag = key[:32]
            # ETags are only ever sent with a 200, so a match means this page of this
            # generation was a 200: answer 304 without rendering anything.
            if request.if_none_match.contains(etag):
                return _finish(Response(status=304), etag, state, "revalidated")
            cache = page_cache() if store else None
            entry = cache.get(key) if cache else None
            if entry is not None:
                response = Response(entry.body, content_type=entry.content_type)
                status = "hit"
            else:
                queries.begin_read()
                response = make_response(view(**kwargs))
                queries.release()
                if response.status_code != 200:
                    return public_headers(response)
                status = "miss" if cache else "off"
                body = response.get_data()
                if cache and len(body) <= MAX_ENTRY_BYTES:
                    cache.set(key, Entry(response.content_type, body))
            # make_conditional answers 304/412 in place (typed as werkzeug's base Response).
            _finish(response, etag, state, status).make_conditional(request)
            return response

        return wrapper

    return decorate
