"""docker-compose.yml and the Dockerfile describe the production stack the README promises.

No Docker engine (or compose plugin) is needed: check-jsonschema validates the file against the
Compose Specification's JSON schema (the copy it ships, so no network), then the file is parsed
as YAML (merge keys resolved) and checked for what the schema cannot know: the services, their
commands, restart policies, health checks, start order and environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("web", "publisher", "worker", "scheduler", "migrate")
ONE_SHOTS = ("migrate", "s3-setup")  # run once and exit
# Any attempt to fetch a schema goes to a closed port and fails: the check must be offline.
NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
CHECKER = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]


def compose_errors(path: Path) -> list[str]:
    """The Compose Specification schema's complaints about `path` (none: valid)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"no_proxy", "all_proxy"}}
    result = subprocess.run(
        [*CHECKER, "--output-format", "json", str(path)],
        capture_output=True,
        text=True,
        env=env | NO_NETWORK,
        timeout=60,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"check-jsonschema gave no report ({result.returncode}): {result.stderr}")
    assert (report["status"] == "ok") == (result.returncode == 0), result
    return [f"{e['path']}: {e['message']}" for e in report["errors"]]


def test_compose_file_follows_the_compose_specification() -> None:
    assert compose_errors(COMPOSE) == []


@pytest.mark.parametrize(
    ("valid", "broken", "complaint"),
    [
        ("    healthcheck:", "    helthcheck:", "'helthcheck' was unexpected"),
        ("restart: unless-stopped", "restart: [unless-stopped]", "is not of type 'string'"),
        ("service_healthy", "service_ready", "is not valid under any of the given schemas"),
    ],
)
def test_the_schema_check_refuses_a_broken_file(
    tmp_path: Path, valid: str, broken: str, complaint: str
) -> None:
    """The check can fail: a misspelt key, a wrong type or an unknown condition is refused."""
    text = COMPOSE.read_text()
    assert valid in text
    mutated = tmp_path / "docker-compose.yml"
    mutated.write_text(text.replace(valid, broken))
    errors = compose_errors(mutated)
    assert errors and any(complaint in error for error in errors), errors


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _healthcheck(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_required_services(compose: dict) -> None:
    services = compose["services"]
    for name in (*APP_SERVICES, "postgres", "redis", "mailpit"):
        assert name in services, f"missing service {name}"
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "mailpit" in services["mailpit"]["image"]
    ports = " ".join(services["mailpit"].get("ports", []))
    assert "8025" in ports  # the mail catcher's web UI


def test_commands(compose: dict) -> None:
    services = compose["services"]
    web = _command(services["web"])
    assert web.startswith("gunicorn wsgi:app") and "-w 2" in web and "0.0.0.0:8000" in web
    worker = _command(services["worker"])
    assert worker.startswith("celery -A wsgi.celery_app worker") and "--pool=threads" in worker
    assert _command(services["scheduler"]).startswith("celery -A wsgi.celery_app beat")
    assert _command(services["migrate"]) == "flask db upgrade"
    assert services["migrate"].get("restart") == "no"  # one-shot
    assert "deploy" not in services["scheduler"]  # never replicated: two beats run tasks twice


def test_healthchecks(compose: dict) -> None:
    services = compose["services"]
    assert "pg_isready" in _healthcheck(services["postgres"])
    assert "redis-cli ping" in _healthcheck(services["redis"])
    web = _healthcheck(services["web"])
    assert "curl" in web and "/healthz" in web
    assert "healthcheck" in services["mailpit"]


def test_start_order(compose: dict) -> None:
    services = compose["services"]
    web = services["web"]["depends_on"]
    assert web["migrate"]["condition"] == "service_completed_successfully"
    assert web["postgres"]["condition"] == "service_healthy"
    assert web["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "migrate" not in services["migrate"]["depends_on"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_environment_is_wired(compose: dict) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        # Compose refuses to start without a secret rather than run with a weak default.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", env["SECRET_KEY"]), env["SECRET_KEY"]
        assert env["MAIL_SERVER"] == "mailpit" and str(env["MAIL_PORT"]) == "1025"
        assert env["EDITORIAL_ENV"] == "production"
        assert services[name]["build"] == "."


def test_web_workers_share_their_metrics_in_an_empty_folder(compose: dict) -> None:
    """Multiprocess mode (tests/integration/test_gunicorn_metrics.py runs it): the folder is
    a tmpfs, empty at each start, and the image carries gunicorn.conf.py's dead-worker hook."""
    web = compose["services"]["web"]
    folder = web["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert folder in web["tmpfs"]
    assert web["environment"]["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
    assert re.search(r"^COPY .*\bgunicorn\.conf\.py\b", (ROOT / "Dockerfile").read_text(), re.M)


def test_volumes_are_declared(compose: dict) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_dockerfile_builds_the_app() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "pip install ." in dockerfile
    assert "curl" in dockerfile  # the web healthcheck needs it
    assert re.search(r"^USER \w+", dockerfile, re.MULTILINE)  # not root
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"


def test_every_long_running_service_restarts_and_workers_report_health(compose: dict) -> None:
    """Anything that exits comes back; worker and beat have health checks (issue 8)."""
    services = compose["services"]
    for name, service in services.items():
        if name in ONE_SHOTS:
            assert service.get("restart") == "no", name
        else:
            assert service.get("restart") == "unless-stopped", name
    for worker in ("publisher", "worker"):
        assert "inspect ping" in _healthcheck(services[worker]), worker
    assert "beat-alive" in _healthcheck(services["scheduler"])


def test_proxy_headers_are_trusted_only_behind_a_proxy(compose: dict) -> None:
    """TRUST 26: gunicorn is published directly, so no X-Forwarded-For may be believed;
    a forged one would otherwise give every sign-in guess a fresh address."""
    services = compose["services"]
    assert any(port.endswith(":8000") for port in services["web"]["ports"])
    for name in APP_SERVICES:
        assert str(services[name]["environment"]["TRUSTED_PROXIES"]) == "0", name


def test_the_images_pg_dump_matches_the_postgres_server(compose: dict) -> None:
    """pg_dump refuses a server of a newer major version: `flask backup` in the app image
    needs the client of the server's major version."""
    major = compose["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"postgresql-client-{major}" in dockerfile
    assert "FROM python:3.11-slim-bookworm" in dockerfile  # whose apt has that client


def test_a_backup_service_writes_archives_to_a_volume(compose: dict) -> None:
    backup = compose["services"]["backup"]
    assert "flask backup create --to /backups/" in " ".join(backup["command"])
    assert "backups:/backups" in backup["volumes"] and "backups" in compose["volumes"]
    assert "/backups" in (ROOT / "Dockerfile").read_text()  # made writable for the app user
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert "METRICS_TOKEN" in env and "SENTRY_DSN" in env, name


def test_photos_are_on_one_volume_for_web_worker_and_backup(compose: dict) -> None:
    """Web stores an upload, the worker renders it, web serves it, the backup archives it:
    on each container's own disk the worker would never see the original."""
    services = compose["services"]
    for name in ("web", "worker", "backup"):
        assert services[name]["environment"]["MEDIA_PATH"] == "/srv/media", name
        assert "media:/srv/media" in services[name]["volumes"], name
    assert "media" in compose["volumes"]
    assert "/srv/media" in (ROOT / "Dockerfile").read_text()  # made writable for the app user


def test_photos_may_go_to_an_s3_bucket_minio_optional(compose: dict) -> None:
    """Issue 10 "Storage": the MEDIA_S3_* settings reach every app container (blank: the
    volume); MinIO and the bucket's setup run only with `--profile minio`."""
    services = compose["services"]
    names = ("BUCKET", "ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY")
    for name in (*APP_SERVICES, "backup", "publisher"):
        env = services[name]["environment"]
        for setting in [f"MEDIA_S3_{n}" for n in names] + ["MEDIA_PUBLIC_BASE_URL"]:
            assert env[setting] == f"${{{setting}:-}}", (name, setting)
    assert services["minio"]["profiles"] == ["minio"] == services["s3-setup"]["profiles"]
    assert _command(services["s3-setup"]) == "flask media s3-setup"
    assert services["s3-setup"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert all(port.startswith("127.0.0.1:") for port in services["minio"]["ports"])
    for name, service in services.items():
        if name not in ("minio", "s3-setup"):
            assert "profiles" not in service, name  # the default stack needs no MinIO
