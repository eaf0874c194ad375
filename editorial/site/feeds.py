"""Feeds and discovery: RSS per site and section, sitemaps, the Google News sitemap, robots.txt."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from flask import Response, abort, current_app, render_template, url_for

from editorial.services.cache import LATEST, SITE, desk_key
from editorial.site import queries
from editorial.site.blueprint import bp
from editorial.site.cache import depends, public_page

FEED_SIZE = 30
SITEMAP_SIZE = 10_000  # story URLs per sitemap file (Google allows 50,000)
NEWS_WINDOW = timedelta(hours=48)
NEWS_SIZE = 1000  # Google News reads at most 1,000 URLs
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@bp.app_template_filter("xml_safe")
def xml_safe(value: Any) -> str:
    """Drop characters XML 1.0 cannot carry (a stray control character would break a feed)."""
    return XML_INVALID.sub("", str(value or ""))


@bp.app_template_filter("rfc822")
def rfc822(value: Any) -> str:
    return format_datetime(value, usegmt=True) if value else ""


@bp.app_template_filter("w3c")
def w3c(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def xml(template: str, **context: Any) -> Response:
    """Render an XML document from data already read (the database is released first)."""
    context["absolute"] = queries.absolute
    context["site_url"] = current_app.config["SITE_URL"]
    queries.release()
    body = render_template(template, **context)
    return Response(body, mimetype="application/xml")


def rss(items: list[queries.Card], *, title: str, link: str, self_path: str) -> Response:
    site = current_app.config["SITE_NAME"]
    response = xml(
        "site/feed.xml",
        items=items,
        images=queries.feed_images([c.id for c in items]),
        title=f"{site}: {title}" if title else site,
        link=queries.absolute(link),
        self_url=queries.absolute(self_path),
        description=f"The latest {title + ' ' if title else ''}news from {site}, Dhaka.",
        built=max((c.published_at for c in items), default=None),
    )
    response.mimetype = "application/rss+xml"
    return response


@bp.get("/feed.xml")
@public_page()
def feed():
    """RSS 2.0 of the newest public stories of every section."""
    depends(LATEST)
    return rss(queries.latest(FEED_SIZE), title="", link="/", self_path=url_for("site.feed"))


@bp.get("/<desk_slug>/feed.xml")
@public_page()
def section_feed(desk_slug: str):
    """RSS 2.0 of one section."""
    desk = queries.find_desk(desk_slug)
    if desk is None:
        abort(404)
    depends(desk_key(desk.id))
    items = queries.cards(queries.desk_stories(desk.id), FEED_SIZE)
    return rss(
        items,
        title=desk.name,
        link=desk.url,
        self_path=url_for("site.section_feed", desk_slug=desk.slug),
    )


@bp.get("/sitemap.xml")
@public_page()
def sitemap():
    """Every public story and section; an index of smaller sitemaps once there are many.

    Part N holds the public stories with ids from (N - 1) * SITEMAP_SIZE + 1 to N *
    SITEMAP_SIZE: nothing counts the archive or skips through it, and a story stays in its
    part for good (a part may hold fewer than SITEMAP_SIZE, as some ids are not public)."""
    depends(LATEST)
    last = queries.last_public_id()
    if last <= SITEMAP_SIZE:
        return xml(
            "site/sitemap.xml",
            sections=queries.sections(),
            stories=queries.sitemap_rows(1, SITEMAP_SIZE),
        )
    parts = [url_for("site.sitemap_sections")] + [
        url_for("site.sitemap_stories", number=n) for n in range(1, _parts(last) + 1)
    ]
    return xml("site/sitemap_index.xml", parts=parts)


def _parts(last_id: int) -> int:
    return -(-last_id // SITEMAP_SIZE)


@bp.get("/sitemaps/sections.xml")
@public_page()
def sitemap_sections():
    depends(SITE)
    return xml("site/sitemap.xml", sections=queries.sections(), stories=[])


@bp.get("/sitemaps/stories-<int:number>.xml")
@public_page()
def sitemap_stories(number: int):
    """One part of the index; a part the index does not list is 404 (an empty one it lists
    is an empty, valid sitemap)."""
    depends(LATEST)
    if not 1 <= number <= _parts(queries.last_public_id()):
        abort(404)
    first = (number - 1) * SITEMAP_SIZE + 1
    stories = queries.sitemap_rows(first, first + SITEMAP_SIZE - 1)
    return xml("site/sitemap.xml", sections=None, stories=stories)


@bp.get("/news-sitemap.xml")
@public_page(clock=300)
def news_sitemap():
    """Google News sitemap: stories first published in the last 48 hours.

    Its window moves with the clock as well as with publishing: a fresh copy every 5 minutes
    (a story may stay a few minutes past 48 hours; it never appears before it is public).
    """
    depends(LATEST)
    return xml(
        "site/news_sitemap.xml", items=queries.recent_first_published(NEWS_WINDOW, NEWS_SIZE)
    )


@bp.get("/robots.txt")
def robots():
    site = current_app.config["SITE_URL"]
    lines = [
        "User-agent: *",
        "Disallow: /newsroom/",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /login",
        "Disallow: /account/",
        "Disallow: /search",
        "Allow: /",
        "",
        f"Sitemap: {site}/sitemap.xml",
        f"Sitemap: {site}/news-sitemap.xml",
        "",
    ]
    response = Response("\n".join(lines), mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
