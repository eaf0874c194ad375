"""Sign-in and sign-out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from editorial.auth import bp
from editorial.auth.forms import ChangePasswordForm, LoginForm
from editorial.extensions import limiter
from editorial.services import staff
from editorial.services.errors import ValidationFailed

FAILED = "That email and password do not match an active account."


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _account_key() -> str:
    return "account:" + staff.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    """Only failed attempts count towards the limits: a success redirects."""
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect off-site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("newsroom.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login():
    """Sign in with email and password; the same answer for any failure."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        person = staff.authenticate(form.email.data, form.password.data)
        if person is not None:
            session.clear()  # a fresh session: nothing carried over from before sign-in
            staff.start_session(person, user_agent=request.headers.get("User-Agent", ""))
            login_user(person)
            return redirect(_safe_next(request.args.get("next")))
        flash(FAILED, "error")
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out: the server-side session ends, so a copied cookie is worthless too."""
    if current_user.is_authenticated:
        staff.end_session(current_user.session_token)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            staff.change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationFailed as failed:
            for field, message in failed.errors.items():
                getattr(form, field).errors = [message]
        else:
            flash(
                "Your password is changed. Other signed-in browsers have been signed out.",
                "success",
            )
            return redirect(url_for("newsroom.home"))
    return render_template("auth/change_password.html", form=form)
