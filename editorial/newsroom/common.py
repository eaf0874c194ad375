"""Helpers shared by the newsroom views: the signed-in person, their story or 404, versions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from editorial.extensions import csrf, db
from editorial.models import Person, Story
from editorial.newsroom.forms import parse_int
from editorial.services.stories import visible_story
from editorial.templating import newsroom_zone

# Where the newsroom preview takes a story's photos from (the public /media/ URLs answer only
# once a public story uses the photo).
STAFF_MEDIA = "/newsroom/media/files/"


def person() -> Person:
    """The signed-in person (the real object, for services that take the actor)."""
    signed_in: Person = current_user._get_current_object()  # flask_login is untyped
    return signed_in


def tz() -> ZoneInfo:
    return newsroom_zone()


def filter_args(*names: str) -> dict[str, str]:
    """The request's non-empty `names`: a list's filters, which its Older/Newer links carry.
    Nothing else: not the cursor, nor a ?page= from before keyset pages (ignored: the list
    shows its first page)."""
    return {name: value for name in names if (value := request.args.get(name))}


def story_options() -> tuple[_AbstractLoad, ...]:
    """Load a story with its desk and authors (its workflow facts) in two queries."""
    return (joinedload(Story.desk), selectinload(Story.authors))


def story_or_404(story_id: int, *loads: _AbstractLoad) -> Story:
    """The story if the person may see it; 404 otherwise, exactly as if it did not exist.

    It comes with its desk and authors, and whatever else the page asks for in `loads`.
    """
    # Loaded here, so the service's lookup below finds it in the session (held here: the
    # identity map is weak).
    loaded = db.session.scalar(
        select(Story).options(*story_options(), *loads).where(Story.id == story_id)
    )
    story = visible_story(story_id, person())
    del loaded
    if story is None:
        abort(404, "There is no such story, or it is not one you can see.")
    return story


def form_version() -> int:
    """The version the form started from; a form without a valid one is refused (never
    last-write-wins)."""
    version = parse_int(request.form.get("version"))
    if version is None:
        abort(
            400,
            "This form did not say which version of the story it was based on, so it was not "
            "applied. Reload the story and try again.",
        )
    return version


def csrf_problem() -> str:
    """Check the CSRF token here rather than before the view, so a failure keeps the text."""
    try:
        csrf.protect()
    except CSRFError as error:
        return (
            f"Nothing was saved: this form's security token was not accepted "
            f"({error.description}). Your text is kept below; press Save again to save it."
        )
    return ""
