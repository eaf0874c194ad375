"""The story workflow: states, actions, the transition table and who may do what.

Pure Python: no Flask, no SQLAlchemy. Services and views ask this module; nothing else decides.
The table below is meant to be checked line by line against PRODUCT.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class StoryState(StrEnum):
    """Where a story is in its life."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    SPIKED = "spiked"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Coverage(StrEnum):
    """Where a story's live coverage is: a story is marked live once, and ended once."""

    NONE = "none"
    LIVE = "live"
    ENDED = "ended"


class UpdateState(StrEnum):
    """Where a published story's pending update is (one per story; NONE: there is none).

    The live copy stays as it is until the update is published; the update is a copy of the
    story's text with its own small workflow, kept apart from the story's state."""

    NONE = "none"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"  # approved, with a time at which the scheduler publishes it

    @property
    def label(self) -> str:
        return (
            "No update" if self is UpdateState.NONE else self.value.replace("_", " ").capitalize()
        )


class Role(StrEnum):
    """Staff roles; a person may hold several."""

    REPORTER = "reporter"
    DESK_EDITOR = "desk_editor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"reporter": "Reporter", "desk_editor": "Desk editor", "admin": "Admin"}[self.value]


class Action(StrEnum):
    """Things that move a story from one state to another."""

    SUBMIT = "submit"
    RECALL = "recall"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    PUBLISH = "publish"  # "Publish now", by an editor
    PUBLISH_SCHEDULED = "publish_scheduled"  # the scheduler, when the time is reached
    WITHDRAW = "withdraw"
    REPUBLISH = "republish"
    SPIKE = "spike"
    RESTORE = "restore"
    # Scheduled unpublish: a time (and a note) at which the scheduler withdraws the story.
    SET_UNPUBLISH = "set_unpublish"  # "Schedule unpublish" (the field "Unpublish at")
    CANCEL_UNPUBLISH = "cancel_unpublish"
    UNPUBLISH_SCHEDULED = "unpublish_scheduled"  # the scheduler, when that time is reached
    # Live coverage: entries on a story that keeps its state (the row's target is None).
    START_LIVE = "start_live"
    POST_ENTRY = "post_entry"
    EDIT_ENTRY = "edit_entry"
    DELETE_ENTRY = "delete_entry"
    PIN_ENTRY = "pin_entry"
    END_LIVE = "end_live"
    # Pending updates of a published story: the story keeps its state; its update moves.
    SAVE_UPDATE = "save_update"
    SUBMIT_UPDATE = "submit_update"
    REQUEST_UPDATE_CHANGES = "request_update_changes"
    APPROVE_UPDATE = "approve_update"
    PUBLISH_UPDATE = "publish_update"
    SCHEDULE_UPDATE = "schedule_update"  # "Schedule update" (the field "Publish at")
    UNSCHEDULE_UPDATE = "unschedule_update"
    PUBLISH_UPDATE_SCHEDULED = "publish_update_scheduled"  # the scheduler, at that time
    DISCARD_UPDATE = "discard_update"

    @property
    def label(self) -> str:
        """The button text the contract fixes."""
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.SUBMIT: "Submit for review",
    Action.RECALL: "Recall",
    Action.REQUEST_CHANGES: "Request changes",
    Action.APPROVE: "Approve",
    Action.SCHEDULE: "Schedule",
    Action.UNSCHEDULE: "Unschedule",
    Action.PUBLISH: "Publish now",
    Action.PUBLISH_SCHEDULED: "Publish (scheduled)",
    Action.WITHDRAW: "Withdraw",
    Action.REPUBLISH: "Republish",
    Action.SET_UNPUBLISH: "Schedule unpublish",
    Action.CANCEL_UNPUBLISH: "Cancel unpublish",
    Action.UNPUBLISH_SCHEDULED: "Withdraw (scheduled)",
    Action.SPIKE: "Spike",
    Action.RESTORE: "Restore",
    Action.START_LIVE: "Live coverage",
    Action.POST_ENTRY: "Post entry",
    Action.EDIT_ENTRY: "Save entry",
    Action.DELETE_ENTRY: "Delete entry",
    Action.PIN_ENTRY: "Pin entry",
    Action.END_LIVE: "End live coverage",
    Action.SAVE_UPDATE: "Save update",
    Action.SUBMIT_UPDATE: "Submit update for review",
    Action.REQUEST_UPDATE_CHANGES: "Request changes to the update",
    Action.APPROVE_UPDATE: "Approve update",
    Action.PUBLISH_UPDATE: "Publish update now",
    Action.SCHEDULE_UPDATE: "Schedule update",
    Action.UNSCHEDULE_UPDATE: "Unschedule update",
    Action.PUBLISH_UPDATE_SCHEDULED: "Publish update (scheduled)",
    Action.DISCARD_UPDATE: "Discard update",
}


