"""The reader's pages' statements run below SQLAlchemy's result layer (site.prepared): every
one returns exactly what SQLAlchemy's own execution returns (dates, booleans, None, in order),
events see it, and a driver error is raised as SQLAlchemy raises it. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, exc, literal_column, select, table, text

from editorial.extensions import db
from editorial.models import Correction, Placement, Story, story_authors
from editorial.public import NOW
from editorial.services import commit, photos
from editorial.services.live import EntryInput, pin_entry, post_entry, start_live_coverage
from editorial.services.settings import TAGLINE, set_setting
from editorial.services.stories import set_placement
from editorial.site import live, queries
from editorial.site.prepared import Prepared
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests import photokit
from tests.conftest import Factory
from tests.web.test_queries import counting


def _seed(make: Factory) -> dict[str, Any]:
    """A published live story with a lead photo, two authors, tags, a correction and a
    pinned entry; a second desk's story; a draft. The parameters each statement is asked."""
    national, sports = make.desk("National"), make.desk("Sports")
    reporter = make.reporter(national, sports, name="Zahid Hasan")
    editor = make.editor(national, sports)
    photo = photos.upload_photo(
        io.BytesIO(photokit.jpeg((900, 600))),
        photos.PhotoInput(credit="Rafiq Ahmed", alt_text="Boats at dawn"),
        actor=reporter,
    )
    story = make.story(
        reporter, national, StoryState.PUBLISHED, editor=editor, tags=["Water", "Dam"],
        lead_photo_id=photo.id,
    )  # fmt: skip
    make.story(reporter, sports, StoryState.PUBLISHED, editor=editor)
    make.story(reporter, national)
    db.session.execute(
        story_authors.insert().values(story_id=story.id, person_id=make.reporter(national).id)
    )
    db.session.add(
        Correction(
            story_id=story.id,
            note="A name was misspelt.",
            is_correction=True,
            created_by_id=editor.id,
            created_at=datetime(2025, 12, 1, 9, tzinfo=UTC),
        )
    )
    commit()
    set_setting(TAGLINE, "Truth, first")
    set_placement(story, Placement.TOP, actor=editor)
    start_live_coverage(story, actor=editor)
    post_entry(story, EntryInput("<p>First.</p>"), actor=editor)
    pinned = post_entry(story, EntryInput("<p>Pinned.</p>", photo_id=photo.id), actor=editor)
    pin_entry(pinned, story=story, actor=editor)
    ids = {f"id_{n}": value for n, value in enumerate([story.id, photo.id] + [0] * 6)}
    return {
        NOW: utcnow(),
        "exclude": 0,
        "desk_0": national.id,
        "desk_1": sports.id,
        "slug": story.slug,
        "desk_slug": national.slug,
        "key": TAGLINE,
        "story_id": story.id,
        "id": story.id,
        "before": 2**31 - 1,
        "limit": 51,
        **ids,
    }


def _statements() -> list[Prepared]:
    """Every statement the reader's pages prepare."""
    return [
        queries._latest_query(7),
        queries._top_query(7),
        queries._more_query(6),
        queries._blocks_query(2, 3),
        queries._desks(True),
        queries._desks(False),
        queries._desk_query(),
        queries._setting_query(),
        queries._article_query("slug"),
        queries._article_query("id"),
        queries._tag_query(),
        queries._extras_query(),
        queries._photo_data_query(8),
        queries._thumb_query(8),
        live._page_query(),
        live._pinned_query(),
        live._count_query(),
    ]


def test_every_prepared_statement_returns_what_sqlalchemy_returns(
    any_app: Flask, make: Factory
) -> None:
    params = _seed(make)
    with any_app.test_request_context("/"):
        queries.begin_read()
        connection = queries._connection()
        for prepared in _statements():
            asked = params
            if prepared is queries._desk_query():
                asked = {**params, "slug": params["desk_slug"]}
            if prepared is queries._tag_query():
                asked = {**params, "slug": "water"}
            ours = prepared.rows(connection, asked)
            theirs = [tuple(row) for row in connection.execute(prepared.statement, asked)]
            assert ours == theirs, str(prepared.statement)
            assert ours, f"nothing to compare: {prepared.statement}"
        queries.release()


