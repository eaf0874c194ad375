"""The photo library: the grid, the upload form, and each photo's page (any staff member)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from editorial import keyset
from editorial.errors import render_error
from editorial.extensions import csrf, db
from editorial.models import Desk, Person, Photo, Rendition, Story
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import STAFF_MEDIA, csrf_problem, filter_args, person, tz
from editorial.newsroom.focal import FocalPanel, focal_panel
from editorial.newsroom.forms import (
    PhotoDetailsForm,
    PhotoForm,
    ReplaceFileForm,
    desk_choices,
    parse_int,
)
from editorial.newsroom.library import (
    USES,
    describe_event,
    filter_choices,
    history,
    library,
    library_filters,
    renditions,
    searched_for,
)
from editorial.newsroom.visibility import visible_condition
from editorial.services.errors import ValidationFailed
from editorial.services.photo_files import Batch, Incoming, replace_photo_file, upload_photos
from editorial.services.photo_tags import split_tags, tag_names
from editorial.services.photo_use import stories_using
from editorial.services.photos import (
    PhotoInput,
    PhotoInUse,
    delete_photo,
    edit_photo,
    too_big_message,
)
from editorial.storage import RENDITIONS, media_store


def _place_errors(form: FlaskForm, errors: dict[str, str] | None) -> list[str]:
    """Put each problem beside its field; the rest (the general ones) are returned."""
    for name, message in (errors or {}).items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [message]
    return [m for n, m in (errors or {}).items() if n not in form._fields]


def render_library(
    form: PhotoForm,
    *,
    errors: dict[str, str] | None = None,
    batch: Batch | None = None,
    status: int = 200,
):
    """The library: the upload form (with any refusals) above one page of the grid."""
    general = _place_errors(form, errors)
    if batch is not None and batch.refused:
        form.photo.errors = [f"“{r.name}” was not uploaded: {r.message}" for r in batch.refused]
    before, after = keyset.requested()  # an old ?page=N is ignored: the first page
    filters, filter_errors = library_filters(request.args)
    if filter_errors:
        status = max(status, 400)
    # A value that did not parse is left out.
    page = library(filters, tz(), before=before, after=after)
    choices = filter_choices()
    names = {kind: dict(pairs) for kind, pairs in choices.items()}
    return render_template(
        "newsroom/media.html",
        form=form,
        page=page,
        filters=filters,
        filter_errors=filter_errors,
        searched=searched_for(filters, names),
        choices=choices,
        uses=USES,
        args=filter_args("q", "desk", "uploader", "from", "to", "use"),
        general_errors=general,
        batch=batch,
    ), status


def _form(*, received: bool = True) -> PhotoForm:
    """The upload form, filled from the request unless its body was refused unread."""
    form = PhotoForm() if received else PhotoForm(formdata=None)
    form.desk.choices = [("", "No desk"), *desk_choices(person())]
    return form


def _wants_json() -> bool:
    """upload.js sends each file on its own and asks for JSON (to show progress per file)."""
    return request.accept_mimetypes.best == "application/json"


def _json_answer(
    *, errors: dict[str, str] | None = None, batch: Batch | None = None, status: int
) -> tuple[Response, int]:
    uploaded = [
        {"id": p.id, "url": url_for(".photo_page", photo_id=p.id)}
        for p in (batch.photos if batch else [])
    ]
    refused = [{"name": r.name, "message": r.message} for r in (batch.refused if batch else [])]
    return jsonify(uploaded=uploaded, refused=refused, errors=errors or {}), status


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
    response = media_store().send(RENDITIONS, key, max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.get(STAFF_MEDIA.removeprefix("/newsroom") + "<key>")
@login_required
def media_file(key: str):
    """Any rendition, for staff (the story preview shows a draft's photos with these)."""
    if db.session.scalar(select(Rendition.id).where(Rendition.key == key)) is None:
        abort(404, "There is no such photo file.")
    return media_store().send(RENDITIONS, key)


@bp.post("/media/")
@login_required
@csrf.exempt  # checked inside the view: a refused token keeps what was typed
def upload_media():
    """Upload one photo or several; each refused file is named with its reason, the others
    are kept, and the form keeps what was typed."""
    form = _form()
    if problem := csrf_problem():
        if _wants_json():
            return _json_answer(errors={"general": problem}, status=400)
        return render_library(form, errors={"general": problem}, status=400)
    data = PhotoInput(
        caption=form.caption.data or "",
        credit=form.credit.data or "",
        alt_text=form.alt_text.data or "",
        tags=split_tags(form.tags.data or ""),
        desk_id=parse_int(form.desk.data),
    )
    files = [
        Incoming(f.filename or "", f.stream) for f in request.files.getlist("photo") if f.filename
    ]
    try:
        batch = upload_photos(files, data, actor=person())
    except ValidationFailed as failed:
        if _wants_json():
            return _json_answer(errors=failed.errors, status=422)
        return render_library(form, errors=failed.errors, status=422)
    status = 422 if batch.refused else 200
    for photo in batch.photos:  # upload.js goes to the library after the last file: shown there
        flash(f"Photo {photo.id} uploaded; its renditions are being made.", "success")
    if _wants_json():
        return _json_answer(batch=batch, status=status)
    if batch.refused:
        return render_library(form, batch=batch, status=status)
    return redirect(url_for(".media"))


def _details(photo: Photo) -> PhotoDetailsForm:
    """The details form as the photo has them (not from the request)."""
    return PhotoDetailsForm(formdata=None, obj=photo, tags=", ".join(tag_names(photo.id)))


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
    replace_form: ReplaceFileForm | None = None,
    replace_errors: dict[str, str] | None = None,
    refused_delete: bool = False,
    focal: FocalPanel | None = None,
    status: int = 200,
):
    """A photo's page: its file, metadata, uses, renditions, history and forms."""
    general = _place_errors(form, errors)
    replace_form = replace_form or ReplaceFileForm(formdata=None, prefix="replace")
    general += _place_errors(replace_form, replace_errors)
    visible = visible_condition(person())
    users = [
        (story, bool(db.session.scalar(select(Story.id).where(Story.id == story.id, visible))))
        for story in stories_using(photo.id)
    ]
    events = history(photo.id)
    return render_template(
        "newsroom/photo.html",
        photo=photo,
        uploader=db.session.get(Person, photo.uploaded_by_id),
        desk=db.session.get(Desk, photo.desk_id) if photo.desk_id else None,
        tags=tag_names(photo.id),
        renditions=renditions(photo.id),
        users=users,
        history=[(event, describe_event(event)) for event in events],
        refused_delete=refused_delete,
        form=form,
        replace_form=replace_form,
        general_errors=general,
        focal=focal or focal_panel(photo),
    ), status


