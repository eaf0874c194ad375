"""Public page caching: dependency-keyed pages and fragments, ETags, 304s, Cache-Control.

A cached page records the keys it depends on (`story:12`, `desk:3`, `tag:7`, `latest`, `top`,
`site`: editorial.services.cache) and the change counter it was rendered at. Serving it takes
the current numbers of exactly those keys (one indexed read, reused by the process for at most
a quarter of a second: services.cache.read_numbers); any key moved past the page's counter, or
an embargo that lifted since it was rendered and concerns one of them, makes it stale. So a
publish re-renders the homepage, its section, feeds, sitemaps, its tags' pages and itself, and
no other article, at once in the process that committed it and within that quarter second in
every other, wherever the copy lives (Redis or the process's memory: both are only stores, the
database decides freshness).

What every page shows apart from its own story is a fragment, cached on its own and put in at
serving time: Top News and Latest News beside an article (each rendered once with one story more
than shown, so the article's own story can be left out), More articles from its desk, and the
masthead date (computed per request: midnight in Dhaka changes it everywhere, re-rendering
nothing). A template marks where a fragment goes with `hole()`; the marks carry a value derived
from SECRET_KEY, so no story text can forge one (bodies are sanitised, headlines escaped too).

Pages never vary by reader: public views do not look at who is signed in.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import Flask, Request, Response, current_app, g, make_response, request
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.http import http_date

from editorial.models import Story
from editorial.services.cache import COUNTER, SITE, read_numbers, story_keys
from editorial.site import queries
from editorial.site.blueprint import bp
from editorial.templating import masthead_date, newsroom_zone
from editorial.timeutil import utcnow
from editorial.workflow import StoryState

log = logging.getLogger(__name__)

# Browsers revalidate every time (a cheap 304 while nothing changed), so a reader sees a publish
# at once; shared caches (a CDN) may answer for a second, which collapses a burst of readers
# into about one origin request per second per URL, and may serve a stale copy if we are down.
# No stale-while-revalidate: after a quiet spell it would hand out the pre-publish homepage.
CACHE_CONTROL = "public, max-age=0, s-maxage=1, stale-if-error=3600"
CACHE_KEY = "site.page_cache"
LIFTS_KEY = "site.embargo_lifts"
MARK_KEY = "site.hole_mark"
ROUTES_KEY = "site.routes"
MAX_ROUTES = 50_000
MAX_ENTRY_BYTES = 2 * 1024 * 1024
HTML = "text/html; charset=utf-8"  # what Flask makes of a view's str
DATE = "date"  # the masthead date: a hole filled per request, never stored
# Results a copy remembers (Entry.remembered): a fragment's list without each article's own
# story is one each, so a sidebar serving the whole archive starts again past this many.
MEMO_SIZE = 256
T = TypeVar("T")


# --- freshness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lift:
    """An embargo lifting: at `at` (epoch seconds) these keys change without any write."""

    at: float
    keys: frozenset[str]


@dataclass(frozen=True)
class Tokens:
    """The numbers of the keys a request needs, read in one statement, and the time."""

    numbers: dict[str, int]
    now: float
    lifts: list[Lift] = field(default_factory=list)
    oldest: float = 0.0  # a copy rendered before this is stale (the store's time limit)

    @property
    def counter(self) -> int:
        return self.numbers.get(COUNTER, 0)

    def lifted(self, since: float, deps: Iterable[str]) -> bool:
        """Whether an embargo lifting after `since` (and by now) concerns one of `deps`."""
        if not self.lifts:
            return False  # the usual case, asked of every copy a request serves
        start = bisect.bisect_right([lift.at for lift in self.lifts], since)
        wanted = set(deps)
        return any(
            lift.keys & wanted or COUNTER in wanted
            for lift in self.lifts[start:]
            if lift.at <= self.now
        )


def _lifts(counter: int, now: datetime, ttl: int) -> list[Lift]:
    """Embargoes lifting from a time limit ago onwards (re-read once per change number)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    known = app.extensions.get(LIFTS_KEY)
    if known is not None and known[0] == counter:
        lifts: list[Lift] = known[1]
        return lifts
    cutoff = now - timedelta(seconds=ttl + 60)
    queries.begin_read()
    rows = queries.run(
        select(Story.id, Story.embargo_at).where(
            Story.state == StoryState.PUBLISHED, Story.embargo_at > cutoff
        )
    ).all()
    lifts = sorted(
        (Lift(at.timestamp(), frozenset(story_keys([story_id]))) for story_id, at in rows if at),
        key=lambda lift: lift.at,
    )
    queries.release()
    app.extensions[LIFTS_KEY] = (counter, lifts)
    return lifts


