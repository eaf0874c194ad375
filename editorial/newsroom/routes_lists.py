"""The newsroom's lists: my stories, desk queue, budget, calendar, search, notifications."""

from __future__ import annotations

import calendar as calendar_module
from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.exceptions import abort

from editorial import keyset
from editorial.extensions import db
from editorial.models import Notification
from editorial.newsroom import planning, queries
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import filter_args, person, tz
from editorial.newsroom.forms import parse_day, parse_month, search_filters
from editorial.newsroom.rows import by_state
from editorial.newsroom.visibility import edited_desk_ids
from editorial.services.notifications import mark_read
from editorial.timeutil import utcnow
from editorial.workflow import StoryState

CALENDAR_PER_DAY = 6  # stories shown in a calendar day; "+N more" links to the day's budget


def _today() -> date:
    return utcnow().astimezone(tz()).date()


@bp.get("/")
@login_required
def home():
    """My stories by state; for editors, what needs attention on their desks."""
    me = person()
    return render_template(
        "newsroom/home.html",
        groups=queries.my_stories(me),
        attention=queries.needs_attention(me),
        late_unpublishes=queries.late_unpublishes(me),
        late_updates=queries.late_updates(me),
        waiting=queries.queue_count(me),
        is_editor=bool(edited_desk_ids(me)),
        me_id=me.id,
    )


@bp.get("/queue")
@login_required
def queue():
    """Submitted stories of my desks, oldest first, with how long each has waited; then the
    pending updates of published stories waiting for the desk."""
    me = person()
    before, after = keyset.requested()
    if before is not None:  # the queue walks one way, from the oldest
        abort(400, keyset.BAD_CURSOR)
    return render_template(
        "newsroom/queue.html",
        page=queries.desk_queue(me, after=after),
        page_size=queries.QUEUE_PAGE,
        first=after is None,
        updates=queries.update_queue(me) if after is None else [],
        now=utcnow(),
    )


@bp.get("/budget")
@login_required
def budget():
    """Every story of my desks for a day (default today, newsroom time), by state."""
    today = _today()
    day, error = parse_day(request.args.get("day"), today)
    stories = planning.budget(person(), day, tz())
    return render_template(
        "newsroom/budget.html",
        day=day,
        today=today,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        groups=by_state(stories),
        total=len(stories),
        limit=planning.BUDGET_LIMIT,
        error=error,
    ), (400 if error else 200)


@bp.get("/calendar")
@login_required
def calendar():
    """Scheduled and published stories per day of a month, as a grid."""
    today = _today()
    first, error = parse_month(request.args.get("month"), today)
    weeks = calendar_module.Calendar(firstweekday=calendar_module.SUNDAY).monthdatescalendar(
        first.year, first.month
    )
    # The whole grid: the days of the months either side show their stories too.
    by_day, totals = planning.calendar_entries(
        person(), weeks[0][0], tz(), CALENDAR_PER_DAY, until=weeks[-1][-1] + timedelta(days=1)
    )
    last_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return render_template(
        "newsroom/calendar.html",
        first=first,
        weeks=weeks,
        by_day=by_day,
        totals=totals,
        today=today,
        last_month=last_month,
        next_month=next_month,
        weekdays=[calendar_module.day_abbr[(d + 6) % 7] for d in range(7)],
        per_day=CALENDAR_PER_DAY,
        error=error,
    ), (400 if error else 200)


@bp.get("/search")
@login_required
def search():
    """Full text and filters over the stories I may see, a keyset page of 25 at a time
    (?before= older, ?after= newer; an old ?page=N is ignored: the first page)."""
    me = person()
    before, after = keyset.requested()
    filters, errors = search_filters(request.args, tz())
    searched = bool(request.args) and not errors
    page = queries.search(me, filters, before=before, after=after) if searched else None
    return render_template(
        "newsroom/search.html",
        filters=filters,
        errors=errors,
        page=page,
        searched=searched,
        args=filter_args("q", "state", "desk", "author", "from", "to"),
        desks=me.desks,
        people=queries.colleagues(me),
        states=list(StoryState),
    ), (400 if errors else 200)


@bp.get("/notifications")
@login_required
def notifications():
    """The notification centre, newest first; unread ones stand out."""
    before, after = keyset.requested()
    page = queries.notifications(person(), before=before, after=after)
    return render_template("newsroom/notifications.html", notifications=page.items, page=page)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_notification(notification_id: int):
    """Mark one of my notifications read (someone else's is a 404)."""
    me = person()
    row = db.session.get(Notification, notification_id)
    if row is None or row.person_id != me.id:
        abort(404)
    mark_read(me, notification_id)
    return redirect(url_for(".notifications"))


@bp.post("/notifications/read-all")
@login_required
def read_all_notifications():
    """Mark every notification of mine read."""
    count = mark_read(person())
    flash(f"Marked {count} notification{'s' if count != 1 else ''} read.", "success")
    return redirect(url_for(".notifications"))
