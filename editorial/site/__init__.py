"""The public news site."""

from flask import Blueprint

bp = Blueprint("site", __name__)

from editorial.site import routes  # noqa: E402,F401
