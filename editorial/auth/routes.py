"""Sign-in and sign-out, passwords (changed, forgotten, first set), one's own account."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from editorial.auth.blueprint import bp
from editorial.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    SetPasswordForm,
    UnlockForm,
)
from editorial.extensions import client_address, limiter
from editorial.instruments import LOGIN_FAILURES
from editorial.models.staff import EMAIL_PREFERENCES
from editorial.redirects import local_path
from editorial.services import accounts, staff
from editorial.services.errors import ValidationFailed
from editorial.tokens import LinkKind, LinkRefused
from editorial.wording import the_newsroom

FAILED = "That email and password do not match an active account."
ACCOUNT_THROTTLED = (
    "Too many failed sign-ins for this account from your connection. Wait {minutes} and try "
    "again, or choose a new password through 'Forgotten your password?'."
)
ADDRESS_THROTTLED = "Too many failed sign-ins from your connection. Wait {minutes} and try again."
LOCKED = (
    "Sign-in to this account is locked after too many failed attempts. If the account is "
    "yours, an e-mail with a link to unlock it is on its way; choosing a new password through "
    "'Forgotten your password?' unlocks it too."
)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT"])


def _address_limit() -> str:
    return str(current_app.config["LOGIN_ADDRESS_LIMIT"])


def _account_key() -> str:
    return "account:" + staff.normalise_email(request.form.get("email", ""))


def _account_address_key() -> str:
    """One account from one address: a stranger elsewhere cannot use up the owner's tries."""
    return f"account-address:{client_address()}:{_account_key()}"


def _failed(response: Response) -> bool:
    """Only failed attempts count towards the limits: a success redirects, and a refusal (429)
    checked no password, so it guessed nothing. An owner who keeps trying while locked is
    therefore not held back once they have unlocked."""
    return response.status_code not in (302, 429)


def _refused(message: str, status: int = 429) -> Response:
    """The sign-in page again, the address kept, with why it was refused."""
    flash(message, "error")
    return make_response(render_template("auth/login.html", form=LoginForm()), status)


def _throttled(message: str) -> Callable[[RequestLimit], Response]:
    """on_breach for a quick limit: say how long to wait, on the sign-in page."""

    def answer(limit: RequestLimit) -> Response:
        LOGIN_FAILURES.labels("throttled").inc()
        return _refused(message.format(minutes=_wait(limit)))

    return answer


def _wait(limit: RequestLimit) -> str:
    """How long until `limit` lets the next attempt through, in words ("15 minutes")."""
    # reset_at is rounded up a second (Flask-Limiter adds 1), which alone would say
    # "16 minutes" for a 15-minute window: the wait is never longer than the window.
    seconds = min(limit.reset_at - time.time(), limit.limit.get_expiry())
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _safe_next(target: str | None) -> str:
    """Only a path on this site after sign-in, whatever `next` holds (else the newsroom home)."""
    return local_path(target) or url_for("newsroom.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _address_limit,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_throttled(ADDRESS_THROTTLED),
)
@limiter.limit(
    _login_limit,
    methods=["POST"],
    key_func=_account_address_key,
    deduct_when=_failed,
    on_breach=_throttled(ACCOUNT_THROTTLED),
)
def login():
    """Sign in with email and password; the same answer for any failure, known account or
    not (README, "Failed sign-ins")."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            person = accounts.sign_in(form.email.data or "", form.password.data or "")
        except accounts.AccountLocked:
            return _refused(LOCKED)
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
            staff.change_password(
                current_user, form.current_password.data or "", form.new_password.data or ""
            )
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


# -- forgotten passwords, invitations, reset links --------------------------------------------

RESET_SENT = (
    "If {email} belongs to an active account, an e-mail with a link to choose a new password "
    "is on its way. The link works for one hour."
)


RESETS_FROM_ADDRESS = (
    "Too many reset links were asked for from your connection. Wait {minutes} and try again."
)
# Said alike for every address typed, an account's or not, so it tells no one which exist.
RESETS_FOR_ACCOUNT = (
    "Too many reset links were asked for this e-mail address. Wait {minutes} and try again; "
    "a link already sent works for one hour."
)


def _reset_limit() -> str:
    return str(current_app.config["RESET_LIMIT"])


def _reset_account_limit() -> str:
    return str(current_app.config["RESET_ACCOUNT_LIMIT"])


def _resets_throttled(message: str) -> Callable[[RequestLimit], Response]:
    """on_breach for the reset limits: the form again, the address kept, and how long to wait."""

    def answer(limit: RequestLimit) -> Response:
        flash(message.format(minutes=_wait(limit)), "error")
        page = render_template("auth/forgot_password.html", form=EmailOnlyForm())
        return make_response(page, 429)

    return answer


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], on_breach=_resets_throttled(RESETS_FROM_ADDRESS))
@limiter.limit(
    _reset_account_limit,
    methods=["POST"],
    key_func=_account_key,
    on_breach=_resets_throttled(RESETS_FOR_ACCOUNT),
)
def forgot_password():
    """Ask for a reset link; the answer never says whether the account exists."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data or "")
        return render_template(
            "auth/forgot_password_sent.html", message=RESET_SENT.format(email=form.email.data)
        )
    return render_template("auth/forgot_password.html", form=form)


