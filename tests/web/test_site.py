"""The public site: homepage, sections, tags, search, articles, redirects, markup rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from editorial.extensions import db
from editorial.models import Correction, Story, story_authors
from editorial.models.loading import load_access, load_whole
from editorial.services import commit
from editorial.services.cache import purge_public_cache
from editorial.services.revisions import CorrectionInput
from editorial.services.settings import set_setting
from editorial.services.stories import StoryInput, save_story
from editorial.site import queries
from editorial.templating import masthead_date
from editorial.workflow import StoryState
from tests.conftest import login
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path, jsonld, set_published
from tests.web.test_queries import counting

paper = sitekit.paper


def _html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


# --- homepage -----------------------------------------------------------------------------------


def test_homepage_has_masthead_nav_and_lists(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="Cold wave grips the north")
    html = _html(client, "/")
    assert '<html lang="en">' in html
    assert 'class="skip-link" href="#main"' in html and 'id="main"' in html
    assert html.count("<h1") == 1
    assert re.search(r'<h1 class="masthead-name"><a href="/">The Dhaka Chronicle</a></h1>', html)
    assert "Founded 1972" in html  # the configured tagline
    assert masthead_date() in html
    assert html.index(">National<") < html.index(">Sports<")  # desks in newsroom order
    for heading in ("Top News", "Latest News"):
        assert f">{heading}</h2>" in html
    assert html.count("Advertisement") >= 2
    assert "Cold wave grips the north" in html


def test_tagline_setting_replaces_the_default(client: FlaskClient, paper: Paper) -> None:
    set_setting("tagline", "Journalism without fear or favour")
    purge_public_cache()
    commit()
    assert "Journalism without fear or favour" in _html(client, "/")


def test_lead_is_the_newest_top_story_and_latest_is_newest_first(
    client: FlaskClient, paper: Paper
) -> None:
    older_top = paper.top(paper.story(headline="Older top story"))
    newer_top = paper.top(paper.story(headline="Newer top story"))
    plain = paper.story(headline="Newest plain story", desk=paper.sports)
    set_published(older_top, datetime(2025, 12, 30, 6, tzinfo=UTC))
    set_published(newer_top, datetime(2025, 12, 30, 7, tzinfo=UTC))
    set_published(plain, datetime(2025, 12, 30, 8, tzinfo=UTC))
    html = _html(client, "/")
    lead = html[html.index('class="lead-story"') : html.index('id="top-news-heading"')]
    assert "Newer top story" in lead and "Older top story" not in lead
    top = html[html.index('id="top-news-heading"') : html.index('id="latest-news-heading"')]
    assert "Older top story" in top and "Newest plain story" not in top
    latest = html[html.index('id="latest-news-heading"') :]
    order = [latest.index(h) for h in ("Newest plain story", "Newer top story", "Older top story")]
    assert order == sorted(order)
    blocks = html[html.index('class="desk-blocks"') :]
    assert 'id="desk-sports"' in blocks and 'id="desk-national"' in blocks


def test_empty_site_still_renders(client: FlaskClient, paper: Paper) -> None:
    assert "No news has been published yet" in _html(client, "/")


# --- sections, tags, latest, pagination ---------------------------------------------------------


def test_section_lists_only_its_desk(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="National story")
    paper.story(headline="Sports story", desk=paper.sports)
    html = _html(client, "/sports/")
    assert "<h1" in html and ">Sports</h1>" in html
    assert "Sports story" in html and "National story" not in html
    assert 'aria-current="page"' in html
    assert client.get("/section/sports/").headers["Location"] == "/sports/"
    assert client.get("/no-such-desk/").status_code == 404


def test_desk_with_a_reserved_slug_lives_under_section(
    client: FlaskClient, paper: Paper, make
) -> None:
    desk = make.desk("Admin")
    for person in (paper.editor, paper.reporter):
        load_access(person)
        person.desks.append(desk)
    commit()
    paper.story(headline="A story on the admin desk", desk=desk)
    html = _html(client, "/")
    assert 'href="/section/admin/"' in html
    assert "A story on the admin desk" in _html(client, "/section/admin/")


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "2", "1.5", "²", "99999999"])
def test_pages_that_do_not_exist_are_404(client: FlaskClient, paper: Paper, bad: str) -> None:
    paper.story()
    assert client.get(f"/national/?page={bad}").status_code == 404


def test_tag_page(client: FlaskClient, paper: Paper) -> None:
    paper.story(headline="Tagged and public", tags=["Teesta"])
    paper.story(StoryState.SUBMITTED, headline="Tagged but submitted", tags=["Teesta"])
    html = _html(client, "/tag/teesta")
    assert ">Teesta</h1>" in html
    assert "Tagged and public" in html and "Tagged but submitted" not in html
    assert client.get("/tag/unknown").status_code == 404


# --- search -------------------------------------------------------------------------------------


def test_search_finds_english_and_bangla_newest_first(any_app: Flask, make) -> None:
    client = any_app.test_client()
    desk = make.desk("National")
    reporter, editor = make.reporter(desk), make.editor(desk)
    older = make.story(
        reporter,
        desk,
        StoryState.PUBLISHED,
        editor=editor,
        headline="ঢাকায় বন্যা পরিস্থিতির উন্নতি",
        body="বন্যার পানি কমছে। Flood waters recede.",
    )
    newer = make.story(
        reporter,
        desk,
        StoryState.PUBLISHED,
        editor=editor,
        headline="Flood relief reaches Sylhet",
        body="Relief for the flood in Sylhet.",
    )
    make.story(reporter, desk, StoryState.APPROVED, editor=editor, headline="Flood draft")
    set_published(older, datetime(2025, 12, 1, tzinfo=UTC))
    set_published(newer, datetime(2025, 12, 2, tzinfo=UTC))

    html = _html(client, "/search?q=flood")
    assert "2 results" in html and "Flood draft" not in html
    assert html.index("Flood relief reaches Sylhet") < html.index("ঢাকায় বন্যা")
    bangla = _html(client, "/search?q=বন্যা")
    assert "1 result " in bangla and "ঢাকায় বন্যা পরিস্থিতির উন্নতি" in bangla
    assert "No stories match" in _html(client, "/search?q=nonexistentword")
    empty = _html(client, "/search?q=")
    assert "result" not in empty and 'name="q"' in empty
    assert "noindex" in _html(client, "/search?q=%21%21")


# --- articles -----------------------------------------------------------------------------------


def test_article_page(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(
        headline="Dhaka, Delhi agree to resume Teesta talks",
        standfirst="Foreign secretaries meet for the first time in two years.",
        body="Bangladesh and India agreed on Monday.\n\nMore talks next month.",
        byline="Diplomatic Correspondent",
        dateline="Dhaka",
        tags=["Teesta", "Water"],
    )
    sibling = paper.story(headline="Another national story")
    other_desk = paper.story(headline="A sports story", desk=paper.sports)
    paper.top(other_desk)
    set_published(story, datetime(2025, 12, 30, 12, 5, tzinfo=UTC))
    save_story(
        story,
        StoryInput(
            headline=story.headline,
            standfirst=story.standfirst,
            body=story.body.replace("Monday", "Tuesday"),
            byline=story.byline,
            dateline=story.dateline,
            desk_id=story.desk_id,
            slug=story.slug,
            tags=["Teesta", "Water"],
        ),
        actor=paper.editor,
        expected_version=story.version,
        correction=CorrectionInput(note="An earlier version gave the wrong day."),
    )
    path = article_path(story)
    assert path == "/national/2025/12/30/dhaka-delhi-agree-to-resume-teesta-talks"
    html = _html(client, path)
    assert html.count("<h1") == 1
    assert '<h1 class="article-headline">Dhaka, Delhi agree to resume Teesta talks</h1>' in html
    assert "Foreign secretaries meet" in html
    assert '<p class="byline">Diplomatic Correspondent</p>' in html
    assert '<p class="dateline">DHAKA</p>' in html
    assert "30 December 2025, 6:05 pm" in html  # 12:05 UTC is 18:05 in Dhaka
    assert "Updated:" in html
    assert "Correction" in html and "An earlier version gave the wrong day." in html
    assert "<p>Bangladesh and India agreed on Tuesday.</p>" in html
    assert 'href="/tag/teesta"' in html and 'href="/tag/water"' in html
    more = html[html.index('id="more-heading"') :]
    more = more[: more.index("</section>")]
    assert "Another national story" in more and "A sports story" not in more
    side_top = html[html.index('id="side-top-heading"') :]
    assert "A sports story" in side_top[: side_top.index("</section>")]
    canonical = f'<link rel="canonical" href="http://127.0.0.1:5000{path}">'
    assert canonical in html
    assert '<meta property="og:title" content="Dhaka, Delhi agree to resume Teesta talks">' in html
    assert 'media="print"' in html
    assert sibling.headline in html


def test_local_date_decides_the_url(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(headline="Late night story")
    set_published(story, datetime(2025, 12, 30, 20, 0, tzinfo=UTC))  # 02:00 on the 31st in Dhaka
    assert article_path(story) == "/national/2025/12/31/late-night-story"
    assert client.get("/national/2025/12/31/late-night-story").status_code == 200


def test_jsonld_has_the_required_fields(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(headline="Metro rail runs later", byline="Staff Reporter")
    [data] = jsonld(_html(client, article_path(story)))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Metro rail runs later"
    assert data["author"] == [{"@type": "Person", "name": "Staff Reporter"}]
    assert data["publisher"]["name"] == "The Dhaka Chronicle"
    assert data["mainEntityOfPage"]["@id"].startswith("http://127.0.0.1:5000/national/")
    datetime.fromisoformat(data["datePublished"])
    datetime.fromisoformat(data["dateModified"])


def test_jsonld_cannot_be_broken_out_of(client: FlaskClient, paper: Paper) -> None:
    evil = "</script><script>alert(1)</script> & <!-- '\""
    story = paper.story(headline=f"Headline {evil}", standfirst=evil, byline="A </script> B")
    html = _html(client, article_path(story))
    assert "<script>alert(1)" not in html
    assert html.count("</script>") == 1  # only the JSON-LD block's own end tag
    [data] = jsonld(html)
    assert data["headline"] == f"Headline {evil}"
    assert data["description"] == evil


def test_old_slug_and_wrong_address_redirect_permanently(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(headline="First headline")
    old = article_path(story)
    save_story(
        story,
        StoryInput(
            headline="Better headline",
            body=story.body,
            desk_id=story.desk_id,
            slug="better-headline",
        ),
        actor=paper.editor,
        expected_version=story.version,
    )
    new = article_path(story)
    assert new.endswith("/better-headline")
    moved = client.get(old + "?utm_source=x")
    assert moved.status_code == 301 and moved.headers["Location"] == new
    wrong_date = new.replace(new.split("/")[2], "1999")
    assert client.get(wrong_date).headers["Location"] == new
    wrong_desk = new.replace("/national/", "/sports/")
    assert client.get(wrong_desk).status_code == 301
    assert client.get(new).status_code == 200


def test_unknown_article_is_404_with_the_site_layout(client: FlaskClient, paper: Paper) -> None:
    html = _html(client, "/national/2025/12/30/no-such-story", 404)
    assert "Page not found" in html and "masthead" in html


def test_an_address_no_route_knows_is_the_papers_404(client: FlaskClient, paper: Paper) -> None:
    """A reader's mistyped address gets the paper's page (masthead, search), cacheable like
    any public answer; a staff area's unknown address keeps that area's answer."""
    for path in ("/no/such/page", "/national/2025/12/30", "/feed.xml/extra"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert "Page not found" in html and "masthead" in html and 'name="q"' in html, path
        assert "public" in response.headers["Cache-Control"], path
    newsroom = client.get("/newsroom/no-such-page")
    assert newsroom.status_code == 404 and "masthead" not in newsroom.get_data(as_text=True)
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.is_json


# --- markup rules -------------------------------------------------------------------------------


def test_no_inline_style_or_script_anywhere(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(tags=["Teesta"], body="Text with *emphasis* and [a link](https://x.test).")
    for url in [
        "/",
        article_path(story),
        "/national/",
        "/latest",
        "/tag/teesta",
        "/search?q=text",
        "/nope/1/2/3/4",
    ]:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        scripts = re.findall(r"<script[^>]*>", html)
        assert all(s == '<script type="application/ld+json">' for s in scripts), url


def test_public_pages_are_the_same_for_staff(app: Flask, paper: Paper) -> None:
    story = paper.story(headline="Same for everyone")
    anonymous, staff = app.test_client(), app.test_client()
    login(staff, paper.editor)
    for url in ["/", article_path(story), "/national/", "/feed.xml"]:
        a, s = anonymous.get(url), staff.get(url)
        assert a.get_data() == s.get_data(), url
        assert a.headers["ETag"] == s.headers["ETag"]
        # Flask adds "Vary: Cookie" (its session is read on every request), so a shared cache
        # keeps cookie-less readers on one copy; no public answer ever sets a cookie.
        assert "Set-Cookie" not in a.headers and "Set-Cookie" not in s.headers


def test_formatted_urls_agree_with_the_routes(app: Flask) -> None:
    """queries builds URLs without url_for (for speed); they must be what the routes expect."""
    with app.test_request_context("/"):
        for slug in ["national", "খেলা", "admin"]:
            endpoint = "site.section_alias" if slug in queries.RESERVED_SLUGS else "site.section"
            assert queries.section_url(slug) == url_for(endpoint, desk_slug=slug)
            assert queries.tag_url(slug) == url_for("site.tag", tag_slug=slug)
        when = datetime(2025, 12, 30, 20, tzinfo=UTC)  # the 31st in Dhaka
        for desk, slug in [("national", "ঢাকায়-বৃষ্টি"), ("admin", "a-b-2")]:
            assert queries.story_url(desk, when, slug) == url_for(
                "site.article", desk_slug=desk, yyyy="2025", mm="12", dd="31", slug=slug
            )


def test_bangla_desk_and_slug(client: FlaskClient, paper: Paper, make) -> None:
    desk = make.desk("খেলা")
    for person in (paper.reporter, paper.editor):
        load_access(person)
        person.desks.append(desk)
    commit()
    story = paper.story(desk=desk, headline="ক্রিকেটে বাংলাদেশের জয়")
    section = client.get(quote("/খেলা/"))
    assert section.status_code == 200
    assert 'aria-current="page"' in section.get_data(as_text=True)
    path = article_path(story)
    assert path.startswith("/খেলা/")
    page = client.get(quote(path))
    assert page.status_code == 200, page.headers.get("Location")
    assert "ক্রিকেটে বাংলাদেশের জয়" in page.get_data(as_text=True)


def test_the_homepage_desk_blocks_are_each_desks_newest_in_one_statement(
    any_app: Flask, make
) -> None:
    """queries.desk_blocks (one UNION ALL) gives what a query per desk gave: each desk's
    newest public stories, ties on the time broken by id, in the desks' order."""
    desks = [make.desk(name) for name in ("National", "Sports", "Empty")]
    editor = make.editor(*desks)
    when = datetime(2025, 12, 1, tzinfo=UTC)
    for n in range(7):
        desk = desks[n % 2]
        story = make.story(make.reporter(desk), desk, StoryState.PUBLISHED, editor=editor)
        set_published(story, when.replace(hour=min(n, 4)))  # 4, 5 and 6: one instant
    make.story(make.reporter(desks[0]), desks[0], StoryState.APPROVED, editor=editor)
    ids = [desk.id for desk in reversed(desks)]
    with counting(any_app) as statements:
        blocks = queries.desk_blocks(ids, 3)
    assert len(statements) == 1
    assert blocks == [queries.cards(queries.desk_stories(desk_id), 3) for desk_id in ids]
    assert [len(block) for block in blocks] == [0, 3, 3]
    assert queries.desk_blocks([], 3) == []


