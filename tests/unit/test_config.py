"""Configuration from the environment: the contract's variables and the production guard rails."""

from __future__ import annotations

from pathlib import Path

import pytest

from editorial.config import load_config


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EDITORIAL_ENV", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EDITORIAL_INSTANCE", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_production_refuses_to_start_without_a_secret(clean_env: Path) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        load_config()


def test_development_generates_a_secret_once_and_keeps_it(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITORIAL_ENV", "development")
    first, second = load_config()["SECRET_KEY"], load_config()["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (clean_env / "secret_key").read_text().strip() == first


def test_embedded_defaults_use_absolute_paths_under_instance(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_env / 'editorial.sqlite3'}"
    assert config["CELERY"]["broker_url"] == f"sqla+sqlite:///{clean_env}/celery-broker.sqlite3"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["EDITORIAL_TIMEZONE"] == "Asia/Dhaka"


def test_services_from_the_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/editorial")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/editorial"
    assert config["CELERY"]["broker_url"] == "redis://cache:6379/0"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def test_a_servers_connections_are_tested_as_they_leave_the_pool(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's can be lost (a restart): pre-ping. A SQLite file's cannot: no ping."""
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert load_config()["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": False}
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/editorial")
    engine = load_config()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert engine["pool_pre_ping"] is True
    assert engine["connect_args"] == {"options": "-c max_parallel_workers_per_gather=0"}


def test_cookies_are_secure_outside_development(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    production = load_config()
    assert production["SESSION_COOKIE_SECURE"] and production["SESSION_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("EDITORIAL_ENV", "development")
    assert not load_config()["SESSION_COOKIE_SECURE"]


def test_trusted_proxies_default_to_none_and_must_be_a_count(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert load_config()["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert load_config()["TRUSTED_PROXIES"] == 2
    for bad in ("-1", "one", "1.5"):
        monkeypatch.setenv("TRUSTED_PROXIES", bad)
        with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be a whole number"):
            load_config()
