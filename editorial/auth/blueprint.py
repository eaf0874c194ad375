"""The auth blueprint, apart from the package so its route modules import it without a cycle."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
