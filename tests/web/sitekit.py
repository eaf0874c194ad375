"""Helpers for the public-site tests: a small paper, article URLs, JSON-LD and XML readers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Desk, Person, Placement, Story
from editorial.models.loading import load_missing
from editorial.services import commit
from editorial.services.cache import purge_public_cache
from editorial.services.live import start_live_coverage
from editorial.services.stories import set_placement
from editorial.site.queries import story_url
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass
class Paper:
    """Two desks with a reporter and an editor each, and helpers to publish."""

    make: Factory
    national: Desk
    sports: Desk
    reporter: Person
    editor: Person

    def story(self, state: StoryState = StoryState.PUBLISHED, desk: Desk | None = None, **kw):
        return self.make.story(
            self.reporter, desk or self.national, state, editor=self.editor, **kw
        )

    def top(self, story: Story) -> Story:
        return set_placement(story, Placement.TOP, actor=self.editor)


@pytest.fixture
def paper(app: Flask, make: Factory) -> Paper:
    national = make.desk("National")
    sports = make.desk("Sports")
    reporter = make.reporter(national, sports, name="Shirin Sultana")
    editor = make.editor(national, sports, name="Nasreen Akter")
    return Paper(make, national, sports, reporter, editor)


def article_path(story: Story, tz: str = "Asia/Dhaka") -> str:
    """Where a story lives (or would live, dated today, if it was never published)."""
    db.session.refresh(story)
    load_missing(story, "desk")
    when = (story.first_published_at or utcnow()).astimezone(ZoneInfo(tz))
    return f"/{story.desk.slug}/{when:%Y/%m/%d}/{story.slug}"


def set_published(story: Story, when: datetime) -> None:
    """Pretend a story was first published at `when` (as publishing itself would, purge)."""
    db.session.execute(
        update(Story).where(Story.id == story.id).values(first_published_at=when, published_at=when)
    )
    purge_public_cache()
    commit()


def jsonld(html: str) -> list[dict]:
    """Every JSON-LD block of a page, parsed."""
    return [json.loads(block) for block in JSONLD.findall(html)]


def xml_root(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def sitemap_locs(data: bytes) -> list[str]:
    root = xml_root(data)
    return [el.text or "" for el in root.iter(SM + "loc")]


def parse_w3c(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def public_paths(make: Factory) -> dict[str, tuple[str, int]]:
    """Every public GET endpoint: a URL made from real, published objects and its status."""
    desk = make.desk("Metro")
    reporter = make.reporter(desk)
    story = make.story(
        reporter, desk, StoryState.PUBLISHED, editor=make.editor(desk), tags=["Flood"]
    )
    start_live_coverage(story, actor=reporter)
    story = db.session.get(Story, story.id)
    article = story_url(desk.slug, story.first_published_at, story.slug)
    return {
        "static": ("/static/css/site.css", 200),
        "health.healthz": ("/healthz", 200),
        "readiness.readyz": ("/readyz", 200),
        "metrics.metrics": ("/metrics", 404),  # 404 to readers: it needs the bearer token
        "api.stories": ("/api/stories", 200),
        "api.story": (f"/api/stories/{story.id}", 200),
        "auth.login": ("/login", 200),
        "auth.forgot_password": ("/password/forgot", 200),
        "site.home": ("/", 200),
        "site.latest": ("/latest", 200),
        "site.section": (f"/{desk.slug}/", 200),
        "site.section_alias": (f"/section/{desk.slug}/", 301),  # to /<desk>/ (CONTRACT)
        "site.section_feed": (f"/{desk.slug}/feed.xml", 200),
        "site.tag": ("/tag/flood", 200),
        "site.article": (article, 200),
        "site.live_entries": (article + "/live", 200),
        "site.search": ("/search?q=headline", 200),
        "site.feed": ("/feed.xml", 200),
        "site.sitemap": ("/sitemap.xml", 200),
        "site.sitemap_sections": ("/sitemaps/sections.xml", 200),
        "site.sitemap_stories": ("/sitemaps/stories-1.xml", 200),
        "site.news_sitemap": ("/news-sitemap.xml", 200),
        "site.robots": ("/robots.txt", 200),
        "site.media": ("/media/0123abcd-320.jpg", 404),  # public only via a public story
    }
