"""Error pages and the mapping from domain refusals to HTTP answers."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from editorial.services.errors import StaleStory
from editorial.workflow import NoteRequired, TransitionNotAllowed, WrongState

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


def render_error(status: int, message: str) -> tuple[str, int] | Response:
    """An error page (HTML) or body (JSON for the API) with a clear message."""
    if request_ctx.url_adapter is None:
        # The request could not be bound to the URL map (an unusable Host header, say): the
        # site's templates build links, so answer with a page that needs none.
        title = escape(TITLES.get(status, "Error"))
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(message)}</p>"
        return Response(body, status, mimetype="text/html")
    if (
        request.blueprint == "api"
        or request.path.startswith("/api/")
        or request.accept_mimetypes.best == "application/json"  # the editor's autosave
    ):
        return jsonify(error=message, status=status), status  # type: ignore[return-value]
    return render_template(
        "errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.response is not None:  # a refusal that brought its own page (sign-in limits)
            return error.response
        return render_error(error.code or 500, error.description or "")

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400,
            "This form expired or did not come from this site "
            f"({error.description}). Go back, reload and try again.",
        )

    @app.errorhandler(TransitionNotAllowed)
    def _forbidden(error: TransitionNotAllowed):
        return render_error(403, str(error))

    @app.errorhandler(WrongState)
    def _conflict(error: WrongState):
        return render_error(409, str(error))

    @app.errorhandler(StaleStory)
    def _stale(error: StaleStory):
        return render_error(409, str(error))

    @app.errorhandler(NoteRequired)
    def _note(error: NoteRequired):
        return render_error(400, str(error))
