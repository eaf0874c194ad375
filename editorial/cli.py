"""Command line: `flask staff ...`, `flask desks ...`, `flask demo`, `flask publish-due`
(and `flask doctor`, `flask backup ...` from their modules)."""

from __future__ import annotations

from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from editorial.extensions import db
from editorial.services.errors import ValidationFailed
from editorial.workflow import Role

staff_cli = AppGroup("staff", help="Manage staff accounts.")
desks_cli = AppGroup("desks", help="Manage desks.")
media_cli = AppGroup("media", help="Photo storage.")


def _fail(failed: ValidationFailed) -> NoReturn:
    for field, message in failed.errors.items():
        click.echo(f"error: {field}: {message}", err=True)
    raise SystemExit(1)


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@click.option("--desk", "desks", multiple=True, help="Desk slug; repeatable.")
@click.option("--password", required=True)
@click.option("--byline", default="")
def staff_create(
    email: str,
    name: str,
    roles: tuple[str, ...],
    desks: tuple[str, ...],
    password: str,
    byline: str,
) -> None:
    """Create a member of staff."""
    from editorial.models.loading import load_access
    from editorial.services.staff import create_person

    try:
        person = create_person(
            email=email,
            name=name,
            roles={Role(r) for r in roles},
            desk_slugs=list(desks),
            password=password,
            byline=byline,
        )
    except ValidationFailed as failed:
        _fail(failed)
    load_access(person)
    click.echo(f"created {person.email} ({', '.join(sorted(r.value for r in person.roles))})")


@staff_cli.command("deactivate")
@click.option("--email", required=True)
def staff_deactivate(email: str) -> None:
    """Deactivate an account; its sessions end at once."""
    from editorial.services.staff import deactivate, find_by_email

    person = find_by_email(email)
    if person is None:
        click.echo(f"error: no account for {email}", err=True)
        raise SystemExit(1)
    if not person.is_active:  # nothing to do, and nothing to record in the audit log
        click.echo(f"{person.email} is already deactivated")
        return
    try:
        deactivate(person, actor=None)
    except ValidationFailed as failed:
        _fail(failed)
    click.echo(f"deactivated {person.email}")


@desks_cli.command("create")
@click.option("--name", required=True)
@click.option("--slug", default=None)
def desks_create(name: str, slug: str | None) -> None:
    """Create a desk (also a section of the public site)."""
    from editorial.services.desks import create_desk

    try:
        desk = create_desk(name, slug or "", actor=None)
    except ValidationFailed as failed:
        _fail(failed)
    click.echo(f"created desk {desk.name} ({desk.slug})")


@click.command("demo")
@click.option(
    "--stories",
    "extra",
    type=int,
    default=0,
    help="Also add N published stories with generated text (for load tests).",
)
def demo_command(extra: int) -> None:
    """Seed the demo newsroom (if empty) and print how to sign in."""
    from editorial.demo import seed_demo
    from editorial.demo_stories import seed_generated_stories

    created = seed_demo()
    if extra:
        seed_generated_stories(extra)
        click.echo(f"added {extra} generated published stories")
    click.echo(created)


@click.command("publish-due")
@click.option("--dry-run", is_flag=True, help="List what is due without publishing.")
def publish_due_command(dry_run: bool) -> None:
    """Publish every scheduled story whose time has come (what the beat sweep does)."""
    from editorial.models import Story
    from editorial.services.publishing import due_condition, sweep
    from editorial.timeutil import utcnow

    if dry_run:
        due = db.session.scalars(select(Story).where(due_condition(utcnow()))).all()
        for story in due:
            click.echo(
                f"due: {story.id} {story.headline} (at {story.publish_at:%Y-%m-%d %H:%M} UTC)"
            )
        if not due:  # silence reads like a hang or a failure to someone trying the command
            click.echo("nothing is due")
        return
    published = sweep()
    click.echo(f"published {len(published)} stories")


@click.command("declare-queues")
def declare_queues_command() -> None:
    """Create the broker's queues before the workers start (what `make run` does first).

    kombu's SQLAlchemy transport, the embedded broker, creates a queue's row the first time a
    process uses it: a worker, beat and the web starting together race for the same row, and
    the loser's worker dies on the unique name. Declared once beforehand, nobody races.
    """
    from editorial.celery_app import TASK_QUEUES

    celery = current_app.extensions["celery"]
    with celery.connection_for_write() as connection:
        for queue in TASK_QUEUES:
            queue.bind(connection.default_channel).declare()
    click.echo(f"queues ready: {', '.join(q.name for q in TASK_QUEUES)}")


@media_cli.command("s3-setup")
def media_s3_setup() -> None:
    """Create the MEDIA_S3_BUCKET if missing and let everyone read its public prefix only."""
    from editorial.storage import StoreUnavailable, media_store
    from editorial.storage.s3 import S3Store

    store = media_store()
    if not isinstance(store, S3Store):
        raise click.ClickException("MEDIA_S3_BUCKET is not set: photos are local files.")
    try:
        done = store.setup()
    except StoreUnavailable as failed:
        raise click.ClickException(str(failed)) from None
    for line in done:
        click.echo(line)
    click.echo(f"readers get public photos at {store.public_base}<name>")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(desks_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(publish_due_command)
    app.cli.add_command(declare_queues_command)
    from editorial.backups import backup_cli
    from editorial.doctor import doctor_command

    app.cli.add_command(doctor_command)
    app.cli.add_command(backup_cli)
