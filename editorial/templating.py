"""What every template can use: enums, local-time filters, the site name and date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app

from editorial.timeutil import format_local, utcnow, zone
from editorial.workflow import Action, Role, StoryState


def newsroom_zone():
    return zone(current_app.config["EDITORIAL_TIMEZONE"])


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """Format an aware instant in newsroom local time."""
    return format_local(value, newsroom_zone(), fmt)


def masthead_date() -> str:
    """Today in newsroom time, as the seed page prints it: 'Tuesday, December 30, 2025'."""
    now = utcnow().astimezone(newsroom_zone())
    return f"{now:%A}, {now:%B} {now.day}, {now.year}"


def _context() -> dict[str, Any]:
    return {
        "StoryState": StoryState,
        "Action": Action,
        "Role": Role,
        "site_name": current_app.config["SITE_NAME"],
        "site_tagline": current_app.config["SITE_TAGLINE"],
        "masthead_date": masthead_date,
        "timezone_name": current_app.config["EDITORIAL_TIMEZONE"],
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.add_template_filter(local_time, "local_time")
