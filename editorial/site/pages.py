"""Reader-facing pages: homepage, sections, tags, latest, search, articles."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest, NotFound

from editorial import keyset
from editorial.errors import render_error
from editorial.services.cache import LATEST, TOP, desk_key, story_key, tag_key
from editorial.site import items, live, queries
from editorial.site.blueprint import bp
from editorial.site.cache import depends, fragment, hole, public_headers, public_page
from editorial.site.queries import Article, Card, LeadPhoto
from editorial.templating import constant_url_for, page_url_for
from editorial.timeutil import utcnow, zone

TOP_COUNT = 6
LATEST_COUNT = 10
BLOCK_COUNT = 5
SIDEBAR_COUNT = 6
MORE_COUNT = 5
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1
STAFF_SEGMENTS = "site_staff_segments"  # on app.extensions


def render_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a public page: navigation and masthead added. The read transaction stays open
    for the page's fragments (site.cache ends it; outside it, the request's end does)."""
    if "sections" not in context:  # the homepage has read them already
        context["sections"] = queries.sections(navigation=True)
    config = current_app.config
    context["tagline"] = queries.site_tagline()
    context["year"] = utcnow().astimezone(zone(config["EDITORIAL_TIMEZONE"])).year
    context["site_url"] = config["SITE_URL"]
    context["site_name"] = config["SITE_NAME"]
    context["timezone_name"] = config["EDITORIAL_TIMEZONE"]
    context["url_for"] = page_url_for()
    # The same page for everyone, so none of the app's context processors run: nothing about
    # who is signed in (the signed-in user, a CSRF token, the newsroom's unread count) is in
    # a reader's template to show (they were also a twentieth of the homepage's render).
    return current_app.jinja_env.get_template(template).render(context), status


@bp.record_once
def _release_with_the_context(state: BlueprintSetupState) -> None:
    """A read left open (a page that failed half-way) goes back to the pool with its context."""
    state.app.teardown_appcontext(queries.release)


# A story in a list, made in Python (editorial.site.items): the templates lay the page out.
bp.add_app_template_global(items.story_item)
bp.add_app_template_global(items.headline_list)
bp.add_app_template_global(items.headline)
bp.add_app_template_global(items.meta)
bp.add_app_template_global(items.story_time)
bp.add_app_template_global(items.thumb)
bp.add_app_template_global(items.side_block)
bp.add_app_template_global(items.more_articles)
bp.add_app_template_global(items.section_links)
bp.add_app_template_global(items.ad)
bp.add_app_template_global(items.ld_json)


@bp.app_template_filter("news_time")
def news_time(value: Any) -> str:
    """'30 December 2025, 6:05 pm' in newsroom time."""
    if value is None:
        return ""
    local = value.astimezone(zone(current_app.config["EDITORIAL_TIMEZONE"]))
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y}, {hour}:{local:%M} {'am' if local.hour < 12 else 'pm'}"


@bp.errorhandler(NotFound)
def not_found(_error: NotFound):
    queries.begin_read()  # the page's own read may have ended: a reader's 404 takes no lock
    body, status = render_page("site/error.html", 404, title="Page not found")
    return public_headers(current_app.make_response((body, status)))


@bp.app_errorhandler(NotFound)
def no_such_address(error: NotFound):
    """An address no route knows: the paper's 404 (masthead, search) where a reader would
    type it; under a staff area's first segment (/newsroom/..., /admin/..., /api/...) that
    area's own answer, as for any of its refusals."""
    first = request.path.strip("/").split("/", 1)[0]
    if request.blueprint is not None or first in _staff_segments():
        return render_error(404, error.description or "")
    return not_found(error)


def _staff_segments() -> frozenset[str]:
    """The first path segments of every route that is not a reader's page."""
    segments = current_app.extensions.get(STAFF_SEGMENTS)
    if segments is None:
        segments = current_app.extensions[STAFF_SEGMENTS] = frozenset(
            rule.rule.strip("/").split("/", 1)[0]
            for rule in current_app.url_map.iter_rules()
            if not rule.endpoint.startswith("site.")
        )
    return segments


@bp.errorhandler(BadRequest)
def bad_request(error: BadRequest):
    """An address the site never wrote (a junk ?before=): the site's page, saying why."""
    queries.begin_read()
    body, status = render_page(
        "site/error.html", 400, title="Not a page of this site", message=error.description
    )
    return public_headers(current_app.make_response((body, status)))


