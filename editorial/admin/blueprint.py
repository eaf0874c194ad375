"""The admin blueprint, apart from the package so its route modules import it without a cycle."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