class Who(StrEnum):
    """Which relationship to a story an action requires."""

    AUTHOR = "author"  # an author of the story (desk editors of its desk may act for them)
    EDITOR = "editor"  # a desk editor of the story's desk
    SYSTEM = "system"  # the scheduler only


class Effect(StrEnum):
    """What a transition checks or writes besides the state; services turn each into columns."""

    NEEDS_TEXT = "needs_text"  # refused without a headline and a body
    AFTER_EMBARGO = "after_embargo"  # refused while the story is under embargo
    MARK_SUBMITTED = "mark_submitted"  # was_submitted and submitted_at
    SET_SCHEDULE = "set_schedule"  # publish_at: the time asked for
    CLEAR_SCHEDULE = "clear_schedule"  # publish_at: none
    CLEAR_FAILURE = "clear_failure"  # a failed scheduled publish is forgotten
    STAMP_PUBLISHED = "stamp_published"  # published_at now; first_published_at kept or now
    LEAVE_FRONT_PAGE = "leave_front_page"  # out of Top News and its slot (no longer to be public)
    SET_UNPUBLISH = "set_unpublish"  # unpublish_at and its note: the time and note asked for
    CLEAR_UNPUBLISH = "clear_unpublish"  # no withdrawal pending (nor a failed one remembered)


S = StoryState
E = Effect
UNPUBLISHED = frozenset({S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED})
# Reporters edit their own text only while it is theirs to change.
AUTHOR_EDITABLE = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
# Editing approved text re-opens the question of approval: unless the editor could have approved
# it (the four-eyes rule), the story goes back to review and loses its schedule.
APPROVAL_STATES = frozenset({S.APPROVED, S.SCHEDULED})
REOPENED_STATE = S.SUBMITTED
# A pending unpublish belongs to the schedule it was set against: it goes with it.
REOPEN_EFFECTS = frozenset({E.CLEAR_SCHEDULE, E.LEAVE_FRONT_PAGE, E.CLEAR_UNPUBLISH})
# Top News and the lead take only stories that are or will be public.
FRONT_PAGE_STATES = frozenset({S.APPROVED, S.SCHEDULED, S.PUBLISHED})


@dataclass(frozen=True)
class Transition:
    """One row of the workflow table.

    `four_eyes`: never by an author of the story (unless the site allows self-approval).
    `own_draft_only`: an editor's action that an author may also take on their own draft that
    never went to the desk.
    `target` None: the story keeps its state (live coverage, updates); `coverage` is where the
    story's live coverage must be for the action, `to_coverage` where it goes (None: it stays);
    `update` and `to_update` the same for the story's pending update.
    """

    action: Action
    sources: frozenset[StoryState]
    target: StoryState | None
    who: Who
    needs_note: bool = False
    audit: str = ""
    effects: frozenset[Effect] = frozenset()
    four_eyes: bool = False
    own_draft_only: bool = False
    coverage: frozenset[Coverage] = frozenset(Coverage)
    to_coverage: Coverage | None = None
    update: frozenset[UpdateState] = frozenset(UpdateState)
    to_update: UpdateState | None = None


