"""Sign-in plumbing and the security headers every response carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, flash, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from editorial.embeds import FRAME_ORIGINS
from editorial.extensions import login_manager
from editorial.models import Person
from editorial.services.staff import load_session
from editorial.storage import public_base

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        # A reader's click on an embed box frames the provider's player or post; only those
        # origins (scripts stay this site's own: the frame runs theirs, not our page).
        "frame-src 'self' " + " ".join(FRAME_ORIGINS),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


_FIXED = "editorial.security_headers"


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


def content_security_policy(media_base: str) -> str:
    """The policy, with the origin of the public photos (a CDN, a bucket) among the images."""
    origin = urlsplit(media_base)
    if not origin.scheme or not origin.netloc:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {origin.scheme}://{origin.netloc}"
    )


def _fixed_headers() -> list[tuple[str, str, str]]:
    """(lower-case name, name, value) of the headers every answer carries, built once per app:
    a cached page is served in well under a millisecond, so these are not re-derived per
    request."""
    fixed: list[tuple[str, str, str]] | None = current_app.extensions.get(_FIXED)
    if fixed is None:
        policy = content_security_policy(public_base())
        fixed = current_app.extensions[_FIXED] = [
            (name.lower(), name, value)
            for name, value in (
                ("Content-Security-Policy", policy),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "strict-origin-when-cross-origin"),
                ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
            )
        ]
    return fixed


def security_headers(response: Response) -> None:
    """The security headers a view did not set itself (one pass over the response's)."""
    present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118 (a Headers)
    response.headers.extend([(n, v) for low, n, v in _fixed_headers() if low not in present])


def _headers(response: Response) -> Response:
    security_headers(response)
    if request.blueprint in {"auth", "newsroom", "admin"}:
        # Staff pages hold unpublished work: never store them in any shared cache.
        response.headers["Cache-Control"] = "no-store"
    return response


class CookielessFirst(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that brings
    no session cookie (every reader's): such a request's session is empty whatever it is
    decoded with. A session written during the request is still signed when it is saved."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # An empty session nobody read or wrote sets no cookie and no Vary: Cookie (Flask's own
        # outcome too), without first working out the cookie's domain, path and flags.
        if session or session.modified:
            super().save_session(app, session, response)
        elif session.accessed:  # Flask-Login's after-request hook reads it on every request
            # What Flask adds then, without parsing Vary into a set: a public page's miss.
            if "Vary" in response.headers:
                response.vary.add("Cookie")
            else:
                response.headers["Vary"] = "Cookie"


def _trust_proxies(app: Flask) -> None:
    """Read the client's address from X-Forwarded-For only behind TRUSTED_PROXIES proxies.

    Each proxy appends the address it saw, so with N proxies the Nth from the right is the
    client's and anything left of it is whatever the client typed. Scheme and host come from
    the nearest proxy. With 0 (the default) the headers are ignored: request.remote_addr, and
    so every rate limit, is the connection's own address.
    """
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=1, x_host=1)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Trust as many proxies as configured, sessions, set headers on every answer."""
    _trust_proxies(app)
    app.session_interface = CookielessFirst()
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # our server-side sessions do the job
    app.after_request(_headers)
