"""TRUST 27 (issue 8): Hypothesis fuzzes every route of the URL map, on SQLite and PostgreSQL.

Each route and method is a test: its URL arguments come from the site's own links or from the
strategy of their converter (numbers 0, negative, huge; text with NUL, control characters, `..`,
right-to-left marks, 100,000 characters), with a query string of the parameters views read, and
for a POST every field of the forms the site renders for it, fuzzed, as anonymous, a reporter, a
desk editor and an admin. The oracle: never a 5xx, and a form refused and shown again still holds
what the person typed. Nothing names a route here; a route this cannot fuzz must be in EXCLUDED.

CI runs a fixed, derandomized budget (`fuzz` profile). `FUZZ_EXAMPLES=N` explores N fresh
examples per route (`fuzz-deep` profile, with Hypothesis' example database):
    FUZZ_EXAMPLES=500 .venv/bin/python -m pytest tests/web/test_fuzz.py
"""

from __future__ import annotations

import io
import os
import reprlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from editorial import PACKAGE, create_app
from editorial.extensions import db
from editorial.inputs import strip_controls
from editorial.models import Person, Placement, Story
from editorial.models.loading import load_access
from editorial.services import accounts, lockout, staff
from editorial.services.comments import add_comment
from editorial.services.live import EntryInput, post_entry, start_live_coverage
from editorial.services.photos import PhotoInput, upload_photo
from editorial.services.stories import StoryInput, save_story, set_placement
from editorial.services.unpublishing import set_unpublish
from editorial.services.updates import save_update, transition_update
from editorial.timeutil import utcnow
from editorial.tokens import LinkKind
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory, base_config, csrf_token, login, make_app
from tests.web import fuzzkit

# Routes the fuzz cannot drive, each with the reason. Empty is the goal.
EXCLUDED: dict[str, str] = {
    # Its text fields and its hostile files (SVG, polyglot, truncated, bombs, oversize) are
    # tested in tests/web/test_photo_upload.py; the fuzz does not generate files yet.
    "newsroom.upload_media": "a file upload: bad files are tested in test_photo_upload.py",
    "newsroom.replace_media": "a file upload: bad files are tested in test_photo_replace.py",
    # The editor's script posts JSON, which the fuzz does not send: malformed bodies, wrong
    # types, control characters, oversize text and missing keys are in tests/web/test_autosave.py.
    "newsroom.autosave_story": "JSON for editor.js: bad bodies are tested in test_autosave.py",
    "newsroom.autosave_new": "JSON for editor.js: bad bodies are tested in test_autosave.py",
    # toolbar.js posts JSON too: bad bodies, wrong types, oversize text, scripts and CSRF are in
    # tests/web/test_writing_help.py.
    "newsroom.editor_preview": "JSON for toolbar.js: bad bodies are tested in test_writing_help.py",
    # Shown only beside a working copy, which the crawl's newsroom has none of.
    "newsroom.discard_story_copy": "shown with a working copy only: see test_autosave.py",
    "newsroom.discard_new_copy": "shown with a working copy only: see test_autosave.py",
    # The editor's Preview button posts the editor's form (formaction), which the crawl does
    # not read; garbage in every field is tested in tests/web/test_editor_pages.py.
    "newsroom.preview_form": "the editor's formaction: see test_editor_pages.py",
    "newsroom.preview_new": "the editor's formaction: see test_editor_pages.py",
}

DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
_quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "fuzz",
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_quiet,
    print_blob=True,
)
settings.register_profile(
    "fuzz-deep",
    max_examples=DEEP or 1,
    deadline=None,
    suppress_health_check=_quiet,
    print_blob=True,
)
PROFILE = settings.get_profile("fuzz-deep" if DEEP else "fuzz")

ROLES = ["anonymous", "reporter", "editor", "admin"]
# The newsroom's zone is read per request: the default, the zones furthest east and west of UTC,
# one whose days start at 01:00 in spring (DST at midnight) and one with a half-hour DST shift.
ZONES = ["Asia/Dhaka", "Pacific/Kiritimati", "Etc/GMT+12", "America/Havana", "Australia/Lord_Howe"]
PASSWORD = "correct horse battery staple"
KEPT = "Kept text: ঢাকা <b>&</b>"  # a text value whose escaping shows in a re-rendered page
# Query parameters every view might read, beyond those the code reads by name.
COMMON_QUERY = {"page", "q", "year", "month", "day", "desk", "state", "next", "part", "per_page"}


