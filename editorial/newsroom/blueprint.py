"""The newsroom blueprint, apart from the package so its route modules import it without a cycle."""

from flask import Blueprint

bp = Blueprint("newsroom", __name__, url_prefix="/newsroom")