def _t(
    action: Action,
    sources: Iterable[StoryState],
    target: StoryState | None,
    who: Who,
    needs_note: bool,
    audit: str,
    effects: Iterable[Effect] = (),
    *,
    four_eyes: bool = False,
    own_draft_only: bool = False,
    coverage: Iterable[Coverage] = tuple(Coverage),
    to_coverage: Coverage | None = None,
    update: Iterable[UpdateState] = tuple(UpdateState),
    to_update: UpdateState | None = None,
) -> Transition:
    return Transition(
        action,
        frozenset(sources),
        target,
        who,
        needs_note,
        audit,
        frozenset(effects),
        four_eyes,
        own_draft_only,
        frozenset(coverage),
        to_coverage,
        frozenset(update),
        to_update,
    )


C = Coverage
# Live coverage runs on any story still alive: entries of an unpublished one wait with it (not
# public until it is), a withdrawn one takes no new entries, a spiked one nothing at all.
LIVE_STATES = frozenset(S) - {S.SPIKED, S.WITHDRAWN}
NOT_SPIKED = frozenset(S) - {S.SPIKED}
STARTED = (C.LIVE, C.ENDED)  # an ended story's entries can still be fixed, pinned or removed
PUBLISHING = (E.AFTER_EMBARGO, E.STAMP_PUBLISHED, E.CLEAR_FAILURE)
UNSCHEDULING = (E.CLEAR_SCHEDULE, E.CLEAR_FAILURE, E.CLEAR_UNPUBLISH)
# A withdrawal time is set on a story that is, or is about to be, public; the story keeps its
# state (the row's target is None) until the scheduler withdraws it.
UNPUBLISHABLE = frozenset({S.PUBLISHED, S.SCHEDULED})
LEAVING = (*UNSCHEDULING, E.LEAVE_FRONT_PAGE)
U = UpdateState
LIVE_COPY = {S.PUBLISHED}  # an update is written, reviewed and published on a public story only
# An update left behind by a withdrawal waits: it can be discarded, or go on once republished.
UPDATE_KEPT = {S.PUBLISHED, S.WITHDRAWN}
OPEN_UPDATE = (U.DRAFT, U.CHANGES_REQUESTED)  # the authors' to change (NONE: start one)
READY_UPDATE = (U.APPROVED, U.SCHEDULED)  # reviewed: the desk publishes it, now or at a time
PENDING = frozenset(U) - {U.NONE}

