"""`flask doctor` on a good and on a broken configuration."""

from __future__ import annotations

from flask import Flask

GOOD = {
    "EDITORIAL_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "SITE_URL": "https://www.example-daily.test",
    "MAIL_SERVER": "smtp.example-daily.test",
    "MAIL_DEFAULT_SENDER": "newsroom@example-daily.test",
    "EDITORIAL_TIMEZONE": "Asia/Dhaka",
}


def test_a_good_production_configuration_passes(app: Flask) -> None:
    app.config.update(GOOD)
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "configuration looks right" in result.output


def test_a_broken_configuration_is_named_in_plain_words(app: Flask) -> None:
    app.config.update(
        GOOD,
        SECRET_KEY="short",
        SITE_URL="http://127.0.0.1:5000",
        MAIL_SERVER=None,
        EDITORIAL_TIMEZONE="Mars/Olympus",
    )
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "SECRET_KEY is 5 characters" in result.output
    assert "SITE_URL is not https" in result.output
    assert "MAIL_SERVER is not set" in result.output
    assert "'Mars/Olympus' is not a time zone" in result.output


def test_doctor_says_where_client_addresses_come_from(app: Flask) -> None:
    app.config.update(GOOD)
    direct = app.test_cli_runner().invoke(args=["doctor"]).output
    assert "client addresses: the connection itself; X-Forwarded-For is ignored" in direct
    assert "TRUSTED_PROXIES=0" in direct and "set TRUSTED_PROXIES=1" in direct  # https SITE_URL
    app.config["TRUSTED_PROXIES"] = 2
    behind = app.test_cli_runner().invoke(args=["doctor"])
    assert "client addresses: X-Forwarded-For, 2 proxies in front trusted" in behind.output
    assert behind.exit_code == 0


def test_doctor_says_where_photos_live_and_checks_the_s3_settings(app: Flask) -> None:
    app.config.update(GOOD)
    local = app.test_cli_runner().invoke(args=["doctor"])
    assert "photos: files under " in local.output and local.exit_code == 0
    app.config.update(
        MEDIA_S3_BUCKET="daily-photos",
        MEDIA_S3_ACCESS_KEY_ID="AKIDEXAMPLE",
        MEDIA_PUBLIC_BASE_URL="http://cdn.example-daily.test/photos",
    )
    s3 = app.test_cli_runner().invoke(args=["doctor"])
    assert s3.exit_code == 1
    assert "photos: S3 bucket 'daily-photos' at AWS S3" in s3.output
    assert "must end with '/'" in s3.output
    assert "MEDIA_PUBLIC_BASE_URL is not https" in s3.output
    assert "Set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY" in s3.output
    app.config.update(MEDIA_S3_BUCKET="")
    ignored = app.test_cli_runner().invoke(args=["doctor"])
    assert "MEDIA_S3_ACCESS_KEY_ID set without MEDIA_S3_BUCKET: ignored." in ignored.output