def test_an_article_read_as_columns_is_the_story_objects_article(any_app: Flask, make) -> None:
    """The article page reads its story as columns (queries.public_article); the view it
    gives is the one the Story object gives (authors, tags and notices in their order), and
    only a public story has one."""
    desk = make.desk("National")
    reporter = make.reporter(desk, name="Zahid Hasan")
    editor = make.editor(desk)
    story = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, tags=["Water", "Dam"])
    db.session.execute(
        story_authors.insert().values(story_id=story.id, person_id=make.reporter(desk).id)
    )
    for n, is_correction in enumerate((True, False)):
        db.session.add(
            Correction(
                story_id=story.id,
                note=f"{'ZA'[n]}: notice {n}",  # in time order, not the text's
                is_correction=is_correction,
                created_by_id=editor.id,
                created_at=datetime(2025, 12, 1, n, tzinfo=UTC),
            )
        )
    commit()
    draft = make.story(reporter, desk)
    with any_app.test_request_context("/"):
        queries.begin_read()
        columns = queries.public_article(story.slug)
        assert columns is not None and queries.public_story_by_id(story.id) == columns
        view = queries.article_of(columns)
        whole = db.session.get(Story, story.id)  # as the newsroom's preview gives it
        assert whole is not None
        load_whole(whole)
        assert view == queries.article_of(whole)
        assert len(view.authors) == 2 and [name for name, _url in view.tags] == ["Dam", "Water"]
        assert [notice.note for notice in view.notices] == ["Z: notice 0", "A: notice 1"]
        assert queries.public_article(draft.slug) is None
        assert queries.public_article("no-such-story") is None
        queries.release()


def test_a_card_with_a_thumbnail_keeps_every_other_field() -> None:
    """Card.with_thumb copies by position (faster than _replace()): it must copy them all."""
    values = {name: f"value {n}" for n, name in enumerate(queries.Card._fields)}
    card = queries.Card(**values)  # type: ignore[arg-type]
    thumb = queries.Thumb("alt", 640, 427, "/m/a.jpg", "/m/a.jpg 640w", (), (), None)
    assert card.with_thumb(thumb) == card._replace(thumb=thumb)
    assert card.with_thumb(None) == card._replace(thumb=None)
