"""The front page (issue 13): desk editors choose the lead and order Top News, preview it as
readers will see it, and save; every save audited, the public cache made stale, a stale
version a conflict. Only stories that are or will be public are placed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from editorial.extensions import db
from editorial.models import AuditEvent, Placement, Story
from editorial.services.frontpage import front_page_ids, front_page_version, save_front_page
from editorial.services.publishing import publish_due_stories
from editorial.services.stories import set_placement
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, post_form, reload

S = StoryState
PATH = "/newsroom/front-page"


def lead_and_top(client: FlaskClient) -> tuple[str, list[str]]:
    """The homepage's lead headline and its Top News headlines, as a reader gets them."""
    html = client.get("/").get_data(as_text=True)
    lead = re.search(r'class="lead-headline"><a [^>]*>([^<]+)</a>', html)
    top = html.split('id="top-news-heading"', 1)[1].split("</section>", 1)[0]
    return (lead.group(1) if lead else ""), re.findall(r'<a href="/[^"]+">([^<]+)</a></h3>', top)


def placed(make: Factory, nr: Newsroom, *headlines: str, state: S = S.PUBLISHED) -> list[Story]:
    stories = []
    for headline in headlines:
        story = make.story(nr.reporter, nr.desk, state, editor=nr.editor, headline=headline)
        set_placement(story, Placement.TOP, actor=nr.editor)
        stories.append(story)
    return stories


def arrange(client: FlaskClient, order: list[Story], version: int, **fields: str):
    data = MultiDict([("version", str(version)), *(("story", str(s.id)) for s in order)])
    for name, value in fields.items():
        data.add(name, value)
    data.add("csrf_token", csrf_token(client, "/newsroom/"))
    return client.post(PATH, data=data)


def test_nobody_chose_today_rule(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    placed(make, nr, "Alpha", "Bravo", "Charlie")
    assert lead_and_top(client) == ("Charlie", ["Bravo", "Alpha"])  # newest Top News leads


def test_editor_chooses_lead_and_order_reader_sees_it_at_once(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    a, b, c = placed(make, nr, "Alpha", "Bravo", "Charlie")
    assert lead_and_top(client)[0] == "Charlie"  # and now cached
    login(client, nr.editor)
    screen = client.get(PATH).get_data(as_text=True)
    assert screen.index("Charlie") < screen.index("Bravo") < screen.index("Alpha")
    version = front_page_version()

    moved = arrange(client, [c, b, a], version, **{"do": f"lead:{a.id}"})
    assert moved.status_code == 200 and "Not saved yet" in moved.get_data(as_text=True)
    assert lead_and_top(client)[0] == "Charlie"  # a move alone saves nothing

    saved = arrange(client, [a, c, b], version, do="save")
    assert saved.status_code == 302
    assert lead_and_top(client) == ("Alpha", ["Charlie", "Bravo"])
    assert front_page_version() == version + 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "frontpage.arranged"))
    (event,) = event.all()
    assert event.actor_id == nr.editor.id and event.data["after"] == [a.id, c.id, b.id]

    down = arrange(client, [a, c, b], version + 1, do=f"down:{a.id}")
    assert down.get_data(as_text=True).index("Charlie") < down.get_data(as_text=True).index("Alpha")
    up = arrange(client, [a, c, b], version + 1, do=f"up:{b.id}").get_data(as_text=True)
    assert up.index("Bravo") < up.index("Charlie")  # the unsaved order, Bravo one higher


