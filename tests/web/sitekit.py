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
from editorial.services.stories import set_placement
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
