"""Sign-in plumbing and the security headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, flash, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from editorial.extensions import login_manager
from editorial.models import Person
from editorial.services.staff import load_session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@login_manager.user_loader
def _load_person(token: str) -> Person | None:
    """Every request re-reads the session and the person: a revoked or deactivated one is out."""
    return load_session(token)


@login_manager.unauthorized_handler
def _unauthorized() -> BaseResponse:
    if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
        return Response('{"error": "sign in required"}', 401, mimetype="application/json")
    flash("Please sign in to continue.", "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.blueprint in {"auth", "newsroom", "admin"}:
        # Staff pages hold unpublished work: never store them in any shared cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Trust one proxy hop in production (gunicorn behind nginx), set headers on every answer."""
    if app.config["EDITORIAL_ENV"] == "production":
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # our server-side sessions do the job
    app.after_request(_headers)
