"""What every template can use: enums, local-time filters, the site name and date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, request, url_for

from editorial.services.settings import site_tagline
from editorial.timeutil import format_local, utcnow, zone
from editorial.wording import event_words, the_newsroom
from editorial.workflow import Action, Role, StoryState

# Lists format hundreds of times a page: look the zone up once per name, not once per cell.
_zone = lru_cache(maxsize=8)(zone)


def newsroom_zone() -> ZoneInfo:
    return _zone(current_app.config["EDITORIAL_TIMEZONE"])


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """Format an aware instant in newsroom local time."""
    return format_local(value, newsroom_zone(), fmt)


def story_url(story_id: int) -> str:
    """A newsroom story's URL; lists print hundreds, so the route is built once per request."""
    prefix = g.get("_story_url_prefix")
    if prefix is None:
        prefix = g._story_url_prefix = url_for("newsroom.story", story_id=0).removesuffix("0")
    return f"{prefix}{story_id}"


CONSTANT_URLS = "_constant_urls"


def constant_url_for(endpoint: str, **values: Any) -> str:
    """url_for() for templates, each URL of no arguments but a static file's name built once
    per app and mount point (a public page prints a dozen: feed, search, its CSS, a tenth of
    its template's time); any other is built as url_for() builds it."""
    if not has_request_context():
        return url_for(endpoint, **values)
    return _constant(_memo(), request.script_root, endpoint, **values)


def page_url_for() -> Callable[..., str]:
    """constant_url_for bound to this request's app and mount point, for one page's template:
    its dozen URLs each without the two context lookups (a fiftieth of a cold article)."""
    return partial(_constant, _memo(), request.script_root)


def _memo() -> dict[tuple[str, str, str], str]:
    memo: dict[tuple[str, str, str], str] = current_app.extensions.setdefault(CONSTANT_URLS, {})
    return memo


def _constant(
    memo: dict[tuple[str, str, str], str], script_root: str, endpoint: str, **values: Any
) -> str:
    if values.keys() - {"filename"} or endpoint.startswith("."):
        return url_for(endpoint, **values)
    key = (script_root, endpoint, values.get("filename", ""))
    found = memo.get(key)
    if found is None:
        found = memo[key] = url_for(endpoint, **values)
    return found


def masthead_date() -> str:
    """Today in newsroom time, as the seed page prints it: 'Tuesday, December 30, 2025'."""
    now = utcnow().astimezone(newsroom_zone())
    return f"{now:%A}, {now:%B} {now.day}, {now.year}"


class _Lazy:
    """A template value computed only if a template prints it (the tagline costs a query)."""

    def __init__(self, compute: Callable[[], str]) -> None:
        self._compute = compute

    def __str__(self) -> str:
        return self._compute()


def _context() -> dict[str, Any]:
    return {
        "StoryState": StoryState,
        "Action": Action,
        "Role": Role,
        "site_name": current_app.config["SITE_NAME"],
        "the_newsroom": the_newsroom(current_app.config["SITE_NAME"]),
        "event_words": event_words,
        "site_tagline": _Lazy(site_tagline),
        "masthead_date": masthead_date,
        "story_url": story_url,
        "timezone_name": current_app.config["EDITORIAL_TIMEZONE"],
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.globals["url_for"] = constant_url_for
    app.add_template_filter(local_time, "local_time")
