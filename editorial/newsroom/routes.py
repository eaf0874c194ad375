"""Newsroom pages."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from editorial.newsroom import bp


@bp.get("/")
@login_required
def home():
    """My stories."""
    return render_template("newsroom/home.html")
