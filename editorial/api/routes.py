"""API endpoints: public stories only, as JSON, built on the public site's one predicate."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for

from editorial.api.blueprint import bp
from editorial.services.cache import LATEST, story_key
from editorial.site import queries
from editorial.site.cache import depends, public_page
from editorial.storage import public_base

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


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
@public_page(vary=("page", "per_page", "section"))
def stories():
    """Public stories, newest first: ?page=, ?per_page= (at most 100), ?section=<desk slug>."""
    depends(LATEST)
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    query = queries.card_query()
    section = request.args.get("section")
    if section:
        desk = queries.find_desk(section)
        if desk is None:
            abort(404, f"No section {section!r}.")
        query = queries.desk_stories(desk.id)
    total = queries.count(query)
    pages = max(1, -(-total // per_page))
    items = queries.cards(query, per_page, (page - 1) * per_page)
    images = queries.story_images([card.id for card in items], _media_base())

    def link(number: int) -> str | None:
        if not 1 <= number <= pages:
            return None
        args: dict[str, Any] = {"page": number, "per_page": per_page}
        if section:
            args["section"] = section
        return queries.absolute(url_for("api.stories", **args))

    return jsonify(
        stories=[
            _summary(card)
            | {"images": [_image(role, picture) for role, picture in images.get(card.id, [])]}
            for card in items
        ],
        page=page,
        per_page=per_page,
        pages=pages,
        total=total,
        next=link(page + 1),
        previous=link(page - 1) if page <= pages else None,
    )


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