def test_prepared_values_have_the_types_of_the_orm(any_app: Flask, make: Factory) -> None:
    """Dates come back aware, in UTC (SQLite stores text), booleans as bool (SQLite: 0/1)."""
    params = _seed(make)
    with any_app.test_request_context("/"):
        queries.begin_read()
        [notice] = [
            row
            for row in queries._extras_query().rows(queries._connection(), params)
            if row[0] == queries.NOTICE
        ]
        queries.release()
    _kind, note, _slug, is_correction, created_at = notice
    assert (note, is_correction) == ("A name was misspelt.", True)
    assert created_at == datetime(2025, 12, 1, 9, tzinfo=UTC) and created_at.utcoffset() is not None


def test_statement_events_see_prepared_statements(any_app: Flask, make: Factory) -> None:
    """Query counts, plan tests and benchmarks listen for before_cursor_execute."""
    params = _seed(make)
    with any_app.test_request_context("/"):
        queries.begin_read()
        with counting(any_app) as statements:
            queries._latest_query(7).rows(queries._connection(), params)
        queries.release()
    assert statements == [queries._latest_query(7).plan(db.engine.dialect).sql]


def test_a_driver_error_is_raised_as_sqlalchemys(any_app: Flask) -> None:
    """And told to handle_error listeners with the execution context the statement's
    before_cursor_execute listeners were given (Sentry ends its span there)."""
    missing = Prepared(select(literal_column("headline")).select_from(table("no_such_table")))
    began: list[Any] = []
    told: list[Any] = []

    def before(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool):
        context.began = True  # listeners keep their own state on the context
        began.append(context)

    tell = told.append
    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "handle_error", tell)
    try:
        with any_app.test_request_context("/"):
            queries.begin_read()
            with pytest.raises(exc.DBAPIError) as raised:
                missing.rows(queries._connection(), {})
            queries.release()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "handle_error", tell)
    assert "no_such_table" in str(raised.value.orig)
    assert not raised.value.connection_invalidated
    [error] = told
    assert error.execution_context is began[-1] and error.execution_context.began
    assert error.sqlalchemy_exception is raised.value and error.statement == began[-1].statement


def test_an_expanding_in_list_is_refused_when_prepared(any_app: Flask) -> None:
    """An expanding IN is compiled again on every execution: id_parameters() is the way."""
    with any_app.test_request_context("/"), pytest.raises(ValueError, match="plain bind"):
        Prepared(select(Story.id).where(Story.id.in_([1, 2]))).plan(db.engine.dialect)


def test_id_lists_take_a_few_statement_sizes() -> None:
    sizes = [[size for size, _ in queries.id_chunks(range(1, n + 1))] for n in (1, 9, 64, 1100)]
    assert sizes == [[8], [16], [64], [512, 512, 128]]
    ((size, params),) = queries.id_chunks([5, 3, 5])
    assert size == 8 and [params[f"id_{n}"] for n in range(8)] == [3, 5, 0, 0, 0, 0, 0, 0]
    assert list(queries.id_chunks([])) == []


def test_photo_data_of_more_ids_than_one_statement_takes(any_app: Flask) -> None:
    with any_app.test_request_context("/"):
        queries.begin_read()
        with counting(any_app) as statements:
            assert queries.photo_data(range(1, queries.MAX_IDS + 10)) == {}
        queries.release()
    assert len(statements) == 2


@pytest.mark.services
def test_a_lost_connection_is_invalidated(pg_app: Flask) -> None:
    """PostgreSQL ends the read's backend: the error is SQLAlchemy's, marked as a lost
    connection, and the pool drops it (the next request gets a new one)."""
    with pg_app.test_request_context("/"):
        queries.begin_read()
        connection = queries._connection()
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        killer = create_engine(pg_app.config["SQLALCHEMY_DATABASE_URI"])
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        killer.dispose()
        with pytest.raises(exc.DBAPIError) as raised:
            queries._latest_query(7).rows(connection, {NOW: utcnow(), "exclude": 0})
        assert raised.value.connection_invalidated and connection.invalidated
        queries.release()
        queries.begin_read()
        assert queries.latest(3) == []
        queries.release()
