"""The site blueprint, apart from the package so its route modules import it without a cycle."""

from flask import Blueprint

bp = Blueprint("site", __name__)
