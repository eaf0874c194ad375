"""Live coverage (issue 12): the newsroom posts entries, readers see them, nothing leaks.

The page cache stays on throughout (the test app's default), so every "readers see it" below
also proves that an entry invalidates the cached article and its fragment.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.models import AuditEvent, LiveEntry, Rendition, Story
from editorial.services import commit, photos
from editorial.services.live import EntryInput, edit_entry, end_live_coverage, post_entry
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import login
from tests.web import sitekit
from tests.web.conftest import Newsroom, post_form, reload
from tests.web.livekit import bulk_entries, live_story
from tests.web.sitekit import Paper, article_path, jsonld

paper = sitekit.paper


def _entries(html: str) -> list[str]:
    """The entry texts of a page, in the order shown."""
    return re.findall(r'class="live-entry-body"><p>(.*?)</p>', html)


# --- the newsroom -------------------------------------------------------------------------------


def test_the_editor_checkbox_marks_a_story_live(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    response = post_form(client, "/newsroom/stories/new", nr.form(live_coverage="y"))
    assert response.status_code == 302
    story = db.session.scalars(select(Story)).one()
    assert story.live_started_at is not None and story.live_ended_at is None
    page = client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)
    assert 'for="entry">Entry</label>' in page and ">Post entry</button>" in page
    # The reporter may post but only an editor ends it.
    assert "End live coverage" not in page
    login(client, nr.editor)
    assert "End live coverage" in client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


def test_post_edit_pin_delete_and_end(client: FlaskClient, nr: Newsroom, make) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    live_story(story, nr.editor)
    login(client, nr.reporter)
    base = f"/newsroom/stories/{story.id}"
    assert (
        post_form(client, f"{base}/entries", {"entry": "Polls **open** at 8 am."}).status_code
        == 302
    )
    assert post_form(client, f"{base}/entries", {"entry": "Turnout is high."}).status_code == 302
    first, second = db.session.scalars(select(LiveEntry).order_by(LiveEntry.id)).all()
    assert first.body_html == "<p>Polls <strong>open</strong> at 8 am.</p>\n"

    edit = post_form(client, f"{base}/entries/{first.id}", {"entry": "Polls open at 8:30 am."})
    assert edit.status_code == 302
    assert post_form(client, f"{base}/entries/{first.id}/pin", {"pinned": "1"}).status_code == 302
    assert post_form(client, f"{base}/entries/{second.id}/delete").status_code == 302

    public = client.get(article_path(story)).get_data(as_text=True)
    assert "Polls open at 8:30 am." in public and "(edited" in public and "Pinned" in public
    assert "Turnout is high." not in public
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("story.live."))
    ).all()
    assert sorted(actions) == sorted(
        [
            "story.live.started",
            "story.live.entry_posted",
            "story.live.entry_posted",
            "story.live.entry_edited",
            "story.live.entry_pinned",
            "story.live.entry_deleted",
        ]
    )
    # Only an editor ends it; the page keeps its entries.
    assert post_form(client, f"{base}/live/end").status_code == 403
    login(client, nr.editor)
    assert post_form(client, f"{base}/live/end").status_code == 302
    assert reload(story).live_ended_at is not None
    ended = client.get(article_path(story)).get_data(as_text=True)
    assert "Live coverage ended" in ended and "Polls open at 8:30 am." in ended
    assert "js/live.js" not in ended  # nothing left to poll


def test_people_outside_the_story_cannot_post(client: FlaskClient, nr: Newsroom, make) -> None:
    story = live_story(
        make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor), nr.editor
    )
    for outsider in (nr.colleague, nr.other_editor, nr.outsider):
        login(client, outsider)
        response = post_form(client, f"/newsroom/stories/{story.id}/entries", {"entry": "Hi"})
        assert response.status_code == 404  # they cannot see the story at all
    assert db.session.scalar(select(LiveEntry.id)) is None


def test_an_edit_does_not_bump_the_story_version(app, nr: Newsroom, make) -> None:
    """An editor half-way through editing the body must not get a conflict per entry."""
    story = live_story(
        make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor), nr.editor
    )
    version = reload(story).version
    post_entry(story, EntryInput(body="Entry"), actor=nr.reporter)
    assert reload(story).version == version


# --- bad input, on SQLite and PostgreSQL --------------------------------------------------------


@pytest.fixture
def web(any_app) -> FlaskClient:
    return any_app.test_client()


@pytest.fixture
def live(web: FlaskClient, nr: Newsroom, make) -> Story:
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    return live_story(story, nr.editor, "The first entry.")


def test_entry_to_ended_coverage_is_refused_and_kept(
    web: FlaskClient, nr: Newsroom, live: Story
) -> None:
    end_live_coverage(live, actor=nr.editor)
    login(web, nr.reporter)
    typed = "Late news that must not be lost ঢাকা."
    response = post_form(web, f"/newsroom/stories/{live.id}/entries", {"entry": typed})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Live coverage of this story has ended" in html
    assert str(escape(typed)) in html
    assert db.session.scalar(select(LiveEntry.id).where(LiveEntry.body == typed)) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "The entry is empty"),
        ("   \n\t ", "The entry is empty"),
        ("x" * 200_000, "Entries are at most 20,000 characters; this one has 200,000."),
    ],
)
def test_empty_or_huge_entry_is_refused_and_kept(
    web: FlaskClient, nr: Newsroom, live: Story, typed: str, message: str
) -> None:
    login(web, nr.reporter)
    response = post_form(web, f"/newsroom/stories/{live.id}/entries", {"entry": typed})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if typed.strip():
        assert typed in html
    assert db.session.scalar(select(db.func.count(LiveEntry.id))) == 1


def test_bad_link_and_photo_are_refused_and_kept(
    web: FlaskClient, nr: Newsroom, live: Story
) -> None:
    login(web, nr.reporter)
    form = {"entry": "See this.", "link": "javascript:alert(1)", "photo_id": "999999"}
    response = post_form(web, f"/newsroom/stories/{live.id}/entries", form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "A link is a web address" in html and "That photo is not in the library" in html
    assert "See this." in html


def test_editing_a_deleted_entry_is_refused_and_kept(
    web: FlaskClient, nr: Newsroom, live: Story
) -> None:
    entry = db.session.scalars(select(LiveEntry)).one()
    login(web, nr.reporter)
    assert (
        post_form(web, f"/newsroom/stories/{live.id}/entries/{entry.id}/delete").status_code == 302
    )
    typed = "A fix to a deleted entry."
    response = post_form(web, f"/newsroom/stories/{live.id}/entries/{entry.id}", {"entry": typed})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This entry was deleted" in html and typed in html
    assert reload_entry(entry).body == "The first entry."
    # Deleting twice, or pinning it, says the same; another story's entry is 404.
    assert (
        post_form(web, f"/newsroom/stories/{live.id}/entries/{entry.id}/delete").status_code == 409
    )
    assert post_form(web, f"/newsroom/stories/{live.id}/entries/{entry.id}/pin").status_code == 409
    assert post_form(web, f"/newsroom/stories/{live.id}/entries/99999").status_code == 404


def reload_entry(entry: LiveEntry) -> LiveEntry:
    db.session.expire_all()
    return db.session.get(LiveEntry, entry.id)


def test_forged_or_ancient_etag_gets_a_fresh_200(
    web: FlaskClient, nr: Newsroom, live: Story
) -> None:
    fragment = article_path(live) + "/live"
    first = web.get(fragment)
    assert first.status_code == 200 and "The first entry." in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert web.get(fragment, headers={"If-None-Match": etag}).status_code == 304
    for forged in ('"forged"', 'W/"x"', '"' + "a" * 5000 + '"', "garbage, ,,", etag[:-3] + '"'):
        response = web.get(fragment, headers={"If-None-Match": forged})
        assert response.status_code == 200, forged
        assert "The first entry." in response.get_data(as_text=True)
    post_entry(live, EntryInput(body="The second entry."), actor=nr.reporter)
    ancient = web.get(fragment, headers={"If-None-Match": etag})
    assert ancient.status_code == 200
    assert _entries(ancient.get_data(as_text=True)) == ["The second entry.", "The first entry."]


def test_ten_thousand_entries_stay_paginated(web: FlaskClient, nr: Newsroom, live: Story) -> None:
    bulk_entries(live, nr.reporter, 10_000)
    path = article_path(live)
    first = web.get(path)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    shown = _entries(html)
    assert len(shown) == 50 and shown[0] == "Update number 10000."
    older = re.search(r'href="([^"]+\?before=(\d+))">Older updates', html)
    assert older
    # Follow the links 3 pages down, then jump deep: each page is 50 entries, no gaps.
    url = older.group(1)
    for page in range(2, 5):
        html = web.get(url).get_data(as_text=True)
        shown = _entries(html)
        assert shown[0] == f"Update number {10_000 - 50 * (page - 1)}."
        assert len(shown) == 50
        url = re.search(r'href="([^"]+\?before=\d+)">Older updates', html).group(1)
    last_id = db.session.scalar(
        select(db.func.min(LiveEntry.id)).where(LiveEntry.story_id == live.id)
    )
    deep = web.get(f"{path}?before={last_id + 20}")
    assert deep.status_code == 200 and len(_entries(deep.get_data(as_text=True))) == 20
    assert "Older updates" not in deep.get_data(as_text=True)
    fragment = web.get(path + "/live")
    assert fragment.status_code == 200 and len(_entries(fragment.get_data(as_text=True))) == 50
    for bad in ("0", "-1", "abc", "99999999999", str(last_id)):
        assert web.get(f"{path}?before={bad}").status_code == 404, bad
    # The newsroom page lists the newest 50 too.
    login(web, nr.editor)
    newsroom = web.get(f"/newsroom/stories/{live.id}").get_data(as_text=True)
    assert "The newest 50 of 10001 entries" in newsroom


# --- the public page ----------------------------------------------------------------------------


def test_readers_see_entries_newest_first_pinned_first(client: FlaskClient, paper: Paper) -> None:
    story = live_story(paper.story(headline="Election day"), paper.editor, "One.", "Two.", "Three.")
    path = article_path(story)
    assert _entries(client.get(path).get_data(as_text=True)) == ["Three.", "Two.", "One."]
    one = db.session.scalars(select(LiveEntry).where(LiveEntry.body == "One.")).one()
    from editorial.services.live import pin_entry

    pin_entry(one, story=story, actor=paper.editor)
    html = client.get(path).get_data(as_text=True)
    assert _entries(html) == ["One.", "Three.", "Two."]
    assert "Pinned" in html
    # Newsroom time: Asia/Dhaka, as the rest of the article.
    assert re.search(r'<time datetime="[^"]+\+00:00">\d+ \w+ \d{4}, \d+:\d\d [ap]m</time>', html)


def test_a_new_entry_is_on_the_cached_page_at_once(client: FlaskClient, paper: Paper) -> None:
    story = live_story(paper.story(), paper.editor, "Before.")
    path = article_path(story)
    assert client.get(path).headers["X-Page-Cache"] == "miss"
    assert client.get(path).headers["X-Page-Cache"] == "hit"
    etag = client.get(path + "/live").headers["ETag"]
    post_entry(story, EntryInput(body="After."), actor=paper.reporter)
    page = client.get(path)
    assert _entries(page.get_data(as_text=True)) == ["After.", "Before."]
    assert client.get(path + "/live", headers={"If-None-Match": etag}).status_code == 200
    entry = db.session.scalars(select(LiveEntry).where(LiveEntry.body == "After.")).one()
    edit_entry(entry, EntryInput(body="After, edited."), story=story, actor=paper.reporter)
    assert "After, edited." in client.get(path).get_data(as_text=True)


def test_lists_mark_the_story_live(client: FlaskClient, paper: Paper) -> None:
    story = live_story(paper.story(headline="Cyclone Remal live"), paper.editor)
    other = paper.story(headline="A quiet story")
    paper.top(story)
    for url in ("/", "/latest", "/national/", article_path(other)):
        html = client.get(url).get_data(as_text=True)
        assert re.search(r'LIVE</span> <a href="[^"]+">Cyclone Remal live', html), url
        assert not re.search(r'LIVE</span> <a href="[^"]+">A quiet story', html), url
    end_live_coverage(story, actor=paper.editor)
    assert "LIVE</span>" not in client.get("/").get_data(as_text=True)


def test_jsonld_is_a_live_blog_posting(client: FlaskClient, paper: Paper) -> None:
    story = live_story(paper.story(), paper.editor, "First *update*.", "Second update.")
    (data,) = jsonld(client.get(article_path(story)).get_data(as_text=True))
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageStartTime"].endswith("+00:00")
    assert "coverageEndTime" not in data
    updates = data["liveBlogUpdate"]
    assert [u["articleBody"] for u in updates] == ["Second update.", "First update."]
    assert all(
        u["@type"] == "BlogPosting" and u["url"].endswith(f"#entry-{n}")
        for u, n in zip(updates, (2, 1), strict=True)
    )
    end_live_coverage(story, actor=paper.editor)
    (data,) = jsonld(client.get(article_path(story)).get_data(as_text=True))
    assert data["coverageEndTime"] >= data["coverageStartTime"]
    plain = paper.story()
    (data,) = jsonld(client.get(article_path(plain)).get_data(as_text=True))
    assert data["@type"] == "NewsArticle" and "liveBlogUpdate" not in data


def test_the_page_reads_without_javascript_and_loads_the_poller(
    client: FlaskClient, paper: Paper
) -> None:
    story = live_story(paper.story(), paper.editor, "Readable.")
    html = client.get(article_path(story)).get_data(as_text=True)
    assert "Readable." in html
    assert f'data-live-url="{article_path(story)}/live"' in html
    assert re.search(r'<script src="/static/js/live.js[^"]*" defer></script>', html)
    assert "onclick" not in html and "<script>" not in html
    script = client.get("/static/js/live.js")
    assert script.status_code == 200
    script.close()


# --- leaks: entries of a story readers may not see ----------------------------------------------

SECRET = "Wombat"


def _hidden_live(paper: Paper, state: str) -> Story:
    if state == "embargoed":
        story = paper.story(StoryState.PUBLISHED, headline="Embargoed live story")
        save_story(
            story,
            StoryInput(
                headline=story.headline,
                body=story.body,
                desk_id=story.desk_id,
                slug=story.slug,
                embargo_at=utcnow() + timedelta(days=1),
            ),
            actor=paper.editor,
            expected_version=story.version,
        )
    elif state == "withdrawn":
        story = paper.story(StoryState.PUBLISHED, headline="Withdrawn live story")
    else:
        story = paper.story(StoryState(state), headline=f"A {state} live story")
    live_story(story, paper.editor, f"{SECRET} entry text.")
    if state == "withdrawn":
        transition_story(story, Action.WITHDRAW, actor=paper.editor, note="Legal")
    return story


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "approved", "scheduled", "embargoed", "withdrawn"]
)
def test_entries_of_a_hidden_story_are_nowhere(
    client: FlaskClient, paper: Paper, state: str
) -> None:
    story = _hidden_live(paper, state)
    visible = live_story(paper.story(headline="A public live story"), paper.editor, "Public entry.")
    path = article_path(story)
    urls = [
        path,
        path + "/live",
        path + "?before=999",
        "/",
        "/latest",
        "/national/",
        "/feed.xml",
        "/national/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        f"/search?q={SECRET.lower()}",
        "/api/stories",
        f"/api/stories/{story.id}",
        article_path(visible),
        article_path(visible) + "/live",
    ]
    for url in urls:
        response = client.get(url)
        assert SECRET not in response.get_data(as_text=True), url
        assert response.status_code < 500, url
    assert client.get(path + "/live").status_code == 404
    assert client.get(path).status_code in {404, 410}


def test_the_fragment_of_a_story_never_live_is_404(client: FlaskClient, paper: Paper) -> None:
    story = paper.story()
    assert client.get(article_path(story) + "/live").status_code == 404
    assert client.get(article_path(story) + "?before=5").status_code == 404
    db.session.execute(update(Story).where(Story.id == story.id).values(live_started_at=utcnow()))
    commit()


# --- photos in entries --------------------------------------------------------------------------


def _photo(reporter, **words) -> int:
    content = photokit.jpeg((900, 600))
    data = photos.PhotoInput(
        **({"credit": "Rafiq Ahmed", "alt_text": "Queues at a polling centre"} | words)
    )
    return photos.upload_photo(io.BytesIO(content), data, actor=reporter).id


def _media(reader: FlaskClient, photo_id: int) -> set[int]:
    statuses = set()
    for key in db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)):
        with reader.get(f"/media/{key}") as response:
            statuses.add(response.status_code)
    return statuses


def test_an_entry_photo_is_public_only_with_a_public_story(
    web: FlaskClient, nr: Newsroom, make
) -> None:
    photo_id = _photo(nr.reporter)
    draft = live_story(make.story(nr.reporter, nr.desk), nr.reporter)
    post_entry(draft, EntryInput(body="Queues.", photo_id=photo_id), actor=nr.reporter)
    assert _media(web, photo_id) == {404}

    story = live_story(
        make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor), nr.editor
    )
    entry = post_entry(
        story, EntryInput(body="Queues outside.", photo_id=photo_id), actor=nr.reporter
    )
    html = web.get(article_path(story)).get_data(as_text=True)
    assert re.search(
        r'<figure class="live-entry-photo">.*alt="Queues at a polling centre"', html, re.S
    )
    assert "Rafiq Ahmed" in html
    assert _media(web, photo_id) == {200}
    from editorial.services.live import delete_entry

    delete_entry(entry, story=story, actor=nr.editor)
    assert _media(web, photo_id) == {404}


def test_an_uncredited_photo_is_refused_and_the_text_kept(
    web: FlaskClient, nr: Newsroom, live: Story
) -> None:
    photo_id = _photo(nr.reporter, credit="")
    login(web, nr.reporter)
    form = {"entry": "With a photo.", "photo_id": str(photo_id)}
    response = post_form(web, f"/newsroom/stories/{live.id}/entries", form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "That photo has no credit or no alt text" in html and "With a photo." in html


def test_entry_markup_is_sanitised(client: FlaskClient, paper: Paper) -> None:
    story = live_story(
        paper.story(),
        paper.editor,
        '<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror="alert(3)">',
    )
    html = client.get(article_path(story)).get_data(as_text=True)
    entries = html[html.index('id="live-entries"') :]
    assert "<script>alert" not in entries and 'href="javascript:' not in entries
    assert "<img src=x" not in entries  # shown as text, never as markup


def test_pages_run_as_many_selects_for_50_entries_as_for_5(
    app, client: FlaskClient, paper: Paper
) -> None:
    """No query per entry: the newsroom story page and the reader's page and fragment."""
    from tests.web.test_loading import measure

    few = live_story(paper.story(headline="Few entries"), paper.editor)
    many = live_story(paper.story(headline="Many entries"), paper.editor)
    bulk_entries(few, paper.reporter, 5)
    bulk_entries(many, paper.reporter, 50)
    app.config["PUBLIC_CACHE_ENABLED"] = False
    client.get("/")  # the first request of a generation also reads the embargo lifts
    counts = {}
    for name, story in (("few", few), ("many", many)):
        counts[name] = measure(
            app, client, {"article": article_path(story), "fragment": article_path(story) + "/live"}
        )
    login(client, paper.editor)
    for name, story in (("few", few), ("many", many)):
        counts[name] |= measure(app, client, {"newsroom": f"/newsroom/stories/{story.id}"})
    assert counts["few"] == counts["many"], counts