# fmt: off
# The workflow, one row per action; check it against PRODUCT.md.
#   action                  from                                 to                   who         note?  audit event                  effects
TRANSITIONS: dict[Action, Transition] = {t.action: t for t in (
    _t(Action.SUBMIT,            {S.DRAFT, S.CHANGES_REQUESTED},     S.SUBMITTED,         Who.AUTHOR, False, "story.submitted",           {E.NEEDS_TEXT, E.MARK_SUBMITTED}),
    _t(Action.RECALL,            {S.SUBMITTED},                      S.DRAFT,             Who.AUTHOR, False, "story.recalled"),
    _t(Action.REQUEST_CHANGES,   {S.SUBMITTED, S.APPROVED},          S.CHANGES_REQUESTED, Who.EDITOR, True,  "story.changes_requested",   LEAVING),
    _t(Action.APPROVE,           {S.SUBMITTED},                      S.APPROVED,          Who.EDITOR, False, "story.approved",            four_eyes=True),
    _t(Action.SCHEDULE,          {S.APPROVED, S.SCHEDULED},          S.SCHEDULED,         Who.EDITOR, False, "story.scheduled",           {E.SET_SCHEDULE, E.CLEAR_FAILURE}),
    _t(Action.UNSCHEDULE,        {S.SCHEDULED},                      S.APPROVED,          Who.EDITOR, False, "story.unscheduled",         UNSCHEDULING),
    _t(Action.PUBLISH,           {S.APPROVED, S.SCHEDULED},          S.PUBLISHED,         Who.EDITOR, False, "story.published",           PUBLISHING),
    _t(Action.PUBLISH_SCHEDULED, {S.SCHEDULED},                      S.PUBLISHED,         Who.SYSTEM, False, "story.published.scheduled", PUBLISHING),
    _t(Action.WITHDRAW,          {S.PUBLISHED},                      S.WITHDRAWN,         Who.EDITOR, True,  "story.withdrawn",           {E.LEAVE_FRONT_PAGE, E.CLEAR_UNPUBLISH}),
    _t(Action.REPUBLISH,         {S.WITHDRAWN},                      S.PUBLISHED,         Who.EDITOR, False, "story.republished",         {*PUBLISHING, E.CLEAR_UNPUBLISH}),
    _t(Action.SPIKE,             UNPUBLISHED,                        S.SPIKED,            Who.EDITOR, True,  "story.spiked",              LEAVING, own_draft_only=True),
    _t(Action.RESTORE,           {S.SPIKED},                         S.DRAFT,             Who.EDITOR, False, "story.restored"),
    # Scheduled unpublish: set and cancelled by the desk; the scheduler withdraws at the time
    # (the note and time stay on the row as the record of it).
    _t(Action.SET_UNPUBLISH,     UNPUBLISHABLE,                      None,                Who.EDITOR, True,  "story.unpublish.set",       {E.SET_UNPUBLISH}),
    _t(Action.CANCEL_UNPUBLISH,  UNPUBLISHABLE,                      None,                Who.EDITOR, False, "story.unpublish.cancelled", {E.CLEAR_UNPUBLISH}),
    _t(Action.UNPUBLISH_SCHEDULED, {S.PUBLISHED},                    S.WITHDRAWN,         Who.SYSTEM, False, "story.withdrawn.scheduled", {E.LEAVE_FRONT_PAGE}),
    # Live coverage: the story keeps its state; authors and the desk's editors keep it going.
    #   action                  from                                 to    who         note?  audit event                  coverage
    _t(Action.START_LIVE,        LIVE_STATES,                        None, Who.AUTHOR, False, "story.live.started",        coverage={C.NONE}, to_coverage=C.LIVE),
    _t(Action.POST_ENTRY,        LIVE_STATES,                        None, Who.AUTHOR, False, "story.live.entry_posted",   coverage={C.LIVE}),
    _t(Action.EDIT_ENTRY,        NOT_SPIKED,                         None, Who.AUTHOR, False, "story.live.entry_edited",   coverage=STARTED),
    _t(Action.DELETE_ENTRY,      NOT_SPIKED,                         None, Who.AUTHOR, False, "story.live.entry_deleted",  coverage=STARTED),
    _t(Action.PIN_ENTRY,         NOT_SPIKED,                         None, Who.AUTHOR, False, "story.live.entry_pinned",   coverage=STARTED),
    _t(Action.END_LIVE,          NOT_SPIKED,                         None, Who.EDITOR, False, "story.live.ended",          coverage={C.LIVE}, to_coverage=C.ENDED),
    # Pending updates: the live copy keeps its state and text; the update goes through review.
    #   action                       from       to    who         note?  audit event                       update from                 to
    _t(Action.SAVE_UPDATE,            LIVE_COPY,   None, Who.AUTHOR, False, "story.update.saved",             update={U.NONE, *OPEN_UPDATE},   to_update=U.DRAFT),
    _t(Action.SUBMIT_UPDATE,          LIVE_COPY,   None, Who.AUTHOR, False, "story.update.submitted",         update=OPEN_UPDATE,              to_update=U.SUBMITTED),
    _t(Action.REQUEST_UPDATE_CHANGES, LIVE_COPY,   None, Who.EDITOR, True,  "story.update.changes_requested", update={U.SUBMITTED, *READY_UPDATE}, to_update=U.CHANGES_REQUESTED),
    _t(Action.APPROVE_UPDATE,         LIVE_COPY,   None, Who.EDITOR, False, "story.update.approved",          update={U.SUBMITTED},            to_update=U.APPROVED, four_eyes=True),
    _t(Action.PUBLISH_UPDATE,         LIVE_COPY,   None, Who.EDITOR, False, "story.update.published",         update=READY_UPDATE,             to_update=U.NONE),
    _t(Action.SCHEDULE_UPDATE,        LIVE_COPY,   None, Who.EDITOR, False, "story.update.scheduled",         update=READY_UPDATE,             to_update=U.SCHEDULED),
    _t(Action.UNSCHEDULE_UPDATE,      LIVE_COPY,   None, Who.EDITOR, False, "story.update.unscheduled",       update={U.SCHEDULED},            to_update=U.APPROVED),
    _t(Action.PUBLISH_UPDATE_SCHEDULED, LIVE_COPY, None, Who.SYSTEM, False, "story.update.published.scheduled", update={U.SCHEDULED},          to_update=U.NONE),
    _t(Action.DISCARD_UPDATE,         UPDATE_KEPT, None, Who.AUTHOR, False, "story.update.discarded",         update=PENDING,                  to_update=U.NONE),
)}
# fmt: on

