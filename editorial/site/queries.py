"""What readers may see, and nothing else: every public listing starts from `public_stories()`.

The predicate is `editorial.public.is_public` (the photo services share it). Pages, feeds,
sitemaps, search, counts, JSON-LD, More articles, Top News and the JSON API all build on it, so
a story that is not public cannot appear through one of them by accident. Results leave as
plain dataclasses (`Card`, `Article`) so templates never touch the database. Public reads run in
one read-only transaction a page, its fragments included (on SQLite a deferred BEGIN, not the
write lock every other transaction takes; see editorial.database); the page's statements are
prepared once (editorial.site.prepared).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

from flask import current_app, g
from markupsafe import Markup, escape
from sqlalchemy import (
    BindParameter,
    Connection,
    Executable,
    Result,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from editorial import imaging, keyset
from editorial.database import READ_ONLY
from editorial.extensions import db
from editorial.keyset import Cursor, Window
from editorial.models import (
    Correction,
    Desk,
    Person,
    Photo,
    Placement,
    Rendition,
    SiteSetting,
    SlugRedirect,
    Story,
    StoryPhoto,
    Tag,
    story_authors,
    story_tags,
)
from editorial.models.story import front_page_order
from editorial.public import NOW, is_public, photo_is_public
from editorial.rendering import PhotoRef, fill_photos, photo_refs
from editorial.search import matches
from editorial.services.photo_use import ref_problem
from editorial.services.settings import TAGLINE
from editorial.site.prepared import Prepared
from editorial.storage import public_base
from editorial.timeutil import utcnow, zone
from editorial.workflow import StoryState

T = TypeVar("T")
READ_CONNECTION = "_public_read_connection"  # on flask.g

PAGE_SIZE = 20
TOP_NEWS_MAX = 200  # the most Top News stories a front-page preview arranges
# First path segments that belong to other parts of the app: a desk with one of these slugs
# gets its section at /section/<slug>/ instead of /<slug>/.
RESERVED_SLUGS = frozenset(
    {"newsroom", "admin", "api", "static", "section", "tag", "news", "login", "logout", "account"}
)


def public_stories(*entities: Any) -> Select:
    """SELECT of public stories (whole Story rows by default), newest first."""
    return (
        select(*(entities or (Story,)))
        .where(is_public())
        .order_by(Story.published_at.desc(), Story.id.desc())
    )


def run(query: Executable, **params: Any) -> Result:
    """Execute a public query of columns at this instant, on the request's connection: the
    session's ORM execution costs three to four times as much per statement (its compile
    state, events and result setup), and these queries load no objects. Build a query once
    (bind parameters for what varies) and its cache key is computed once too."""
    return _connection().execute(query, {NOW: utcnow(), **params})


def _connection() -> Connection:
    # The read transaction's connection, kept by begin_read(); outside one (a newsroom
    # preview, the API) the session's, in the session's transaction.
    connection: Connection | None = g.get(READ_CONNECTION)
    if connection is None or connection.closed:
        return db.session.connection()
    return connection


def rows(prepared: Prepared, **params: Any) -> list[tuple[Any, ...]]:
    """Run a prepared public statement at this instant, on the request's connection: the
    reader's pages' own statements, compiled once and run below SQLAlchemy's result layer
    (editorial.site.prepared: a fifth of a cold article was SQLAlchemy's work per statement)."""
    return prepared.rows(_connection(), {NOW: utcnow(), **params})


def scalar(query: Select[T]) -> T | None:
    """The first column of the first row of a public query of columns, at this instant."""
    found: T | None = _connection().scalar(query, {NOW: utcnow()})
    return found


def begin_read() -> None:
    """Start this request's reads as a read-only transaction (no SQLite write lock), unless
    one is under way: a cold page and its fragments read in one.

    It is a connection of the engine's, not the session's: a reader's page loads no objects,
    and the session's transaction around the same BEGIN and ROLLBACK was a tenth of a cold
    article (its transaction objects, a new session per request). Every query of the site
    runs on it (rows(), run(), scalar()); the app context's end closes it if nothing did."""
    connection: Connection | None = g.get(READ_CONNECTION)
    if connection is not None:
        if not connection.closed and connection.in_transaction():
            return
        connection.close()  # its read ended some other way: back to the pool before a new one
    connection = db.engine.connect().execution_options(**{READ_ONLY: True})
    connection.begin()
    setattr(g, READ_CONNECTION, connection)


def release(_error: BaseException | None = None) -> None:
    """End the read transaction (what it read is already copied into plain values) and give
    its connection back to the pool."""
    connection: Connection | None = g.pop(READ_CONNECTION, None)
    if connection is not None:
        connection.close()


@cache
def _public_rendition() -> Select:
    return (
        select(Rendition.format)
        .where(Rendition.key == bindparam("rendition_key"), photo_is_public(Rendition.photo_id))
        .limit(1)
    )


def public_rendition_format(key: str) -> str | None:
    """The format of the rendition named `key` if a public story uses its photo (as its lead,
    in its body or in a live entry), else None: a photo of a draft, scheduled, embargoed or
    withdrawn story is not public at any URL."""
    found: str | None = _connection().scalar(
        _public_rendition(), {NOW: utcnow(), "rendition_key": key}
    )
    return found


# --- URLs ---------------------------------------------------------------------------------------


# Listings build hundreds of these (a sitemap, thousands), so they are formatted directly
# rather than through url_for; tests check both agree with the routes in pages.py.


def _segment(text: str) -> str:
    """A slug as a path segment, percent-encoded the way url_for encodes it."""
    return quote(text, safe="")


@lru_cache(maxsize=1024)
def section_url(desk_slug: str) -> str:
    if desk_slug in RESERVED_SLUGS:
        return f"/section/{_segment(desk_slug)}/"
    return f"/{_segment(desk_slug)}/"


@lru_cache(maxsize=1024)
def tag_url(tag_slug: str) -> str:
    return f"/tag/{_segment(tag_slug)}"


def story_url(desk_slug: str, first_published_at: datetime | None, slug: str) -> str:
    """/<desk>/<yyyy>/<mm>/<dd>/<slug>, dated by first publication in newsroom time."""
    tz = current_app.config["EDITORIAL_TIMEZONE"]
    return _dated_path(tz, desk_slug, first_published_at or utcnow(), slug)


@lru_cache(maxsize=8192)
def _dated_path(tz: str, desk_slug: str, first_published_at: datetime, slug: str) -> str:
    # Made once per story in a process: a cold page lists some 50 stories, each URL two
    # percent-encodings and a time zone conversion.
    when = first_published_at.astimezone(zone(tz))
    return f"/{_segment(desk_slug)}/{when:%Y/%m/%d}/{_segment(slug)}"


def absolute(path: str) -> str:
    """An absolute URL on the public site (SITE_URL), for canonical links, feeds and sitemaps;
    a URL that is already absolute (a photo on a CDN) stays as it is."""
    if "://" in path:
        return path
    site: str = current_app.config["SITE_URL"]
    return site + path


# --- view models --------------------------------------------------------------------------------


class Card(NamedTuple):
    """A story as listings show it. A named tuple, not a frozen dataclass: a cold homepage
    makes some seventy, and a frozen dataclass sets each field through object.__setattr__
    (1.4 µs a card against 0.3)."""

    id: int
    headline: str
    standfirst: str
    byline: str
    dateline: str
    url: str
    desk_name: str
    desk_slug: str
    desk_url: str
    published_at: datetime  # first publication
    updated_at: datetime | None
    slug: str
    thumb: Thumb | None = None  # set by with_thumbs() on the lists that show one
    is_live: bool = False  # live coverage under way: lists mark it LIVE

    def with_thumb(self, thumb: Thumb | None) -> Card:
        """This card with `thumb` (faster than _replace(); a test checks it keeps every field)."""
        return Card(*self[:12], thumb, self.is_live)


@dataclass(frozen=True)
class Thumb:
    """A listing's small photo: the 3:2 card crop as a <picture> (AVIF, WebP, then a JPEG
    <img> with its srcset), sized so the card never shifts; `square` are the 1:1 crop's
    sources, for the small thumbnail beside a list item on phones."""

    alt: str
    width: int
    height: int
    src: str
    srcset: str
    sources: tuple[tuple[str, str], ...]  # (MIME type, srcset) of the card crop, best first
    square: tuple[tuple[str, str], ...]  # the same of the square crop, JPEG last
    square_size: tuple[int, int] | None


CARD_COLUMNS = (
    Story.id,
    Story.headline,
    Story.standfirst,
    Story.byline,
    Story.dateline,
    Story.slug,
    # A card's date (its address, its time in lists) and its LIVE mark, worked out by the
    # database: two dates a card fewer to read back (a homepage reads some fifty cards).
    func.coalesce(Story.first_published_at, Story.published_at).label("first_published_at"),
    Story.published_at,
    Story.public_updated_at,
    and_(Story.live_started_at.is_not(None), Story.live_ended_at.is_(None)).label("is_live"),
    Desk.slug.label("desk_slug"),
    Desk.name.label("desk_name"),
)
PUBLISHED_AT = [column.key for column in CARD_COLUMNS].index("published_at")


def _card(row: Sequence[Any]) -> Card:
    """A card from a row of CARD_COLUMNS (a tuple or a Row), read by position: a Row's
    attributes cost a tenth of a card each."""
    story_id, headline, standfirst, byline, dateline, slug, first, _published = row[:8]
    updated, is_live, desk_slug, desk_name = row[8:12]
    return Card(
        story_id,
        headline,
        standfirst,
        byline,
        dateline,
        story_url(desk_slug, first, slug),
        desk_name,
        desk_slug,
        section_url(desk_slug),
        first,
        updated,
        slug,
        None,
        bool(is_live),
    )


@cache
def card_query() -> Select:
    """Public stories as card rows (no bodies), newest first."""
    return public_stories(*CARD_COLUMNS).join(Desk, Desk.id == Story.desk_id)


def cards(query: Select, limit: int, offset: int = 0) -> list[Card]:
    return [_card(row) for row in run(query.limit(limit).offset(offset))]


def count(query: Select) -> int:
    """How many public stories a card query lists (the search page and the API: a listing
    counts nothing, the count scans every match)."""
    counted = query.order_by(None).with_only_columns(func.count(Story.id))
    return scalar(counted) or 0


# --- keyset pages -------------------------------------------------------------------------------


def page_of(
    query: Select, size: int, *, before: Cursor | None = None, after: Cursor | None = None
) -> Window:
    """A page of a card query: the `size` stories older than `before`, or the `size` newer
    than `after` (nearest it first), or the newest."""
    found = keyset.window(
        query,
        (Story.published_at, Story.id),
        size,
        before=before,
        after=after,
        fetch=lambda statement: list(run(statement)),
    )
    return replace(found, items=[_card(row) for row in found.items])


def page_start(query: Select, offset: int) -> Cursor | None:
    """The ?before= cursor of a page that starts `offset` stories down a listing (None if no
    story is there). Only for old ?page= links: the one OFFSET left, read once to redirect to
    the keyset address."""
    keyed = query.with_only_columns(Story.published_at, Story.id).limit(2).offset(offset - 1)
    rows = run(keyed).all()
    return Cursor(rows[0].published_at, rows[0].id) if len(rows) == 2 else None


# Each list's statement is built once per size; `exclude` (0: none) leaves a story out.
OTHER = Story.id != bindparam("exclude")


@lru_cache(maxsize=32)
def _latest_query(limit: int) -> Prepared:
    return Prepared(card_query().where(OTHER).limit(limit))


def latest(limit: int, *, exclude: int | None = None) -> list[Card]:
    return [_card(row) for row in rows(_latest_query(limit), exclude=exclude or 0)]


@lru_cache(maxsize=32)
def _top_query(limit: int) -> Prepared:
    return Prepared(
        card_query()
        .where(Story.placement == Placement.TOP, OTHER)
        .order_by(None)
        .order_by(*front_page_order())
        .limit(limit)
    )


def top_news(limit: int, *, exclude: int | None = None) -> list[Card]:
    """Stories editors placed in Top News, in front-page order (the lead first)."""
    return [_card(row) for row in rows(_top_query(limit), exclude=exclude or 0)]


def arranged(top: list[Card], order: list[int]) -> list[Card]:
    """Top News in a proposed order: the stories `order` names first, as it names them, then
    the rest as they were (what saving that order would give)."""
    rank = {story_id: index for index, story_id in enumerate(order)}
    return sorted(top, key=lambda card: rank.get(card.id, len(rank)))


def desk_stories(desk_id: int) -> Select:
    return card_query().where(Story.desk_id == desk_id)


def desk_blocks(desk_ids: list[int], limit: int) -> list[list[Card]]:
    """The newest `limit` public stories of each desk, in the order of `desk_ids`: one
    statement, a UNION ALL of each desk's own index walk (seven statements a homepage were a
    quarter of its cold render, each mostly SQLAlchemy's own work per statement)."""
    if not desk_ids:
        return []
    found: dict[int, list[Card]] = {desk_id: [] for desk_id in desk_ids}
    walks = rows(_blocks_query(len(desk_ids), limit), **_desk_params(desk_ids))
    newest_first = sorted(walks, key=lambda row: (row[PUBLISHED_AT], row[0]), reverse=True)
    for row in newest_first:
        found[row[-1]].append(_card(row))  # the desk's id comes last
    return list(found.values())


def _desk_params(desk_ids: list[int]) -> dict[str, int]:
    return {f"desk_{n}": desk_id for n, desk_id in enumerate(desk_ids)}


@lru_cache(maxsize=32)
def _blocks_query(desks: int, limit: int) -> Prepared:
    """The UNION ALL of `desks` desks' walks, the desks' ids as parameters desk_0, desk_1..."""
    branches = [
        card_query()
        .where(Story.desk_id == bindparam(f"desk_{n}"))
        .add_columns(Story.desk_id)
        .limit(limit)
        for n in range(desks)
    ]
    return Prepared(union_all(*(select(branch.subquery()) for branch in branches)))


@lru_cache(maxsize=32)
def _more_query(limit: int) -> Prepared:
    return Prepared(card_query().where(Story.desk_id == bindparam("desk_0"), OTHER).limit(limit))


def more_from_desk(desk_id: int, *, exclude: int | None = None, limit: int) -> list[Card]:
    """More articles: the desk's newest public stories other than this one."""
    return [
        _card(row)
        for row in rows(_more_query(limit), exclude=exclude or 0, **_desk_params([desk_id]))
    ]


def tag_stories(tag_id: int) -> Select:
    tagged = select(story_tags.c.story_id).where(story_tags.c.tag_id == tag_id)
    return card_query().where(Story.id.in_(tagged))


def search_stories(text: str) -> Select | None:
    """Public stories matching the words of `text` (None when it has no searchable words)."""
    condition = matches(text)
    return None if condition is None else card_query().where(condition)


def recent_first_published(since: timedelta, limit: int) -> list[Card]:
    """Stories first published within `since` (the Google News sitemap)."""
    cutoff = utcnow() - since
    # published_at >= first_published_at always; saying so lets the index bound the scan.
    recent = (Story.first_published_at >= cutoff) & (Story.published_at >= cutoff)
    return cards(card_query().where(recent), limit)


@dataclass(frozen=True)
class NavItem:
    name: str
    slug: str
    url: str
    id: int


def sections(*, navigation: bool = False) -> list[NavItem]:
    """The desks as sections, in the newsroom's order; with `navigation`, only those the
    public navigation lists (a hidden desk's section still answers and is in the sitemap)."""
    return [
        NavItem(name, slug, section_url(slug), desk_id)
        for desk_id, name, slug in rows(_desks(navigation))
    ]


@cache
def _desks(navigation: bool) -> Prepared:
    query = select(Desk.id, Desk.name, Desk.slug).order_by(Desk.position, Desk.name)
    return Prepared(query.where(Desk.in_navigation.is_(True)) if navigation else query)


@cache
def _desk_query() -> Prepared:
    return Prepared(select(Desk.id, Desk.name, Desk.slug).where(Desk.slug == bindparam("slug")))


@cache
def _setting_query() -> Prepared:
    return Prepared(select(SiteSetting.value).where(SiteSetting.key == bindparam("key")))


def site_tagline() -> str:
    """The masthead's tagline, as services.settings.site_tagline() gives it, read as a column
    (the session's get() of a SiteSetting was a tenth of an article's template)."""
    found = rows(_setting_query(), key=TAGLINE)
    stored: str | None = found[0][0] if found else None
    return current_app.config["SITE_TAGLINE"] if stored is None else stored


def find_desk(slug: str) -> NavItem | None:
    found = rows(_desk_query(), slug=slug)
    if not found:
        return None
    desk_id, name, desk_slug = found[0]
    return NavItem(name, desk_slug, section_url(desk_slug), desk_id)


class FoundTag(NamedTuple):
    id: int
    name: str
    slug: str


@cache
def _tag_query() -> Prepared:
    return Prepared(select(Tag.id, Tag.name, Tag.slug).where(Tag.slug == bindparam("slug")))


def find_tag(slug: str) -> FoundTag | None:
    found = rows(_tag_query(), slug=slug)
    return FoundTag(*found[0]) if found else None


# --- one article --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    note: str
    is_correction: bool
    created_at: datetime


@dataclass(frozen=True)
class LeadPhoto:
    """The photo at the top of an article, as <picture> needs it."""

    alt: str
    caption: str
    credit: str
    width: int  # of the largest rendition: the aspect ratio, so the page never shifts
    height: int
    src: str  # a JPEG every browser shows
    sources: list[tuple[str, str]]  # (MIME type, srcset), best format first
    social: tuple[str, int, int]  # (absolute URL, width, height) for og:image
    # (MIME type, URL, width, height) of every rendition, best format first, narrowest first
    renditions: tuple[tuple[str, str, int, int], ...] = ()


@dataclass(frozen=True)
class Article:
    """Everything an article page shows about its story."""

    card: Card
    body_html: str
    authors: list[str]
    tags: list[tuple[str, str]]  # (name, url)
    notices: list[Notice]
    word_count: int
    lead: LeadPhoto | None = None
    body_photos: list[LeadPhoto] = field(default_factory=list)  # in the body's order


class DeskRef(NamedTuple):
    name: str
    slug: str


class Author(NamedTuple):
    name: str


class TagRef(NamedTuple):
    name: str
    slug: str


@dataclass(frozen=True)
class PublicStory:
    """A public story as its page reads it: columns, not an ORM object. The story with its
    desk, authors, tags and notices as ORM loads was a fifth of a cold article's work (the
    session's identity map, instance state and four loader strategies), for values the page
    copies out at once. Named as on Story, so article_of() takes either."""

    id: int
    headline: str
    slug: str
    standfirst: str
    body_html: str
    byline: str
    dateline: str
    desk_id: int
    word_count: int
    first_published_at: datetime | None
    published_at: datetime | None
    public_updated_at: datetime | None
    lead_photo_id: int | None
    lead_caption: str
    live_started_at: datetime | None
    live_ended_at: datetime | None
    live_updated_at: datetime | None
    desk: DeskRef
    authors: list[Author]
    tags: list[TagRef]
    corrections: list[Notice]


STORY_COLUMNS = tuple(
    getattr(Story, name)
    for name in PublicStory.__dataclass_fields__
    if name not in {"desk", "authors", "tags", "corrections"}
)


@cache
def _article_query(by: str) -> Prepared:
    """The public story whose column `by` (slug, id) is the parameter of that name."""
    return Prepared(
        public_stories(*STORY_COLUMNS, Desk.name.label("desk_name"), Desk.slug.label("desk_slug"))
        .join(Desk, Desk.id == Story.desk_id)
        .where(getattr(Story, by) == bindparam(by))
    )


# The kinds of row _extras_query() returns, in the order it returns them.
AUTHOR, NOTICE, TAG = "author", "notice", "tag"


@cache
def _extras_query() -> Prepared:
    """What an article shows besides its own columns, one statement for all three (each
    its own was two more statements a cold article): its authors by name, its notices in the
    order they were made, its tags by name. A row is (kind, name or note, slug, is_correction,
    created_at), the columns another kind has not left NULL."""
    story: BindParameter[int] = bindparam("story_id")
    authors = (
        select(
            literal(AUTHOR).label("kind"),
            Person.name.label("text"),
            cast(null(), Tag.slug.type).label("slug"),
            cast(null(), Correction.is_correction.type).label("is_correction"),
            cast(null(), Correction.created_at.type).label("created_at"),
        )
        .join(story_authors, story_authors.c.person_id == Person.id)
        .where(story_authors.c.story_id == story)
    )
    tags = (
        select(literal(TAG), Tag.name, Tag.slug, null(), null())
        .join(story_tags, story_tags.c.tag_id == Tag.id)
        .where(story_tags.c.story_id == story)
    )
    notices = select(
        literal(NOTICE), Correction.note, null(), Correction.is_correction, Correction.created_at
    ).where(Correction.story_id == story)
    merged = union_all(authors, tags, notices).subquery()
    return Prepared(select(merged).order_by(merged.c.kind, merged.c.created_at, merged.c.text))


def public_article(slug: str) -> PublicStory | None:
    """The public story with this slug, if there is one, with its desk, authors, tags and
    notices (two statements of columns)."""
    return _public_story("slug", slug)


def public_story_by_id(story_id: int) -> PublicStory | None:
    """The public story of this id, as public_article() reads it (the API)."""
    return _public_story("id", story_id)


def _public_story(by: str, value: str | int) -> PublicStory | None:
    statement = _article_query(by)
    found = rows(statement, **{by: value})
    if not found:
        return None
    columns = dict(zip(statement.columns, found[0], strict=True))
    desk = DeskRef(columns.pop("desk_name"), columns.pop("desk_slug"))
    authors: list[Author] = []
    tags: list[TagRef] = []
    notices: list[Notice] = []
    for kind, text, slug, is_correction, created_at in rows(
        _extras_query(), story_id=columns["id"]
    ):
        if kind == AUTHOR:
            authors.append(Author(text))
        elif kind == TAG:
            tags.append(TagRef(text, slug))
        else:
            notices.append(Notice(text, is_correction, created_at))
    return PublicStory(**columns, desk=desk, authors=authors, tags=tags, corrections=notices)


def article_of(
    story: Story | PublicStory, media_base: str | None = None, *, warn: bool = False
) -> Article:
    """The article view of a story (any state: the newsroom preview may reuse it, with its
    photos from a staff-only `media_base`, as the public URLs answer only once published, and
    `warn`: a photo of the body that cannot be shown says why instead of vanishing)."""
    refs = photo_refs(story.body_html)
    found = photo_data({story.lead_photo_id or 0} | _ref_ids(refs))
    lead = found.get(story.lead_photo_id or 0)
    body_html, body_photos = body_with_photos(
        story.body_html, media_base, warn=warn, refs=refs, found=found
    )
    first = story.first_published_at or story.published_at
    card = Card(
        id=story.id,
        headline=story.headline,
        standfirst=story.standfirst,
        byline=story.byline,
        dateline=story.dateline,
        url=story_url(story.desk.slug, first, story.slug),
        desk_name=story.desk.name,
        desk_slug=story.desk.slug,
        desk_url=section_url(story.desk.slug),
        published_at=first or utcnow(),
        updated_at=story.public_updated_at,
        slug=story.slug,
        is_live=story.live_started_at is not None and story.live_ended_at is None,
    )
    return Article(
        card=card,
        body_html=body_html,
        authors=[a.name for a in story.authors],
        tags=[(t.name, tag_url(t.slug)) for t in story.tags],
        notices=[Notice(c.note, c.is_correction, c.created_at) for c in story.corrections],
        word_count=story.word_count,
        lead=_picture(lead, story.lead_caption, media_base) if lead and lead.renditions else None,
        body_photos=body_photos,
    )


MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
MIME_ORDER = {fmt: n for n, fmt in enumerate(MIME)}  # best first
FALLBACK_WIDTH = 1024  # the <img src> for browsers without srcset
SOCIAL_WIDTH = 1600  # og:image: large enough for a share card, not the 2048 master
THUMB_WIDTH = 640  # a listing's <img src> for browsers without srcset


@dataclass(frozen=True)
class RenditionFile:
    """One rendition as a page needs it (read as columns: no ORM objects on the article path)."""

    format: str
    width: int
    height: int
    key: str


@dataclass(frozen=True)
class PhotoData:
    """A photo's words and its renditions, read in one query."""

    id: int
    alt_text: str
    caption: str
    credit: str
    renditions_ready_at: datetime | None
    renditions: list[RenditionFile]  # the whole frames
    # The 1200 x 630 share card around the focal point, once the crops are cut.
    social: RenditionFile | None = None


@lru_cache(maxsize=16)
def _photo_data_query(ids: int) -> Prepared:
    return Prepared(
        select(
            Photo.id,
            Photo.alt_text,
            Photo.caption,
            Photo.credit,
            Photo.renditions_ready_at,
            Rendition.format,
            Rendition.width,
            Rendition.height,
            Rendition.key,
            Rendition.crop,
        )
        # The whole frames and the share card; the list crops are read by _thumb_query.
        .outerjoin(
            Rendition,
            (Rendition.photo_id == Photo.id) & Rendition.crop.in_(_one_of(imaging.FULL, "social")),
        )
        .where(Photo.id.in_(id_parameters(ids)))
    )


def photo_data(photo_ids: Iterable[int]) -> dict[int, PhotoData]:
    """The photos of these ids that exist, each with its renditions: one query (none when no
    id is given, so an article without photos pays nothing)."""
    ids = [photo_id for photo_id in set(photo_ids) if photo_id]
    if not ids:
        return {}
    found: dict[int, PhotoData] = {}
    for chunk, params in id_chunks(ids):
        for row in rows(_photo_data_query(chunk), **params):
            photo_id, alt, caption, credit, ready_at, fmt, width, height, key, crop = row
            photo = found.get(photo_id)
            if photo is None:
                photo = found[photo_id] = PhotoData(photo_id, alt, caption, credit, ready_at, [])
            if key is None:
                continue
            rendition = RenditionFile(fmt, width, height, key)
            if crop == imaging.FULL:
                photo.renditions.append(rendition)
            else:
                found[photo_id] = replace(photo, social=rendition)
    return found


def _one_of(*values: str) -> list[Any]:
    """A fixed IN list as plain parameters (a tuple would be an expanding IN: see below)."""
    return [literal(value) for value in values]


MAX_IDS = 512  # ids per statement; a longer list takes several


def id_parameters(size: int) -> list[Any]:
    """`size` parameters id_0, id_1... for an IN list: a statement compiled once per size,
    where an expanding IN is compiled again on every execution. id_chunks() fills them."""
    return [bindparam(f"id_{n}") for n in range(size)]


def id_chunks(ids: Iterable[int]) -> Iterable[tuple[int, dict[str, int]]]:
    """The ids as parameters of id_parameters(size), size a power of two from 8 (so a
    handful of statements serve every list), padded with 0 (no row has id 0)."""
    unique = sorted(set(ids))
    for start in range(0, len(unique), MAX_IDS):
        chunk = unique[start : start + MAX_IDS]
        size = max(8, 1 << (len(chunk) - 1).bit_length())
        padded = chunk + [0] * (size - len(chunk))
        yield size, {f"id_{n}": value for n, value in enumerate(padded)}


def _ref_ids(refs: Iterable[PhotoRef]) -> set[int]:
    return {ref.photo_id for ref in refs if ref.photo_id is not None}


def lead_photo(photo_id: int, caption: str = "", media_base: str | None = None) -> LeadPhoto | None:
    """A lead photo with its renditions (one query), or None while it has none."""
    photo = photo_data([photo_id]).get(photo_id)
    if photo is None or not photo.renditions:
        return None
    return _picture(photo, caption, media_base)


def _picture(
    photo: PhotoData, caption: str = "", media_base: str | None = None, alt: str = ""
) -> LeadPhoto:
    """A photo whose renditions are loaded (at least one), as <picture> needs it."""
    by_format = _by_format(photo.renditions)
    jpegs = _jpegs(by_format)
    largest = jpegs[-1]
    # A large whole-frame JPEG until the share card is cut (a photo uploaded before crops).
    social = photo.social or _best(jpegs, SOCIAL_WIDTH)
    ordered = sorted(by_format.items(), key=lambda item: MIME_ORDER[item[0]])
    base = media_base or public_base()  # once, not per rendition: the store is an app lookup
    urls = {r.key: media_url(r.key, base) for r in [*photo.renditions, social]}
    return LeadPhoto(
        alt=alt or photo.alt_text,
        caption=caption or photo.caption,
        credit=photo.credit,
        width=largest.width,
        height=largest.height,
        src=urls[_best(jpegs, FALLBACK_WIDTH).key],
        sources=[
            (MIME[fmt], ", ".join(f"{urls[r.key]} {r.width}w" for r in renditions))
            for fmt, renditions in ordered
        ],
        social=(absolute(urls[social.key]), social.width, social.height),
        renditions=tuple(
            (MIME[fmt], urls[r.key], r.width, r.height)
            for fmt, renditions in ordered
            for r in renditions
        ),
    )


def story_images(
    story_ids: list[int], media_base: str | None = None
) -> dict[int, list[tuple[str, LeadPhoto]]]:
    """Per story (of those given, already public), its photos as ("lead" | "body", photo):
    the lead first, then the body's in order; only photos with renditions. Three queries for
    any number of stories (the API's list)."""
    if not story_ids:
        return {}
    leads = (
        _connection()
        .execute(
            select(Story.id, Story.lead_photo_id, Story.lead_caption).where(
                Story.id.in_(story_ids), Story.lead_photo_id.is_not(None)
            )
        )
        .all()
    )
    placed = (
        _connection()
        .execute(
            select(StoryPhoto.story_id, StoryPhoto.photo_id, StoryPhoto.caption, StoryPhoto.alt)
            .where(StoryPhoto.story_id.in_(story_ids))
            .order_by(StoryPhoto.story_id, StoryPhoto.position)
        )
        .all()
    )
    found = {
        photo.id: photo
        for photo in photo_data(
            {row.lead_photo_id for row in leads} | {row.photo_id for row in placed}
        ).values()
        if photo.renditions and photo.renditions_ready_at is not None
    }
    images: dict[int, list[tuple[str, LeadPhoto]]] = {}
    for row in leads:
        if (photo := found.get(row.lead_photo_id)) is not None:
            lead = _picture(photo, row.lead_caption, media_base)
            images.setdefault(row.id, []).append(("lead", lead))
    for use in placed:
        if (photo := found.get(use.photo_id)) is not None:
            picture = _picture(photo, use.caption, media_base, alt=use.alt)
            images.setdefault(use.story_id, []).append(("body", picture))
    return images


# The body's photos fill the column; below the fold, so lazy (the lead alone is eager).
BODY_SIZES = "(min-width: 1000px) 680px, 100vw"


def body_with_photos(
    body_html: str,
    media_base: str | None = None,
    *,
    warn: bool = False,
    refs: list[PhotoRef] | None = None,
    found: dict[int, PhotoData] | None = None,
) -> tuple[str, list[LeadPhoto]]:
    """A rendered body with its photos' figures in place, and those photos in order. No query
    for a body without photos, one for a body with any (none when the caller read `found`)."""
    refs = photo_refs(body_html) if refs is None else refs
    if not refs:
        return body_html, []
    if found is None:
        found = photo_data(_ref_ids(refs))
    shown: list[LeadPhoto] = []

    def figure(ref: PhotoRef) -> str:
        photo = found.get(ref.photo_id or 0)
        if photo is None or not photo.renditions or photo.renditions_ready_at is None:
            picture = None
        else:
            picture = _picture(photo, ref.caption, media_base, alt=ref.alt)
        problem = ref_problem(ref, photo) if warn else ""
        warning = (
            Markup('<p class="photo-warning" role="alert"><strong>Photo:</strong> {}</p>').format(
                problem
            )
            if problem
            else Markup("")
        )
        if picture is None:
            return str(warning)
        shown.append(picture)
        return str(warning + figure_html(picture))

    return fill_photos(body_html, figure), shown


def figure_html(picture: LeadPhoto, sizes: str = BODY_SIZES) -> Markup:
    """A body photo's <figure>: <picture> with a <source> per modern format, the JPEG <img>
    with its srcset, size (no layout shift) and lazy loading; caption and credit below.
    Every value is escaped here (f-strings: Markup.format costs a page several of these)."""
    size = escape(sizes)
    sources = "".join(
        f'<source type="{escape(mime)}" srcset="{escape(srcset)}" sizes="{size}">'
        for mime, srcset in picture.sources
        if mime != "image/jpeg"
    )
    jpeg_srcset = next((srcset for mime, srcset in picture.sources if mime == "image/jpeg"), "")
    img = (
        f'<img src="{escape(picture.src)}" srcset="{escape(jpeg_srcset)}" sizes="{size}"'
        f' width="{picture.width:d}" height="{picture.height:d}" alt="{escape(picture.alt)}"'
        ' loading="lazy" decoding="async">'
    )
    caption = ""
    if picture.caption or picture.credit:
        credit = f' <span class="credit">{escape(picture.credit)}</span>' if picture.credit else ""
        caption = f"<figcaption>{escape(picture.caption)}{credit}</figcaption>"
    return Markup(f'<figure class="body-photo"><picture>{sources}{img}</picture>{caption}</figure>')


def _by_format(renditions: Iterable[RenditionFile]) -> dict[str, list[RenditionFile]]:
    """Renditions per format, narrowest first."""
    by_format: dict[str, list[RenditionFile]] = {}
    for rendition in sorted(renditions, key=lambda r: r.width):
        by_format.setdefault(rendition.format, []).append(rendition)
    return by_format


def _jpegs(by_format: dict[str, list[RenditionFile]]) -> list[RenditionFile]:
    return by_format.get("jpeg") or next(iter(by_format.values()))


def _best(renditions: list[RenditionFile], limit: int) -> RenditionFile:
    """The widest rendition up to `limit` (the narrowest if all are wider)."""
    return next((r for r in reversed(renditions) if r.width <= limit), renditions[0])


def _sources(
    by_format: dict[str, list[RenditionFile]], media_base: str | None = None
) -> list[tuple[str, str]]:
    """(MIME type, srcset) per format, best first (the order of <source> elements)."""
    return [
        (MIME[fmt], _srcset(renditions, media_base))
        for fmt, renditions in sorted(by_format.items(), key=lambda item: MIME_ORDER[item[0]])
    ]


def _srcset(renditions: list[RenditionFile], media_base: str | None = None) -> str:
    return ", ".join(f"{media_url(r.key, media_base)} {r.width}w" for r in renditions)


@lru_cache(maxsize=16)
def _thumb_query(ids: int) -> Prepared:
    return Prepared(
        select(
            Story.id,
            Photo.alt_text,
            Rendition.crop,
            Rendition.format,
            Rendition.width,
            Rendition.height,
            Rendition.key,
        )
        .join(Photo, Photo.id == Story.lead_photo_id)
        .join(Rendition, Rendition.photo_id == Photo.id)
        .where(
            Story.id.in_(id_parameters(ids)),
            Photo.renditions_ready_at.is_not(None),
            Rendition.crop.in_(_one_of("card", "square")),
        )
    )


def with_thumbs(*lists: list[Card]) -> list[list[Card]]:
    """The lists again, each public card with its lead photo's thumbnail (its card and square
    crops): one query for all, read as columns (a homepage's 90 renditions as ORM objects
    were a sixth of its cold render). A photo whose crops are not cut yet shows none for now.

    The cards were read as public in this same read transaction, so the stories are looked up
    by id alone, as feed_images() does: with the public predicate as well, SQLite walked every
    published story's entry in the state index (no statistics tell it the ids are fewer), a
    cost that grew with the archive (0.5 ms of a homepage at 2,000 stories)."""
    ids = {card.id for cards in lists for card in cards}
    alts: dict[int, str] = {}
    renditions: dict[int, list[RenditionRow]] = {}
    for size, params in id_chunks(ids):
        for story_id, alt, crop, fmt, width, height, key in rows(_thumb_query(size), **params):
            alts[story_id] = alt
            renditions.setdefault(story_id, []).append((crop, fmt, width, height, key))
    base = public_base()
    thumbs = {
        story_id: thumb
        for story_id, found in renditions.items()
        if (thumb := _thumb_of(base, alts[story_id], tuple(sorted(found)))) is not None
    }
    return [[card.with_thumb(thumbs.get(card.id)) for card in cards] for cards in lists]


# A rendition as the thumbnail query reads it: crop, format, width, height, key. Plain values,
# so a thumbnail's memo key hashes fast (the homepage looks up some 35 a render).
RenditionRow = tuple[str, str, int, int, str]


@lru_cache(maxsize=4096)
def _thumb_of(base: str, alt: str, rows: tuple[RenditionRow, ...]) -> Thumb | None:
    """A thumbnail from its renditions, made once per set of them in a process: a homepage's
    18 thumbnails were 340 URLs in srcsets, a fifth of its cold render, the same every time."""
    renditions = [(crop, RenditionFile(fmt, w, h, key)) for crop, fmt, w, h, key in rows]
    card = _by_format(r for crop, r in renditions if crop == "card")
    if not card:
        return None
    square = _by_format(r for crop, r in renditions if crop == "square")
    jpegs, square_jpegs = _jpegs(card), (_jpegs(square) if square else [])
    return Thumb(
        alt=alt,
        width=jpegs[-1].width,
        height=jpegs[-1].height,
        src=media_url(_best(jpegs, THUMB_WIDTH).key, base),
        srcset=_srcset(jpegs, base),
        sources=tuple(_sources(card, base)),
        square=tuple(_sources(square, base)),
        square_size=(square_jpegs[-1].width, square_jpegs[-1].height) if square_jpegs else None,
    )


def feed_images(story_ids: list[int]) -> dict[int, tuple[str, int, int]]:
    """Per story (of those given, already public), its lead photo for a feed's media:content:
    (absolute URL, width, height) of the largest JPEG up to FALLBACK_WIDTH."""
    rows = _connection().execute(
        select(Story.id, Rendition.key, Rendition.width, Rendition.height)
        .join(Rendition, Rendition.photo_id == Story.lead_photo_id)
        .where(
            Story.id.in_(story_ids),
            Rendition.crop == imaging.FULL,
            Rendition.format == "jpeg",
            Rendition.width <= FALLBACK_WIDTH,
        )
        .order_by(Rendition.width)
    )
    return {row.id: (absolute(media_url(row.key)), row.width, row.height) for row in rows}


def media_url(key: str, base: str | None = None) -> str:
    """A rendition's URL: under `base`, by default where readers get public photos ("/media/",
    or MEDIA_PUBLIC_BASE_URL: a CDN or the bucket's public prefix)."""
    return (base or public_base()) + _segment(key)


@cache
def _renamed_query() -> Select:
    return (
        select(Desk.slug, Story.first_published_at, Story.published_at, Story.slug)
        .join(Story, Story.desk_id == Desk.id)
        .join(SlugRedirect, SlugRedirect.story_id == Story.id)
        .where(SlugRedirect.slug == bindparam("old_slug"), is_public())
    )


def renamed_path(old_slug: str) -> str | None:
    """The address of the public story an old slug belonged to, if it is public."""
    found = run(_renamed_query(), old_slug=old_slug).first()
    if found is None:
        return None
    desk_slug, first, published, slug = found
    return story_url(desk_slug, first or published, slug)


@cache
def _withdrawn_query() -> Select:
    slug = bindparam("slug", type_=String())
    renamed = select(SlugRedirect.story_id).where(SlugRedirect.slug == slug)
    return (
        select(Story.id)
        .where(Story.state == StoryState.WITHDRAWN, (Story.slug == slug) | Story.id.in_(renamed))
        .limit(1)
    )


def is_withdrawn(slug: str) -> bool:
    """Whether this slug (current or old) belongs to a withdrawn story: its URL answers 410."""
    return run(_withdrawn_query(), slug=slug).first() is not None


def sitemap_rows(first_id: int, last_id: int) -> list[tuple[str, datetime]]:
    """(URL, last modified) of the public stories whose ids are in [first_id, last_id], by id:
    a sitemap part is a range of ids (a walk of the primary key, no OFFSET), so its contents
    never move to another part as stories are published."""
    query = (
        select(
            Story.slug,
            Story.first_published_at,
            Story.published_at,
            Story.public_updated_at,
            Desk.slug.label("desk_slug"),
        )
        .join(Desk, Desk.id == Story.desk_id)
        .where(is_public(), Story.id.between(first_id, last_id))
        .order_by(Story.id)
    )
    rows = []
    for row in run(query):
        first = row.first_published_at or row.published_at
        url = absolute(story_url(row.desk_slug, first, row.slug))
        rows.append((url, row.public_updated_at or first))
    return rows


def last_public_id() -> int:
    """The highest id of a public story (0 if none): a backward walk of the primary key that
    stops at the first public story, where a count would read them all."""
    return scalar(select(func.max(Story.id)).where(is_public())) or 0


def embargo_lifts() -> list[datetime]:
    """The latest embargo lift up to now and every lift still to come, in order.

    An embargo lifting changes public pages without any write, so the page cache needs these.
    Older lifts are left out: the latest past one already says when the pages last changed,
    so the list stays a few rows however large the archive (the (state, embargo_at) index of
    migration 0030 finds them without reading the archive).
    """
    now = utcnow()
    embargoed = (Story.state == StoryState.PUBLISHED) & Story.embargo_at.is_not(None)
    latest_past = _connection().scalar(
        select(func.max(Story.embargo_at)).where(embargoed, Story.embargo_at <= now)
    )
    coming = _connection().scalars(
        select(Story.embargo_at).where(embargoed, Story.embargo_at > now).order_by(Story.embargo_at)
    )
    lifts = [at for at in coming if at is not None]  # the query's filter, for the checker
    return [latest_past, *lifts] if latest_past is not None else lifts


def photos_by_id(photo_ids: Iterable[int]) -> dict[int, LeadPhoto]:
    """Several photos at once (one query), as figures; those without renditions left out."""
    return {
        photo.id: _picture(photo)
        for photo in photo_data(photo_ids).values()
        if photo.renditions and photo.renditions_ready_at is not None
    }
