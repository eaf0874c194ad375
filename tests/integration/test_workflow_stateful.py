"""Random sequences of newsroom actions against the real services (Hypothesis state machine).

Each example builds its own desks and staff in the test's SQLite database. Random people try
random transitions, saves (some from stale versions), placements, scheduler runs with a "now" in
the future, live coverage (marking live, entries posted, edited, deleted and pinned, coverage
ended), unpublish times set and cancelled and the scheduler's withdrawals. After every step:
states are legal, published stories (and only they) are public and have their times, every
change left exactly one audit event and bumped the version (live changes and unpublish times:
an event, no version), and every refusal left nothing behind; no entry is later than its
coverage's end, a story has at most one pinned entry, and readers get the entries of public
stories only. What each transition wrote besides its state is checked against the `effects`
column of the workflow table, and nothing else of those columns moved.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import AuditEvent, LiveEntry, Placement, Revision, Story, StoryUpdate
from editorial.models.loading import actor_of, facts_of
from editorial.services import live, scheduled_updates, unpublishing
from editorial.services.errors import StaleStory, ValidationFailed
from editorial.services.publishing import publish_due_stories
from editorial.services.settings import workflow_policy
from editorial.services.stories import StoryInput, save_story, set_placement
from editorial.services.transitions import transition_story
from editorial.services.updates import (
    LiveCopyChanged,
    StaleUpdate,
    live_changed,
    pending_update,
    publish_update,
    rebase_update,
    save_update,
    transition_update,
    update_facts,
    update_input,
)
from editorial.site import live as site_live
from editorial.timeutil import utcnow
from editorial.workflow import (
    HUMAN_ACTIONS,
    REOPEN_EFFECTS,
    REOPENED_STATE,
    TRANSITIONS,
    UNPUBLISH_ACTIONS,
    UPDATE_BUTTONS,
    Action,
    Coverage,
    Effect,
    StoryState,
    WorkflowError,
    allowed_actions,
    allowed_live_actions,
    allowed_unpublish_actions,
    allowed_update_actions,
    can_rebase_update,
    can_write_update,
    check,
    reopens_review,
)

S = StoryState
PEOPLE = ["reporter A", "reporter A2", "reporter B", "editor A", "editor A2", "editor AB"]
HEADLINES = ["Rain in Dhaka", "ঢাকায় বৃষ্টি", "x" * 201, ""]
BODIES = ["The body.", "", "বাংলা লেখা, দ্বিতীয় অনুচ্ছেদ।"]
NOTES = ["Because.", "", "   "]
# Offsets of a schedule time from the real now; negative ones must be refused.
SCHEDULE_OFFSETS = [timedelta(hours=2), timedelta(minutes=-5), timedelta(days=3), None]
SWEEP_OFFSETS = [timedelta(hours=3), timedelta(days=4), timedelta(0)]
REFUSALS = (WorkflowError, ValidationFailed, StaleStory, StaleUpdate)
# Pending updates, forward moves first; REBASE: resolve a three-way comparison (keep mine).
UPDATE_ORDER = [
    Action.SAVE_UPDATE,
    Action.SUBMIT_UPDATE,
    Action.APPROVE_UPDATE,
    Action.PUBLISH_UPDATE,
    Action.SCHEDULE_UPDATE,
    Action.UNSCHEDULE_UPDATE,
    Action.REQUEST_UPDATE_CHANGES,
    Action.DISCARD_UPDATE,
]
assert set(UPDATE_ORDER) == {Action.SAVE_UPDATE, *UPDATE_BUTTONS}
# Schedule update's times: in range, past (refused), and past a pending unpublish (refused).
UPDATE_OFFSETS = [timedelta(hours=2), timedelta(minutes=-5), timedelta(hours=5)]
REBASE = "rebase"
LIVE_ORDER = [
    Action.POST_ENTRY,
    Action.START_LIVE,
    Action.EDIT_ENTRY,
    Action.PIN_ENTRY,
    Action.DELETE_ENTRY,
    Action.END_LIVE,
]
# Hypothesis favours early choices: put the moves that lead somewhere first.
FORWARD = [
    Action.SUBMIT,
    Action.APPROVE,
    Action.SCHEDULE,
    Action.PUBLISH,
    Action.WITHDRAW,
    Action.REPUBLISH,
    Action.UNSCHEDULE,
    Action.REQUEST_CHANGES,
    Action.RECALL,
    Action.RESTORE,
    Action.SPIKE,
]


E = Effect
# The story columns the table's effects write (the rest are the editor's text and bookkeeping).
EFFECT_COLUMNS = {
    E.MARK_SUBMITTED: ("was_submitted", "submitted_at"),
    E.SET_SCHEDULE: ("publish_at",),
    E.CLEAR_SCHEDULE: ("publish_at",),
    E.CLEAR_FAILURE: ("publish_failed_at", "publish_error"),
    E.STAMP_PUBLISHED: ("published_at", "first_published_at"),
    E.SET_UNPUBLISH: ("unpublish_at", "unpublish_note", "unpublish_failed_at", "unpublish_error"),
    E.CLEAR_UNPUBLISH: ("unpublish_at", "unpublish_note", "unpublish_failed_at", "unpublish_error"),
}
# Offsets of an unpublish time: past ones, and ones before a scheduled publish, are refused.
HOURS_4 = timedelta(hours=4)
UNPUBLISH_OFFSETS = [HOURS_4, timedelta(minutes=30), timedelta(minutes=-5), None]
COLUMNS = sorted({c for columns in EFFECT_COLUMNS.values() for c in columns})


def effect_columns(story: Story) -> dict[str, object]:
    return {c: getattr(story, c) for c in COLUMNS}


def assert_effects(effects, before: dict, after: Story, since, until, publish_at=None) -> None:
    """`after` shows exactly the effects (applied between `since` and `until`); every other
    column an effect could write kept its value."""
    written = {c for e in effects for c in EFFECT_COLUMNS.get(e, ())}
    for column in set(COLUMNS) - written:
        assert getattr(after, column) == before[column], column
    if E.MARK_SUBMITTED in effects:
        assert after.was_submitted and since <= after.submitted_at <= until
    if E.SET_SCHEDULE in effects:
        assert after.publish_at == publish_at
    if E.CLEAR_SCHEDULE in effects:
        assert after.publish_at is None
    if E.CLEAR_FAILURE in effects:
        assert (after.publish_failed_at, after.publish_error) == (None, "")
    if E.SET_UNPUBLISH in effects:
        assert after.unpublish_at == publish_at and after.unpublish_note
        assert (after.unpublish_failed_at, after.unpublish_error) == (None, "")
    if E.CLEAR_UNPUBLISH in effects:
        assert (after.unpublish_at, after.unpublish_note) == (None, "")
    if E.STAMP_PUBLISHED in effects:
        assert since <= after.published_at <= until
        assert after.first_published_at == (before["first_published_at"] or after.published_at)
    if E.AFTER_EMBARGO in effects:
        assert after.embargo_at is None or after.embargo_at <= until


def public_ids() -> set[int]:
    """What a reader could see: the public site's filter."""
    now = utcnow()
    return set(
        db.session.scalars(
            select(Story.id).where(
                Story.state == S.PUBLISHED,
                (Story.embargo_at.is_(None)) | (Story.embargo_at <= now),
            )
        )
    )


