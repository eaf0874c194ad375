"""Sending e-mail: SMTP when MAIL_SERVER is set, otherwise a local outbox of .eml files."""

from __future__ import annotations

import contextlib
import re
import smtplib
import time
import unicodedata
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_SPACES = re.compile(r"\s+")
# One SMTP conversation (connect to QUIT), at most: well under any claim's lease.
SMTP_DEADLINE_SECONDS = 30.0


def header_text(value: str) -> str:
    """A header value on one line: control characters (C0, DEL, C1) and line separators become
    spaces, so a headline or name can neither inject a header nor carry a raw NUL."""
    cleaned = "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char for char in value
    )
    return _SPACES.sub(" ", cleaned).strip()


def build_message(
    *, to: str, subject: str, text: str, html: str | None = None, message_id: str | None = None
) -> EmailMessage:
    """One message; every header value passes through header_text(), whatever its source.
    A `message_id` kept by the caller makes every attempt at one e-mail carry the same ID."""
    message = EmailMessage()
    headers = {
        "From": current_app.config["MAIL_DEFAULT_SENDER"],
        "To": to,
        "Subject": subject,
    }
    for name, value in headers.items():
        message[name] = header_text(value)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = header_text(message_id or new_message_id())
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def new_message_id() -> str:
    return make_msgid(domain="editorial.local")


def send_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    within: float = SMTP_DEADLINE_SECONDS,
    on_accepted: Callable[[], None] | None = None,
) -> None:
    """Deliver one message; raises on connection or protocol errors so callers can retry.

    The whole SMTP conversation ends within `within` seconds (each reply used to have 10 s of
    its own, so a slow server could stretch one send past any lease). `on_accepted` runs as
    soon as the server has answered 250 to the message data, before QUIT: what happens after
    that (a slow or failed QUIT) is not a failure to send and raises nothing.
    """
    message = build_message(to=to, subject=subject, text=text, html=html, message_id=message_id)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write_to_outbox(message, Path(config["MAIL_OUTBOX"]))
        if on_accepted:
            on_accepted()
        return
    smtp = BoundedSMTP(config["MAIL_SERVER"], config["MAIL_PORT"], within=within)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    except BaseException:
        smtp.close()
        raise
    try:
        if on_accepted:
            on_accepted()
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
        smtp.close()


class BoundedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose whole conversation must end by a deadline, not each reply within a
    timeout of its own."""

    def __init__(self, host: str, port: int, *, within: float) -> None:
        self._deadline = time.monotonic() + within
        super().__init__(host, port, timeout=within)

    def _time_left(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            self.close()
            raise TimeoutError("the SMTP conversation ran past its deadline")
        if self.sock is not None:
            self.sock.settimeout(left)

    def send(self, s: ReadableBuffer | str) -> None:
        self._time_left()
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        self._time_left()
        return super().getreply()


def is_transient(error: BaseException) -> bool:
    """Worth retrying later: the server was unreachable, hung up, or answered 4xx ("try later").

    A 5xx answer (unknown mailbox, relaying denied) will not change with time, and neither will
    an error that is not about SMTP at all (a template bug): those are final.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(_transient_code(code) for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return _transient_code(error.smtp_code)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):  # e.g. STARTTLS not supported: configuration
        return False
    return isinstance(error, OSError)  # refused, reset, timed out, no route


def _transient_code(code: int) -> bool:
    # smtplib uses -1 when the server closed the connection instead of answering.
    return not 500 <= code < 600


def _write_to_outbox(message: EmailMessage, outbox: Path) -> None:
    """Development: write the message where a developer can open it (instance/outbox/)."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
    temporary = outbox / f".{name}.tmp"
    temporary.write_bytes(bytes(message))
    temporary.rename(outbox / name)  # atomic: a reader never sees half a message
