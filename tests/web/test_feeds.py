"""Feeds and discovery: RSS that parses cleanly, sitemaps, the Google News sitemap, robots.txt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from flask.testing import FlaskClient

from editorial.site import feeds
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.web import sitekit
from tests.web.sitekit import (
    SITEMAP_NS,
    SM,
    Paper,
    article_path,
    parse_w3c,
    set_published,
    sitemap_locs,
    xml_root,
)

paper = sitekit.paper
SITE = "http://127.0.0.1:5000"


def _parse(client: FlaskClient, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


def test_site_feed_parses_and_lists_public_stories_newest_first(
    client: FlaskClient, paper: Paper
) -> None:
    older = paper.story(headline="Older story", standfirst="Summary & <details>")
    newer = paper.story(headline="Newer story", desk=paper.sports, byline="Sports Reporter")
    paper.story(StoryState.APPROVED, headline="Approved only")
    set_published(older, datetime(2025, 12, 29, tzinfo=UTC))
    set_published(newer, datetime(2025, 12, 30, tzinfo=UTC))
    response, parsed = _parse(client, "/feed.xml")
    assert response.mimetype == "application/rss+xml"
    assert parsed.version == "rss20"
    assert [e.title for e in parsed.entries] == ["Newer story", "Older story"]
    assert parsed.entries[0].link == SITE + article_path(newer)
    assert parsed.entries[0].author == "Sports Reporter"
    assert parsed.entries[1].summary == "Summary & <details>"
    assert parsed.feed.link == SITE + "/"


def test_section_feed_holds_only_its_desk(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="National story")
    paper.story(headline="Sports story", desk=paper.sports)
    _, parsed = _parse(client, "/sports/feed.xml")
    assert [e.title for e in parsed.entries] == ["Sports story"]
    assert "Sports" in parsed.feed.title
    assert client.get("/nowhere/feed.xml").status_code == 404


def test_feed_survives_control_characters_and_bangla(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="ঢাকায় বৃষ্টি", standfirst="Line\x0bwith\x01control\x1fcharacters")
    _, parsed = _parse(client, "/feed.xml")
    assert parsed.entries[0].title == "ঢাকায় বৃষ্টি"
    assert parsed.entries[0].summary == "Linewithcontrolcharacters"


def test_sitemap_lists_home_sections_and_public_stories(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(headline="In the sitemap")
    hidden = paper.story(StoryState.SUBMITTED, headline="Not in the sitemap")
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    locs = sitemap_locs(response.get_data())
    assert SITE + "/" in locs
    assert SITE + "/national/" in locs and SITE + "/sports/" in locs
    assert SITE + article_path(story) in locs
    assert not any(hidden.slug in loc for loc in locs)
    root = xml_root(response.get_data())
    lastmods = [el.text for el in root.iter(SM + "lastmod")]
    assert lastmods and all(parse_w3c(text or "").tzinfo for text in lastmods)


def test_large_sitemap_becomes_an_index(
    client: FlaskClient, paper: Paper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "SITEMAP_SIZE", 2)
    stories = [paper.story(headline=f"Story {n}") for n in range(3)]
    root = xml_root(client.get("/sitemap.xml").get_data())
    assert root.tag == SM + "sitemapindex"
    parts = sitemap_locs(client.get("/sitemap.xml").get_data())
    assert parts == [
        SITE + "/sitemaps/sections.xml",
        SITE + "/sitemaps/stories-1.xml",
        SITE + "/sitemaps/stories-2.xml",
    ]
    found = []
    for part in parts:
        found += sitemap_locs(client.get(part.removeprefix(SITE)).get_data())
    assert {SITE + article_path(s) for s in stories} <= set(found)
    assert SITE + "/national/" in found
    assert client.get("/sitemaps/stories-3.xml").status_code == 404
    assert client.get("/sitemaps/stories-0.xml").status_code == 404


def test_news_sitemap_holds_only_the_last_48_hours(client: FlaskClient, paper: Paper) -> None:
    fresh = paper.story(headline="Fresh & new")
    stale = paper.story(headline="Three days old")
    set_published(stale, utcnow() - timedelta(days=3))
    paper.story(StoryState.SCHEDULED, headline="Scheduled, not public")
    data = client.get("/news-sitemap.xml").get_data()
    root = xml_root(data)  # well-formed
    urls = root.findall("sm:url", SITEMAP_NS)
    assert [u.findtext("sm:loc", namespaces=SITEMAP_NS) for u in urls] == [
        SITE + article_path(fresh)
    ]
    news = urls[0].find("news:news", SITEMAP_NS)
    assert news is not None
    assert news.findtext("news:title", namespaces=SITEMAP_NS) == "Fresh & new"
    assert news.findtext("news:publication/news:name", namespaces=SITEMAP_NS) == (
        "The Dhaka Chronicle"
    )
    assert news.findtext("news:publication/news:language", namespaces=SITEMAP_NS) == "en"
    published = parse_w3c(news.findtext("news:publication_date", namespaces=SITEMAP_NS) or "")
    assert utcnow() - published < timedelta(hours=48)


def test_robots_txt(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for line in ("Disallow: /newsroom/", "Disallow: /admin/", "Disallow: /api/"):
        assert line in text
    assert f"Sitemap: {SITE}/sitemap.xml" in text
    assert f"Sitemap: {SITE}/news-sitemap.xml" in text


def test_absolute_urls_follow_site_url(client: FlaskClient, paper: Paper, app) -> None:
    app.config["SITE_URL"] = "https://www.dhakachronicle.example"
    story = paper.story(headline="Abroad")
    _, parsed = _parse(client, "/feed.xml")
    assert parsed.entries[0].link == "https://www.dhakachronicle.example" + article_path(story)
    html = client.get(article_path(story)).get_data(as_text=True)
    assert 'rel="canonical" href="https://www.dhakachronicle.example/national/' in html