def public_entry_ids(story: Story) -> set[int]:
    """The entries the reader's page would show (every page, pinned included)."""
    coverage = site_live.coverage_of(story, None) if story.live_started_at else None
    if coverage is None:
        return set()
    found = {e.id for e in coverage.entries} | ({coverage.pinned.id} if coverage.pinned else set())
    while coverage.older:
        coverage = site_live.coverage_of(story, coverage.older)
        found |= {e.id for e in coverage.entries}
    return found


def events(story_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.story_id == story_id)
    )


def counts(column, story_ids: list[int]) -> dict[int, int]:
    """Rows per story in the table of `column` (a story_id column)."""
    return dict(
        db.session.execute(
            select(column, func.count()).where(column.in_(story_ids)).group_by(column)
        ).all()
    )


class Newsroom(RuleBasedStateMachine):
    """The model: for each story, how many changes succeeded (so its version and audit count)."""

    make = None  # the Factory, set by the test
    desks: dict = {}  # built once per test by build_newsroom(); examples share the staff
    people: dict = {}

    stories = Bundle("stories")

    @classmethod
    def build_newsroom(cls, make) -> None:
        cls.make = make
        desk_a, desk_b = make.desk(), make.desk()
        cls.desks = {"A": desk_a, "B": desk_b}
        cls.people = {
            "reporter A": make.reporter(desk_a),
            "reporter A2": make.reporter(desk_a),
            "reporter B": make.reporter(desk_b),
            "editor A": make.editor(desk_a),
            "editor A2": make.editor(desk_a),
            "editor AB": make.editor(desk_a, desk_b),
        }
        for person in cls.people.values():
            person.wants_email = False  # in-app notifications only: e-mail is not under test
        db.session.commit()

    def __init__(self) -> None:
        super().__init__()
        self.changes: dict[int, int] = {}  # story id -> successful changes in this example
        self.live_events: dict[int, int] = {}  # story id -> live changes (audited, no version)
        self.unpublish_events: dict[int, int] = {}  # unpublish set or cancelled (the same)
        self.states: dict[int, StoryState] = {}  # as the last invariant check saw them
        self.update_events: dict[int, int] = {}  # story id -> update changes (no story version)

    # --- helpers -----------------------------------------------------------------------------
    def story(self, story_id: int) -> Story:
        db.session.expire_all()
        return db.session.get(Story, story_id)

    def snapshot(self, story_id: int) -> tuple:
        story = self.story(story_id)
        return (story.state, story.version, story.headline, story.body, events(story_id))

    def changed(self, story_id: int) -> None:
        self.changes[story_id] += 1

    # --- rules -------------------------------------------------------------------------------
    @initialize(target=stories, who=st.sampled_from(PEOPLE))
    def first_story(self, who: str):
        return self.create(who, "A", HEADLINES[0])

    @rule(
        target=stories,
        who=st.sampled_from(PEOPLE),
        desk=st.sampled_from(["A", "B"]),
        headline=st.sampled_from(HEADLINES[:2]),
    )
    def create(self, who: str, desk: str, headline: str):
        person = self.people[who]
        if self.desks[desk].id not in actor_of(person).desk_ids:
            desk = "A"  # everyone is on desk A but reporter B
        if who == "reporter B":
            desk = "B"
        story = type(self).make.story(person, self.desks[desk], headline=headline)
        self.changes[story.id] = 0
        self.live_events[story.id] = 0
        self.update_events[story.id] = 0
        self.unpublish_events[story.id] = 0
        return story.id

    @rule(target=stories, author=st.sampled_from(["reporter A", "editor A"]))
    def published_story(self, author: str):
        """A story already public (submitted, approved, published): where updates happen."""
        story = type(self).make.story(
            self.people[author],
            self.desks["A"],
            S.PUBLISHED,
            editor=self.people["editor A2"],
            body="First paragraph.\n\nSecond paragraph.",
        )
        self.changes[story.id] = 3  # submitted, approved, published
        self.live_events[story.id] = 0
        self.update_events[story.id] = 0
        self.unpublish_events[story.id] = 0
        return story.id

    @rule(
        story_id=stories,
        who=st.sampled_from(PEOPLE),
        action=st.sampled_from(HUMAN_ACTIONS),
        note=st.sampled_from(NOTES),
        offset=st.sampled_from(SCHEDULE_OFFSETS),
        stale=st.sampled_from([False, False, True, None]),
    )
    def transition(self, story_id, who, action: Action, note, offset, stale) -> None:
        person, story = self.people[who], self.story(story_id)
        before, columns = self.snapshot(story_id), effect_columns(story)
        expected_version = None if stale is None else story.version - (1 if stale else 0)
        publish_at = utcnow() + offset if offset is not None else None
        try:
            check(action, actor_of(person), facts_of(story), note=note)
        except WorkflowError as error:
            predicted: type[Exception] | None = type(error)
        else:
            predicted = None
        since = utcnow()
        try:
            transition_story(
                story,
                action,
                actor=person,
                note=note,
                expected_version=expected_version,
                publish_at=publish_at,
            )
        except REFUSALS as error:
            if predicted is not None:
                assert isinstance(error, predicted), (error, predicted)
            assert self.snapshot(story_id) == before, "a refused transition changed something"
            return
        assert predicted is None, f"{action} by {who} from {before[0]} should have failed"
        assert not stale, "a transition from a stale version succeeded"
        rule_ = TRANSITIONS[action]
        assert before[0] in rule_.sources
        after = self.story(story_id)
        assert after.state == rule_.target
        assert_effects(rule_.effects, columns, after, since, utcnow(), publish_at)
        self.changed(story_id)

    @rule(story_id=stories, moves=st.integers(1, 4), data=st.data())
    def advance(self, story_id, moves, data) -> None:
        """Take actions story pages offer, forward moves first: reaches the deep states."""
        for _ in range(moves):
            story = self.story(story_id)
            policy = workflow_policy()
            offered = sorted(
                (
                    (FORWARD.index(t.action), who, t)
                    for who, person in self.people.items()
                    for t in allowed_actions(actor_of(person), facts_of(story), policy)
                ),
                key=lambda choice: choice[0],
            )
            if not offered:
                return
            _, who, rule_ = data.draw(st.sampled_from(offered), label="choice")
            if E.NEEDS_TEXT in rule_.effects and not (story.headline and story.body.strip()):
                return
            columns, since = effect_columns(story), utcnow()
            publish_at = since + timedelta(hours=1)
            transition_story(
                story,
                rule_.action,
                actor=self.people[who],
                note="Because.",
                expected_version=story.version,
                publish_at=publish_at,
            )
            after = self.story(story_id)
            assert after.state == rule_.target
            assert_effects(rule_.effects, columns, after, since, utcnow(), publish_at)
            self.changed(story_id)

    @rule(
        story_id=stories,
        who=st.sampled_from(PEOPLE),
        headline=st.sampled_from(HEADLINES),
        body=st.sampled_from(BODIES),
        stale=st.booleans(),
    )
    def save(self, story_id, who, headline, body, stale) -> None:
        person, story = self.people[who], self.story(story_id)
        before, columns = self.snapshot(story_id), effect_columns(story)
        reopen = reopens_review(actor_of(person), facts_of(story), workflow_policy())
        data = StoryInput(headline=headline, body=body, desk_id=story.desk_id, slug=story.slug)
        try:
            save_story(
                story, data, actor=person, expected_version=story.version - (1 if stale else 0)
            )
        except REFUSALS:
            assert self.snapshot(story_id) == before, "a refused save changed something"
            return
        assert not stale, "a save over a newer version succeeded"
        after = self.story(story_id)
        assert after.state == (REOPENED_STATE if reopen else before[0])
        assert_effects(REOPEN_EFFECTS if reopen else frozenset(), columns, after, None, None)
        assert (after.headline, after.body) == (headline, body)
        self.changed(story_id)

    @rule(story_id=stories, who=st.sampled_from(PEOPLE), top=st.booleans())
    def place(self, story_id, who, top) -> None:
        story = self.story(story_id)
        placement = Placement.TOP if top else Placement.NONE
        was, before = story.placement, self.snapshot(story_id)
        try:
            set_placement(story, placement, actor=self.people[who])
        except REFUSALS:
            assert self.snapshot(story_id) == before
            return
        if was != placement:
            self.changed(story_id)

    @rule(
        story_id=stories,
        who=st.sampled_from(PEOPLE),
        action=st.sampled_from(LIVE_ORDER),
        body=st.sampled_from(["Polls open.", "Turnout **high**.", "", "x" * 20_001]),
        newest=st.booleans(),
    )
    def live_coverage(self, story_id, who, action: Action, body, newest) -> None:
        """A live-coverage action on the story (its newest or oldest entry, for those on one)."""
        person, story = self.people[who], self.story(story_id)
        before = (self.snapshot(story_id), self.entries(story_id))
        order = LiveEntry.id.desc() if newest else LiveEntry.id
        entry = db.session.scalars(
            select(LiveEntry).where(LiveEntry.story_id == story_id).order_by(order).limit(1)
        ).first()
        try:
            check(action, actor_of(person), facts_of(story))
        except WorkflowError as error:
            predicted: type[Exception] | None = type(error)
        else:
            predicted = None
        data = live.EntryInput(body=body)
        calls = {
            Action.START_LIVE: lambda: live.start_live_coverage(story, actor=person),
            Action.END_LIVE: lambda: live.end_live_coverage(story, actor=person),
            Action.POST_ENTRY: lambda: live.post_entry(story, data, actor=person),
            Action.EDIT_ENTRY: lambda: live.edit_entry(entry, data, story=story, actor=person),
            Action.DELETE_ENTRY: lambda: live.delete_entry(entry, story=story, actor=person),
            Action.PIN_ENTRY: lambda: live.pin_entry(entry, story=story, actor=person),
        }
        if entry is None and action in {Action.EDIT_ENTRY, Action.DELETE_ENTRY, Action.PIN_ENTRY}:
            return
        coverage = story.coverage
        try:
            calls[action]()
        except REFUSALS as error:
            if predicted is not None:
                assert isinstance(error, predicted), (error, predicted)
            after = (self.snapshot(story_id), self.entries(story_id))
            assert after == before, "a refused live action changed something"
            return
        assert predicted is None, f"{action} by {who} on {coverage} should have failed"
        after = self.story(story_id)
        rule_ = TRANSITIONS[action]
        assert after.state == before[0][0] and after.version == before[0][1]
        assert after.coverage is (rule_.to_coverage or coverage)
        self.live_events[story_id] += 1

    @rule(story_id=stories, posts=st.integers(1, 3), data=st.data())
    def cover(self, story_id, posts, data) -> None:
        """Mark the story live if someone may, then post entries as people the page lets."""
        for action in [Action.START_LIVE] + [Action.POST_ENTRY] * posts:
            able = [
                w
                for w, p in self.people.items()
                if action in allowed_live_actions(actor_of(p), facts_of(self.story(story_id)))
            ]
            if not able:
                continue
            who = data.draw(st.sampled_from(able), label="who")
            self.live_coverage(story_id, who, action, "A live entry.", True)

    @rule(
        story_id=stories,
        who=st.sampled_from(PEOPLE),
        action=st.sampled_from(UNPUBLISH_ACTIONS),
        note=st.sampled_from(NOTES),
        offset=st.sampled_from(UNPUBLISH_OFFSETS),
    )
    def unpublish_time(self, story_id, who, action: Action, note, offset) -> None:
        """Schedule unpublish or Cancel unpublish, by anyone, with any time and note."""
        person, story = self.people[who], self.story(story_id)
        before, columns = self.snapshot(story_id), effect_columns(story)
        at = utcnow() + offset if offset is not None else None
        try:
            check(action, actor_of(person), facts_of(story), note=note)
        except WorkflowError as error:
            predicted: type[Exception] | None = type(error)
        else:
            predicted = None
        try:
            if action is Action.SET_UNPUBLISH:
                unpublishing.set_unpublish(story, actor=person, unpublish_at=at, note=note)
            else:
                unpublishing.cancel_unpublish(story, actor=person)
        except REFUSALS as error:
            if predicted is not None:
                assert isinstance(error, predicted), (error, predicted)
            after = self.story(story_id)
            assert self.snapshot(story_id) == before, "a refused unpublish changed something"
            assert effect_columns(after) == columns
            return
        assert predicted is None, f"{action} by {who} from {before[0]} should have failed"
        after = self.story(story_id)
        assert (after.state, after.version) == before[:2]
        assert_effects(TRANSITIONS[action].effects, columns, after, None, None, at)
        self.unpublish_events[story_id] += 1

    @precondition(lambda self: {S.PUBLISHED, S.SCHEDULED} & set(self.states.values()))
    @rule(cancel=st.booleans(), data=st.data())
    def plan_withdrawal(self, cancel, data) -> None:
        """Set (or cancel) an unpublish time on a public or scheduled story, as someone the
        story page lets: the random rule above seldom lands on one."""
        action = Action.CANCEL_UNPUBLISH if cancel else Action.SET_UNPUBLISH
        candidates = sorted(i for i, s in self.states.items() if s in {S.PUBLISHED, S.SCHEDULED})
        story_id = data.draw(st.sampled_from(candidates), label="story")
        story = self.story(story_id)
        if cancel and story.unpublish_at is None:
            return
        able = [
            w
            for w, p in self.people.items()
            if action in allowed_unpublish_actions(actor_of(p), facts_of(story))
        ]
        if able:
            who = data.draw(st.sampled_from(able), label="who")
            self.unpublish_time(story_id, who, action, "Because.", timedelta(hours=4))

    def plan_first(self) -> None:
        published = [i for i, s in self.states.items() if s is S.PUBLISHED]
        if not published:
            return
        story = self.story(max(published))
        for who, person in self.people.items():
            if Action.SET_UNPUBLISH in allowed_unpublish_actions(actor_of(person), facts_of(story)):
                self.unpublish_time(story.id, who, Action.SET_UNPUBLISH, "Because.", HOURS_4)
                return

    @rule(offset=st.sampled_from(SWEEP_OFFSETS), plan=st.booleans())
    def run_unpublisher(self, offset, plan) -> None:
        """The scheduler's withdrawals (`plan`: after the first editor able to sets one on the
        newest public story): exactly the due ones, once, their record kept."""
        if plan:
            self.plan_first()
        now = utcnow() + offset
        mine = list(self.changes)
        stories = list(db.session.scalars(select(Story).where(Story.id.in_(mine))))
        due = {
            s.id
            for s in stories
            if s.state == S.PUBLISHED and s.unpublish_at is not None and s.unpublish_at <= now
        }
        columns = {s.id: effect_columns(s) for s in stories if s.id in due}
        withdrawn = set(unpublishing.unpublish_due_stories(now)) & set(mine)
        assert withdrawn == due
        effects = TRANSITIONS[Action.UNPUBLISH_SCHEDULED].effects
        for story_id in withdrawn:
            after = self.story(story_id)
            assert after.state == S.WITHDRAWN and after.placement == Placement.NONE
            assert_effects(effects, columns[story_id], after, now, now)
            self.changed(story_id)

    def update_row(self, story_id: int) -> tuple | None:
        pending = pending_update(story_id)
        if pending is None:
            return None
        return (pending.state, pending.version, pending.headline, pending.body, pending.note)

    @rule(
        story_id=stories,
        who=st.sampled_from(PEOPLE),
        action=st.sampled_from([*UPDATE_ORDER, REBASE]),
        body=st.sampled_from(BODIES),
        note=st.sampled_from(NOTES),
        stale=st.sampled_from([False, False, True]),
        offset=st.sampled_from(UPDATE_OFFSETS),
    )
    def pending_update_action(self, story_id, who, action, body, note, stale, offset=None):
        """An action on the story's pending update: the live copy (state, version, text) moves
        only when an update is published, and then exactly as the update says. `offset`: the
        time from now that Schedule update asks for."""
        person, story = self.people[who], self.story(story_id)
        before, update_before = self.snapshot(story_id), self.update_row(story_id)
        pending = pending_update(story_id)
        facts = update_facts(story, pending)
        version = (pending.version if pending else 0) - (1 if stale else 0)
        predicted: type[Exception] | None = None
        if action == REBASE:
            predicted = None if can_rebase_update(actor_of(person), facts) else WorkflowError
        else:
            try:
                check(action, actor_of(person), facts, note=note, policy=workflow_policy())
            except WorkflowError as error:
                predicted = type(error)
        at = utcnow() + (offset or UPDATE_OFFSETS[0])
        publishes = action in {Action.PUBLISH_UPDATE, Action.SCHEDULE_UPDATE}
        bad_time = action is Action.SCHEDULE_UPDATE and (
            at <= utcnow() or (story.unpublish_at is not None and at >= story.unpublish_at)
        )
        if predicted is None and bad_time:  # the time is judged first
            predicted = ValidationFailed
        elif publishes and predicted is None and live_changed(story, pending):
            predicted = LiveCopyChanged
        text = pending.body if pending else story.body
        data = StoryInput(headline=story.headline, body=body, desk_id=story.desk_id)
        calls = {
            Action.SAVE_UPDATE: lambda: save_update(
                story, data, actor=person, expected_version=max(version, 0)
            ),
            Action.PUBLISH_UPDATE: lambda: publish_update(
                story, actor=person, expected_version=version
            ),
            Action.SCHEDULE_UPDATE: lambda: scheduled_updates.schedule_update(
                story, actor=person, publish_at=at, expected_version=version
            ),
            REBASE: lambda: rebase_update(
                story, update_input(story, pending), actor=person, expected_version=version
            ),
        }
        default = lambda: transition_update(  # noqa: E731
            story, action, actor=person, note=note, expected_version=version
        )
        try:
            if action == REBASE and pending is None:
                raise WorkflowError("no update")
            calls.get(action, default)()
        except REFUSALS as error:
            if predicted is not None:
                assert isinstance(error, predicted), (error, predicted)
            assert self.snapshot(story_id) == before, "a refused update action changed the story"
            assert self.update_row(story_id) == update_before, "a refused action changed it"
            return
        assert predicted is None, f"{action} by {who} on {facts.update} should have failed"
        event(f"update: {action} done")
        assert not stale or (action is Action.SAVE_UPDATE and pending is None)
        after, update_after = self.snapshot(story_id), self.update_row(story_id)
        if action is Action.PUBLISH_UPDATE:
            assert update_after is None and after[3] == text and after[0] == before[0]
            self.changed(story_id)
            return
        assert after == (*before[:4], before[4] + 1), "an update action changed the live copy"
        self.update_events[story_id] += 1
        if action != REBASE:
            target = TRANSITIONS[action].to_update
            assert (update_after[0] if update_after else "none") == target

    @rule(story_id=stories, moves=st.integers(1, 5), data=st.data())
    def update_advance(self, story_id, moves, data) -> None:
        """Take the update actions the pages offer, forward first: reaches published updates."""
        for _ in range(moves):
            story = self.story(story_id)
            facts = update_facts(story, pending_update(story_id))
            offered: dict[Action, list[str]] = {}
            for who, person in self.people.items():
                actor = actor_of(person)
                writes = {Action.SAVE_UPDATE} if can_write_update(actor, facts) else set()
                for a in allowed_update_actions(actor, facts) | writes:
                    offered.setdefault(a, []).append(who)
            if not offered:
                return
            # One choice per action (not per person), forward moves first.
            action = data.draw(st.sampled_from(sorted(offered, key=UPDATE_ORDER.index)))
            who = data.draw(st.sampled_from(offered[action]), label="who")
            self.pending_update_action(story_id, who, action, "Updated body.", "Why.", False)

    @precondition(lambda self: S.PUBLISHED in self.states.values())
    @rule(data=st.data())
    def plan_update(self, data) -> None:
        """Take a published story's update as far as Schedule update, each step by the first
        person the page offers it to: the random rules above seldom get that far."""
        candidates = sorted(i for i, s in self.states.items() if s is S.PUBLISHED)
        story_id = data.draw(st.sampled_from(candidates), label="story")
        steps = (
            Action.SAVE_UPDATE,
            Action.SUBMIT_UPDATE,
            Action.APPROVE_UPDATE,
            Action.SCHEDULE_UPDATE,
        )
        for action in steps:
            story = self.story(story_id)
            facts = update_facts(story, pending_update(story_id))
            able = [
                who
                for who, p in self.people.items()
                if action in allowed_update_actions(actor_of(p), facts)
                or (action is Action.SAVE_UPDATE and can_write_update(actor_of(p), facts))
            ]
            if able:
                self.pending_update_action(story_id, able[0], action, "Planned.", "Why.", False)

    @precondition(lambda self: any(self.update_states().values()))
    @rule(offset=st.sampled_from(SWEEP_OFFSETS))
    def run_update_scheduler(self, offset) -> None:
        """The scheduler's updates: each due one goes live once as written, or, when it cannot
        (the story withdrawn, the live copy changed since), is flagged and the live copy kept."""
        now = utcnow() + offset
        due = {
            u.story_id: u
            for u in db.session.scalars(
                select(StoryUpdate).where(StoryUpdate.story_id.in_(list(self.changes)))
            )
            if u.state == "scheduled" and u.publish_at <= now and u.publish_failed_at is None
        }
        expected = {
            i
            for i, u in due.items()
            if self.story(i).state == S.PUBLISHED and not live_changed(self.story(i), u)
        }
        bodies = {i: u.body for i, u in due.items()}
        before = {i: self.snapshot(i) for i in due}
        db.session.rollback()
        published = set(scheduled_updates.publish_due_updates(now)) & set(self.changes)
        assert published == expected
        for story_id in due:
            after = self.story(story_id)
            if story_id in published:
                assert pending_update(story_id) is None and after.body == bodies[story_id]
                self.changed(story_id)
            else:
                flagged = pending_update(story_id)
                assert flagged is not None and flagged.publish_failed_at is not None
                was = before[story_id]  # the live copy kept; one event: the failure's
                assert self.snapshot(story_id) == (*was[:4], was[4] + 1)
                self.update_events[story_id] += 1

    def update_states(self) -> dict[int, bool]:
        """Story id -> whether its update is scheduled (for the stories of this run)."""
        return {
            story_id: state == "scheduled"
            for story_id, state in db.session.execute(
                select(StoryUpdate.story_id, StoryUpdate.state).where(
                    StoryUpdate.story_id.in_(list(self.changes))
                )
            )
        }

    def entries(self, story_id: int) -> list[tuple]:
        return [
            tuple(row)
            for row in db.session.execute(
                select(
                    LiveEntry.id,
                    LiveEntry.body,
                    LiveEntry.is_pinned,
                    LiveEntry.edited_at,
                    LiveEntry.deleted_at,
                )
                .where(LiveEntry.story_id == story_id)
                .order_by(LiveEntry.id)
            )
        ]

    @precondition(lambda self: S.SCHEDULED in self.states.values())
    @rule(offset=st.sampled_from(SWEEP_OFFSETS))
    def run_scheduler(self, offset) -> None:
        now = utcnow() + offset
        mine = list(self.changes)
        due = {
            s.id
            for s in db.session.scalars(select(Story).where(Story.id.in_(mine)))
            if s.state == S.SCHEDULED and s.publish_at <= now
        }
        columns = {
            s.id: effect_columns(s)
            for s in db.session.scalars(select(Story).where(Story.id.in_(due)))
        }
        published = set(publish_due_stories(now)) & set(mine)
        assert published == due
        effects = TRANSITIONS[Action.PUBLISH_SCHEDULED].effects
        for story_id in published:
            assert_effects(effects, columns[story_id], self.story(story_id), now, now)
            self.changed(story_id)

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def stories_are_consistent(self) -> None:
        if not self.changes:
            return
        db.session.expire_all()
        public = public_ids()
        mine = list(self.changes)
        rows = db.session.scalars(select(Story).where(Story.id.in_(mine)))
        audited = counts(AuditEvent.story_id, mine)
        revised = counts(Revision.story_id, mine)
        for story in rows:
            state = StoryState(story.state)  # raises on anything outside the enum
            self.states[story.id] = state
            is_published = state is S.PUBLISHED
            assert (story.id in public) is is_published, (story.id, state)
            if is_published:
                assert story.published_at is not None
                assert story.first_published_at is not None
            if state is S.SCHEDULED:
                assert story.publish_at is not None
            if story.publish_at is not None:
                assert state in {S.SCHEDULED, S.PUBLISHED, S.WITHDRAWN}, (story.id, state)
            assert (story.first_published_at is not None) is (
                state in {S.PUBLISHED, S.WITHDRAWN}
            ), (story.id, state)
            # One audit event and one version step per change, counting creation as the first;
            # live changes are audited too, but leave the version (and the editor's form) alone.
            assert story.version == 1 + self.changes[story.id], story.id
            side = (
                self.live_events[story.id]
                + self.unpublish_events[story.id]
                + self.update_events[story.id]
            )
            assert audited[story.id] == story.version + side, story.id
            if story.unpublish_at is not None:
                # Pending on a public or scheduled story (after its publish), or the record of
                # the scheduler's withdrawal.
                assert state in {S.PUBLISHED, S.SCHEDULED, S.WITHDRAWN}, (story.id, state)
                if state is S.SCHEDULED:
                    assert story.unpublish_at > story.publish_at, story.id
            assert 1 <= revised[story.id] <= story.version
            self.live_is_consistent(story)
        # A pending update belongs to a story that was public, one per story.
        for story_id in db.session.scalars(
            select(StoryUpdate.story_id).where(StoryUpdate.story_id.in_(mine))
        ):
            assert self.states[story_id] in {S.PUBLISHED, S.WITHDRAWN}, story_id
        for pending in db.session.scalars(
            select(StoryUpdate).where(StoryUpdate.story_id.in_(mine))
        ):  # a time to go live only while scheduled, and before a pending withdrawal
            assert (pending.publish_at is not None) is (pending.state == "scheduled"), pending
        db.session.rollback()  # never hold SQLite's write lock between steps

    def live_is_consistent(self, story: Story) -> None:
        entries = db.session.scalars(select(LiveEntry).where(LiveEntry.story_id == story.id)).all()
        assert story.coverage is not Coverage.NONE or not entries
        if story.live_ended_at is not None:
            assert all(e.created_at <= story.live_ended_at for e in entries), story.id
        assert sum(e.is_pinned for e in entries) <= 1, story.id
        assert not any(e.is_pinned and e.deleted_at for e in entries), story.id
        public = public_entry_ids(story)
        if story.id in public_ids():
            assert public == {e.id for e in entries if e.deleted_at is None}
        else:
            assert public == set(), (
                story.id,
                story.state,
            )  # never hold SQLite's write lock between steps


def test_newsroom_state_machine(app: Flask, make) -> None:
    Newsroom.build_newsroom(make)
    run_state_machine_as_test(
        Newsroom,
        settings=settings(max_examples=30, stateful_step_count=25, deadline=None, print_blob=True),
    )
