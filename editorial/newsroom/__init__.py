"""The newsroom: staff pages for writing, editing and moving stories."""

from flask import Blueprint

bp = Blueprint("newsroom", __name__, url_prefix="/newsroom")

from editorial.newsroom import routes  # noqa: E402,F401
