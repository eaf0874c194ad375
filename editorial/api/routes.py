"""API endpoints: public stories only, as JSON, built on the public site's one predicate."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for

from editorial import keyset
from editorial.api.blueprint import bp
from editorial.services.cache import LATEST, story_key
from editorial.site import queries
from editorial.site.cache import depends, public_page
from editorial.storage import public_base

DEFAULT_PER_PAGE = 20
BAD_CURSOR = "before and after take a cursor from a next or previous link, and only one."
MAX_PER_PAGE = 100
Place = tuple[queries.Cursor | None, queries.Cursor | None]  # (before, after)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        abort(400, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def _summary(card: queries.Card) -> dict[str, Any]:
    return {
        "id": card.id,
        "headline": card.headline,
        "standfirst": card.standfirst,
        "byline": card.byline,
        "dateline": card.dateline,
        "section": {"slug": card.desk_slug, "name": card.desk_name},
        "url": queries.absolute(card.url),
        "published_at": card.published_at.isoformat(timespec="seconds"),
        "updated_at": card.updated_at.isoformat(timespec="seconds") if card.updated_at else None,
    }


def _media_base() -> str:
    """Photos in the API are absolute URLs, in the images and in body_html alike (the site's
    /media/, or the public store's base URL, which is absolute already)."""
    return queries.absolute(public_base())


def _image(role: str, picture: queries.LeadPhoto) -> dict[str, Any]:
    """A public story's photo: its JPEG for any client, and every rendition by format."""
    return {
        "role": role,
        "url": picture.src,
        "width": picture.width,
        "height": picture.height,
        "alt": picture.alt,
        "caption": picture.caption,
        "credit": picture.credit,
        "renditions": [
            {"type": mime, "url": url, "width": width, "height": height}
            for mime, url, width, height in picture.renditions
        ],
    }


@bp.get("/stories")
@public_page(vary=("page", "per_page", "section", "before", "after"))
def stories():
    """Public stories, newest first, a keyset page at a time: ?before=<cursor> (older),
    ?after=<cursor> (newer), ?per_page= (at most 100), ?section=<desk slug>.

    `next` and `previous` are those addresses (stable: a page keeps its stories however many
    are published later) and a deep page costs what the first costs. Nothing is counted (the
    count read every public story). An old ?page=N still answers, from where it starts now."""
    depends(LATEST)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    section = request.args.get("section")
    query = queries.card_query()
    if section:
        desk = queries.find_desk(section)
        if desk is None:
            abort(404, f"No section {section!r}.")
        query = queries.desk_stories(desk.id)
    place = _place(query, per_page)
    if place is None:  # an old ?page=N past the end: an empty page, as it always was
        return jsonify(stories=[], per_page=per_page, next=None, previous=None)
    before, after = place
    page = queries.page_of(query, per_page, before=before, after=after)
    images = queries.story_images([card.id for card in page.items], _media_base())

    def link(**cursor: str | None) -> str | None:
        if not all(cursor.values()):
            return None
        args: dict[str, Any] = {"per_page": per_page, **cursor}
        if section:
            args["section"] = section
        return queries.absolute(url_for("api.stories", **args))

    return jsonify(
        stories=[
            _summary(card)
            | {"images": [_image(role, picture) for role, picture in images.get(card.id, [])]}
            for card in page.items
        ],
        per_page=per_page,
        next=link(before=page.older),
        previous=link(after=page.newer),
    )


def _place(query: Any, per_page: int) -> Place | None:
    """The page asked for as (before, after) cursors. An old ?page=N becomes the cursor where
    that page starts now (an OFFSET walk, for old links only; None past the end)."""
    before, after = keyset.requested(BAD_CURSOR)
    if "page" not in request.args:
        return before, after
    if before or after:
        abort(400, "Give one of page, before and after.")
    number = _int_arg("page", 1, 1, 1_000_000)
    if number == 1:
        return None, None
    start = queries.page_start(query, (number - 1) * per_page)
    return None if start is None else (start, None)


@bp.get("/stories/<int:story_id>")
@public_page()
def story(story_id: int):
    """One public story with its body, photos and notices; anything not public is 404."""
    depends(story_key(story_id))
    found = queries.public_story_by_id(story_id)
    if found is None:
        abort(404, "No such story.")
    article = queries.article_of(found, media_base=_media_base())
    return jsonify(
        _summary(article.card)
        | {
            "body_html": article.body_html,
            "authors": article.authors,
            "tags": [name for name, _url in article.tags],
            "word_count": article.word_count,
            "images": [
                *([_image("lead", article.lead)] if article.lead else []),
                *(_image("body", picture) for picture in article.body_photos),
            ],
            "corrections": [
                {
                    "kind": "correction" if notice.is_correction else "update",
                    "note": notice.note,
                    "at": notice.created_at.isoformat(timespec="seconds"),
                }
                for notice in article.notices
            ],
        }
    )