# --- listings -----------------------------------------------------------------------------------


def page_number() -> int:
    """?page=N (1 if absent); anything else is a page that does not exist."""
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


LISTING_ARGS = ("page", "before", "after")  # what a listing's page depends on (cache keys)


def listing(
    template: str, query: Any, *, hide_empty: bool = False, **context: Any
) -> ResponseReturnValue:
    """A list of public stories, a keyset page at a time (?before= older, ?after= newer).

    Nothing is counted: "Older stories" shows while there are any. An old ?page=N link moves
    (301) to the keyset address of the same place; a page past the end is 404, and so is an
    empty first page with `hide_empty`."""
    if "page" in request.args:
        return _old_page(query)
    before, after = keyset.requested()
    page = queries.page_of(query, queries.PAGE_SIZE, before=before, after=after)
    if not page.items and (before or after or hide_empty):
        abort(404)
    (items,) = queries.with_thumbs(page.items)
    return render_page(
        template,
        items=items,
        older=page.older and _listing_url(before=page.older),
        newer=page.newer and _listing_url(after=page.newer),
        is_first=before is None and after is None,
        **context,
    )


def _old_page(query: Any) -> ResponseReturnValue:
    """?page=N from before keyset pages: 301 to where that page starts now."""
    number = page_number()
    if number == 1:
        return redirect(_listing_url(), 301)
    cursor = queries.page_start(query, (number - 1) * queries.PAGE_SIZE)
    if cursor is None:
        abort(404)
    return redirect(_listing_url(before=cursor.token()), 301)


def _listing_url(**cursor: str) -> str:
    """This listing's address at a cursor (or its first page)."""
    args: dict[str, Any] = {**(request.view_args or {}), **cursor}
    return url_for(request.endpoint or "site.home", **args)


def page_url(number: int) -> str:
    """The search page's address at another page (keeping the search words)."""
    args: dict[str, Any] = dict(request.view_args or {})
    if request.args.get("q"):
        args["q"] = request.args["q"]
    if number > 1:
        args["page"] = number
    return url_for(request.endpoint or "site.home", **args)


def numbered(template: str, query: Any, **context: Any) -> tuple[str, int]:
    """Search results, counted and numbered (?page=N): a search's matches are few beside the
    archive, and readers expect "N results"."""
    page = page_number()
    total = queries.count(query)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    if page > pages:
        abort(404)
    (items,) = queries.with_thumbs(
        queries.cards(query, queries.PAGE_SIZE, (page - 1) * queries.PAGE_SIZE)
    )
    return render_page(
        template, items=items, page=page, pages=pages, total=total, page_url=page_url, **context
    )


@bp.get("/")
@public_page()
def home():
    """Lead story, Top News, Latest News and a block per desk."""
    depends(LATEST, TOP)
    return home_page()


def home_page(order: list[int] | None = None, **extra: Any) -> tuple[str, int]:
    """The homepage; with `order` (story ids, the lead first), as it would be in that order
    (the newsroom's front-page preview: the same template, the same public stories)."""
    if order is None:
        top = queries.top_news(TOP_COUNT + 1)
    else:
        top = queries.arranged(queries.top_news(queries.TOP_NEWS_MAX), order)[: TOP_COUNT + 1]
    latest = queries.latest(LATEST_COUNT)
    sections = queries.sections(navigation=True)
    desk_cards = queries.desk_blocks([s.id for s in sections], BLOCK_COUNT)
    # Photos for what shows one: a desk block's first story, not the headlines under it.
    top, newest, *block_leads = queries.with_thumbs(
        top, latest[:1], *(cards[:1] for cards in desk_cards)
    )
    lead = next(iter(top or newest), None)
    blocks = [
        (section, first + cards[1:])
        for section, first, cards in zip(sections, block_leads, desk_cards, strict=True)
    ]
    return render_page(
        "site/home.html",
        sections=sections,
        lead=lead,
        top=[c for c in top if lead is None or c.id != lead.id][:TOP_COUNT],
        latest=latest,
        blocks=[(section, cards) for section, cards in blocks if cards],
        is_home=True,
        **extra,
    )


@bp.get("/latest")
@public_page(vary=LISTING_ARGS)
def latest():
    depends(LATEST)
    return listing(
        "site/listing.html",
        queries.card_query(),
        title="Latest News",
        kicker="All sections",
        canonical=url_for("site.latest"),
    )


