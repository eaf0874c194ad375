"""Issue 11: two people save the same story. The second gets a merge page: who saved and when,
the paragraphs merged where they can be, a pick where both changed the same one, and "Save
merged version" through the normal save (so a third save meanwhile is a conflict again). On
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import update
from werkzeug.test import TestResponse

from editorial.extensions import db
from editorial.models import Revision, Story
from editorial.newsroom import conflicts as conflicts_module
from editorial.newsroom import routes_stories
from editorial.newsroom.conflicts import text_at
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload

ONE = "Toll collection on the Padma bridge has crossed Tk 2,000 crore."
TWO = "The authority said traffic grew steadily through the monsoon."
THREE = "Officials expect the figure to double within three years."


def body(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


@pytest.fixture
def web(any_app: Flask) -> FlaskClient:
    """The reporter's browser, on SQLite and then on PostgreSQL."""
    return any_app.test_client()


@pytest.fixture
def story(make: Factory, nr: Newsroom) -> Story:
    return make.story(nr.reporter, nr.desk, body=body(ONE, TWO, THREE))


def edit(story: Story) -> str:
    return f"/newsroom/stories/{story.id}/edit"


def editor_saves(app: Flask, nr: Newsroom, story: Story, version: int, **fields: str) -> None:
    """Nasreen Akter (the desk editor) saves in her own browser."""
    other = app.test_client()
    login(other, nr.editor)
    response = post_form(other, edit(story), nr.form(version=str(version), **fields))
    assert response.status_code == 302, response.get_data(as_text=True)


def stale_save(web: FlaskClient, nr: Newsroom, story: Story, **fields: str) -> TestResponse:
    """The reporter saves from version 1, after someone else saved."""
    login(web, nr.reporter)
    return post_form(web, edit(story), nr.form(version="1", **fields))


def merge_save(web: FlaskClient, nr: Newsroom, story: Story, version: int, **fields: str):
    return post_form(
        web, edit(story), nr.form(version=str(version), base_version="1", action="merge", **fields)
    )


def page(response: TestResponse) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_changes_to_different_paragraphs_merge_by_themselves(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story
) -> None:
    editor_saves(any_app, nr, story, 1, body=body(ONE, TWO + " Theirs.", THREE))
    mine = body(ONE + " Mine.", TWO, THREE, "A fourth paragraph, mine.")
    response = stale_save(web, nr, story, body=mine)
    assert response.status_code == 409
    html = page(response)
    assert re.search(r"Nasreen Akter saved this at \d\d:\d\d", html)
    assert "someone else" not in html
    assert ">Save merged version</button>" in html and 'type="radio"' not in html
    assert 'name="version" type="hidden" value="2"' in html
    assert '<input type="hidden" name="base_version" value="1">' in html
    assert str(escape(mine)) in response.get_data(as_text=True)  # my text, whole, in the form
    assert "Nasreen Akter's change" in html and ">Yours<" in html and ">Unchanged<" in html
    assert reload(story).body == body(ONE, TWO + " Theirs.", THREE)  # nothing saved yet

    response = merge_save(web, nr, story, 2, body=mine)
    assert response.status_code == 302
    saved = reload(story)
    assert saved.body == body(ONE + " Mine.", TWO + " Theirs.", THREE, "A fourth paragraph, mine.")
    assert saved.version == 3


@pytest.mark.parametrize(
    ("pick", "second"),
    [
        ("mine", [TWO + " Mine."]),
        ("theirs", [TWO + " Theirs."]),
        ("both", [TWO + " Mine.", TWO + " Theirs."]),
    ],
)
def test_a_paragraph_both_changed_is_picked(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story, pick: str, second: list[str]
) -> None:
    editor_saves(any_app, nr, story, 1, body=body(ONE, TWO + " Theirs.", THREE))
    mine = body("One, mine.", TWO + " Mine.", THREE)
    html = page(stale_save(web, nr, story, body=mine))
    assert "You both changed this" in html
    for value, label in (("mine", "Keep mine"), ("theirs", "Keep theirs"), ("both", "Keep both")):
        assert f'name="pick-body-0" value="{value}"> {label}</label>' in html

    assert merge_save(web, nr, story, 2, body=mine, **{"pick-body-0": pick}).status_code == 302
    assert reload(story).body == body("One, mine.", *second, THREE)


def test_a_headline_both_changed_is_a_pick_between_two(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story
) -> None:
    editor_saves(any_app, nr, story, 1, headline="Their headline")
    html = page(stale_save(web, nr, story, headline="My headline"))
    assert "Headline: you both changed it" in html
    assert 'name="pick-headline" value="theirs"> Keep theirs' in html
    assert 'name="pick-headline" value="both"' not in html
    fields = {"headline": "My headline", "pick-headline": "theirs"}
    assert merge_save(web, nr, story, 2, **fields).status_code == 302
    assert reload(story).headline == "Their headline"


def test_the_same_person_in_another_tab_is_told_so(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story
) -> None:
    other_tab = any_app.test_client()
    login(other_tab, nr.reporter)
    assert post_form(other_tab, edit(story), nr.form(version="1", body=ONE)).status_code == 302
    html = page(stale_save(web, nr, story, body=body(ONE, TWO, THREE + " More.")))
    assert re.search(r"You saved this in another tab at \d\d:\d\d", html)
    assert "Nasreen" not in html and "Your other tab's" in html


