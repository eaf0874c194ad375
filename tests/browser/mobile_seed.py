"""Seed the live stack with the text that breaks narrow layouts, then print ids and routes as JSON.

Run by tests/browser/test_mobile.py as `python -m tests.browser.mobile_seed` against the live
stack's instance (the same environment as `flask demo`). It adds, through the real services:
a reporter with a long Bangla name and a long e-mail address, a dozen desks with long names
(hidden from the public navigation, so the reader's pages other tests look at do not change),
and stories with long headlines, unbroken Bangla words and a long URL: an unpublished one with
revisions (a diff), comments, an @mention, live entries, others in every state the lists group
by, and two published ones with a pending update (one being written over a live copy changed
since, one scheduled a month ahead); those two are public, on the National desk.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from editorial.demo import DEMO_PASSWORD
from editorial.demo_photos import draw
from editorial.demo_stories import NASREEN, advance, person, write
from editorial.extensions import db
from editorial.models import LiveEntry, Notification, Story
from editorial.models.loading import load_missing
from editorial.services import photos, renditions
from editorial.services.comments import add_comment
from editorial.services.desks import create_desk, set_navigation
from editorial.services.live import EntryInput, post_entry, start_live_coverage
from editorial.services.revisions import CorrectionInput
from editorial.services.scheduled_updates import schedule_update
from editorial.services.staff import create_person
from editorial.services.stories import save_story
from editorial.services.updates import save_update, transition_update
from editorial.site.queries import story_url
from editorial.timeutil import utcnow
from editorial.workflow import Action, Role
from tests.integration.test_stories import edit  # the story's fields, with changes

TESTER = "mohammad.abdullah.al.mamun.chowdhury.staff.reporter@editorial.local"
TESTER_NAME = "মোহাম্মদ আব্দুল্লাহ আল মামুন চৌধুরী"
LONG_WORD = "পরিবেশবিজ্ঞানসম্মতজলবায়ুপরিবর্তনপ্রতিরোধমূলকপদক্ষেপসমূহবাস্তবায়নকারীকর্তৃপক্ষ"
TAG = "জলবায়ুপরিবর্তনপ্রতিরোধমূলকপদক্ষেপসমূহ"  # tags are at most 60 characters
LONG_URL = (
    "https://www.moef.gov.bd/site/press_release/2026/12/01/"
    "national-adaptation-plan-implementation-progress-report-for-coastal-districts-final.pdf"
    "?utm_source=newsroom&utm_medium=mobile&utm_campaign=climate-adaptation-coverage"
)
DESKS = [
    "Environment, Climate Change and Disaster Management",
    "প্রবাসী কল্যাণ ও বৈদেশিক কর্মসংস্থান",
    "Science, Technology and Innovation",
    "Education and Youth Affairs",
    "Health and Family Welfare",
    "Agriculture, Fisheries and Livestock",
    "Law, Courts and Human Rights",
    "Arts, Culture and Entertainment",
    "Chittagong Bureau",
    "Rajshahi Bureau",
    "Khulna Bureau",
    "Sylhet Bureau",
]
HEADLINE = (
    f"Coastal districts brace for {LONG_WORD} as cyclone season returns to the Bay of Bengal "
    "and Sidr-era embankments age"
)
BODY = [
    "Embankment repairs along the Satkhira and Khulna coast are running months behind "
    "schedule, officials of the Water Development Board said yesterday.",
    f"The ministry's progress report ({LONG_URL}) lists 38 polders still waiting for work.",
    f"স্থানীয় বাসিন্দারা বলছেন, {LONG_WORD} এখনো কাগজে-কলমে রয়ে গেছে।",
]


def _desks() -> list[int]:
    ids = []
    for name in DESKS:
        created = create_desk(name, actor=None)
        set_navigation(created, str(created.position), False, actor=None)
        ids.append(created.id)
    return ids


def _photo(actor_email: str) -> int:
    data = photos.PhotoInput(
        caption=f"{LONG_WORD}: the embankment at Gabura after the tide, seen from {LONG_URL}",
        credit="Shahriar Mohammad Abdullah / The Dhaka Chronicle Photo Desk",
        alt_text="A mud embankment with sandbags on a grey riverbank.",
        tags=[TAG, "Cyclone preparedness in the southwest coastal belt"],
    )
    photo = photos.upload_photo(io.BytesIO(draw("national")), data, actor=person(actor_email))
    renditions.make_renditions(photo.id)
    return photo.id


def _main_story(photo_id: int) -> Story:
    """Revisions 1-3 (so a diff), submitted, commented on, live with entries."""
    story = write(
        TESTER,
        "national",
        HEADLINE,
        f"A standfirst with an unbroken word, {LONG_WORD}, and a link: {LONG_URL}",
        "\n\n".join(BODY),
        dateline="SATKHIRA, KHULNA AND BAGERHAT COASTAL DISTRICTS",
        tags=[TAG, "Cyclone preparedness"],
        byline="Staff Correspondent, Satkhira and Khulna",
        lead_photo_id=photo_id,
    )
    for extra in (f"Second thoughts: {LONG_WORD}.", f"Third draft with {LONG_URL} again."):
        body = story.body.replace(BODY[0], BODY[0] + " " + extra)
        save_story(story, edit(story, body=body), actor=person(TESTER),
                   expected_version=story.version, summary=f"Added: {extra}")  # fmt: skip
    start_live_coverage(story, actor=person(TESTER))
    for text in (f"Water is over the road at Shyamnagar: {LONG_URL}", f"{LONG_WORD} ঘোষণা"):
        post_entry(story, EntryInput(body=text), actor=person(TESTER))
    advance(story, NASREEN, "submitted", note=f"Please check the figures in {LONG_URL}")
    add_comment(story, f"@nasreen.akter the link {LONG_URL} says 38; {LONG_WORD}?",
                actor=person(TESTER))  # fmt: skip
    return story


def _published_with_update(topic: str, addition: str) -> Story:
    """A published story and the tester's saved update adding `addition` to its body."""
    story = write(TESTER, "national", f"{topic}: {LONG_WORD}", "Standfirst.", "\n\n".join(BODY))
    advance(story, NASREEN, "published")
    db.session.refresh(story)
    update = edit(story, body=story.body + f"\n\nUpdate: {addition}")
    save_update(story, update, actor=person(TESTER), expected_version=0)
    return story


