"""`flask doctor`: check the configuration and say in plain words what is wrong (exit 1)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, current_app

MIN_SECRET_LENGTH = 32


def _secret(config: dict) -> list[str]:
    secret = config.get("SECRET_KEY") or ""
    if len(secret) < MIN_SECRET_LENGTH:
        return [f"SECRET_KEY is {len(secret)} characters; use at least {MIN_SECRET_LENGTH}."]
    return []


def _site_url(config: dict, production: bool) -> list[str]:
    url = urlparse(config.get("SITE_URL") or "")
    if url.scheme not in {"http", "https"} or not url.netloc:
        return [f"SITE_URL {config.get('SITE_URL')!r} is not an absolute http(s) address."]
    if production and url.scheme != "https":
        return ["SITE_URL is not https: links in e-mail and feeds would be insecure."]
    if production and url.hostname in {"127.0.0.1", "localhost"}:
        return ["SITE_URL points at this machine: readers' links would not work."]
    return []


def _mail(config: dict, production: bool) -> list[str]:
    if production and not config.get("MAIL_SERVER"):
        return ["MAIL_SERVER is not set: e-mail goes to the local outbox, nobody receives it."]
    if "@" not in (config.get("MAIL_DEFAULT_SENDER") or ""):
        return ["MAIL_DEFAULT_SENDER is not an e-mail address."]
    return []


def _storage(config: dict) -> list[str]:
    instance = Path(config["INSTANCE_PATH"])
    if not os.access(instance, os.W_OK):
        return [f"The instance folder {instance} is not writable."]
    return []


def _media(config: dict) -> list[str]:
    """Photo storage settings (README "Photo storage"); nothing is contacted here."""
    found = []
    base = config.get("MEDIA_PUBLIC_BASE_URL") or ""
    if base and not base.endswith("/"):
        found.append(f"MEDIA_PUBLIC_BASE_URL {base!r} must end with '/': the name is appended.")
    if urlparse(config.get("SITE_URL") or "").scheme == "https" and base.startswith("http:"):
        found.append(
            "MEDIA_PUBLIC_BASE_URL is not https: browsers block its photos on an https site."
        )
    if not config.get("MEDIA_S3_BUCKET"):
        settings = [n for n in config if n.startswith("MEDIA_S3_") and config.get(n)]
        if settings:
            found.append(f"{', '.join(sorted(settings))} set without MEDIA_S3_BUCKET: ignored.")
        return found
    if bool(config.get("MEDIA_S3_ACCESS_KEY_ID")) != bool(config.get("MEDIA_S3_SECRET_ACCESS_KEY")):
        found.append("Set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY, or neither.")
    return found


def media_location(config: dict) -> str:
    """Where photo files live and where readers get them."""
    if bucket := config.get("MEDIA_S3_BUCKET"):
        where = config.get("MEDIA_S3_ENDPOINT_URL") or "AWS S3"
        return f"S3 bucket {bucket!r} at {where}; public copies only while a story is public"
    folder = config.get("MEDIA_PATH") or Path(config["INSTANCE_PATH"]) / "media"
    return f"files under {folder}; /media/ answers only for photos of public stories"


def _timezone(config: dict) -> list[str]:
    try:
        ZoneInfo(config.get("EDITORIAL_TIMEZONE") or "")
    except (ZoneInfoNotFoundError, ValueError):
        return [f"EDITORIAL_TIMEZONE {config.get('EDITORIAL_TIMEZONE')!r} is not a time zone."]
    return []


def client_addresses(config: dict) -> str:
    """Where the app takes a client's address from (what every rate limit counts by)."""
    proxies = int(config.get("TRUSTED_PROXIES") or 0)
    if proxies == 0:
        note = "the connection itself; X-Forwarded-For is ignored (TRUSTED_PROXIES=0)"
        if urlparse(config.get("SITE_URL") or "").scheme == "https":
            note += (
                ". If a TLS proxy stands in front, set TRUSTED_PROXIES=1, or every visitor "
                "shares the proxy's address in the sign-in limits"
            )
        return note
    hops = "proxy" if proxies == 1 else "proxies"
    return f"X-Forwarded-For, {proxies} {hops} in front trusted (TRUSTED_PROXIES={proxies})"


def problems(app: Flask) -> list[str]:
    """Everything wrong with this app's configuration, in plain words."""
    config = app.config
    production = config["EDITORIAL_ENV"] == "production"
    return [
        *_secret(config),
        *_site_url(config, production),
        *_mail(config, production),
        *_storage(config),
        *_media(config),
        *_timezone(config),
    ]


@click.command("doctor")
def doctor_command() -> None:
    """Check the configuration; exit 1 and say what is wrong when something is."""
    click.echo(f"client addresses: {client_addresses(current_app.config)}")
    click.echo(f"photos: {media_location(current_app.config)}")
    found = problems(current_app)
    for problem in found:
        click.echo(f"problem: {problem}")
    if found:
        raise SystemExit(1)
    click.echo("configuration looks right")
