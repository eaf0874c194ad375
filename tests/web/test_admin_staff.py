"""Admin: finding, creating, editing, deactivating and reactivating staff."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, EmailDelivery, LoginSession, Person
from editorial.models.loading import load_access
from editorial.services import staff
from editorial.workflow import Role
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import account_link, follow_redirect, snapshot

PASSWORD = "correct horse battery"


def _post(client: FlaskClient, url: str, data: dict | None = None, follow: bool = False):
    token = csrf_token(client, "/account")
    response = client.post(url, data={**(data or {}), "csrf_token": token})
    return follow_redirect(client, response) if follow else response


def _edit_form(person: Person, **changes) -> dict:
    load_access(person)
    data = {
        "name": person.name,
        "byline": person.default_byline,
        "roles": [r.value for r in person.roles],
        "desks": [str(d.id) for d in person.desks],
    }
    data.update(changes)
    return data


def _live_sessions(person: Person) -> int:
    return len(
        db.session.scalars(
            select(LoginSession).where(
                LoginSession.person_id == person.id, LoginSession.revoked_at.is_(None)
            )
        ).all()
    )


# -- list, search, filters, pages ---------------------------------------------------------------


def test_list_search_and_filters(client: FlaskClient, make: Factory) -> None:
    city, sports = make.desk("City"), make.desk("Sports")
    admin = make.admin(name="Ayesha Admin")
    make.reporter(city, name="Rafiq Rahman", email="rafiq@dhaka.test")
    make.editor(sports, name="Nasreen Editor")
    gone = make.reporter(city, name="Old Hand")
    staff.deactivate(gone, actor=admin)
    login(client, admin)

    def names(**query) -> str:
        return client.get("/admin/staff/", query_string=query).get_data(as_text=True)

    html = names()
    assert all(n in html for n in ("Rafiq Rahman", "Nasreen Editor", "Old Hand", "Ayesha Admin"))
    assert "Rafiq Rahman" in names(q="rahman") and "Nasreen" not in names(q="rahman")
    assert "Rafiq Rahman" in names(q="@DHAKA.test")
    html = names(role="desk_editor")
    assert "Nasreen Editor" in html and "Rafiq Rahman" not in html
    html = names(desk=str(sports.id))
    assert "Nasreen Editor" in html and "Rafiq Rahman" not in html
    html = names(status="inactive")
    assert "Old Hand" in html and "Rafiq Rahman" not in html
    assert "Old Hand" not in names(status="active")
    assert "Nobody matches" in names(q="%_%")  # LIKE wildcards are literal
    assert (
        client.get("/admin/staff/", query_string={"role": "king", "desk": "x"}).status_code == 200
    )


def test_list_is_paginated(client: FlaskClient, make: Factory) -> None:
    admin = make.admin(name="Aaa Admin")
    for n in range(30):
        make.reporter(name=f"Reporter {n:02d}")
    login(client, admin)
    first = client.get("/admin/staff/").get_data(as_text=True)
    assert "1\u201325 of 31 people" in first and "Page 1 of 2" in first
    second = client.get("/admin/staff/?page=2").get_data(as_text=True)
    assert "Reporter 29" in second and "Reporter 00" not in second
    assert client.get("/admin/staff/?page=99").status_code == 200
    assert client.get("/admin/staff/?page=-3").status_code == 200


# -- create and invite --------------------------------------------------------------------------


def test_create_sends_invitation_and_audits(
    app: Flask, client: FlaskClient, make: Factory, outbox
) -> None:
    desk = make.desk("Diplomatic")
    admin = make.admin()
    login(client, admin)
    page = client.get("/admin/staff/new").get_data(as_text=True)
    assert ">Email</label>" in page and "Roles" in page and "Diplomatic" in page
    response = _post(
        client,
        "/admin/staff/new",
        {
            "name": "Shahana Khatun",
            "email": "Shahana@Example.test",
            "byline": "Diplomatic Correspondent",
            "roles": ["reporter"],
            "desks": [str(desk.id)],
        },
        follow=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "An invitation is on its way" in html
    person = staff.find_by_email("shahana@example.test")
    assert person is not None and person.password_hash is None
    load_access(person)
    assert person.roles == {Role.REPORTER} and [d.name for d in person.desks] == ["Diplomatic"]
    messages = outbox()
    assert len(messages) == 1 and messages[0]["To"] == "shahana@example.test"
    assert "/invite/" in account_link(messages[0])
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "staff.created" in actions and "staff.invitation_sent" in actions


def test_duplicate_email_is_a_form_error(client: FlaskClient, make: Factory, outbox) -> None:
    admin = make.admin()
    make.reporter(email="taken@example.test")
    login(client, admin)
    before = snapshot()
    response = _post(
        client,
        "/admin/staff/new",
        {"name": "Someone", "email": "TAKEN@example.test", "roles": ["reporter"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "taken@example.test already has an account." in html
    assert 'aria-invalid="true"' in html
    assert snapshot() == before and outbox() == []


def test_create_needs_a_role_and_a_valid_email(client: FlaskClient, make: Factory) -> None:
    login(client, make.admin())
    before = snapshot()
    html = _post(
        client, "/admin/staff/new", {"name": "No Role", "email": "not-an-email", "roles": []}
    ).get_data(as_text=True)
    assert "Choose at least one role." in html and "Enter an e-mail address" in html
    html = _post(
        client, "/admin/staff/new", {"name": "Bad", "email": "a@b.test", "roles": ["emperor"]}
    ).get_data(as_text=True)
    assert "not a valid choice" in html
    assert snapshot() == before


def test_resend_invitation_and_reset_link(client: FlaskClient, make: Factory, outbox) -> None:
    admin = make.admin()
    invited = make.reporter()
    settled = make.reporter(password=PASSWORD)
    login(client, admin)
    _post(client, f"/admin/staff/{invited.id}/invite")
    _post(client, f"/admin/staff/{settled.id}/reset-password")
    links = [account_link(m) for m in outbox()]
    assert "/invite/" in links[0] and "/password/reset/" in links[1]
    # Someone who already chose a password gets a reset, not a second invitation.
    html = _post(client, f"/admin/staff/{settled.id}/invite", follow=True).get_data(as_text=True)
    assert "already accepted" in html and len(outbox()) == 2


# -- edit, demotion ------------------------------------------------------------------------------


def test_edit_roles_desks_byline_and_audit(client: FlaskClient, make: Factory) -> None:
    city, sports = make.desk("City"), make.desk("Sports")
    admin = make.admin()
    person = make.reporter(city, name="Rafiq")
    login(client, admin)
    response = _post(
        client,
        f"/admin/staff/{person.id}",
        _edit_form(
            person,
            name="Rafiq Rahman",
            byline="Sports Reporter",
            roles=["reporter", "desk_editor"],
            desks=[str(sports.id)],
        ),
        follow=True,
    )
    assert "Saved the changes to Rafiq Rahman." in response.get_data(as_text=True)
    person = db.session.get(Person, person.id)
    load_access(person)
    assert person.roles == {Role.REPORTER, Role.DESK_EDITOR}
    assert [d.slug for d in person.desks] == ["sports"]
    assert person.default_byline == "Sports Reporter"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.updated")).one()
    assert event.actor_id == admin.id and event.subject_id == person.id
    assert event.data["before"]["roles"] == ["reporter"]
    assert event.data["after"]["roles"] == ["desk_editor", "reporter"]
    assert event.data["before"]["desks"] == ["city"] and event.data["after"]["desks"] == ["sports"]


def test_demoted_admin_loses_admin_with_the_same_cookie(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    boss = make.admin()
    deputy = make.person(Role.ADMIN, Role.REPORTER)
    deputy_browser = app.test_client()
    login(deputy_browser, deputy)
    assert deputy_browser.get("/admin/").status_code == 200
    login(client, boss)
    _post(client, f"/admin/staff/{deputy.id}", _edit_form(deputy, roles=["reporter"]))
    load_access(deputy)
    assert deputy.roles == {Role.REPORTER}
    # The session was ended: yesterday's cookie cannot reach the admin area, nor anything else.
    response = deputy_browser.get("/admin/")
    assert response.status_code in (302, 403)
    assert deputy_browser.get("/newsroom/").status_code == 302
    assert _live_sessions(deputy) == 0


def test_role_removal_applies_at_next_request_even_without_revocation(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """Permissions are read from the database every request, not from the session."""
    make.admin()
    deputy = make.admin()
    login(client, deputy)
    assert client.get("/admin/").status_code == 200
    load_access(deputy)
    deputy.set_roles({Role.REPORTER})
    db.session.commit()
    assert client.get("/admin/").status_code == 403


def test_adding_a_role_keeps_sessions(app: Flask, client: FlaskClient, make: Factory) -> None:
    admin, reporter = make.admin(), make.reporter()
    browser = app.test_client()
    login(browser, reporter)
    login(client, admin)
    _post(client, f"/admin/staff/{reporter.id}", _edit_form(reporter, roles=["reporter", "admin"]))
    assert browser.get("/admin/").status_code == 200


def test_removing_admin_from_the_last_admin_is_refused(client: FlaskClient, make: Factory) -> None:
    admin = make.person(Role.ADMIN, Role.REPORTER)
    login(client, admin)
    before = snapshot()
    response = _post(client, f"/admin/staff/{admin.id}", _edit_form(admin, roles=["reporter"]))
    assert response.status_code == 200
    assert "is the last active admin" in response.get_data(as_text=True)
    assert snapshot() == before


def test_an_admin_may_step_down_when_another_remains(client: FlaskClient, make: Factory) -> None:
    make.admin()
    me = make.person(Role.ADMIN, Role.REPORTER)
    login(client, me)
    response = _post(client, f"/admin/staff/{me.id}", _edit_form(me, roles=["reporter"]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/newsroom/")
    assert client.get("/admin/").status_code == 403  # still signed in, no longer an admin
    assert client.get("/account").status_code == 200


# -- deactivate, reactivate --------------------------------------------------------------------


def test_deactivate_asks_first_then_ends_sessions(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    admin = make.admin()
    reporter = make.reporter(password=PASSWORD)
    browser = app.test_client()
    login(browser, reporter)
    assert browser.get("/newsroom/").status_code == 200
    login(client, admin)
    confirm = client.get(f"/admin/staff/{reporter.id}/deactivate").get_data(as_text=True)
    assert "signed out of every browser" in confirm and "Cancel" in confirm
    assert db.session.get(Person, reporter.id).is_active  # asking changed nothing
    response = _post(client, f"/admin/staff/{reporter.id}/deactivate", follow=True)
    assert "is deactivated" in response.get_data(as_text=True)
    assert not db.session.get(Person, reporter.id).is_active
    assert browser.get("/newsroom/").status_code == 302  # the live session ended
    signin = app.test_client()
    response = signin.post(
        "/login",
        data={"email": reporter.email, "password": PASSWORD, "csrf_token": csrf_token(signin)},
    )
    assert "do not match an active account" in response.get_data(as_text=True)


def test_deactivating_the_last_admin_is_refused(client: FlaskClient, make: Factory) -> None:
    admin = make.admin()
    login(client, admin)
    before = snapshot()
    response = _post(client, f"/admin/staff/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "last active admin" in response.get_data(as_text=True)
    assert snapshot() == before


def test_deactivated_admin_does_not_count(client: FlaskClient, make: Factory) -> None:
    admin, other = make.admin(), make.admin()
    staff.deactivate(other, actor=admin)
    login(client, admin)
    response = _post(client, f"/admin/staff/{admin.id}/deactivate")
    assert response.status_code == 409


def test_reactivate(app: Flask, client: FlaskClient, make: Factory) -> None:
    admin = make.admin()
    person = make.reporter(password=PASSWORD)
    staff.deactivate(person, actor=admin)
    login(client, admin)
    html = client.get(f"/admin/staff/{person.id}").get_data(as_text=True)
    assert "Reactivate" in html and "Deactivated" in html
    _post(client, f"/admin/staff/{person.id}/reactivate")
    assert db.session.get(Person, person.id).is_active
    signin = app.test_client()
    response = signin.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "csrf_token": csrf_token(signin)},
    )
    assert response.status_code == 302
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.reactivated")
    ).one()
    assert event.data["before"]["is_active"] is False and event.data["after"]["is_active"] is True


def test_unknown_person_is_404(client: FlaskClient, make: Factory) -> None:
    login(client, make.admin())
    assert client.get("/admin/staff/99999").status_code == 404
    assert _post(client, "/admin/staff/99999/reactivate").status_code == 404


def test_absurd_numbers_are_not_errors(client: FlaskClient, make: Factory) -> None:
    login(client, make.admin())
    huge = "9" * 30
    assert client.get(f"/admin/staff/{huge}").status_code == 404
    assert client.get(f"/admin/desks/{huge}").status_code == 404
    for query in (f"page={huge}", f"desk={huge}", "desk=\u0663", "page=abc"):
        assert client.get(f"/admin/staff/?{query}").status_code == 200, query
    assert client.get(f"/admin/audit?actor={huge}&page={huge}").status_code == 200


def test_a_search_longer_than_any_name_finds_nobody(any_app: Flask, make: Factory) -> None:
    """Found by the fuzz test: 100,000 characters in ?q= were a 500 on SQLite (LIKE refuses
    patterns over 50,000 bytes)."""
    client = any_app.test_client()
    login(client, make.admin())
    make.reporter(name="Rafiq Islam")
    for query in ("x" * 100_000, "Rafiq " + "ক" * 20_000, "a" * 255):
        response = client.get("/admin/staff/", query_string={"q": query})
        assert response.status_code == 200
        assert "Rafiq Islam" not in response.get_data(as_text=True)
    response = client.get("/admin/staff/", query_string={"q": "rafiq"})
    assert "Rafiq Islam" in response.get_data(as_text=True)


def test_the_staff_page_says_email_choices_in_words(any_app: Flask, make: Factory) -> None:
    web = any_app.test_client()
    person = make.reporter(name="Rafiq")
    person.email_my_stories = EmailDelivery.DAILY
    person.email_desk_queue = EmailDelivery.HOURLY
    person.email_mentions = EmailDelivery.NONE
    db.session.commit()
    login(web, make.admin())
    html = web.get(f"/admin/staff/{person.id}").get_data(as_text=True)
    assert (
        "My stories: One e-mail a day at 07:00 (a digest); my desk's queue: One e-mail an "
        "hour (a digest); mentions of me: No e-mail (in the newsroom only)"
    ) in html
    assert ": daily" not in html and ": hourly" not in html