def test_a_third_save_during_the_merge_is_a_conflict_again(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story
) -> None:
    editor_saves(any_app, nr, story, 1, body=body(ONE, TWO + " Theirs.", THREE))
    mine = body(ONE + " Mine.", TWO, THREE)
    assert stale_save(web, nr, story, body=mine).status_code == 409
    # While the reporter reads the merge page (version 2), the editor saves again.
    editor_saves(any_app, nr, story, 2, body=body(ONE, TWO + " Theirs.", THREE + " Again."))

    response = merge_save(web, nr, story, 2, body=mine)
    assert response.status_code == 409
    html = page(response)
    assert "while you were merging, so nothing was saved" in html
    assert 'name="version" type="hidden" value="3"' in html
    assert reload(story).body == body(ONE, TWO + " Theirs.", THREE + " Again.")
    assert merge_save(web, nr, story, 3, body=mine).status_code == 302
    assert reload(story).body == body(ONE + " Mine.", TWO + " Theirs.", THREE + " Again.")


@pytest.mark.parametrize("junk", ["yours", "<script>alert(1)</script>", "MINE", "mine "])
def test_a_pick_that_is_no_choice_is_refused_with_the_text_kept(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story, junk: str
) -> None:
    editor_saves(any_app, nr, story, 1, body=body(ONE, TWO + " Theirs.", THREE))
    mine = body(ONE, TWO + " Mine, <b>typed</b> & kept.", THREE)
    stale_save(web, nr, story, body=mine)
    response = merge_save(web, nr, story, 2, body=mine, **{"pick-body-0": junk})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Nothing was saved" in text and "is not one of the choices" in text
    assert str(escape(mine)) in text and "<script>alert" not in text
    assert ">Save merged version</button>" in text
    assert reload(story).version == 2


def test_a_clash_left_without_a_pick_is_asked_for(
    web: FlaskClient, any_app: Flask, nr: Newsroom, story: Story
) -> None:
    editor_saves(any_app, nr, story, 1, headline="Their headline", body=body(ONE, "Theirs."))
    mine = body(ONE, "Mine.")
    stale_save(web, nr, story, headline="My headline", body=mine)
    response = merge_save(web, nr, story, 2, headline="My headline", body=mine)
    assert response.status_code == 422
    html = page(response)
    assert "choose what to keep for Headline, body paragraphs 1" in html
    # A pick already made is kept on the page.
    response = merge_save(
        web, nr, story, 2, headline="My headline", body=mine, **{"pick-headline": "mine"}
    )
    assert response.status_code == 422
    assert 'name="pick-headline" value="mine" checked' in page(response)
    assert reload(story).version == 2


def test_the_base_is_the_text_at_the_version_the_form_started_from(
    any_app: Flask, nr: Newsroom, story: Story, make: Factory
) -> None:
    """A transition bumps the version without new text: the base is the revision before it."""
    transition_story(story, Action.SUBMIT, actor=nr.reporter)
    assert reload(story).version == 2
    first = text_at(story.id, 2)
    assert first is not None and first.number == 1 and first.body == body(ONE, TWO, THREE)
    assert text_at(story.id, 0) is None
    assert [r.story_version for r in db.session.query(Revision).all()] == [1]


def test_a_status_change_meanwhile_is_named_and_my_text_merges_whole(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    """Only the version moved (an approval): nothing of theirs to merge, and it says so."""
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED, body=body(ONE, TWO))
    transition_story(reload(story), Action.APPROVE, actor=nr.editor)
    login(web, nr.editor)
    mine = body(ONE, TWO + " Edited by the editor.")
    response = post_form(web, edit(story), nr.form(version="2", body=mine))
    assert response.status_code == 409
    html = page(response)
    assert re.search(r"You changed this story's status or settings at \d\d:\d\d \(not", html)
    assert 'type="radio"' not in html
    fields = {"version": "3", "base_version": "2", "action": "merge", "body": mine}
    assert post_form(web, edit(story), nr.form(**fields)).status_code == 302
    assert reload(story).body == mine


def test_a_save_landing_between_the_merge_and_its_write_is_a_conflict_again(
    pg_app: Flask, nr: Newsroom, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version check passes, then another save commits before the merged one's UPDATE:
    the save service's conditional write refuses it, and the page merges anew. (PostgreSQL:
    SQLite has one writer at a time, so there the race cannot happen.)"""
    web = pg_app.test_client()
    editor_saves(pg_app, nr, story, 1, body=body(ONE, TWO + " Theirs.", THREE))
    mine = body(ONE + " Mine.", TWO, THREE)
    stale_save(web, nr, story, body=mine)
    real, raced = conflicts_module.story_merge, []

    def merge_then_someone_saves(*args: Any, **kwargs: Any) -> Any:
        merging = real(*args, **kwargs)
        if not raced:  # once: the conflict page merges again, with no one racing it
            raced.append(True)
            with db.engine.begin() as other:  # another request's transaction, committed first
                other.execute(
                    update(Story).where(Story.id == story.id).values(version=Story.version + 1)
                )
        return merging

    monkeypatch.setattr(routes_stories, "story_merge", merge_then_someone_saves)
    response = merge_save(web, nr, story, 2, body=mine)
    assert response.status_code == 409
    assert "while you were merging, so nothing was saved" in page(response)
    assert reload(story).body == body(ONE, TWO + " Theirs.", THREE)
    assert reload(story).version == 3  # the other save's bump only
    assert 'name="version" type="hidden" value="3"' in page(response)