def _rules() -> list[tuple[str, str]]:
    """(endpoint, method) of every route, read from the URL map at collection."""
    app = create_app(base_config(Path(tempfile.gettempdir()), "sqlite://"))
    return sorted(
        {
            (rule.endpoint, method)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
    )


ROUTES = _rules()
FUZZED = [(e, m) for e, m in ROUTES if e not in EXCLUDED]  # the exclusions give their reasons


# --- The newsroom the fuzz runs in --------------------------------------------------------------


@dataclass
class World:
    """One app and its data per database, crawled once; the routes' tests share it."""

    app: Flask
    client: FlaskClient
    people: dict[str, Person]
    crawl: fuzzkit.Crawl
    query_names: set[str]
    csrf_raw: str = ""
    csrf_signed: str = ""
    sessions: dict[str, str] = field(default_factory=dict)
    originals: dict[int, tuple] = field(default_factory=dict)

    def sign_in(self, role: str) -> None:
        """This client, from now on, is `role` (a live session) with a valid CSRF token."""
        person = self.people.get(role)
        if person is not None and staff.load_session(self.sessions.get(role, "")) is None:
            self.sessions[role] = staff.start_session(person)
        with self.client.session_transaction() as session:
            session.clear()
            session["csrf_token"] = self.csrf_raw
            if person is not None:
                session["_user_id"] = self.sessions[role]
                session["_fresh"] = True

    def remember(self) -> None:
        for person in self.people.values():
            self.originals[person.id] = _identity(person)

    def repair(self) -> None:
        """Undo what one route's fuzz did to the signed-in people (deactivated, demoted, a new
        password), so the next route is fuzzed by people who can still reach it."""
        db.session.rollback()
        self.app.config["EDITORIAL_TIMEZONE"] = "Asia/Dhaka"
        for person in self.people.values():
            person = db.session.get(Person, person.id)
            if _identity(person) == self.originals[person.id]:
                continue
            _, name, roles, desk_ids, password_hash = self.originals[person.id]
            staff.reactivate(person, actor=None)
            staff.update_person(
                person, actor=None, name=name, byline="", roles=roles, desk_ids=list(desk_ids)
            )
            person.password_hash = password_hash
            db.session.commit()


def _identity(person: Person) -> tuple:
    load_access(person)
    return (
        person.is_active,
        person.name,
        set(person.roles),
        tuple(sorted(d.id for d in person.desks)),
        person.password_hash,
    )


def _newsroom(make: Factory) -> tuple[dict[str, Person], list[str]]:
    """Stories in every state, revisions, comments, notifications, a deactivated, an invited and
    a locked-out person; returns the signed-in people and the paths of the links e-mail carries."""
    desk, other = make.desk("National"), make.desk("Sports")
    reporter = make.reporter(desk, email="reporter@example.test", password=PASSWORD)
    editor = make.editor(desk, email="editor@example.test", password=PASSWORD)
    admin = make.admin(email="admin@example.test", password=PASSWORD)
    make.admin(email="second.admin@example.test")  # so an admin may be demoted or deactivated
    make.editor(other, email="sports.editor@example.test")
    gone = make.reporter(desk, email="gone@example.test", password=PASSWORD)
    staff.deactivate(gone, actor=None)
    invited = make.reporter(desk, email="invited@example.test")
    locked = make.reporter(desk, email="locked@example.test", password=PASSWORD)
    lockout.lock(locked.email)
    db.session.commit()
    for state in StoryState:
        made = make.story(reporter, desk, state, editor=editor, tags=["Flood", "ঢাকা"])
        if state is StoryState.PUBLISHED:  # so the front page screen shows its form
            set_placement(made, Placement.TOP, actor=editor)
    story = make.story(reporter, desk, StoryState.SUBMITTED, editor=editor)
    save_story(
        story,
        StoryInput(headline="Revised headline", body="Revised body.", desk_id=desk.id),
        actor=editor,
        expected_version=story.version,
    )
    add_comment(story, "A comment for @reporter", actor=editor)
    live = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, headline="Live story")
    start_live_coverage(live, actor=editor)
    entry = post_entry(live, EntryInput(body="The first entry."), actor=reporter)
    # A withdrawal pending, so its page shows Cancel unpublish beside Unpublish at.
    leaving = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, headline="Leaving")
    soon = utcnow() + timedelta(days=1)
    set_unpublish(leaving, actor=editor, unpublish_at=soon, note="Rights expire.")
    photo = PhotoInput(credit="Star", alt_text="Boats")  # so the photo's page is crawled
    upload_photo(io.BytesIO(photokit.jpeg((400, 300))), photo, actor=reporter)
    links = [
        accounts.link_for(invited, LinkKind.INVITE),
        accounts.link_for(reporter, LinkKind.RESET),
        accounts.link_for(locked, LinkKind.UNLOCK),
    ]
    updated = _pending_update_behind_live(make, reporter, editor, desk)
    # The live story's page, with an entry's edit form open (the crawl may not reach them), and
    # a story whose pending update is in review and behind its live copy (three-way page).
    pages = [
        f"/newsroom/stories/{live.id}",
        f"/newsroom/stories/{live.id}?edit={entry.id}",
        f"/newsroom/stories/{updated.id}",
        f"/newsroom/stories/{updated.id}/update/compare",
        f"/newsroom/stories/{leaving.id}",
    ]
    return {"reporter": reporter, "editor": editor, "admin": admin}, [
        *("/" + link.split("/", 3)[3] for link in links),
        *pages,
    ]


