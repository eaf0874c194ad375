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
