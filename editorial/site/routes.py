"""Public pages."""

from __future__ import annotations

from flask import render_template

from editorial.site import bp


@bp.get("/")
def home():
    return render_template("site/home.html")