def _pending_update_behind_live(make: Factory, reporter, editor, desk) -> Story:
    """A published story with a submitted update, and a direct change of the live copy since."""
    story = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, headline="Updated")
    text = StoryInput(headline="Updated", body="The update.", desk_id=desk.id, slug=story.slug)
    save_update(story, text, actor=reporter, expected_version=0)
    transition_update(story, Action.SUBMIT_UPDATE, actor=reporter)
    db.session.refresh(story)
    live_text = replace(text, body="A direct correction.")
    save_story(story, live_text, actor=editor, expected_version=story.version)
    return story


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    app = make_app(tmp_path_factory.mktemp("fuzz"), request.param, request, RATELIMIT_ENABLED=False)
    with app.app_context():
        people, links = _newsroom(Factory())
        client = app.test_client()
        signed = csrf_token(client)
        with client.session_transaction() as session:
            raw = session["csrf_token"]
        clients = {}
        for role in ROLES:
            clients[role] = app.test_client()
            if role in people:
                login(clients[role], people[role])
        found = fuzzkit.crawl(
            app, clients, ["/", "/newsroom/", "/admin/", "/account", *links], per_endpoint=6
        )
        names = fuzzkit.read_parameter_names(app, PACKAGE, found) | COMMON_QUERY
        world = World(app, client, people, found, names, raw, signed)
        world.remember()
        yield world
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fuzz_world(world: World) -> Iterator[World]:
    yield world
    world.repair()


# --- The tests -----------------------------------------------------------------------------------


def test_every_route_is_fuzzed_or_excluded(world: World) -> None:
    """A route is fuzzed if the fuzz has a strategy for each of its URL converters and, for a
    POST, the site renders a form for it somewhere; otherwise it must be excluded, with why."""
    problems = []
    endpoints = set()
    for rule in world.app.url_map.iter_rules():
        endpoints.add(rule.endpoint)
        if rule.endpoint in EXCLUDED:
            continue
        for name, converter in rule._converters.items():
            try:
                fuzzkit.converter_strategy(converter)
            except LookupError:
                problems.append(f"{rule.rule}: no strategy for <{name}> ({type(converter)})")
        forms = world.crawl.forms.get(rule.endpoint, [])
        if "POST" in rule.methods and not forms:
            problems.append(f"{rule.endpoint}: POST, but no page of the newsroom shows its form")
        if any(f.kind == "file" for form in forms for f in form.fields.values()):
            problems.append(f"{rule.endpoint}: a file field, and the fuzz only sends text")
    assert problems == [], "fuzz these routes (or add them to EXCLUDED with a reason)"
    assert sorted(set(EXCLUDED) - endpoints) == [], "EXCLUDED names routes that are gone"
    assert {endpoint for endpoint, _ in ROUTES} == endpoints


def _rule(app: Flask, endpoint: str, method: str) -> Rule:
    return next(
        r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods
    )


class Sent(dict):
    """A request as the fuzz drew it, printed with long values cut short: Hypothesis prints the
    failing one, and a 100,000-character field would bury the error (and trip its warning)."""

    def __repr__(self) -> str:
        short = reprlib.Repr()
        short.maxstring = short.maxother = 160
        short.maxlist = short.maxdict = 12
        return short.repr(dict(self))

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