def _updated_story() -> Story:
    """Published, with an update being written (the update editor opens only for an update not
    yet submitted) and a direct change of the live copy since (so the three-way comparison has
    something to show)."""
    story = _published_with_update("Embankment repairs", f"{LONG_WORD} at {LONG_URL}")
    db.session.refresh(story)
    live = edit(story, body=story.body.replace(BODY[0], BODY[0] + f" Corrected: {LONG_WORD}."))
    save_story(story, live, actor=person(NASREEN), expected_version=story.version)
    return story


def _scheduled_story() -> Story:
    """Published, with an approved update scheduled a month ahead with a long Update notice
    (the story page's "Scheduled to go live" line and its Unschedule and Publish buttons)."""
    story = _published_with_update("Polder repairs", f"{LONG_WORD}.")
    transition_update(story, Action.SUBMIT_UPDATE, actor=person(TESTER))
    transition_update(story, Action.APPROVE_UPDATE, actor=person(NASREEN))
    notice = CorrectionInput(f"The repair figures for {LONG_WORD} are from {LONG_URL}", False)
    at = utcnow() + timedelta(days=30)  # pending for the whole run: the scheduler leaves it be
    schedule_update(story, actor=person(NASREEN), publish_at=at, notice=notice)
    db.session.refresh(story)
    return story


def _others() -> None:
    """One more story in each state the lists group by, with long unbroken words."""
    for n, state in enumerate(["draft", "submitted", "changes_requested", "approved", "scheduled"]):
        story = write(
            TESTER,
            "national",
            f"{state.title()}: {LONG_WORD} ({n}) in the coverage plan for 2027",
            f"{LONG_URL}#{n}",
            f"{LONG_WORD}\n\n{LONG_URL}",
        )
        if state != "draft":
            advance(story, NASREEN, state, note=f"{LONG_WORD} {LONG_URL}")


def seed() -> dict[str, object]:
    create_person(
        email=TESTER,
        name=TESTER_NAME,
        byline=f"Staff Correspondent ({LONG_WORD})",
        roles={Role.REPORTER},
        desk_slugs=["national", "city"],
        password=DEMO_PASSWORD,
    )
    desk_ids = _desks()
    photo_id = _photo(TESTER)
    story = _main_story(photo_id)
    _others()
    updated = _updated_story()
    scheduled = _scheduled_story()
    live = db.session.scalars(
        select(Story).where(Story.live_started_at.is_not(None), Story.id != story.id)
    ).first()  # the demo's live match report: published, so its public entries page exists
    assert live is not None and live.first_published_at is not None
    load_missing(live, "desk")
    article = story_url(live.desk.slug, live.first_published_at, live.slug)
    return {
        "tester": TESTER,
        "story_id": story.id,
        "updated_story_id": updated.id,
        "scheduled_story_id": scheduled.id,
        "person_id": person(TESTER).id,
        "desk_id": desk_ids[0],
        "photo_id": photo_id,
        "live_entries_path": f"{article}/live",
        "notification_id": db.session.scalar(select(Notification.id).limit(1)),
        "entry_id": db.session.scalar(select(LiveEntry.id).where(LiveEntry.story_id == story.id)),
    }


def routes(app: Flask) -> list[dict[str, object]]:
    """Every GET route: the pages the test visits come from here, not from a list."""
    return [
        {"endpoint": r.endpoint, "rule": r.rule, "arguments": sorted(r.arguments)}
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ())
    ]


def main() -> None:
    """`python -m tests.browser.mobile_seed OUT.json`: seed, then write ids and GET routes."""
    from wsgi import app

    with app.app_context():
        found = {"ids": seed(), "routes": routes(app)}
    Path(sys.argv[1]).write_text(json.dumps(found), encoding="utf-8")


if __name__ == "__main__":
    main()