# The workflow buttons of a story page (the scheduler's is not a button; live coverage and the
# unpublish time have their own parts of the page).
HUMAN_ACTIONS = tuple(
    a for a in Action if TRANSITIONS[a].who is not Who.SYSTEM and TRANSITIONS[a].target is not None
)
UNPUBLISH_ACTIONS = (Action.SET_UNPUBLISH, Action.CANCEL_UNPUBLISH)
# A pending update's actions move the update (to_update), the live coverage's the coverage.
UPDATE_ACTIONS = tuple(a for a in Action if TRANSITIONS[a].to_update is not None)
# The story page's buttons for the update (saving is the update editor's; the scheduler's none).
UPDATE_BUTTONS = tuple(
    a
    for a in UPDATE_ACTIONS
    if a is not Action.SAVE_UPDATE and TRANSITIONS[a].who is not Who.SYSTEM
)
LIVE_ACTIONS = tuple(
    a
    for a in Action
    if TRANSITIONS[a].target is None and a not in UPDATE_ACTIONS and a not in UNPUBLISH_ACTIONS
)


class WorkflowError(Exception):
    """Base of the workflow's refusals; carries a message fit for the person who tried."""


class TransitionNotAllowed(WorkflowError):
    """This person may never do this to this story (HTTP 403)."""


class WrongState(WorkflowError):
    """The action exists for this person, but not from the story's current state (HTTP 409)."""


class NoteRequired(WorkflowError):
    """The action needs a note and none was given (HTTP 400, form error)."""


class Embargoed(WrongState):
    """The action publishes, and the story's embargo has not lifted (HTTP 409)."""


@dataclass(frozen=True)
class Actor:
    """What the workflow needs to know about a person: id, roles and desks."""

    id: int
    roles: frozenset[Role] = field(default_factory=frozenset)
    desk_ids: frozenset[int] = field(default_factory=frozenset)

    def edits_desk(self, desk_id: int) -> bool:
        return Role.DESK_EDITOR in self.roles and desk_id in self.desk_ids


@dataclass(frozen=True)
class StoryFacts:
    """What the workflow needs to know about a story."""

    state: StoryState
    desk_id: int
    author_ids: frozenset[int]
    was_submitted: bool = False
    coverage: Coverage = Coverage.NONE
    embargoed: bool = False  # under an embargo that has not lifted yet
    update: UpdateState = UpdateState.NONE  # the pending update (services/updates.py fills it)


@dataclass(frozen=True)
class Policy:
    """Site settings that relax or tighten the rules."""

    allow_self_approval: bool = False


DEFAULT_POLICY = Policy()


# Author rights belong to people who write: a reporter demoted to admin-only keeps none.
NEWSROOM_ROLES = frozenset({Role.REPORTER, Role.DESK_EDITOR})


def is_author(actor: Actor, story: StoryFacts) -> bool:
    """An author of the story who still holds a newsroom role."""
    return actor.id in story.author_ids and bool(actor.roles & NEWSROOM_ROLES)


def can_view(actor: Actor, story: StoryFacts) -> bool:
    """Unpublished work is seen by its authors and its desk's editors, nobody else."""
    return is_author(actor, story) or actor.edits_desk(story.desk_id)


def can_edit(actor: Actor, story: StoryFacts) -> bool:
    """Authors edit while the story is theirs; desk editors edit in any state but spiked."""
    if story.state is S.SPIKED:
        return False
    if actor.edits_desk(story.desk_id):
        return True
    return is_author(actor, story) and story.state in AUTHOR_EDITABLE


