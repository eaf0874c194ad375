"""editorial: the newsroom system of a Dhaka daily. create_app() wires; it decides nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

PACKAGE = Path(__file__).resolve().parent
MAX_URL_INT = 2**31 - 1


def _template_folder() -> str:
    """Installed: templates ship inside the package. Checkout: the top-level templates/."""
    packaged = PACKAGE / "templates"
    return str(packaged if packaged.is_dir() else PACKAGE.parent / "templates")


class BoundedInt(IntegerConverter):
    """The `int` URL converter, limited to what an INTEGER column (every id) can hold.

    Anything larger is no row, so a 404 at routing; and since no URL number passes 2**31,
    arithmetic on one (a sitemap part times its size) stays inside a 64-bit database integer.
    """

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(url_map, *args, **kwargs)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: configuration, extensions, Celery, blueprints, errors, CLI."""
    from editorial import cli, errors, logs, metrics, security, sentry, templating
    from editorial.auth import bp as auth_bp
    from editorial.celery_app import celery_init_app
    from editorial.config import load_config
    from editorial.database import tune_sqlite
    from editorial.extensions import csrf, db, limiter, login_manager, migrate
    from editorial.health import bp as health_bp
    from editorial.inputs import CleanRequest, PrintableConverter
    from editorial.readiness import bp as readiness_bp
    from editorial.site import hitfirst

    config = load_config(overrides)
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        template_folder=_template_folder(),
        static_folder=str(PACKAGE / "static"),
    )
    app.config.update(config)
    # Ids beyond a 32-bit integer are 404s, not an OverflowError from the database driver.
    app.url_map.converters["int"] = BoundedInt
    # No control character (NUL above all) reaches a view from a path, a query or a form.
    app.url_map.converters["default"] = app.url_map.converters["string"] = PrintableConverter
    app.request_class = CleanRequest

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(PACKAGE / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    celery_init_app(app)
    from editorial import tasks  # noqa: F401  (registers the tasks with the worker)
    from editorial.admin import bp as admin_bp
    from editorial.api import bp as api_bp
    from editorial.newsroom import bp as newsroom_bp
    from editorial.site import bp as site_bp

    for blueprint in (auth_bp, newsroom_bp, admin_bp, api_bp, health_bp, readiness_bp, site_bp):
        app.register_blueprint(blueprint)

    hitfirst.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    logs.init_app(app)
    sentry.init_app(app)
    cli.init_app(app)
    return app
