"""Configuration from the environment (a `.env` file is read by wsgi.py if present)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEV_ENVIRONMENTS = {"development", "testing"}
DEFAULT_PORT = "5000"


# The photo store's settings (README, "Photo storage"); all blank: local files.
MEDIA_STORE_SETTINGS = (
    "MEDIA_S3_BUCKET",
    "MEDIA_S3_ENDPOINT_URL",
    "MEDIA_S3_REGION",
    "MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY",
    "MEDIA_S3_PUBLIC_BUCKET",
    "MEDIA_S3_PUBLIC_PREFIX",
    "MEDIA_S3_PUBLIC_ACL",
    "MEDIA_PUBLIC_BASE_URL",
)


def site_url(environ: Mapping[str, str]) -> str:
    """SITE_URL if set, else this machine at PORT (`PORT=8000 make run`): links must reach the
    port the web server really listens on."""
    configured = (
        environ.get("SITE_URL") or f"http://127.0.0.1:{environ.get('PORT') or DEFAULT_PORT}"
    )
    return configured.rstrip("/")


def _instance_path() -> Path:
    """The writable instance folder: `instance/` beside the checkout, or EDITORIAL_INSTANCE."""
    configured = os.environ.get("EDITORIAL_INSTANCE")
    if configured:
        return Path(configured).resolve()
    return (Path.cwd() / "instance").resolve()


def _development_secret(instance: Path) -> str:
    """Generate a secret once for development and keep it, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _embedded_broker(instance: Path) -> str:
    """kombu's SQLAlchemy transport in its own SQLite file (absolute path: four slashes)."""
    return f"sqla+sqlite:///{instance / 'celery-broker.sqlite3'}"