@bp.get("/<desk_slug>/")
@public_page(vary=LISTING_ARGS)
def section(desk_slug: str):
    desk = queries.find_desk(desk_slug)
    if desk is None:
        abort(404)
    if desk.slug in queries.RESERVED_SLUGS:
        return redirect(_with_page(desk.url), 301)
    return _section_page(desk)


@bp.get("/section/<desk_slug>/")
@public_page(vary=LISTING_ARGS)
def section_alias(desk_slug: str):
    """Another address for a section (and the address of a desk whose slug is reserved)."""
    desk = queries.find_desk(desk_slug)
    if desk is None:
        abort(404)
    if desk.slug not in queries.RESERVED_SLUGS:
        return redirect(_with_page(desk.url), 301)
    return _section_page(desk)


def _section_page(desk: queries.NavItem) -> ResponseReturnValue:
    depends(desk_key(desk.id))
    return listing(
        "site/listing.html",
        queries.desk_stories(desk.id),
        title=desk.name,
        current=desk.slug,
        at_section=True,
        canonical=desk.url,
        feed=url_for("site.section_feed", desk_slug=desk.slug),
    )


def _with_page(path: str) -> str:
    """The same listing page at the section's own address."""
    kept = {name: request.args[name] for name in LISTING_ARGS if name in request.args}
    return f"{path}?{urlencode(kept)}" if kept else path


@bp.get("/tag/<tag_slug>")
@public_page(vary=LISTING_ARGS)
def tag(tag_slug: str):
    """A tag's public stories. A tag with none does not exist for readers (its name could leak
    an unpublished story)."""
    found = queries.find_tag(tag_slug)
    if found is None:
        abort(404)
    depends(tag_key(found.id))
    return listing(
        "site/listing.html",
        queries.tag_stories(found.id),
        hide_empty=True,
        title=found.name,
        kicker="Tag",
        canonical=queries.tag_url(found.slug),
    )


@bp.get("/search")
@public_page(vary=("q", "page"), store=False)
def search():
    """Full-text search of public stories, newest first."""
    text = request.args.get("q", "").strip()[:200]
    query = queries.search_stories(text) if text else None
    if query is None:
        return render_page("site/search.html", q=text, items=None, page=1, pages=1, total=0)
    return numbered("site/search.html", query, q=text)


# --- articles -----------------------------------------------------------------------------------


def entry_cursor() -> int | None:
    """?before=N, a live story's older entries; anything but an id is a page that does not
    exist."""
    raw = request.args.get("before")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        abort(404)
    return int(raw)


@bp.get("/<desk_slug>/<yyyy>/<mm>/<dd>/<slug>")
@public_page(vary=("before",))
def article(desk_slug: str, yyyy: str, mm: str, dd: str, slug: str):
    """A public story; an old slug or address moves (301), a withdrawn one is gone (410)."""
    story = queries.public_article(slug)
    if story is None:
        renamed = queries.renamed_path(slug)
        if renamed is not None:
            return redirect(renamed, 301)
        if queries.is_withdrawn(slug):
            return render_page("site/gone.html", 410, title="Article withdrawn")
        abort(404)
    if (desk_slug, yyyy, mm, dd, slug) != _path_parts(story):
        return redirect(_with_before(_story_path(story)), 301)
    before = entry_cursor()
    coverage = live.coverage_of(story, before)
    if before is not None and not (coverage and coverage.entries):
        abort(404)
    depends(story_key(story.id))
    view = queries.article_of(story)
    # Beside and below it, what every article shows: fragments cached on their own.
    return render_page(
        "site/article.html",
        article=view,
        more=hole("more", story.desk_id, exclude=story.id),
        top=hole("top", exclude=story.id),
        latest=hole("latest", exclude=story.id),
        current=view.card.desk_slug,
        canonical=view.card.url,
        jsonld=news_article_jsonld(view, coverage),
        live=coverage,
    )


@bp.get("/<desk_slug>/<yyyy>/<mm>/<dd>/<slug>/live")
@public_page()
def live_entries(desk_slug: str, yyyy: str, mm: str, dd: str, slug: str):
    """The newest entries of a live story as an HTML fragment, for live.js to poll: cached
    like any page, and a 304 while nothing changed (the ETag moves with every entry)."""
    story = queries.public_article(slug)
    if story is None or (desk_slug, yyyy, mm, dd, slug) != _path_parts(story):
        abort(404)
    depends(story_key(story.id))
    coverage = live.coverage_of(story)
    if coverage is None:
        abort(404)
    html = render_template("site/_live.html", live=coverage, canonical=_story_path(story))
    return current_app.response_class(html, mimetype="text/html")


