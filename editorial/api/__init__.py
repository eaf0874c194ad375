"""A small read-only JSON API of published stories."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from editorial.api import routes  # noqa: E402,F401