@bp.get("/media/<int:photo_id>")
@login_required
def photo_page(photo_id: int):
    photo = _photo_or_404(photo_id)
    return render_photo(photo, _details(photo))


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
        tags=split_tags(form.tags.data or ""),
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
        form = _details(photo)
        return render_photo(photo, form, refused_delete=True, status=409)
    flash(f"Photo {photo_id} deleted.", "success")
    return redirect(url_for(".media"))


@bp.post("/media/<int:photo_id>/replace")
@login_required
@csrf.exempt  # checked inside the view, to say so on the photo's page
def replace_media(photo_id: int):
    """A new original for the photo; a refusal says why and keeps the page as it was."""
    photo = _photo_or_404(photo_id)
    details = _details(photo)
    replace_form = ReplaceFileForm(prefix="replace")
    if problem := csrf_problem():
        return render_photo(
            photo, details, replace_form=replace_form, errors={"general": problem}, status=400
        )
    upload = request.files.get(replace_form.photo.name)
    try:
        replace_photo_file(
            photo, upload.stream if upload and upload.filename else None, actor=person()
        )
    except ValidationFailed as failed:
        db.session.expire_all()
        photo = _photo_or_404(photo_id)
        errors = {"photo": failed.errors.get("photo") or " ".join(failed.errors.values())}
        return render_photo(
            photo, details, replace_form=replace_form, replace_errors=errors, status=422
        )
    flash(
        "New file received. Its renditions are being made; stories show the old ones until then.",
        "success",
    )
    return redirect(url_for(".photo_page", photo_id=photo_id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An upload past the cap is refused from its Content-Length, before the body is read (so
    the typed fields cannot be kept: they were never received)."""
    message = too_big_message(current_app.config["PHOTO_MAX_BYTES"])
    if request.endpoint == "newsroom.replace_media":
        photo = _photo_or_404(int((request.view_args or {})["photo_id"]))
        details = _details(photo)
        return render_photo(photo, details, replace_errors={"photo": message}, status=413)
    if request.endpoint != "newsroom.upload_media":
        return render_error(413, error.description or "")
    message += " Several photos: upload them a few at a time."
    if _wants_json():
        return _json_answer(errors={"photo": message}, status=413)
    return render_library(_form(received=False), errors={"photo": message}, status=413)