def test_typed_positions_and_new_placements(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    a, b, c = placed(make, nr, "Alpha", "Bravo", "Charlie")
    login(client, nr.editor)
    response = arrange(client, [c, b, a], front_page_version(), **{f"position-{a.id}": "1"})
    assert response.status_code == 302
    assert front_page_ids() == [a.id, c.id, b.id]
    # Placed after the order was chosen: it follows the ordered ones and does not take the lead.
    (d,) = placed(make, nr, "Delta")
    assert front_page_ids() == [a.id, c.id, b.id, d.id]
    assert lead_and_top(client) == ("Alpha", ["Charlie", "Bravo", "Delta"])
    # Taken out of Top News, a story leaves its slot.
    set_placement(c, Placement.NONE, actor=nr.editor)
    assert reload(c).front_position is None and front_page_ids() == [a.id, b.id, d.id]


def test_preview_shows_the_front_page_as_readers_will_without_saving(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    a, b = placed(make, nr, "Alpha", "Bravo")
    (later,) = placed(make, nr, "Approved not yet public", state=S.APPROVED)
    login(client, nr.editor)
    response = arrange(client, [a, b, later], front_page_version(), do="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview - not saved" in html and "Save front page" in html
    assert re.search(r'class="lead-headline"><a [^>]*>Alpha<', html)
    assert "Approved not yet public" not in html  # readers will not see it until published
    assert "1 Top News story is not public yet" in html
    assert lead_and_top(client)[0] == "Bravo"
    assert front_page_version() == 0


@pytest.fixture
def both(any_app: Flask) -> Iterator[FlaskClient]:
    yield any_app.test_client()


@pytest.mark.parametrize("typed", ["-1", "0", "x", "99", "1.5", "\uff11"])
def test_bad_positions_are_refused_clearly(
    both: FlaskClient, nr: Newsroom, make: Factory, typed: str
) -> None:
    a, b = placed(make, nr, "Alpha", "Bravo")
    login(both, nr.editor)
    response = arrange(both, [b, a], front_page_version(), **{f"position-{a.id}": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a position: enter a whole number from 1 to 2" in html
    assert f'value="{typed}"' in html  # what was typed is kept
    assert front_page_version() == 0 and reload(a).front_position is None


def test_damaged_form_is_400(both: FlaskClient, nr: Newsroom, make: Factory) -> None:
    a, _b = placed(make, nr, "Alpha", "Bravo")
    login(both, nr.editor)
    token_form = {"version": "0", "story": "x"}
    assert post_form(both, PATH, token_form).status_code == 400
    assert post_form(both, PATH, {"story": str(a.id)}).status_code == 400  # no version
    assert front_page_version() == 0


def test_stale_version_is_a_conflict_nothing_lost(
    both: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    a, b, c = placed(make, nr, "Alpha", "Bravo", "Charlie")
    login(both, nr.editor)
    opened = front_page_version()
    save_front_page([b.id, a.id, c.id], actor=nr.other_editor, expected_version=opened)
    response = arrange(both, [a, b, c], opened)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed the front page since you opened it" in html
    assert "Your order was: 1. Alpha; 2. Bravo; 3. Charlie" in html
    assert front_page_ids() == [b.id, a.id, c.id]


def test_only_desk_editors_arrange(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    placed(make, nr, "Alpha")
    for who in (nr.reporter, make.admin()):
        login(client, who)
        assert client.get(PATH).status_code == 403
        assert post_form(client, PATH, {"version": "0"}).status_code == 403
        assert 'href="/newsroom/front-page"' not in client.get("/newsroom/").get_data(as_text=True)
    login(client, nr.other_editor)  # any desk's editor: the homepage is shared
    screen = client.get(PATH)
    assert screen.status_code == 200 and "Alpha" in screen.get_data(as_text=True)
    assert not re.search(r"/newsroom/stories/\d", screen.get_data(as_text=True))  # none theirs
    assert 'href="/newsroom/front-page"' in client.get("/newsroom/").get_data(as_text=True)


@pytest.mark.parametrize("state", [S.DRAFT, S.SUBMITTED, S.WITHDRAWN, S.SPIKED])
def test_top_news_not_offered_on_stories_that_will_not_be_public(
    client: FlaskClient, nr: Newsroom, make: Factory, state: S
) -> None:
    story = make.story(nr.reporter, nr.desk, state, editor=nr.editor)
    login(client, nr.editor)
    html = client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)
    assert "Put in Top News" not in html
    path = f"/newsroom/stories/{story.id}/placement"
    assert post_form(client, path, {"placement": "top"}).status_code == 409
    assert reload(story).placement == Placement.NONE


@pytest.mark.parametrize("state", [S.APPROVED, S.SCHEDULED, S.PUBLISHED])
def test_top_news_offered_on_stories_that_are_or_will_be_public(
    client: FlaskClient, nr: Newsroom, make: Factory, state: S
) -> None:
    story = make.story(nr.reporter, nr.desk, state, editor=nr.editor)
    login(client, nr.editor)
    assert "Put in Top News" in client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.PUBLISHED, Action.WITHDRAW),
        (S.APPROVED, Action.REQUEST_CHANGES),
        (S.SCHEDULED, Action.SPIKE),
    ],
)
def test_a_story_leaving_for_good_drops_out_of_the_front_page(
    client: FlaskClient, nr: Newsroom, make: Factory, state: S, action: Action
) -> None:
    (a,) = placed(make, nr, "Alpha")
    (gone,) = placed(make, nr, "Going", state=state)
    save_front_page([gone.id, a.id], actor=nr.editor, expected_version=0)
    transition_story(reload(gone), action, actor=nr.editor, note="Legal asked.")
    story = reload(gone)
    assert (story.placement, story.front_position) == (Placement.NONE, None)
    assert front_page_ids() == [a.id]
    assert lead_and_top(client) == ("Alpha", [])


def test_a_scheduled_lead_goes_live_with_its_publish(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    """A scheduled story may be given its place (here: the lead) before it is out; readers see
    nothing of it until the publish, and the publish itself makes the cached homepage stale."""
    (alpha,) = placed(make, nr, "Alpha")
    (coming,) = placed(make, nr, "Coming at noon", state=S.SCHEDULED)
    save_front_page([coming.id, alpha.id], actor=nr.editor, expected_version=0)
    login(client, nr.editor)
    assert "Scheduled for" in client.get(PATH).get_data(as_text=True)  # the editor sees the plan
    client.post("/logout", data={"csrf_token": csrf_token(client, "/newsroom/")})
    assert lead_and_top(client) == ("Alpha", [])
    first = client.get("/")
    assert first.headers["X-Page-Cache"] == "hit" and "Coming at noon" not in first.get_data(
        as_text=True
    )
    publish_at = reload(coming).publish_at
    assert publish_at is not None
    assert publish_due_stories(publish_at + timedelta(seconds=1)) == [coming.id]
    fresh = client.get("/")
    assert (
        fresh.headers["X-Page-Cache"] == "miss" and fresh.headers["ETag"] != first.headers["ETag"]
    )
    assert lead_and_top(client) == ("Coming at noon", ["Alpha"])