def read_tokens(keys: set[str]) -> Tokens:
    """What decides whether copies depending on `keys` are fresh, as of now."""
    now = utcnow()
    numbers = read_numbers(keys)
    ttl = cache_seconds()
    lifts = _lifts(numbers.get(COUNTER, 0), now, ttl)
    return Tokens(numbers, now.timestamp(), lifts, now.timestamp() - ttl)


# --- stored copies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A rendered page or fragment with what decides its freshness."""

    content_type: str
    body: bytes
    deps: tuple[str, ...]  # ("*",): any change at all
    number: int  # the change counter read before its render began
    rendered: float  # when its render began (epoch seconds)
    holes: tuple[str, ...] = ()  # the fragments a page shows
    # Work done for this copy once rather than per request (remembered()); it lives and dies
    # with the copy, so the page cache's bound on memory still bounds it.
    memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def remembered(self, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` gives for this copy, made the first time it is asked for."""
        if key not in self.memo:
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = make()
        found: T = self.memo[key]
        return found

    def fresh(self, tokens: Tokens) -> bool:
        if self.rendered < tokens.oldest:
            return False
        moved = any(tokens.numbers.get(key, 0) > self.number for key in self.deps)
        return not moved and not tokens.lifted(self.rendered, self.deps)

    def dump(self) -> bytes:
        head = [self.content_type, self.deps, self.number, self.rendered, self.holes]
        return json.dumps(head).encode() + b"\n" + self.body

    @classmethod
    def load(cls, data: bytes) -> Entry | None:
        head, _, body = data.partition(b"\n")
        try:
            content_type, deps, number, rendered, holes = json.loads(head)
        except (ValueError, TypeError):
            return None  # a copy from an older version of the app: a miss
        return cls(content_type, body, tuple(deps), int(number), float(rendered), tuple(holes))


class Store(Protocol):
    def get_many(self, keys: list[str]) -> list[Entry | None]: ...

    def set(self, key: str, entry: Entry) -> None: ...


class LocalCache:
    """In-process LRU bounded in entries and bytes, with a time limit."""

    def __init__(self, ttl: int, max_entries: int = 4096, max_bytes: int = 64 << 20) -> None:
        self.ttl, self.max_entries, self.max_bytes = ttl, max_entries, max_bytes
        self.size = 0
        self._items: OrderedDict[str, tuple[float, Entry]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[1]

    def get_many(self, keys: list[str]) -> list[Entry | None]:
        return [self.get(key) for key in keys]

    def set(self, key: str, entry: Entry) -> None:
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + self.ttl, entry)
            self.size += len(entry.body)
            while len(self._items) > self.max_entries or self.size > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        _expires, entry = self._items.pop(key)
        self.size -= len(entry.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


class RedisCache:
    """Copies shared by every web process through Redis; a Redis failure is only a miss."""

    def __init__(self, url: str, ttl: int, namespace: str) -> None:
        import redis

        self.ttl = ttl
        self.prefix = f"editorial:page:{namespace}:"
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._errors = redis.RedisError

    def get_many(self, keys: list[str]) -> list[Entry | None]:
        if not keys:
            return []
        try:
            found = self.client.mget([self.prefix + key for key in keys])
        except self._errors as error:
            log.warning("page cache read failed: %s", error)
            return [None] * len(keys)
        # Always bytes (the client is made without decode_responses); the check tells mypy.
        return [Entry.load(data) if isinstance(data, bytes) and data else None for data in found]

    def set(self, key: str, entry: Entry) -> None:
        try:
            self.client.set(self.prefix + key, entry.dump(), ex=self.ttl)
        except self._errors as error:
            log.warning("page cache write failed: %s", error)


class TwoTier:
    """This process's memory in front of Redis. Safe because every copy, from either, is judged
    by the database's numbers before it is served: memory only saves the round trip."""

    def __init__(self, near: LocalCache, far: RedisCache) -> None:
        self.near, self.far = near, far

    def get_many(self, keys: list[str]) -> list[Entry | None]:
        return [self.near.get(key) for key in keys]

    def get_far(self, keys: list[str]) -> list[Entry | None]:
        found = self.far.get_many(keys)
        for key, entry in zip(keys, found, strict=True):
            if entry is not None:
                self.near.set(key, entry)
        return found

    def set(self, key: str, entry: Entry) -> None:
        self.near.set(key, entry)
        self.far.set(key, entry)


def cache_seconds() -> int:
    """How long a copy may be kept (its freshness is checked on every request regardless)."""
    return int(current_app.config.get("PUBLIC_CACHE_SECONDS", 600))


def _make_cache(app: Flask) -> LocalCache | TwoTier:
    ttl = int(app.config.get("PUBLIC_CACHE_SECONDS", 600))
    near = LocalCache(ttl, max_bytes=int(app.config.get("PUBLIC_CACHE_MEMORY_BYTES", 64 << 20)))
    url = app.config.get("REDIS_URL")
    if url:
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        namespace = hashlib.sha256(database.encode()).hexdigest()[:12]
        return TwoTier(near, RedisCache(url, ttl, namespace))
    return near


def page_cache() -> LocalCache | TwoTier | None:
    """The server-side cache, or None when PUBLIC_CACHE_ENABLED is off."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("PUBLIC_CACHE_ENABLED", True):
        return None
    cache: LocalCache | TwoTier | None = app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = app.extensions[CACHE_KEY] = _make_cache(app)
    return cache


def _fetch(cache: LocalCache | TwoTier | None, keys: list[str], tokens: Tokens | None) -> list:
    """Copies of `keys`: from memory, and what is missing or stale there from Redis."""
    if cache is None:
        return [None] * len(keys)
    found = cache.get_many(keys)
    if isinstance(cache, TwoTier):
        retry = [k for k, e in zip(keys, found, strict=True) if e is None or not _ok(e, tokens)]
        far = dict(zip(retry, cache.get_far(retry), strict=True))
        found = [far.get(k) if k in far else e for k, e in zip(keys, found, strict=True)]
    return found


def _ok(entry: Entry, tokens: Tokens | None) -> bool:
    return tokens is not None and entry.fresh(tokens)


# --- fragments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    """A part many pages show: `render(arg)` its HTML (items marked with item_marker()), at most
    `limit` items shown, fresh while `deps(arg)` have not moved."""

    render: Callable[[str], str]
    deps: Callable[[str], tuple[str, ...]]
    limit: int


FRAGMENTS: dict[str, Fragment] = {}


def fragment(
    name: str, *, deps: Callable[[str], tuple[str, ...]], limit: int
) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    """Register a fragment renderer under `name` (a hole's first part)."""

    def register(render: Callable[[str], str]) -> Callable[[str], str]:
        FRAGMENTS[name] = Fragment(render, deps, limit)
        return render

    return register


@dataclass(frozen=True)
class Marks:
    """This app's marks for holes and items (a value no story text knows) and their patterns."""

    mark: str
    holes: re.Pattern[bytes]
    items: re.Pattern[bytes]


def _marks() -> Marks:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    marks: Marks | None = app.extensions.get(MARK_KEY)
    if marks is None:
        secret = str(app.config.get("SECRET_KEY", "")).encode()
        mark = hashlib.sha256(b"holes:" + secret).hexdigest()[:12]
        start = "<!--§".encode() + mark.encode()
        marks = app.extensions[MARK_KEY] = Marks(
            mark,
            re.compile(re.escape(start) + rb":([a-z]+):([0-9]*):([0-9]*)-->"),
            re.compile(re.escape(start) + rb"#([0-9]+)-->"),
        )
    return marks


def _mark() -> str:
    return _marks().mark


@bp.app_template_global("hole")
def hole(name: str, arg: int | str = "", exclude: int | None = None) -> Markup:
    """Where a fragment goes: `name` (with `arg`, e.g. a desk id) leaving out story `exclude`.
    Outside a cached render (an error page, the newsroom's preview) it is filled at once."""
    holes: list[str] | None = g.get("_page_holes")
    if holes is None:
        return Markup(_fill_now(name, str(arg), exclude).decode())
    holes.append(f"{name}:{arg}" if arg != "" else name)
    return Markup(f"<!--§{_mark()}:{name}:{arg}:{exclude if exclude else ''}-->")


def item_marker() -> Callable[[int], str]:
    """What goes before each item of a fragment's list (story 0 after the last), so a page
    can drop its own: one mark read for a whole list."""
    start = f"<!--§{_mark()}#"
    return lambda story_id: f"{start}{story_id:d}-->"


def _fill_now(name: str, arg: str, exclude: int | None) -> bytes:
    if name == DATE:
        return masthead_date().encode()
    return _pick(FRAGMENTS[name].render(arg).encode(), exclude, FRAGMENTS[name].limit)


def _pick(body: bytes, exclude: int | None, limit: int) -> bytes:
    """A fragment's list without story `exclude`, at most `limit` items (none left: nothing)."""
    pieces = _marks().items.split(body)
    if len(pieces) == 1:
        return body
    prefix, rest = pieces[0], pieces[1:]
    items = [(int(rest[i]), rest[i + 1]) for i in range(0, len(rest), 2)]
    suffix = items.pop()[1] if items and items[-1][0] == 0 else b""
    kept = [html for story_id, html in items if story_id != exclude][:limit]
    return prefix + b"".join(kept) + suffix if kept else b""


Layout = tuple[list[memoryview], list[tuple[str, str, str]]]


def _layout(body: bytes, holes: re.Pattern[bytes]) -> Layout:
    """A page's text between its holes (views into its bytes: no copy) and each hole's name,
    argument and story to leave out."""
    view, texts, found, at = memoryview(body), [], [], 0
    for match in holes.finditer(body):
        texts.append(view[at : match.start()])
        name, arg, exclude = (group.decode() for group in match.groups())
        found.append((name, arg, exclude))
        at = match.end()
    texts.append(view[at:])
    return texts, found


def _fragment_deps(fragment_id: str) -> tuple[str, ...]:
    name, _, arg = fragment_id.partition(":")
    return (*FRAGMENTS[name].deps(arg), SITE)


def _render_fragments(fragment_ids: list[str], tokens: Tokens) -> dict[str, Entry]:
    """Fresh copies of these fragments, read in the page's transaction when it rendered (a
    cold article's three fragments each in its own were a tenth of its render: BEGIN,
    rollback, pool return); the caller ends it."""
    rendered: dict[str, Entry] = {}
    if not fragment_ids:
        return rendered
    queries.begin_read()
    for fragment_id in fragment_ids:
        name, _, arg = fragment_id.partition(":")
        html = FRAGMENTS[name].render(arg)
        rendered[fragment_id] = Entry(
            "text/html", html.encode(), _fragment_deps(fragment_id), tokens.counter, tokens.now
        )
    return rendered


def _picked(part: Entry, exclude: int, limit: int) -> bytes:
    return part.remembered((exclude, limit), lambda: _pick(part.body, exclude, limit))


def _assemble(page: Entry, parts: dict[str, Entry]) -> bytes:
    # A copy is laid out once and a fragment's list without a story picked once per copy,
    # not on every request that serves them: scanning a 30 KB page for its holes was the
    # largest part of a hit's own work.
    holes = _marks().holes
    texts, found = page.remembered(holes, lambda: _layout(page.body, holes))
    out: list[bytes | memoryview] = [texts[0]]
    for (name, arg, exclude), text in zip(found, texts[1:], strict=True):
        if name == DATE:
            out.append(masthead_date().encode())
        else:
            part = parts[f"{name}:{arg}" if arg else name]
            out.append(_picked(part, int(exclude or 0), FRAGMENTS[name].limit))
        out.append(text)
    return b"".join(out)


# --- the decorator every public view wears ------------------------------------------------------


def depends(*keys: str) -> None:
    """The page being rendered shows what these keys stand for (its cache copy depends on them).
    A page that declares nothing depends on every change (the safe default)."""
    found: set[str] | None = g.get("_page_deps")
    if found is not None:
        found.update(keys)


def public_headers(response: Response) -> Response:
    """Cache-Control for any public answer (pages, redirects, 404s and 410s alike)."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def local_now() -> datetime:
    return utcnow().astimezone(newsroom_zone())


def _key(path: str, args: Mapping[str, str], vary: tuple[str, ...], clock: int, year: int) -> str:
    # The year is in the key: listings print it for stories of other years, the footer too.
    listed = "&".join(f"{name}={args.get(name, '')}" for name in vary)
    slot = int(time.time() // clock) if clock else 0
    material = f"{path}\n{listed}\n{slot}\n{year}"
    return "p:" + hashlib.sha256(material.encode()).hexdigest()[:40]


def _render(view: Callable[..., Any], kwargs: dict[str, Any], tokens: Tokens) -> Response | Entry:
    """Render the page with holes for its fragments; an Entry for a 200, else the response."""
    g._page_deps, g._page_holes = set(), []
    try:
        queries.begin_read()  # ended by _serve, after the fragments
        returned = view(**kwargs)
        deps, holes = g._page_deps, g._page_holes
    finally:
        g.pop("_page_deps", None)
        g.pop("_page_holes", None)
    if type(returned) is tuple and returned[1:] == (200,) and type(returned[0]) is str:
        # A rendered page (render_page): its bytes, without a Response made only to be read.
        content_type, body = HTML, returned[0].encode()
    else:
        response = make_response(returned)
        if response.status_code != 200:
            return response
        content_type, body = response.content_type, response.get_data()
    return Entry(
        content_type,
        body,
        tuple(sorted(deps | {SITE})) if deps else (COUNTER,),
        tokens.counter,
        tokens.now,
        tuple(dict.fromkeys(h for h in holes if h != DATE)),
    )


@dataclass
class Served:
    """A page as assembled for one request: the page copy, its fragments' copies, and what
    was rendered for it."""

    page: Entry
    parts: dict[str, Entry]
    status: str
    rendered: list[str] = field(default_factory=list)

    @property
    def deps(self) -> list[str]:
        keys = set(self.page.deps).union(*(p.deps for p in self.parts.values()))
        return sorted(keys - {COUNTER})

    def etag(self, key: str, today: str) -> str:
        stamps = [(self.page.number, self.page.rendered)] + [
            (self.parts[h].number, self.parts[h].rendered) for h in self.page.holes
        ]
        return hashlib.sha256(f"{key}\n{today}\n{stamps}".encode()).hexdigest()[:32]

    def modified(self, midnight: datetime) -> datetime:
        newest = max([self.page.rendered] + [p.rendered for p in self.parts.values()])
        return max(datetime.fromtimestamp(int(newest), UTC), midnight)


def _page_copy(
    view: Callable[..., Any], kwargs: dict[str, Any], key: str, cache: LocalCache | TwoTier | None
) -> tuple[Entry, str, Tokens] | Response:
    """A fresh copy of the page (from memory, Redis or a render), how it was got, and the
    numbers its fragments are to be judged by; a response that is not a 200 as it is."""
    page = (cache.get_many([key]) if cache else [None])[0]
    tokens = read_tokens(_wanted(page))
    if isinstance(cache, TwoTier) and (page is None or not page.fresh(tokens)):
        page = cache.get_far([key])[0]
        if page is not None:
            tokens = read_tokens(_wanted(page))
    if page is not None and page.fresh(tokens):
        return page, "hit", tokens
    rendered = _render(view, kwargs, tokens)
    if isinstance(rendered, Response):
        return rendered
    if cache and len(rendered.body) <= MAX_ENTRY_BYTES:
        cache.set(key, rendered)
    if page is None or set(rendered.holes) - set(page.holes):
        tokens = read_tokens(_wanted(rendered))  # fragments first known now: their numbers
    return rendered, "miss" if cache else "off", tokens


def _serve(
    view: Callable[..., Any], kwargs: dict[str, Any], key: str, cache: LocalCache | TwoTier | None
) -> Served | Response:
    """The page's copy and its fragments', each fresh (re-rendered where stale or missing)."""
    try:
        found = _page_copy(view, kwargs, key, cache)
        if isinstance(found, Response):
            return found
        page, status, tokens = found
        served = Served(page, {}, status)
        stored = _fetch(cache, ["f:" + hole_id for hole_id in page.holes], tokens)
        fresh = {h: p for h, p in zip(page.holes, stored, strict=True) if p and p.fresh(tokens)}
        served.rendered = [hole_id for hole_id in page.holes if hole_id not in fresh]
        rendered = _render_fragments(served.rendered, tokens)
    finally:
        queries.release()
    if cache:
        for hole_id, part in rendered.items():
            cache.set("f:" + hole_id, part)
    served.parts = {hole_id: fresh.get(hole_id) or rendered[hole_id] for hole_id in page.holes}
    return served


def _wanted(page: Entry | None) -> set[str]:
    """The keys that decide whether the page and its fragments are fresh."""
    if page is None:
        return set()
    keys = set(page.deps)
    for hole_id in page.holes:
        keys.update(_fragment_deps(hole_id))
    return keys


def _finish(response: Response, served: Served, etag: str, local: datetime) -> Response:
    response.set_etag(etag)
    response.last_modified = served.modified(
        datetime.combine(local.date(), clock_time(), local.tzinfo)
    )
    response.headers["X-Page-Cache"] = served.status
    if served.rendered:
        response.headers["X-Fragments-Rendered"] = " ".join(served.rendered)
    # A CDN that purges by tag can use these (Fastly: Surrogate-Key; Cloudflare: Cache-Tag).
    response.headers["Surrogate-Key"] = " ".join(served.deps)
    response.headers["Cache-Tag"] = ",".join(served.deps)
    return public_headers(response)


def public_page(
    *, vary: tuple[str, ...] = (), store: bool = True, clock: int = 0
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Make a public view cacheable: ETag/Last-Modified, 304s, and the server-side cache.

    `vary` names the query arguments the page depends on (e.g. page, q); any other query
    string is ignored, so `?preview=1` or `?state=draft` is the same public page. `clock`
    (seconds) is for pages that also change with time alone: a new copy every `clock` seconds.
    The view says what it shows with depends(); its template marks fragments with hole().
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        route = Route(vary, clock)

        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            local = local_now()  # one reading of the clock for the key, the ETag and the date
            key = route.key(request.path, request.args, local)
            served = _serve(view, kwargs, key, page_cache() if store else None)
            if isinstance(served, Response):
                return public_headers(served)
            if store and request.method == "GET" and not request.query_string:
                remember(request.path, route, request.url_rule.rule if request.url_rule else "")
            return answer(served, key, local, request)

        return wrapper

    return decorate


# --- serving a hit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """What a public view's key is made of."""

    vary: tuple[str, ...]
    clock: int

    def key(self, path: str, args: Mapping[str, str], local: datetime) -> str:
        return _key(path, args, self.vary, self.clock, local.year)


def remember(path: str, route: Route, rule: str) -> None:
    """Note that `path` (asked without a query string) is this view's, for site.hitfirst."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    known: dict[str, tuple[Route, str]] = app.extensions.setdefault(ROUTES_KEY, {})
    if path not in known:
        if len(known) >= MAX_ROUTES:
            known.clear()  # a crawl of the archive: start again rather than grow
        known[path] = (route, rule)


def remembered(path: str) -> tuple[Route, str] | None:
    """The view (and its URL rule) a plain GET of `path` was last answered by, if any."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found: tuple[Route, str] | None = app.extensions.get(ROUTES_KEY, {}).get(path)
    return found


def near_hit(key: str) -> Served | None:
    """The page `key` and its fragments from this process's memory, every copy fresh (what
    _serve would find there), or None: then only the full path can answer."""
    cache = page_cache()
    near = cache.near if isinstance(cache, TwoTier) else cache
    page = near.get(key) if near else None
    if near is None or page is None:
        return None
    tokens = read_tokens(_wanted(page))
    if not page.fresh(tokens):
        return None
    parts: dict[str, Entry] = {}
    for hole_id in page.holes:
        part = near.get("f:" + hole_id)
        if part is None or not part.fresh(tokens):
            return None
        parts[hole_id] = part
    return Served(page, parts, "hit")


# The request headers make_conditional reads (werkzeug: validators, preconditions, ranges).
CONDITIONAL = frozenset(
    {
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_IF_RANGE",
        "HTTP_RANGE",
    }
)


def answer(served: Served, key: str, local: datetime, asked: Request) -> Response:
    """The 200, or the 304 its validators allow, for `asked` (Flask's request or hitfirst's)."""
    etag = served.etag(key, str(local.date())) if served.status != "off" else ""
    # ETags are only ever sent with a 200: a match means this same page.
    if etag and asked.if_none_match.contains(etag):
        revalidated = replace(served, status="revalidated")
        return _finish(Response(status=304), revalidated, etag, local)
    body = _assemble(served.page, served.parts)
    # Uncached, every request renders: the ETag is the bytes' own.
    etag = etag or hashlib.sha256(body).hexdigest()[:32]
    response = Response(body, content_type=served.page.content_type)
    _finish(response, served, etag, local)
    if any(name in asked.environ for name in CONDITIONAL):
        response.make_conditional(asked)  # answers 304/412 in place
    else:
        # What make_conditional does to a request that asks nothing of it: it would parse
        # back the dates just set, which was a third of a cached page's own time.
        response.headers["Date"] = http_date()
    return response