@st.composite
def _requests(draw, world: World, rule: Rule, method: str) -> dict:
    """One request to the rule: who sends it, path, query and (for a POST) the form."""
    sent = Sent(role=draw(st.sampled_from(ROLES)), zone=draw(st.sampled_from(ZONES)))
    query = draw(fuzzkit.query_values(world.crawl, rule.endpoint, world.query_names))
    forms = world.crawl.forms.get(rule.endpoint, [])
    if method != "POST":
        return Sent(sent, path=draw(fuzzkit.path_values(rule, world.crawl)), query=query)
    form = draw(st.sampled_from(forms)) if forms else fuzzkit.Form("POST", rule.rule, "")
    fresh_path = draw(st.booleans())
    path = (
        form.action.split("?")[0]
        if fresh_path and forms
        else draw(fuzzkit.path_values(rule, world.crawl))
    )
    if form.action.find("?") > 0 and fresh_path:
        query = [*parse_qsl(form.action.split("?", 1)[1]), *query]
    data = draw(fuzzkit.form_values(form, world.csrf_signed))
    if draw(st.booleans()) and data:  # a person's own words in the first text field
        typed = fuzzkit.typed_text(form, data)
        if typed:
            first = next(iter(typed))
            data = [(n, KEPT if n == first else v) for n, v in data]
    return Sent(
        sent,
        path=path,
        query=query,
        form=form,
        data=data,
        # as the page is now (the story's current version), not as it was when crawled
        fresh=draw(st.booleans()),
        multipart=draw(st.booleans()),
    )


def _current_hidden_values(world: World, form: fuzzkit.Form) -> dict[str, str]:
    """The hidden fields (a story's version) of the form as its page renders it now."""
    html = world.client.get(form.page).get_data(as_text=True)
    for now in fuzzkit.read_page(form.page, html).forms:
        if fuzzkit.same_path(now.action, form.action):
            return {
                name: f.values[0]
                for name, f in now.fields.items()
                if f.kind == "hidden" and f.values and name != "csrf_token"
            }
    return {}


def _send(world: World, method: str, request: dict):
    world.app.config["EDITORIAL_TIMEZONE"] = request["zone"]
    world.sign_in(request["role"])
    data = request.get("data", [])
    if request.get("fresh") and request["form"].page:
        current = _current_hidden_values(world, request["form"])
        data = [(name, current.get(name, value)) for name, value in data]
    response = world.client.open(
        "http://localhost" + request["path"],  # so a path starting // is a path, not a host
        method=method,
        query_string=request["query"],
        data=MultiDict(data),
        content_type="multipart/form-data" if request.get("multipart") else None,
    )
    response.get_data()
    response.close()  # a static file's handle
    return response


def _assert_text_kept(request: dict, response) -> None:
    """A form shown again (a refusal: 200 or 4xx with the form) holds every text typed into it."""
    if response.status_code not in (200, 400, 409, 422) or response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    page = fuzzkit.read_page("http://localhost" + request["path"], html)
    shown = [
        f for f in page.forms if f.method == "POST" and fuzzkit.same_path(f.action, request["path"])
    ]
    if not shown:
        return
    for name, text in fuzzkit.typed_text(request["form"], request["data"]).items():
        if name in shown[0].fields and shown[0].fields[name].kind in fuzzkit.TEXT_KINDS:
            assert str(escape(strip_controls(text))) in html, f"{name}: the typed text is lost"


@pytest.mark.slow
@pytest.mark.parametrize(("endpoint", "method"), FUZZED, ids=[f"{m} {e}" for e, m in FUZZED])
def test_fuzz(fuzz_world: World, endpoint: str, method: str) -> None:
    world = fuzz_world
    rule = _rule(world.app, endpoint, method)

    @PROFILE
    @given(_requests(world, rule, method))
    def fuzz(request: dict) -> None:
        note(f"{method} as {request['role']}: {request!r}")
        response = _send(world, method, request)
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
        if method == "POST":
            _assert_text_kept(request, response)

    # One key per route (in the example database, and for the derandomized seed), as pytest's
    # own parametrize would give: the inner function's source is the same for every route.
    fuzz.hypothesis.inner_test._hypothesis_internal_add_digest = f"{method} {endpoint}".encode()
    fuzz()
