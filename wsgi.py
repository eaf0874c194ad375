"""Entry point: `gunicorn wsgi:app`, `celery -A wsgi.celery_app worker|beat`, `flask ...`."""

from dotenv import load_dotenv

load_dotenv()  # a .env file, if present, configures the environment (never overrides it)

from editorial import create_app  # noqa: E402

app = create_app()
celery_app = app.extensions["celery"]
