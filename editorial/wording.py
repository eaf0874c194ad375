"""Words for what the system records in codes, in one place: no page shows `story.edited`.

`event_words()` says an audit event's action (`story.edited`, `staff.signed_in`...) as the
history and the audit log show it; a code with no words here yet reads from its last part
("staff.something_new" is "Something new"), never as the raw code. `the_newsroom()` puts
the site's name before "newsroom" with one article, whether or not the name has its own.
`delivery_choices()` says each e-mail choice (`daily`...) as the account and staff pages show it.
"""

from __future__ import annotations

from editorial.models import EmailDelivery

EVENT_WORDS = {
    "story.created": "Created the story",
    "story.edited": "Edited the text",
    "story.corrected": "Corrected the published story",
    "story.updated": "Updated the published story",
    "story.edited.live": "Changed the published story directly, without review",
    "story.update.saved": "Saved a pending update",
    "story.update.submitted": "Submitted an update for review",
    "story.update.changes_requested": "Asked for changes to the update",
    "story.update.approved": "Approved the update",
    "story.update.published": "Published the update",
    "story.update.discarded": "Discarded the update",
    "story.update.rebased": "Rebased the update on the live copy",
    "story.update.scheduled": "Scheduled the update",
    "story.update.unscheduled": "Unscheduled the update",
    "story.update.published.scheduled": "Update published at its scheduled time",
    "story.update.publish_failed": "Publishing a scheduled update failed",
    "story.commented": "Commented",
    "story.placed": "Changed the homepage placement",
    "story.submitted": "Submitted for review",
    "story.recalled": "Recalled the submission",
    "story.changes_requested": "Asked for changes",
    "story.approved": "Approved",
    "story.scheduled": "Scheduled",
    "story.unscheduled": "Unscheduled",
    "story.published": "Published",
    "story.published.scheduled": "Published by the scheduler",
    "story.publish_failed": "Publishing failed",
    "story.withdrawn": "Withdrew the story",
    "story.republished": "Republished",
    "story.unpublish.set": "Set a time to unpublish",
    "story.unpublish.cancelled": "Cancelled the unpublish",
    "story.withdrawn.scheduled": "Withdrawn by the scheduler at its unpublish time",
    "story.unpublish_failed": "Unpublishing failed",
    "story.spiked": "Spiked",
    "story.restored": "Restored from the spike",
    "story.style_overridden": "Went ahead despite the house-style checklist",
    "story.live.started": "Started live coverage",
    "story.live.ended": "Ended live coverage",
    "story.live.entry_posted": "Posted a live entry",
    "story.live.entry_edited": "Edited a live entry",
    "story.live.entry_deleted": "Deleted a live entry",
    "story.live.entry_pinned": "Pinned or unpinned a live entry",
    "frontpage.arranged": "Arranged the front page",
    "staff.created": "Created an account",
    "staff.updated": "Changed a person",
    "staff.deactivated": "Deactivated an account",
    "staff.reactivated": "Reactivated an account",
    "staff.invitation_sent": "Sent an invitation",
    "staff.invitation_accepted": "Accepted the invitation",
    "staff.password_reset_sent": "Sent a password reset link",
    "staff.password_reset_requested": "Asked for a password reset",
    "staff.password_reset": "Reset their password by e-mail link",
    "staff.password_changed": "Changed their password",
    "staff.profile_updated": "Updated their account settings",
    "staff.signed_in": "Signed in",
    "staff.locked": "Account locked after failed sign-ins",
    "staff.unlocked": "Unlocked their account",
    "desk.created": "Created a desk",
    "desk.renamed": "Renamed a desk",
    "desk.style_changed": "Changed a desk's house style",
    "desk.navigation": "Changed where a desk shows in the public navigation",
    "site.settings_changed": "Changed the site settings",
    "photo.uploaded": "Uploaded a photo",
    "photo.edited": "Edited a photo",
    "photo.deleted": "Deleted a photo",
    "photo.replaced": "Replaced a photo's file",
    "photo.focal_point_set": "Set a photo's focal point",
    "demo.stories_generated": "Generated demo stories",
}


def event_words(code: str) -> str:
    """An audit event's action in words."""
    if code in EVENT_WORDS:
        return EVENT_WORDS[code]
    last = code.rsplit(".", 1)[-1].replace("_", " ").strip()
    return last.capitalize() if last else "Something happened"


def the_newsroom(site: str) -> str:
    """'the Daily Star newsroom', but 'The Dhaka Chronicle newsroom' (never 'the The')."""
    if site.lower().startswith("the "):
        return f"{site} newsroom"
    return f"the {site} newsroom"


def delivery_choices(daily_hour: int) -> list[tuple[str, str]]:
    """The four ways an e-mail copy can reach a person, in words."""
    return [
        (EmailDelivery.IMMEDIATE.value, "Each one by e-mail, as it happens"),
        (EmailDelivery.HOURLY.value, "One e-mail an hour (a digest)"),
        (EmailDelivery.DAILY.value, f"One e-mail a day at {daily_hour:02d}:00 (a digest)"),
        (EmailDelivery.NONE.value, "No e-mail (in the newsroom only)"),
    ]
