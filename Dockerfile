# One image for web, worker, scheduler and migrate (see docker-compose.yml).
# Bookworm pinned: its postgresql-client is 15, the server's major version (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# curl: the web healthcheck. postgresql-client: pg_dump/pg_restore for `flask backup`; the
# image's Debian (bookworm) ships PostgreSQL 15, the major version compose's postgres runs
# (pg_dump refuses a newer server). psycopg ships its own libpq wheel.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY editorial ./editorial
COPY templates ./templates
# A regular (non-editable) install: templates and static files ship inside the package.
RUN pip install .
# gunicorn reads gunicorn.conf.py from the working directory (the metrics' dead-worker hook).
COPY wsgi.py gunicorn.conf.py ./

# Run as a user without privileges; the instance folder (beat schedule) is its only writable place.
RUN useradd --create-home --uid 10001 editorial \
    && mkdir -p /var/lib/editorial /backups /srv/media \
    && chown editorial:editorial /var/lib/editorial /backups /srv/media
USER editorial
ENV FLASK_APP=wsgi \
    EDITORIAL_INSTANCE=/var/lib/editorial

EXPOSE 8000
CMD ["gunicorn", "wsgi:app", "-w", "2", "-b", "0.0.0.0:8000"]
