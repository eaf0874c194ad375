"""Extension objects, created unbound and wired by create_app() (the init_app pattern)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations are deterministic."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def client_address() -> str:
    """The client's address, for every rate limit and log line that needs one.

    Always read it here, never from X-Forwarded-For: behind TRUSTED_PROXIES proxies ProxyFix
    has already put the client's address in remote_addr; otherwise remote_addr is the
    connection's, which no header can change (editorial/security.py).
    """
    return get_remote_address() or request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # db.Model is a class built at run time, which mypy cannot take as a base; to the checker a
    # model is the declarative Base it extends (db.Model adds only the unused .query helpers).
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address, default_limits=[])