def can_comment(actor: Actor, story: StoryFacts) -> bool:
    return can_view(actor, story)


def can_place(actor: Actor, story: StoryFacts) -> bool:
    """Placement (Top News) is an editor's call."""
    return actor.edits_desk(story.desk_id)


def is_placeable(story: StoryFacts) -> bool:
    """Whether the story may go into Top News: it is, or will be, public."""
    return story.state in FRONT_PAGE_STATES


def can_edit_front_page(actor: Actor) -> bool:
    """The front page (the lead and the order of Top News) is every desk editor's call: the
    desk editors share one homepage, whichever desk they edit."""
    return Role.DESK_EDITOR in actor.roles and bool(actor.desk_ids)


def keeps_approval(actor: Actor, story: StoryFacts, policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether an edit by this person to approved text leaves it approved: only someone who
    could have approved it may change it without a fresh review (the four-eyes rule)."""
    return _permitted(TRANSITIONS[Action.APPROVE], actor, story, policy)


def reopens_review(actor: Actor, story: StoryFacts, policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether this person's edit sends the story back to REOPENED_STATE (see APPROVAL_STATES)."""
    return story.state in APPROVAL_STATES and not keeps_approval(actor, story, policy)


def _permitted(rule: Transition, actor: Actor, story: StoryFacts, policy: Policy) -> bool:
    """Whether the person's relationship to the story allows the action at all (any state)."""
    editor = actor.edits_desk(story.desk_id)
    if rule.who is Who.SYSTEM:
        return False
    if rule.four_eyes and is_author(actor, story) and not policy.allow_self_approval:
        return False
    if rule.who is Who.AUTHOR:
        # Submitting and recalling are the author's; the desk's editors may act for them.
        return is_author(actor, story) or editor
    if editor:
        return True
    return rule.own_draft_only and is_author(actor, story) and not story.was_submitted


def check(
    action: Action,
    actor: Actor,
    story: StoryFacts,
    *,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> Transition:
    """Return the transition if this person may take it now; otherwise raise why not."""
    rule = TRANSITIONS[action]
    if not _permitted(rule, actor, story, policy):
        if rule.to_update is not None:  # "Approve update" is a button, not a verb
            raise TransitionNotAllowed(f"You may not use “{rule.action.label}” on this story.")
        raise TransitionNotAllowed(f"You may not {rule.action.label.lower()} this story.")
    if story.state not in rule.sources and rule.to_update is not None:
        raise WrongState(
            f"This story is {story.state.label.lower()}; its update cannot be {_past(action)} "
            "now. The update's text is kept."
        )
    if story.state not in rule.sources:
        raise WrongState(
            f"This story is {story.state.label.lower()}; it cannot be "
            f"{_past(rule.action)} from that state. Reload to see its current state."
        )
    if rule.own_draft_only and not actor.edits_desk(story.desk_id) and story.state is not S.DRAFT:
        raise WrongState(
            f"Only a draft that never went to the desk can be {_past(action)} by its author."
        )
    if story.coverage not in rule.coverage:
        raise WrongState(COVERAGE_REFUSALS[story.coverage])
    if story.update not in rule.update:
        raise WrongState(_update_refusal(action, story.update))
    if E.AFTER_EMBARGO in rule.effects and story.embargoed:
        raise Embargoed("This story is under embargo; it cannot be published before it lifts.")
    if rule.needs_note and not note.strip():
        raise NoteRequired(f"{rule.action.label} needs a note explaining why.")
    return rule


COVERAGE_REFUSALS = {
    Coverage.NONE: "This story is not live coverage; tick Live coverage in its editor first.",
    Coverage.LIVE: "This story is already live coverage.",
    Coverage.ENDED: "Live coverage of this story has ended; it takes no new entries.",
}


def _update_refusal(action: Action, update: UpdateState) -> str:
    if update is UpdateState.NONE:
        return "This story has no pending update; reload to see it."
    if update is UpdateState.SUBMITTED and action is Action.SAVE_UPDATE:
        return "This update is with the desk for review; it cannot be changed until it comes back."
    return (
        f"This story's update is {update.label.lower()}; it cannot be {_past(action)} from "
        "there. Reload to see where it is now."
    )


def can_write_update(actor: Actor, story: StoryFacts) -> bool:
    """Whether this person may start or change the pending update of this story now."""
    try:
        check(Action.SAVE_UPDATE, actor, story)
    except WorkflowError:
        return False
    return True


def can_rebase_update(actor: Actor, story: StoryFacts) -> bool:
    """Whether this person may resolve a three-way comparison of the pending update with the
    live copy: whoever may change it now, and the desk's editors while it is in review."""
    in_review = story.update in {UpdateState.SUBMITTED, *READY_UPDATE}
    return can_write_update(actor, story) or (
        in_review and story.state is S.PUBLISHED and actor.edits_desk(story.desk_id)
    )


def allowed_update_actions(
    actor: Actor, story: StoryFacts, policy: Policy = DEFAULT_POLICY
) -> frozenset[Action]:
    """The pending-update buttons this person may press on this story now (saving is the
    editor's; the story page offers the rest)."""
    return _allowed(UPDATE_BUTTONS, actor, story, policy)


def allowed_live_actions(actor: Actor, story: StoryFacts) -> frozenset[Action]:
    """The live-coverage actions this person may take on this story now."""
    return _allowed(LIVE_ACTIONS, actor, story)


def allowed_unpublish_actions(actor: Actor, story: StoryFacts) -> frozenset[Action]:
    """Whether this person may set or cancel this story's unpublish time now."""
    return _allowed(UNPUBLISH_ACTIONS, actor, story)


def _allowed(
    actions: Iterable[Action], actor: Actor, story: StoryFacts, policy: Policy = DEFAULT_POLICY
) -> frozenset[Action]:
    allowed = set()
    for action in actions:
        try:
            check(action, actor, story, note="-", policy=policy)
        except WorkflowError:
            continue
        allowed.add(action)
    return frozenset(allowed)


def allowed_actions(
    actor: Actor, story: StoryFacts, policy: Policy = DEFAULT_POLICY
) -> list[Transition]:
    """The buttons to show this person on this story, in table order."""
    allowed = []
    for action in HUMAN_ACTIONS:
        try:
            check(action, actor, story, note="-", policy=policy)
        except WorkflowError:
            continue
        allowed.append(TRANSITIONS[action])
    return allowed


def _past(action: Action) -> str:
    return {
        Action.SUBMIT: "submitted",
        Action.RECALL: "recalled",
        Action.REQUEST_CHANGES: "sent back for changes",
        Action.APPROVE: "approved",
        Action.SCHEDULE: "scheduled",
        Action.UNSCHEDULE: "unscheduled",
        Action.PUBLISH: "published",
        Action.PUBLISH_SCHEDULED: "published",
        Action.WITHDRAW: "withdrawn",
        Action.REPUBLISH: "republished",
        Action.SPIKE: "spiked",
        Action.RESTORE: "restored",
        Action.SET_UNPUBLISH: "given an unpublish time",
        Action.CANCEL_UNPUBLISH: "spared its unpublish time",
        Action.UNPUBLISH_SCHEDULED: "withdrawn",
        Action.START_LIVE: "marked live",
        Action.POST_ENTRY: "given entries",
        Action.EDIT_ENTRY: "given edits to its entries",
        Action.DELETE_ENTRY: "cleared of entries",
        Action.PIN_ENTRY: "given a pinned entry",
        Action.END_LIVE: "ended as live coverage",
        Action.SAVE_UPDATE: "changed",
        Action.SUBMIT_UPDATE: "submitted",
        Action.REQUEST_UPDATE_CHANGES: "sent back for changes",
        Action.APPROVE_UPDATE: "approved",
        Action.PUBLISH_UPDATE: "published",
        Action.SCHEDULE_UPDATE: "scheduled",
        Action.UNSCHEDULE_UPDATE: "unscheduled",
        Action.PUBLISH_UPDATE_SCHEDULED: "published",
        Action.DISCARD_UPDATE: "discarded",
    }[action]
