"""Newsroom pages: wiring of the route modules, template helpers and the unread badge."""

from __future__ import annotations

from datetime import datetime

from flask import g
from flask_login import current_user

from editorial.newsroom import (  # noqa: F401  (the route modules register themselves)
    queries,
    routes_autosave,
    routes_focal,
    routes_frontpage,
    routes_history,
    routes_lists,
    routes_live,
    routes_media,
    routes_stories,
    routes_story,
    routes_unpublish,
    routes_updates,
    routes_writing,
)
from editorial.newsroom.blueprint import bp
from editorial.newsroom.forms import desk_choices
from editorial.templating import newsroom_zone
from editorial.timeutil import format_local, utcnow
from editorial.workflow import StoryState, can_edit_front_page


def can_file_story() -> bool:
    """Whether the signed-in person is on a desk to file to (else no New story leads into an
    editor that can only say so)."""
    if not current_user.is_authenticated:
        return False
    return bool(desk_choices(current_user))


def unread_notifications() -> int:
    """The nav badge: one COUNT per page, only when a template asks for it."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = queries.unread_count(current_user.id)
    count: int = g.unread_notifications  # g is untyped
    return count


@bp.app_context_processor
def _newsroom_context() -> dict[str, object]:
    return {
        "unread_notifications": unread_notifications,
        "can_edit_front_page": can_edit_front_page,
        "can_file_story": can_file_story,
    }


@bp.app_template_filter("as_state")
def as_state(value: str) -> StoryState:
    """A state from its stored value (imported macros do not see the context's enums)."""
    return StoryState(value)


@bp.app_template_filter("machine_time")
def machine_time(value: datetime) -> str:
    """An instant for a <time datetime> attribute (whole seconds, as HTML wants)."""
    return value.replace(microsecond=0).isoformat()


@bp.app_template_filter("local_input")
def local_input(value: datetime | None) -> str:
    """An instant as the value of a datetime-local input, in newsroom time."""
    return format_local(value, newsroom_zone(), "%Y-%m-%dT%H:%M")


@bp.app_template_filter("waited")
def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long something has waited, as an editor says it: '2 h 15 min', '3 d 4 h'."""
    if since is None:
        return ""
    minutes = max(0, int(((now or utcnow()) - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min" if mins else "under a minute"
