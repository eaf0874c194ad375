"""Issue 10: photos inside a story's body, `![alt](photo:123 "caption")`.

The server renders each as a <figure> with <picture> (a <source> per modern format, the JPEG
<img> with srcset, sizes, width, height, loading="lazy") and a <figcaption> with caption and
credit. The body's photos are kept in step on every save (story_photos), and everything that
asks whether a photo is used or public counts them: /media/, where used, delete. The preview
warns about what cannot be shown; publish and schedule refuse it. SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.models import Person, Photo, Rendition, Revision, Story, StoryPhoto
from editorial.services import photo_use, photos
from editorial.services.errors import ValidationFailed
from editorial.services.stories import StoryInput, restore_revision, save_story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload
from tests.web.sitekit import article_path
from tests.web.test_loading import selects


def _photo(actor: Person, size: tuple[int, int] = (900, 600), **fields: str) -> Photo:
    data = photos.PhotoInput(**{"credit": "Rafiq Ahmed", "alt_text": "Boats", **fields})
    return photos.upload_photo(io.BytesIO(photokit.jpeg(size)), data, actor=actor)


def _keys(photo_id: int) -> list[str]:
    return list(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)))


def _statuses(client: FlaskClient, keys: list[str]) -> set[int]:
    found = set()
    for key in keys:
        with client.get(f"/media/{key}") as response:
            found.add(response.status_code)
    return found


def _edit(story: Story, actor: Person, **changes: object) -> Story:
    story = reload(story)
    fields: dict[str, object] = {
        "headline": story.headline,
        "standfirst": story.standfirst,
        "body": story.body,
        "desk_id": story.desk_id,
        "slug": story.slug,
        "embargo_at": story.embargo_at,
        "lead_photo_id": story.lead_photo_id,
    }
    data = StoryInput(**{**fields, **changes})  # type: ignore[arg-type]
    return save_story(story, data, actor=actor, expected_version=story.version)


def _figures(html: str) -> list[str]:
    return re.findall(r'<figure class="body-photo">.*?</figure>', html, re.S)


@pytest.fixture(autouse=True)
def _each_database(any_app: Flask) -> Flask:
    return any_app


@pytest.fixture
def reader(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


def test_the_article_shows_a_body_photo_as_a_figure(
    any_app: Flask, make: Factory, nr: Newsroom, reader: FlaskClient
) -> None:
    photo = _photo(nr.reporter, caption="Library caption")
    body = (
        "The launches left at dawn.\n\n"
        f'![Launches at Sadarghat](photo:{photo.id} "Launches wait for the fog to lift")\n\n'
        f"The terminal was full. ![](photo:{photo.id}) Passengers waited."
    )
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, body=body)
    html = reader.get(article_path(story)).get_data(as_text=True)

    first, second = _figures(html)
    img = re.search(r"<img [^>]*>", first).group(0)
    for attribute in (
        'alt="Launches at Sadarghat"',
        'width="900"',
        'height="600"',
        'loading="lazy"',
        'sizes="(min-width: 1000px) 680px, 100vw"',
    ):
        assert attribute in img, attribute
    assert "fetchpriority" not in img  # only the lead is eager
    srcset = re.search(r'srcset="([^"]+)"', img).group(1)
    assert " 900w" in srcset and srcset.count("/media/") == 3
    assert '<source type="image/webp"' in first
    assert (
        '<figcaption>Launches wait for the fog to lift <span class="credit">Rafiq Ahmed</span>'
        "</figcaption>" in first
    )
    # Without alt or caption in the syntax: the photo's own.
    assert 'alt="Boats"' in second and "<figcaption>Library caption <span" in second
    # A photo in running text splits the paragraph: no <figure> inside a <p>.
    assert "<p>The terminal was full. </p><figure" in html
    assert "</figure><p> Passengers waited.</p>" in html
    urls = [part.split()[0] for part in srcset.split(", ")] + re.findall(
        r'<img src="([^"]+)"', first
    )
    assert _statuses(reader, [u.removeprefix("/media/") for u in urls]) == {200}


def test_an_outside_image_becomes_a_link(make: Factory, nr: Newsroom, reader: FlaskClient) -> None:
    body = "See ![the chart](https://example.com/chart.png) and ![](http://example.com/x.jpg)."
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, body=body)
    html = reader.get(article_path(story)).get_data(as_text=True)
    article = html.split('<div class="article-body">', 1)[1].split("</div>", 1)[0]
    assert "<img" not in article
    assert '<a href="https://example.com/chart.png" rel="noopener noreferrer nofollow">' in article
    assert ">the chart</a>" in article and ">Image</a>" in article


def test_body_photos_are_kept_in_step_on_every_save(make: Factory, nr: Newsroom) -> None:
    one, two = _photo(nr.reporter), _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk, body=f"![a](photo:{one.id})\n\n![b](photo:{two.id})")

    def placed() -> list[tuple[int, str]]:
        rows = db.session.scalars(
            select(StoryPhoto).where(StoryPhoto.story_id == story.id).order_by(StoryPhoto.position)
        )
        return [(row.photo_id, row.alt) for row in rows]

    assert placed() == [(one.id, "a"), (two.id, "b")]
    assert [s.id for s in photo_use.stories_using(one.id)] == [story.id]
    _edit(story, nr.reporter, body=f"Now only ![b](photo:{two.id}) and photo:abc ![x](photo:abc)")
    assert placed() == [(two.id, "b")]
    assert photo_use.stories_using(one.id) == []
    first = db.session.scalars(
        select(Revision).where(Revision.story_id == story.id).order_by(Revision.number)
    ).first()
    assert first is not None
    restore_revision(
        reload(story), first, actor=nr.reporter, expected_version=reload(story).version
    )
    assert placed() == [(one.id, "a"), (two.id, "b")]


def test_a_photo_only_in_a_drafts_body_is_not_public(
    make: Factory, nr: Newsroom, reader: FlaskClient
) -> None:
    photo = _photo(nr.reporter)
    story = make.story(
        nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor, body=f"![a](photo:{photo.id})"
    )
    keys = _keys(photo.id)
    assert keys and _statuses(reader, keys) == {404}
    transition_story(reload(story), Action.PUBLISH, actor=nr.editor)
    assert _statuses(reader, keys) == {200}
    transition_story(reload(story), Action.WITHDRAW, actor=nr.editor, note="Legal advice.")
    assert _statuses(reader, keys) == {404}


def test_a_photo_in_a_body_is_used_and_not_deleted(
    any_app: Flask, make: Factory, nr: Newsroom
) -> None:
    photo_id = _photo(nr.reporter).id
    story = make.story(nr.reporter, nr.desk, body=f"![a](photo:{photo_id})")
    web = any_app.test_client()
    login(web, nr.reporter)
    page = web.get(f"/newsroom/media/{photo_id}").get_data(as_text=True)
    assert f'href="/newsroom/stories/{story.id}"' in page
    response = post_form(web, f"/newsroom/media/{photo_id}/delete")
    assert response.status_code == 409 and story.headline in response.get_data(as_text=True)
    assert db.session.get(Photo, photo_id) is not None
    _edit(story, nr.reporter, body="No photo now.")
    assert post_form(web, f"/newsroom/media/{photo_id}/delete").status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Photo, photo_id) is None


def _unready(photo: Photo) -> Photo:
    db.session.execute(update(Photo).where(Photo.id == photo.id).values(renditions_ready_at=None))
    db.session.commit()
    return photo


CASES = {
    "credit": (lambda nr: _photo(nr.reporter, credit="").id, "has no credit"),
    "alt": (lambda nr: _photo(nr.reporter, alt_text="").id, "has no alt text"),
    "processing": (lambda nr: _unready(_photo(nr.reporter)).id, "is still being processed"),
    "unknown": (lambda nr: 987654, "is not in the library"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_publish_and_schedule_refuse_a_body_photo_that_cannot_be_shown(
    any_app: Flask, make: Factory, nr: Newsroom, case: str
) -> None:
    make_photo, says = CASES[case]
    photo_id = make_photo(nr)
    story = make.story(
        nr.reporter,
        nr.desk,
        StoryState.APPROVED,
        editor=nr.editor,
        body=f"Text.\n\n![](photo:{photo_id})",
    )
    for action in (Action.PUBLISH, Action.SCHEDULE):
        with pytest.raises(ValidationFailed) as refused:
            transition_story(
                reload(story), action, actor=nr.editor, publish_at=utcnow() + timedelta(hours=2)
            )
        assert f"Photo {photo_id} in the body {says}" in refused.value.errors["body"]
        assert reload(story).state == StoryState.APPROVED

    editor = any_app.test_client()
    login(editor, nr.editor)
    response = post_form(
        editor,
        f"/newsroom/stories/{story.id}/actions/publish",
        {"version": str(reload(story).version)},
    )
    assert response.status_code == 400 and says in response.get_data(as_text=True)
    assert reload(story).state == StoryState.APPROVED
    preview = editor.get(f"/newsroom/stories/{story.id}/preview").get_data(as_text=True)
    assert 'class="photo-warning" role="alert"' in preview and says in preview
    page = editor.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)
    assert 'class="photo-warning"' in page and says in page


def test_alt_text_in_the_syntax_is_enough(make: Factory, nr: Newsroom) -> None:
    photo = _photo(nr.reporter, alt_text="")
    story = make.story(
        nr.reporter,
        nr.desk,
        StoryState.APPROVED,
        editor=nr.editor,
        body=f"![Boats](photo:{photo.id})",
    )
    transition_story(reload(story), Action.PUBLISH, actor=nr.editor)
    assert reload(story).state == StoryState.PUBLISHED


def test_an_editor_cannot_put_an_uncredited_photo_in_a_published_body(
    any_app: Flask, make: Factory, nr: Newsroom, reader: FlaskClient
) -> None:
    photo = _photo(nr.reporter, credit="")
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    web = any_app.test_client()
    login(web, nr.editor)
    body = f"Now with a photo.\n\n![Boats](photo:{photo.id})"
    fields = nr.form(
        headline=story.headline, body=body, slug=story.slug, version=str(story.version)
    )
    response = post_form(web, f"/newsroom/stories/{story.id}/edit", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert f"Photo {photo.id} in the body has no credit" in html
    assert "Now with a photo." in html  # the text typed is kept
    assert reload(story).body == "The body of the story."
    assert _statuses(reader, _keys(photo.id)) == {404}


FUZZ = [
    "![x](photo:abc)",
    "![x](photo:-1)",
    "![x](photo:0)",
    "![x](photo:1.5)",
    "![x](photo:99999999999999999999999999)",
    "![x](photo:2147483648)",
    "![x](photo:javascript:alert(1))",
    '![x](photo:1 "a \\"quoted\\" <script>alert(1)</script> caption")',
    '![" onerror="alert(1)](photo:1 "\' onload=\'alert(1)")',
    "![<img src=x onerror=alert(1)>](photo:1)",
    "![x](javascript:alert(1))",
    "![x](JAVASCRIPT:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "[![x](photo:1)](javascript:alert(1))",
    "**![x](photo:1)** | ![y](photo:1)\n---|---\n![z](photo:1) | a",
    "# ![x](photo:1)",
    '> ![x](photo:1 "in a quote")',
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _assert_harmless(html: str) -> None:
    """No script, no handler, no script URL in any tag (text may quote what was typed)."""
    parsed = _Tags()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "svg", "iframe", "object", "embed", "style"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "srcset"}:
                assert (value or "").startswith(("/", "http://", "https://")), (tag, value)


@pytest.mark.parametrize("source", FUZZ)
def test_odd_input_in_the_syntax_is_harmless(
    any_app: Flask, make: Factory, nr: Newsroom, reader: FlaskClient, source: str
) -> None:
    photo = _photo(nr.reporter)
    assert photo.id == 1  # each test has its own database: the fuzz cases name photo 1
    story = make.story(nr.reporter, nr.desk, body=f"Before.\n\n{source}\n\nAfter.")
    web = any_app.test_client()
    login(web, nr.reporter)
    for path in (f"/newsroom/stories/{story.id}", f"/newsroom/stories/{story.id}/preview"):
        response = web.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        _assert_harmless(html.split("Before.", 1)[1].split("After.", 1)[0])
    try:
        transition_story(reload(story), Action.SUBMIT, actor=nr.reporter)
        transition_story(reload(story), Action.APPROVE, actor=nr.editor)
        transition_story(reload(story), Action.PUBLISH, actor=nr.editor)
    except ValidationFailed as refused:  # a mistyped photo: a clear message, never a 500
        assert "names no photo" in refused.errors["body"]
        return
    html = reader.get(article_path(reload(story))).get_data(as_text=True)
    _assert_harmless(html.split("Before.", 1)[1].split("After.", 1)[0])


def test_photos_cost_the_article_one_select_however_many(
    any_app: Flask, make: Factory, nr: Newsroom, reader: FlaskClient
) -> None:
    lead, *inside = (_photo(nr.reporter).id for _ in range(4))
    body = "\n\n".join(f"Paragraph.\n\n![](photo:{n})" for n in inside)
    plain = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    leading = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, lead_photo_id=lead
    )
    both = make.story(
        nr.reporter,
        nr.desk,
        StoryState.PUBLISHED,
        editor=nr.editor,
        lead_photo_id=lead,
        body=body,
    )
    any_app.config["PUBLIC_CACHE_ENABLED"] = False
    stories = (("plain", plain), ("lead", leading), ("lead and body", both))
    for _name, story in stories:  # warm: settings and the like are read once per process
        reader.get(article_path(story)).close()
    counts = {}
    for name, story in stories:
        with selects(any_app) as statements:
            html = reader.get(article_path(story)).get_data(as_text=True)
        counts[name] = len(statements)
        assert html.count('<figure class="body-photo">') == (3 if story is both else 0)
    assert counts["lead"] == counts["plain"] + 1 == counts["lead and body"], counts
    reader.get("/api/stories").close()
    with selects(any_app) as few:
        reader.get("/api/stories").close()
    more = [make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, body=body)]
    reader.get("/api/stories").close()
    with selects(any_app) as many:
        listed = reader.get("/api/stories").get_json()["stories"]
    assert len(many) == len(few) and more
    assert [len(s["images"]) for s in listed][:2] == [3, 4]