# --- fragments: the parts every article shows, cached once for all of them ---------------------


@fragment("top", deps=lambda _arg: (TOP,), limit=SIDEBAR_COUNT)
def top_fragment(_arg: str) -> str:
    """Top News beside an article (one more than shown: the article's own may be left out)."""
    cards = queries.top_news(SIDEBAR_COUNT + 1)
    return items.side_block("side-top-heading", "Top News", cards, marked=True)


@fragment("latest", deps=lambda _arg: (LATEST,), limit=SIDEBAR_COUNT)
def latest_fragment(_arg: str) -> str:
    cards = queries.latest(SIDEBAR_COUNT + 1)
    return items.side_block("side-latest-heading", "Latest News", cards, marked=True)


@fragment("more", deps=lambda desk_id: (desk_key(int(desk_id)),), limit=MORE_COUNT)
def more_fragment(desk_id: str) -> str:
    """More articles from a desk, under each of its articles."""
    (cards,) = queries.with_thumbs(queries.more_from_desk(int(desk_id), limit=MORE_COUNT + 1))
    return items.more_articles(cards, marked=True)


def _with_before(path: str) -> str:
    before = request.args.get("before")
    return f"{path}?before={before}" if before else path


def _story_path(story: Any) -> str:
    return queries.story_url(
        story.desk.slug, story.first_published_at or story.published_at, story.slug
    )


def _path_parts(story: Any) -> tuple[str, str, str, str, str]:
    when = (story.first_published_at or story.published_at).astimezone(
        zone(current_app.config["EDITORIAL_TIMEZONE"])
    )
    return (story.desk.slug, f"{when:%Y}", f"{when:%m}", f"{when:%d}", story.slug)


def news_article_jsonld(article: Article, coverage: live.Coverage | None = None) -> dict[str, Any]:
    """schema.org NewsArticle for an article page (escaped by ld_json in the template); a
    LiveBlogPosting with the page's entries for live coverage."""
    card: Card = article.card
    url = queries.absolute(card.url)
    site = current_app.config["SITE_URL"]
    authors = [card.byline] if card.byline else article.authors
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": card.headline,
        "description": card.standfirst,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": card.published_at.isoformat(timespec="seconds"),
        "dateModified": (card.updated_at or card.published_at).isoformat(timespec="seconds"),
        "author": [{"@type": "Person", "name": name} for name in authors or ["Staff Reporter"]],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": current_app.config["SITE_NAME"],
            "url": site + "/",
            "logo": {
                "@type": "ImageObject",
                "url": site + constant_url_for("static", filename="img/logo.svg"),
            },
        },
        "articleSection": card.desk_name,
        "keywords": [name for name, _url in article.tags],
        "wordCount": article.word_count,
        "inLanguage": "en",
        "isAccessibleForFree": True,
        **({"image": _image_object(article.lead)} if article.lead else {}),
        **(_live_blog(coverage, url) if coverage else {}),
    }


def _live_blog(coverage: live.Coverage, url: str) -> dict[str, Any]:
    entries = ([coverage.pinned] if coverage.pinned else []) + coverage.entries
    return {
        "@type": "LiveBlogPosting",
        "coverageStartTime": coverage.started_at.isoformat(timespec="seconds"),
        **(
            {"coverageEndTime": coverage.ended_at.isoformat(timespec="seconds")}
            if coverage.ended_at
            else {}
        ),
        **(
            {"dateModified": coverage.updated_at.isoformat(timespec="seconds")}
            if coverage.updated_at
            else {}
        ),
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "headline": entry.text[:110],
                "articleBody": entry.text,
                "url": f"{url}#entry-{entry.id}",
                "datePublished": entry.created_at.isoformat(timespec="seconds"),
                "dateModified": (entry.edited_at or entry.created_at).isoformat(timespec="seconds"),
            }
            for entry in entries
        ],
    }


def _image_object(lead: LeadPhoto) -> dict[str, Any]:
    url, width, height = lead.social
    return {
        "@type": "ImageObject",
        "url": url,
        "width": width,
        "height": height,
        "caption": lead.caption,
        "creditText": lead.credit,
    }
