"""The photo library: the grid, the upload form, and each photo's page (any staff member)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from editorial import mediastore
from editorial.errors import render_error
from editorial.extensions import csrf, db
from editorial.models import Person, Photo, Rendition, Story
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import STAFF_MEDIA, csrf_problem, person
from editorial.newsroom.focal import FocalPanel, focal_panel
from editorial.newsroom.forms import PhotoDetailsForm, PhotoForm, desk_choices, parse_int
from editorial.newsroom.visibility import visible_condition
from editorial.services.errors import ValidationFailed
from editorial.services.photos import (
    PhotoInput,
    PhotoInUse,
    delete_photo,
    edit_photo,
    stories_using,
    too_big_message,
    upload_photo,
)

LIBRARY_SIZE = 60  # the newest photos in the grid; search and filters come with the full library


@dataclass(frozen=True)
class Tile:
    """One photo in the grid, read as columns (no Photo objects reach the template)."""

    id: int
    caption: str
    credit: str
    alt_text: str
    width: int
    height: int
    uploader: str
    ready: bool


def library() -> list[Tile]:
    rows = db.session.execute(
        select(
            Photo.id,
            Photo.caption,
            Photo.credit,
            Photo.alt_text,
            Photo.width,
            Photo.height,
            Person.name,
            Photo.renditions_ready_at.is_not(None),
        )
        .join(Person, Person.id == Photo.uploaded_by_id)
        .order_by(Photo.created_at.desc(), Photo.id.desc())
        .limit(LIBRARY_SIZE)
    )
    return [Tile(*row) for row in rows]


def _place_errors(form: FlaskForm, errors: dict[str, str] | None) -> list[str]:
    """Put each problem beside its field; the rest (the general ones) are returned."""
    for name, message in (errors or {}).items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [message]
    return [m for n, m in (errors or {}).items() if n not in form._fields]


def render_library(form: PhotoForm, *, errors: dict[str, str] | None = None, status: int = 200):
    general = _place_errors(form, errors)
    return render_template(
        "newsroom/media.html", form=form, photos=library(), general_errors=general
    ), status


def _form(*, received: bool = True) -> PhotoForm:
    """The upload form, filled from the request unless its body was refused unread."""
    form = PhotoForm() if received else PhotoForm(formdata=None)
    form.desk.choices = [("", "No desk"), *desk_choices(person())]
    return form


@bp.get("/media/")
@login_required
def media():
    return render_library(_form())


@bp.get("/media/<int:photo_id>/thumbnail")
@login_required
def media_thumbnail(photo_id: int):
    """The smallest JPEG rendition, for staff only (the public URL works only once published)."""
    key = db.session.scalar(
        select(Rendition.key)
        .where(Rendition.photo_id == photo_id, Rendition.crop == "", Rendition.format == "jpeg")
        .order_by(Rendition.width)
        .limit(1)
    )
    if key is None:
        abort(404, "There is no such photo, or it is still being processed.")
    response = send_from_directory(mediastore.renditions(), key, max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.get(STAFF_MEDIA.removeprefix("/newsroom") + "<key>")
@login_required
def media_file(key: str):
    """Any rendition, for staff (the story preview shows a draft's photos with these)."""
    if db.session.scalar(select(Rendition.id).where(Rendition.key == key)) is None:
        abort(404, "There is no such photo file.")
    return send_from_directory(mediastore.renditions(), key)


@bp.post("/media/")
@login_required
@csrf.exempt  # checked inside the view: a refused token keeps what was typed
def upload_media():
    """Upload one photo; a refusal shows the form again with the reason and what was typed."""
    form = _form()
    if problem := csrf_problem():
        return render_library(form, errors={"general": problem}, status=400)
    data = PhotoInput(
        caption=form.caption.data or "",
        credit=form.credit.data or "",
        alt_text=form.alt_text.data or "",
        desk_id=parse_int(form.desk.data),
    )
    upload = request.files.get("photo")
    try:
        photo = upload_photo(upload.stream if upload else None, data, actor=person())
    except ValidationFailed as failed:
        return render_library(form, errors=failed.errors, status=422)
    flash(f"Photo {photo.id} uploaded; its renditions are being made.", "success")
    return redirect(url_for(".media"))


def _photo_or_404(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404, "There is no such photo.")
    return photo


def render_photo(
    photo: Photo,
    form: PhotoDetailsForm,
    *,
    errors: dict[str, str] | None = None,
    refused_delete: bool = False,
    focal: FocalPanel | None = None,
    status: int = 200,
):
    general = _place_errors(form, errors)
    visible = visible_condition(person())
    users = [
        (story, bool(db.session.scalar(select(Story.id).where(Story.id == story.id, visible))))
        for story in stories_using(photo.id)
    ]
    return render_template(
        "newsroom/photo.html",
        photo=photo,
        uploader=db.session.get(Person, photo.uploaded_by_id),
        renditions=db.session.scalar(
            select(func.count(Rendition.id)).where(Rendition.photo_id == photo.id)
        ),
        users=users,
        refused_delete=refused_delete,
        form=form,
        general_errors=general,
        focal=focal or focal_panel(photo),
    ), status


@bp.get("/media/<int:photo_id>")
@login_required
def photo_page(photo_id: int):
    photo = _photo_or_404(photo_id)
    return render_photo(photo, PhotoDetailsForm(obj=photo))


@bp.post("/media/<int:photo_id>")
@login_required
@csrf.exempt  # checked inside the view: a refused token keeps what was typed
def edit_photo_details(photo_id: int):
    photo = _photo_or_404(photo_id)
    form = PhotoDetailsForm()
    if problem := csrf_problem():
        return render_photo(photo, form, errors={"general": problem}, status=400)
    data = PhotoInput(
        caption=form.caption.data or "",
        credit=form.credit.data or "",
        alt_text=form.alt_text.data or "",
    )
    try:
        edit_photo(photo, data, actor=person())
    except ValidationFailed as failed:
        return render_photo(photo, form, errors=failed.errors, status=422)
    flash("Photo details saved.", "success")
    return redirect(url_for(".photo_page", photo_id=photo_id))


@bp.post("/media/<int:photo_id>/delete")
@login_required
def remove_photo(photo_id: int):
    photo = _photo_or_404(photo_id)
    try:
        delete_photo(photo, actor=person())
    except PhotoInUse:
        photo = _photo_or_404(photo_id)
        form = PhotoDetailsForm(formdata=None, obj=photo)
        return render_photo(photo, form, refused_delete=True, status=409)
    flash(f"Photo {photo_id} deleted.", "success")
    return redirect(url_for(".media"))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An upload past the cap is refused from its Content-Length, before the body is read (so
    the typed fields cannot be kept: they were never received)."""
    if request.endpoint != "newsroom.upload_media":
        return render_error(413, error.description or "")
    message = too_big_message(current_app.config["PHOTO_MAX_BYTES"])
    return render_library(_form(received=False), errors={"photo": message}, status=413)
