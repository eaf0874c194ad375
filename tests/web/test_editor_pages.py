"""The editor around the text: who else is editing (a soft lock with "Edit anyway"), the
editor's note on "Request changes", "View on site", Preview of the form as it is, and the
script that enhances it all (served from static/, never inline)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import EditorPresence, Revision
from editorial.services.transitions import transition_story
from editorial.site.queries import story_url
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, post_form, reload


def heartbeat(web: FlaskClient, story_id: int, /, **extra: object) -> dict:
    token = csrf_token(web, "/newsroom/")
    response = web.post(
        f"/newsroom/stories/{story_id}/autosave",
        data=json.dumps({"version": 1, **extra}),
        content_type="application/json",
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_presence_and_the_soft_lock(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.editor)
    assert heartbeat(client, story.id)["others"] == []
    login(client, nr.reporter)
    html = client.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert re.search(r"<strong>Nasreen Akter</strong> is editing \(since \d\d:\d\d\)", html)
    assert ">Edit anyway</a>" in html and 'data-locked="1"' in html
    assert '<fieldset class="editor-fields" disabled>' in html
    html = client.get(f"/newsroom/stories/{story.id}/edit?anyway=1").get_data(as_text=True)
    assert "is editing (since" in html and "Edit anyway" not in html
    assert "data-locked" not in html and '<fieldset class="editor-fields">' in html
    # The reporter's heartbeat tells the editor in turn; nobody's work is touched.
    answer = heartbeat(client, story.id)
    assert [o["name"] for o in answer["others"]] == ["Nasreen Akter"]
    login(client, nr.editor)
    assert [o["name"] for o in heartbeat(client, story.id)["others"]] == ["Shirin Sultana"]
    assert reload(story).version == 1


def test_presence_goes_stale_after_a_minute_and_on_leaving(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.editor)
    heartbeat(client, story.id, client="tab-a")
    row = db.session.scalars(select(EditorPresence)).one()
    first_since = row.since
    row.seen_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    login(client, nr.reporter)
    html = client.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert "is editing" not in html and "data-locked" not in html

    login(client, nr.editor)
    heartbeat(client, story.id, client="tab-a")
    since = db.session.scalars(select(EditorPresence)).one().since
    assert since > first_since  # a new run of heartbeats starts a new "since"
    heartbeat(client, story.id, client="tab-a", leave=True)
    assert db.session.scalars(select(EditorPresence)).all() == []


def test_someone_who_cannot_edit_is_never_shown_as_editing(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.reporter)  # may see it, may no longer edit it
    heartbeat(client, story.id)
    assert db.session.scalars(select(EditorPresence)).all() == []


def test_the_editors_note_shows_until_resubmitted(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    note = "Please attribute the toll figure & add the minister's reply <b>."
    transition_story(reload(story), Action.REQUEST_CHANGES, actor=nr.editor, note=note)
    login(client, nr.reporter)
    escaped = "Please attribute the toll figure &amp; add the minister&#39;s reply &lt;b&gt;."
    for path in (f"/newsroom/stories/{story.id}", f"/newsroom/stories/{story.id}/edit"):
        html = client.get(path).get_data(as_text=True)
        assert "Changes requested</h2>" in html and escaped in html, path
        assert "Nasreen Akter asked for changes" in html
    transition_story(reload(story), Action.SUBMIT, actor=nr.reporter)
    html = client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)
    assert "asked for changes" not in html


def test_view_on_site_only_for_published_stories(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    draft = make.story(nr.reporter, nr.desk)
    published = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    published = reload(published)
    url = story_url(nr.desk.slug, published.first_published_at, published.slug)
    login(client, nr.editor)
    for path in (f"/newsroom/stories/{published.id}", f"/newsroom/stories/{published.id}/edit"):
        html = client.get(path).get_data(as_text=True)
        assert f'<a class="button" href="{url}">View on site</a>' in html or (
            f'<a href="{url}">View on site</a>' in html
        ), path
    for path in (f"/newsroom/stories/{draft.id}", f"/newsroom/stories/{draft.id}/edit"):
        assert "View on site" not in client.get(path).get_data(as_text=True)
    assert client.get(url).status_code == 200


def test_preview_shows_the_form_not_the_last_save(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, body="The saved body.")
    login(client, nr.reporter)
    html = client.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert f'formaction="/newsroom/stories/{story.id}/preview"' in html
    assert 'formtarget="_blank"' in html
    form = nr.form(
        headline="Unsaved headline",
        body="Typed, not saved.\n\n<script>alert(1)</script><img src=x onerror=alert(2)>",
        version="1",
        action="preview",
    )
    response = post_form(client, f"/newsroom/stories/{story.id}/preview", form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Unsaved headline" in html and "Typed, not saved." in html
    assert "The saved body." not in html and "Preview - not published" in html
    assert "<script>alert" not in html and "<img src=x" not in html  # shown as text
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert reload(story).body == "The saved body." and reload(story).version == 1
    assert len(db.session.scalars(select(Revision)).all()) == 1


def test_preview_of_a_story_never_saved(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    response = post_form(
        client,
        "/newsroom/stories/new/preview",
        nr.form(headline="A first draft", body="Only in the form.", tags="Rain, Sylhet"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "A first draft" in html and "Only in the form." in html and "Rain" in html


def test_preview_with_garbage_fields_is_never_a_500(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.reporter)
    form = nr.form(desk="99999", embargo="year 1", lead_photo="abc", body="ক" * 300_000)
    for path in (f"/newsroom/stories/{story.id}/preview", "/newsroom/stories/new/preview"):
        assert post_form(client, path, form).status_code == 200, path


def test_the_editor_script_is_a_file_and_the_page_works_without_it(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(client, nr.reporter)
    for path in ("/newsroom/stories/new", f"/newsroom/stories/{story.id}/edit"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts == [
            f'<script src="/static/js/{name}.js" defer>' for name in ("editor", "toolbar", "embeds")
        ], path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert not re.search(r"\son[a-z]+=", html), "no inline handlers"
        assert 'data-autosave="/newsroom/stories/' in html
    for name in ("editor", "toolbar", "embeds"):
        with client.get(f"/static/js/{name}.js") as response:
            assert response.status_code == 200 and "javascript" in response.mimetype