def _whole_number(name: str, default: str) -> int:
    """A count from the environment, refused in plain words when it is not one."""
    raw = os.environ.get(name, default).strip()
    if not raw.isdigit():
        raise RuntimeError(f"{name} must be a whole number (0 or more), not {raw!r}.")
    return int(raw)


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment plus explicit overrides."""
    overrides = overrides or {}
    env = overrides.get("EDITORIAL_ENV") or os.environ.get("EDITORIAL_ENV", "production")
    instance = Path(overrides.get("INSTANCE_PATH") or _instance_path())
    instance.mkdir(parents=True, exist_ok=True)
    is_dev = env in DEV_ENVIRONMENTS

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if not is_dev:
            raise RuntimeError(
                "SECRET_KEY is not set. Outside development the app refuses to start without "
                "one: export SECRET_KEY=<a long random string> (or put it in .env)."
            )
        secret = _development_secret(instance)

    redis_url = os.environ.get("REDIS_URL") or None
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'editorial.sqlite3'}"
    mail_server = os.environ.get("MAIL_SERVER") or None

    config: dict[str, Any] = {
        "EDITORIAL_ENV": env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        # Prefix of every Celery key in Redis, so deployments (or test runs) can share a database.
        "BROKER_KEY_PREFIX": os.environ.get("BROKER_KEY_PREFIX", ""),
        "EDITORIAL_TIMEZONE": os.environ.get("EDITORIAL_TIMEZONE", "Asia/Dhaka"),
        "SITE_NAME": os.environ.get("SITE_NAME", "The Dhaka Chronicle"),
        "SITE_TAGLINE": os.environ.get(
            "SITE_TAGLINE", "Founded 1972 · Independent since the first edition"
        ),
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "").lower() in {"1", "true", "yes"},
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "newsroom@editorial.local"),
        "MAIL_OUTBOX": str(instance / "outbox"),
        "SITE_URL": site_url(os.environ),
        # Session cookies: not readable from script, not sent cross-site, HTTPS-only in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not is_dev,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not is_dev,
        # A long article (200,000 Bangla characters is 600 KB) must fit: Werkzeug caps at 500 kB.
        "MAX_FORM_MEMORY_SIZE": 4 * 1024 * 1024,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # Photo uploads (their view raises the request cap to PHOTO_MAX_BYTES plus the form): a
        # 24-megapixel camera JPEG is 10-15 MB; 50 megapixels decode to 150 MB of RGB at most.
        "PHOTO_MAX_BYTES": 30 * 1024 * 1024,
        "PHOTO_MAX_PIXELS": 50_000_000,
        # A photo without renditions this long after upload has lost its job (a worker died,
        # the broker was away): beat queues it again. Longer than a big photo takes on a busy
        # worker (bench/renditions.py: 5 s for 24 megapixels).
        "PHOTO_RENDITIONS_GRACE_SECONDS": _whole_number("PHOTO_RENDITIONS_GRACE_SECONDS", "300"),
        # Where photo files live (README "Photo storage"): MEDIA_PATH on this machine, or an
        # S3-compatible bucket when MEDIA_S3_BUCKET is set. Readers fetch public renditions at
        # MEDIA_PUBLIC_BASE_URL + name (a CDN's address; /media/ or the bucket's own by default).
        "MEDIA_PATH": os.environ.get("MEDIA_PATH") or None,
        **{name: os.environ.get(name, "").strip() for name in MEDIA_STORE_SETTINGS},
        # How often beat checks the public copies against the database (S3 only): what a lost
        # publish or withdraw job missed is put right within this long.
        "MEDIA_PUBLIC_SWEEP_SECONDS": _whole_number("MEDIA_PUBLIC_SWEEP_SECONDS", "60"),
        # An editor may keep a story open all afternoon; an expired token must not cost the text,
        # and the editor view re-renders the posted text when it does expire.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        # Said for every app: Flask-Limiter's init_app otherwise inherits `enabled` from the
        # last app the shared limiter was given, so one app with limits off turned them off
        # for every app made after it in the process.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down must not lock the newsroom out: count per process until it is back (one
        # quick failed connection, then Flask-Limiter re-checks Redis with back-off).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "RATELIMIT_HEADERS_ENABLED": True,
        # How many reverse proxies stand in front of the app. 0 (the default): the client is
        # whoever opened the connection and X-Forwarded-* headers are ignored, so a forged
        # X-Forwarded-For cannot dodge the sign-in limits. N: the Nth address from the right
        # of X-Forwarded-For is the client's (see README, "Client addresses").
        "TRUSTED_PROXIES": _whole_number("TRUSTED_PROXIES", "0"),
        # Failed sign-ins (README, "Failed sign-ins"): per account from one address, per
        # address over all accounts, and per account from anywhere (that one locks the account
        # and e-mails its owner an unlock link).
        "LOGIN_LIMIT": os.environ.get("LOGIN_LIMIT", "5 per 15 minutes"),
        "LOGIN_ADDRESS_LIMIT": os.environ.get("LOGIN_ADDRESS_LIMIT", "20 per 15 minutes"),
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT", "50 per hour"),
        # Reset links asked for (README, "Failed sign-ins"): from one address over all accounts,
        # and for one account from anywhere, so no botnet can flood an owner's mailbox.
        "RESET_LIMIT": os.environ.get("RESET_LIMIT", "5 per 15 minutes"),
        "RESET_ACCOUNT_LIMIT": os.environ.get("RESET_ACCOUNT_LIMIT", "3 per hour"),
        # Twice a second: a story whose wake-up was held by a killed worker goes out within
        # about half a second (2 s let it be 1.1 s late; bench/publish_lag.py --mode faults).
        "PUBLISH_SWEEP_SECONDS": float(os.environ.get("PUBLISH_SWEEP_SECONDS", "0.5")),
        # A "sending" e-mail whose worker died is sent again after this (with the same
        # Message-ID); the SMTP conversation is cut off at half of it.
        "MAIL_SENDING_LEASE_SECONDS": float(os.environ.get("MAIL_SENDING_LEASE_SECONDS", "60")),
        # Digest e-mails: beat looks for ended periods this often (a digest goes out at most
        # this long after its hour or day ends); the daily one covers the day up to this hour,
        # newsroom time (before the morning meeting).
        "DIGEST_SWEEP_SECONDS": _whole_number("DIGEST_SWEEP_SECONDS", "60"),
        "DIGEST_DAILY_HOUR": _whole_number("DIGEST_DAILY_HOUR", "7"),
        "PUBLIC_CACHE_SECONDS": int(os.environ.get("PUBLIC_CACHE_SECONDS", "600")),
        "PUBLIC_CACHE_ENABLED": os.environ.get("PUBLIC_CACHE_ENABLED", "1") != "0",
        # Each web process keeps cached pages in its memory (in front of Redis when set).
        "PUBLIC_CACHE_MEMORY_BYTES": int(os.environ.get("PUBLIC_CACHE_MEMORY_BYTES", "67108864")),
        "ALLOW_SELF_APPROVAL": False,
        "CELERY": {
            "broker_url": redis_url or _embedded_broker(instance),
            "task_ignore_result": True,
            "timezone": "UTC",
            "enable_utc": True,
            "beat_schedule_filename": str(instance / "celerybeat-schedule"),
            # Touched by beat on every tick: the container health check reads its age.
            "beat_health_file": str(instance / "beat-alive"),
            "broker_connection_retry_on_startup": True,
            # A worker never gives up on a lost broker (the default stops after 100 tries).
            "broker_connection_max_retries": None,
        },
    }
    config.update(overrides)
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    engine = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A server's connection can be lost (a restart, a failover): each is tested as it leaves
    # the pool. A SQLite file's cannot, and the test was one more statement per request.
    engine.setdefault("pool_pre_ping", not uri.startswith("sqlite"))
    if uri.startswith("postgresql"):
        # Newsroom and site queries are short, LIMITed index walks: starting parallel workers
        # costs more than it saves (a reporter's stories on 100,000: 25 ms in parallel, 5 ms
        # without; see bench/newsroom.py). Reports may turn it back on per session.
        connect_args = dict(engine.get("connect_args") or {})
        connect_args.setdefault("options", "-c max_parallel_workers_per_gather=0")
        engine["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine
    return config