def _link_refused(refused: LinkRefused, kind: LinkKind):
    """A clear page for a bad, expired or used link (400 or 410), never a stack trace."""
    return _no_referrer(
        render_template("auth/link_refused.html", refused=refused, kind=kind, LinkKind=LinkKind),
        refused.status,
    )


def _no_referrer(body: str, status: int = 200):
    """Pages whose URL holds a secret must not leak it to another site in a Referer header."""
    response = make_response(body, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _set_password_page(token: str, kind: LinkKind):
    """Show and handle the choose-a-password form behind an invitation or reset link."""
    try:
        person = accounts.check_link(token, kind)
    except LinkRefused as refused:
        return _link_refused(refused, kind)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            holder = accounts.redeem_link(token, kind, form.password.data or "")
        except LinkRefused as refused:
            return _link_refused(refused, kind)
        except ValidationFailed as failed:
            form.password.errors = list(failed.errors.values())
        else:
            # This browser now belongs to the account holder: whoever was signed in here is out.
            if current_user.is_authenticated:
                staff.end_session(current_user.session_token)
            logout_user()
            session.clear()
            if kind is LinkKind.INVITE:  # the new colleague is in: no second form to fill
                staff.start_session(holder, user_agent=request.headers.get("User-Agent", ""))
                login_user(holder)
                site = the_newsroom(current_app.config["SITE_NAME"])
                flash(f"Your password is set. Welcome to {site}.", "success")
                return redirect(url_for("newsroom.home"))
            flash(
                "Your password is set. Sign in with your e-mail address and your new password.",
                "success",
            )
            return redirect(url_for("auth.login"))
    return _no_referrer(
        render_template(
            "auth/set_password.html", form=form, person=person, kind=kind, LinkKind=LinkKind
        )
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through a reset link (one hour, single use)."""
    return _set_password_page(token, LinkKind.RESET)


@bp.route("/login/unlock/<token>", methods=["GET", "POST"])
def unlock_account(token: str):
    """Lift a sign-in lock through the e-mailed link (24 hours, single use). A GET only asks:
    mail scanners that open links must not use the link up."""
    try:
        person = accounts.check_link(token, LinkKind.UNLOCK)
    except LinkRefused as refused:
        return _link_refused(refused, LinkKind.UNLOCK)
    form = UnlockForm()
    if form.validate_on_submit():
        try:
            accounts.unlock(token)
        except LinkRefused as refused:
            return _link_refused(refused, LinkKind.UNLOCK)
        flash("Your account is unlocked. Sign in with your e-mail address and password.", "success")
        return redirect(url_for("auth.login"))
    return _no_referrer(render_template("auth/unlock.html", form=form, person=person))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Accept an invitation by choosing a password (seven days, single use)."""
    return _set_password_page(token, LinkKind.INVITE)


# -- one's own account -----------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Name, byline and e-mail choices; roles, desks and status are for admins only."""
    person = current_user._get_current_object()
    # A choice the post leaves out stays as it was.
    data: dict[str, object] = {name: getattr(person, name) for name in EMAIL_PREFERENCES}
    if request.method == "GET":
        data |= {"name": person.name, "byline": person.default_byline}
    form = AccountForm(data=data, daily_hour=current_app.config["DIGEST_DAILY_HOUR"])
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                person,
                name=form.name.data or "",
                byline=form.byline.data or "",
                email={name: form[name].data for name in EMAIL_PREFERENCES},
            )
        except ValidationFailed as failed:
            for name, message in failed.errors.items():
                getattr(form, name).errors = [message]
        else:
            flash("Your account settings are saved.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, person=person)
