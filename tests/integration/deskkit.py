"""Shared set-up of the service-level scheduling tests (publish and unpublish): one desk with a
reporter and an editor, and a row count."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import Desk, Person
from tests.conftest import Factory


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def desk(make: Factory) -> Desk:
    return make.desk("City")


@pytest.fixture
def reporter(make: Factory, desk: Desk) -> Person:
    return make.reporter(desk)


@pytest.fixture
def editor(make: Factory, desk: Desk) -> Person:
    return make.editor(desk)
