"""`flask demo` gives most published stories a drawn lead photo with its renditions made at
once, so a newcomer's front page has pictures; their public URLs answer. SQLite and PostgreSQL."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from editorial.demo_photos import CREDIT
from editorial.extensions import db
from editorial.models import Photo, Story
from editorial.workflow import StoryState


def test_demo_stories_lead_with_photos_that_answer(any_app: Flask) -> None:
    result = any_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    published = db.session.scalars(select(Story).where(Story.state == StoryState.PUBLISHED)).all()
    with_photo = [story for story in published if story.lead_photo_id is not None]
    assert len(with_photo) * 3 >= len(published) * 2, "most demo stories lead with a photo"
    for photo in db.session.scalars(select(Photo)):
        assert photo.credit == CREDIT and photo.caption and photo.alt_text
        assert photo.renditions_ready_at is not None

    reader = any_app.test_client()
    home = reader.get("/").get_data(as_text=True)
    urls = {
        url
        for srcset in re.findall(r'<a class="thumb"[^>]*><img [^>]*srcset="([^"]+)"', home)
        for url in (part.split()[0] for part in srcset.split(", "))
    }
    assert len(re.findall(r'<a class="thumb"', home)) >= 4
    for url in urls:
        with reader.get(url) as response:
            assert response.status_code == 200, url
            assert response.mimetype == "image/jpeg"
