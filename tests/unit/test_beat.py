"""Beat during a broker outage (issue 8): what it could not send goes out as soon as the
broker answers, not when the entry's schedule comes round again."""

from __future__ import annotations

from pathlib import Path

from celery import Celery
from celery.beat import SchedulingError

from editorial.celery_app import RECONNECT, QuietScheduler


class Outage(QuietScheduler):
    """A scheduler whose sends fail while `down` is true; it records what it sent."""

    down = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if self.down:
            raise SchedulingError(f"Couldn't apply scheduled task {entry.name}: refused")
        self.sent.append(entry.name)

    @property
    def producer(self):  # no broker in a unit test
        return None


def test_a_sweep_that_failed_is_sent_the_moment_the_broker_is_back(tmp_path: Path) -> None:
    app = Celery("beat-test", broker="memory://")
    app.conf.beat_schedule = {"publish:due": {"task": "t.sweep", "schedule": 3600.0}}
    scheduler = Outage(app=app, schedule_filename=str(tmp_path / "beat"))
    try:
        scheduler.down = True
        scheduler.apply_entry(scheduler.schedule["publish:due"])  # due: its send fails
        assert scheduler.sent == []
        assert scheduler.tick() == RECONNECT["interval_max"]  # still away: retried quickly

        scheduler.down = False
        scheduler.tick()  # an hour before its next run
        assert scheduler.sent == ["publish:due"]
        scheduler.tick()
        assert scheduler.sent == ["publish:due"]  # once
    finally:
        scheduler.close()
