"""Sending e-mail: SMTP when MAIL_SERVER is set, otherwise a local outbox of .eml files."""

from __future__ import annotations

import re
import smtplib
import time
import unicodedata
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

_SPACES = re.compile(r"\s+")


def header_text(value: str) -> str:
    """A header value on one line: control characters (C0, DEL, C1) and line separators become
    spaces, so a headline or name can neither inject a header nor carry a raw NUL."""
    cleaned = "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char for char in value
    )
    return _SPACES.sub(" ", cleaned).strip()


def build_message(*, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """One message; every header value passes through header_text(), whatever its source."""
    message = EmailMessage()
    headers = {
        "From": current_app.config["MAIL_DEFAULT_SENDER"],
        "To": to,
        "Subject": subject,
    }
    for name, value in headers.items():
        message[name] = header_text(value)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="editorial.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_message(*, to: str, subject: str, text: str, html: str | None = None) -> None:
    """Deliver one message; raises on connection or protocol errors so callers can retry."""
    message = build_message(to=to, subject=subject, text=text, html=html)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write_to_outbox(message, Path(config["MAIL_OUTBOX"]))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


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
