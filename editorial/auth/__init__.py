"""Sign-in, sign-out and passwords."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from editorial.auth import routes  # noqa: E402,F401
