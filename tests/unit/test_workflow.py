"""The workflow against PRODUCT.md: a permission matrix written out by hand, not computed.

Every role combination x relationship to the story x action x source state is compared with the
EXPECTED tables below, each transcribed from PRODUCT.md ("People and permissions" and "The
workflow"). Where PRODUCT.md is silent, the choice is recorded in a comment next to the entry.
"""

from __future__ import annotations

import pytest

from editorial.workflow import (
    DEFAULT_POLICY,
    HUMAN_ACTIONS,
    LIVE_ACTIONS,
    REOPEN_EFFECTS,
    REOPENED_STATE,
    TRANSITIONS,
    UNPUBLISH_ACTIONS,
    Action,
    Actor,
    Coverage,
    Effect,
    NoteRequired,
    Policy,
    Role,
    StoryFacts,
    StoryState,
    TransitionNotAllowed,
    UpdateState,
    WorkflowError,
    WrongState,
    allowed_actions,
    allowed_live_actions,
    allowed_unpublish_actions,
    allowed_update_actions,
    can_comment,
    can_edit,
    can_place,
    can_view,
    can_write_update,
    check,
    keeps_approval,
    reopens_review,
)

A = Action
S = StoryState
ME, SOMEONE_ELSE = 1, 2
DESK, OTHER_DESK = 10, 20

# --- who --------------------------------------------------------------------------------------
ROLES = {
    "reporter": {Role.REPORTER},
    "editor": {Role.DESK_EDITOR},  # "everything a reporter may, plus..."
    "editor+reporter": {Role.DESK_EDITOR, Role.REPORTER},
    "admin": {Role.ADMIN},  # "Not an editor unless also made desk editor"
    "admin+editor": {Role.ADMIN, Role.DESK_EDITOR},
}
# relationship -> (is the actor an author?, the desks the actor belongs to)
RELATIONSHIPS = {
    "own": (True, {DESK}),
    "own, other desk": (True, {OTHER_DESK}),  # wrote it, but not on (or not editing) its desk
    "same desk": (False, {DESK}),
    "other desk": (False, {OTHER_DESK}),
}

# A reporter may spike their own draft only while it never went to the desk.
OWN_NEVER_SUBMITTED_DRAFT = "spike own never-submitted draft"
# PRODUCT.md "Live coverage": "desk editors and its authors post short timestamped entries...,
# pin one, edit or delete them"; "the story ends live coverage when the editor says so".
# Marking a story live is the editor form's checkbox, which its authors have too.
AUTHOR_LIVE = {A.START_LIVE, A.POST_ENTRY, A.EDIT_ENTRY, A.DELETE_ENTRY, A.PIN_ENTRY}
# PRODUCT.md "Updates through review": editing a published story (by its authors, or by an
# editor) makes a pending update; a desk editor approves and publishes it. Its authors may also
# drop an update they no longer want (our choice: like recalling, it is theirs until published).
AUTHOR_UPDATE = {A.SAVE_UPDATE, A.SUBMIT_UPDATE, A.DISCARD_UPDATE}
# "approves and publishes the update, now or at a scheduled time": the desk's editors.
DESK_UPDATE = {
    A.REQUEST_UPDATE_CHANGES,
    A.APPROVE_UPDATE,
    A.PUBLISH_UPDATE,
    A.SCHEDULE_UPDATE,
    A.UNSCHEDULE_UPDATE,
}
REPORTER_MAY = {A.SUBMIT, A.RECALL, OWN_NEVER_SUBMITTED_DRAFT, *AUTHOR_LIVE, *AUTHOR_UPDATE}
# Editors may submit and recall for the desk's reporters (PRODUCT.md: they edit in any state).
EDITOR_MAY = {
    A.SUBMIT,
    A.RECALL,
    A.REQUEST_CHANGES,
    A.APPROVE,
    A.SCHEDULE,
    A.UNSCHEDULE,
    A.PUBLISH,
    A.WITHDRAW,
    A.REPUBLISH,
    A.SPIKE,
    A.RESTORE,
    *AUTHOR_LIVE,
    A.END_LIVE,
    # PRODUCT.md "Scheduled unpublish": "An editor may set a time at which a story is withdrawn";
    # like Withdraw, the desk's editors, the story's author among them (no four-eyes: it only
    # takes a story down).
    A.SET_UNPUBLISH,
    A.CANCEL_UNPUBLISH,
    *AUTHOR_UPDATE,
    *DESK_UPDATE,
}
# four-eyes: never approve what you wrote, nor an update of it
EDITOR_OWN_MAY = EDITOR_MAY - {A.APPROVE, A.APPROVE_UPDATE}

# (roles, relationship) -> the actions permitted at all (the state is checked separately)
MAY: dict[tuple[str, str], set] = {
    ("reporter", "own"): REPORTER_MAY,
    ("reporter", "own, other desk"): REPORTER_MAY,
    ("reporter", "same desk"): set(),
    ("reporter", "other desk"): set(),
    ("editor", "own"): EDITOR_OWN_MAY,
    ("editor", "own, other desk"): REPORTER_MAY,
    ("editor", "same desk"): EDITOR_MAY,
    ("editor", "other desk"): set(),
    ("editor+reporter", "own"): EDITOR_OWN_MAY,
    ("editor+reporter", "own, other desk"): REPORTER_MAY,
    ("editor+reporter", "same desk"): EDITOR_MAY,
    ("editor+reporter", "other desk"): set(),
    # An admin-only author (e.g. a reporter later made admin-only) keeps no author rights.
    ("admin", "own"): set(),
    ("admin", "own, other desk"): set(),
    ("admin", "same desk"): set(),
    ("admin", "other desk"): set(),
    ("admin+editor", "own"): EDITOR_OWN_MAY,
    ("admin+editor", "own, other desk"): REPORTER_MAY,
    ("admin+editor", "same desk"): EDITOR_MAY,
    ("admin+editor", "other desk"): set(),
}

# --- from where to where (the diagram) -------------------------------------------------------
UNPUBLISHED = {S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED}
SOURCES = {
    A.SUBMIT: {S.DRAFT, S.CHANGES_REQUESTED},
    A.RECALL: {S.SUBMITTED},
    A.REQUEST_CHANGES: {S.SUBMITTED, S.APPROVED},
    A.APPROVE: {S.SUBMITTED},
    A.SCHEDULE: {S.APPROVED, S.SCHEDULED},  # from scheduled: rescheduling (TRUST 7)
    A.UNSCHEDULE: {S.SCHEDULED},
    A.PUBLISH: {S.APPROVED, S.SCHEDULED},
    A.PUBLISH_SCHEDULED: {S.SCHEDULED},
    A.WITHDRAW: {S.PUBLISHED},
    A.REPUBLISH: {S.WITHDRAWN},
    A.SPIKE: UNPUBLISHED,  # "any unpublished state"
    A.RESTORE: {S.SPIKED},
    # Entries wait with an unpublished story (public once it is); a withdrawn story takes no new
    # ones but its entries can still be fixed or taken down; a spiked story nothing.
    A.START_LIVE: set(S) - {S.SPIKED, S.WITHDRAWN},
    A.POST_ENTRY: set(S) - {S.SPIKED, S.WITHDRAWN},
    A.EDIT_ENTRY: set(S) - {S.SPIKED},
    A.DELETE_ENTRY: set(S) - {S.SPIKED},
    A.PIN_ENTRY: set(S) - {S.SPIKED},
    A.END_LIVE: set(S) - {S.SPIKED},
    # A withdrawal time goes on a story that is public or is about to be (scheduled); a draft
    # has nothing to withdraw, a withdrawn story is withdrawn already.
    A.SET_UNPUBLISH: {S.PUBLISHED, S.SCHEDULED},
    A.CANCEL_UNPUBLISH: {S.PUBLISHED, S.SCHEDULED},
    A.UNPUBLISH_SCHEDULED: {S.PUBLISHED},
    # Updates are of the live copy; one left by a withdrawal can only be discarded (our choice:
    # approving or publishing it then is refused with its text kept, TRUST "bad input").
    A.SAVE_UPDATE: {S.PUBLISHED},
    A.SUBMIT_UPDATE: {S.PUBLISHED},
    A.REQUEST_UPDATE_CHANGES: {S.PUBLISHED},
    A.APPROVE_UPDATE: {S.PUBLISHED},
    A.PUBLISH_UPDATE: {S.PUBLISHED},
    A.SCHEDULE_UPDATE: {S.PUBLISHED},
    A.UNSCHEDULE_UPDATE: {S.PUBLISHED},
    A.PUBLISH_UPDATE_SCHEDULED: {S.PUBLISHED},  # withdrawn meanwhile: flagged, not published
    A.DISCARD_UPDATE: {S.PUBLISHED, S.WITHDRAWN},
}
U = UpdateState
UPDATES = {
    A.SAVE_UPDATE,
    A.SUBMIT_UPDATE,
    A.REQUEST_UPDATE_CHANGES,
    A.APPROVE_UPDATE,
    A.PUBLISH_UPDATE,
    A.SCHEDULE_UPDATE,
    A.UNSCHEDULE_UPDATE,
    A.PUBLISH_UPDATE_SCHEDULED,
    A.DISCARD_UPDATE,
}
# Where the pending update must be, and where it goes (NONE: there is none, or no longer).
# Saving starts one or changes it while it is the authors'; submitted, it is the desk's.
UPDATE_FROM = {a: set(U) for a in Action} | {
    A.SAVE_UPDATE: {U.NONE, U.DRAFT, U.CHANGES_REQUESTED},
    A.SUBMIT_UPDATE: {U.DRAFT, U.CHANGES_REQUESTED},
    A.REQUEST_UPDATE_CHANGES: {U.SUBMITTED, U.APPROVED, U.SCHEDULED},
    A.APPROVE_UPDATE: {U.SUBMITTED},
    # Like Publish now and Schedule: approved first (four eyes); a scheduled one may still go
    # now, or be given another time.
    A.PUBLISH_UPDATE: {U.APPROVED, U.SCHEDULED},
    A.SCHEDULE_UPDATE: {U.APPROVED, U.SCHEDULED},
    A.UNSCHEDULE_UPDATE: {U.SCHEDULED},
    A.PUBLISH_UPDATE_SCHEDULED: {U.SCHEDULED},
    A.DISCARD_UPDATE: set(U) - {U.NONE},
}
TO_UPDATE = {
    A.SAVE_UPDATE: U.DRAFT,
    A.SUBMIT_UPDATE: U.SUBMITTED,
    A.REQUEST_UPDATE_CHANGES: U.CHANGES_REQUESTED,
    A.APPROVE_UPDATE: U.APPROVED,
    A.PUBLISH_UPDATE: U.NONE,
    A.SCHEDULE_UPDATE: U.SCHEDULED,
    A.UNSCHEDULE_UPDATE: U.APPROVED,
    A.PUBLISH_UPDATE_SCHEDULED: U.NONE,
    A.DISCARD_UPDATE: U.NONE,
}
UNPUBLISH = {A.SET_UNPUBLISH, A.CANCEL_UNPUBLISH}  # the story keeps its state
LIVE = {A.START_LIVE, A.POST_ENTRY, A.EDIT_ENTRY, A.DELETE_ENTRY, A.PIN_ENTRY, A.END_LIVE}
C = Coverage
# Where the story's live coverage must be: marked live once, ended once, never restarted; an
# ended story's entries can still be corrected, pinned or deleted, but none posted.
COVERAGE = {a: set(C) for a in Action} | {
    A.START_LIVE: {C.NONE},
    A.POST_ENTRY: {C.LIVE},
    A.EDIT_ENTRY: {C.LIVE, C.ENDED},
    A.DELETE_ENTRY: {C.LIVE, C.ENDED},
    A.PIN_ENTRY: {C.LIVE, C.ENDED},
    A.END_LIVE: {C.LIVE},
}
TO_COVERAGE = {A.START_LIVE: C.LIVE, A.END_LIVE: C.ENDED}
TARGETS = {
    A.SUBMIT: S.SUBMITTED,
    A.RECALL: S.DRAFT,
    A.REQUEST_CHANGES: S.CHANGES_REQUESTED,
    A.APPROVE: S.APPROVED,
    A.SCHEDULE: S.SCHEDULED,
    A.UNSCHEDULE: S.APPROVED,
    A.PUBLISH: S.PUBLISHED,
    A.PUBLISH_SCHEDULED: S.PUBLISHED,
    A.WITHDRAW: S.WITHDRAWN,
    A.REPUBLISH: S.PUBLISHED,
    A.SPIKE: S.SPIKED,
    A.RESTORE: S.DRAFT,
    A.UNPUBLISH_SCHEDULED: S.WITHDRAWN,
} | {a: None for a in LIVE | UNPUBLISH | UPDATES}  # the story keeps its state
# "A time at which a story is withdrawn (with a note)".
NEEDS_NOTE = {A.REQUEST_CHANGES, A.SPIKE, A.WITHDRAW, A.SET_UNPUBLISH, A.REQUEST_UPDATE_CHANGES}
# Never by an author of the story ("four eyes"); and the editor's action a reporter may take on
# their own never-submitted draft.
FOUR_EYES = {A.APPROVE, A.APPROVE_UPDATE}
OWN_DRAFT_ONLY = {A.SPIKE}

# --- what each action checks and writes besides the state -----------------------------------
E = Effect
PUBLISHING = {E.AFTER_EMBARGO, E.STAMP_PUBLISHED, E.CLEAR_FAILURE}  # "embargo: not before then"
# Sent back, unscheduled or spiked: no schedule survives, and nor does a failed publish's flag,
# nor a withdrawal time set against that schedule.
UNSCHEDULING = {E.CLEAR_SCHEDULE, E.CLEAR_FAILURE, E.CLEAR_UNPUBLISH}
EFFECTS = {
    A.SUBMIT: {E.NEEDS_TEXT, E.MARK_SUBMITTED},  # "a headline and a body to submit"
    A.RECALL: set(),
    A.REQUEST_CHANGES: UNSCHEDULING | {E.LEAVE_FRONT_PAGE},  # no longer to be public: not placed
    A.APPROVE: set(),
    A.SCHEDULE: {E.SET_SCHEDULE, E.CLEAR_FAILURE},  # rescheduling gives a failed one a new go
    A.UNSCHEDULE: UNSCHEDULING,
    A.PUBLISH: PUBLISHING,
    A.PUBLISH_SCHEDULED: PUBLISHING,
    # The story keeps its publication times (it was public then), and drops off the front page.
    # A withdrawal by hand makes a pending unpublish moot; a republished story starts without one.
    A.WITHDRAW: {E.LEAVE_FRONT_PAGE, E.CLEAR_UNPUBLISH},
    A.REPUBLISH: PUBLISHING | {E.CLEAR_UNPUBLISH},
    A.SPIKE: UNSCHEDULING | {E.LEAVE_FRONT_PAGE},
    A.RESTORE: set(),
    A.SET_UNPUBLISH: {E.SET_UNPUBLISH},
    A.CANCEL_UNPUBLISH: {E.CLEAR_UNPUBLISH},
    # Withdraw's effects; the time and note stay on the row as the record of the withdrawal.
    A.UNPUBLISH_SCHEDULED: {E.LEAVE_FRONT_PAGE},
} | {a: set() for a in LIVE | UPDATES}
CONTRACT_LABELS = {
    "Save update",
    "Submit update for review",
    "Approve update",
    "Publish update now",
    "Schedule update",
    "Approve",
    "Request changes",
    "Schedule",
    "Unschedule",
    "Publish now",
    "Withdraw",
    "Spike",
    "Restore",
    "Submit for review",
    "Live coverage",
    "Post entry",
    "End live coverage",
    "Cancel unpublish",
}

# (state, was it ever submitted?): a recalled draft and a spiked draft differ for reporters.
STATE_VARIANTS = [
    (S.DRAFT, False),
    (S.DRAFT, True),
    (S.SUBMITTED, True),
    (S.CHANGES_REQUESTED, True),
    (S.APPROVED, True),
    (S.SCHEDULED, True),
    (S.PUBLISHED, True),
    (S.WITHDRAWN, True),
    (S.SPIKED, False),
    (S.SPIKED, True),
]

# --- views of the story ----------------------------------------------------------------------
ALL_STATES = set(S)
AUTHOR_EDITS = {S.DRAFT, S.CHANGES_REQUESTED}
EDITOR_EDITS = ALL_STATES - {S.SPIKED}  # "edit in any state"; a spiked story is restored first
# (roles, relationship) -> (can view, states in which they can edit, can place)
VIEWS = {
    ("reporter", "own"): (True, AUTHOR_EDITS, False),
    ("reporter", "own, other desk"): (True, AUTHOR_EDITS, False),
    ("reporter", "same desk"): (False, set(), False),
    ("reporter", "other desk"): (False, set(), False),
    ("editor", "own"): (True, EDITOR_EDITS, True),
    ("editor", "own, other desk"): (True, AUTHOR_EDITS, False),
    ("editor", "same desk"): (True, EDITOR_EDITS, True),
    ("editor", "other desk"): (False, set(), False),
    ("editor+reporter", "own"): (True, EDITOR_EDITS, True),
    ("editor+reporter", "own, other desk"): (True, AUTHOR_EDITS, False),
    ("editor+reporter", "same desk"): (True, EDITOR_EDITS, True),
    ("editor+reporter", "other desk"): (False, set(), False),
    ("admin", "own"): (False, set(), False),
    ("admin", "own, other desk"): (False, set(), False),
    ("admin", "same desk"): (False, set(), False),
    ("admin", "other desk"): (False, set(), False),
    ("admin+editor", "own"): (True, EDITOR_EDITS, True),
    ("admin+editor", "own, other desk"): (True, AUTHOR_EDITS, False),
    ("admin+editor", "same desk"): (True, EDITOR_EDITS, True),
    ("admin+editor", "other desk"): (False, set(), False),
}
CASES = sorted(MAY)


def actor_and_story(
    roles: str,
    relationship: str,
    state: StoryState = S.DRAFT,
    was_submitted: bool = False,
    coverage: Coverage = C.NONE,
    update: UpdateState = U.NONE,
) -> tuple[Actor, StoryFacts]:
    is_author, desks = RELATIONSHIPS[relationship]
    actor = Actor(ME, frozenset(ROLES[roles]), frozenset(desks))
    story = StoryFacts(
        state=state,
        desk_id=DESK,
        author_ids=frozenset({ME if is_author else SOMEONE_ELSE}),
        was_submitted=was_submitted,
        coverage=coverage,
        update=update,
    )
    return actor, story


def expected(
    roles: str,
    relationship: str,
    action: Action,
    state: S,
    was_submitted: bool,
    coverage: Coverage = C.NONE,
    update: UpdateState = U.NONE,
) -> str:
    """'ok', '403' (never, for this person) or '409' (not from this state), from the tables."""
    may = MAY[roles, relationship]
    if action in may:
        fits = coverage in COVERAGE[action] and update in UPDATE_FROM[action]
        return "ok" if state in SOURCES[action] and fits else "409"
    if action is A.SPIKE and OWN_NEVER_SUBMITTED_DRAFT in may:
        if was_submitted:
            return "403"
        return "ok" if state is S.DRAFT else "409"
    return "403"


def outcome(
    action: Action, actor: Actor, story: StoryFacts, policy: Policy = DEFAULT_POLICY
) -> str:
    try:
        check(action, actor, story, note="a reason", policy=policy)
    except TransitionNotAllowed:
        return "403"
    except WrongState:
        return "409"
    return "ok"


def test_every_combination_is_in_the_tables() -> None:
    assert set(MAY) == {(r, rel) for r in ROLES for rel in RELATIONSHIPS}
    assert set(VIEWS) == set(MAY)
    assert set(SOURCES) == set(Action) == set(TARGETS) == set(EFFECTS) == set(COVERAGE)
    assert set(UPDATE_FROM) == set(Action) and set(TO_UPDATE) == UPDATES
    assert {s for s, _ in STATE_VARIANTS} == set(StoryState)


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_permission_matrix(roles: str, relationship: str) -> None:
    """Each action from each state gives exactly the expected answer (403 and 409 kept apart)."""
    wrong = []
    for action in Action:
        for state, was_submitted in STATE_VARIANTS:
            actor, story = actor_and_story(roles, relationship, state, was_submitted)
            want = expected(roles, relationship, action, state, was_submitted)
            got = outcome(action, actor, story)
            if got != want:
                wrong.append(f"{action} from {state} ({was_submitted=}): {got}, not {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_live_coverage_matrix(roles: str, relationship: str) -> None:
    """Each live-coverage action, from each state and each point of the coverage, for each
    person: exactly the expected answer; and the live part of the page offers exactly those."""
    wrong = []
    for coverage in Coverage:
        for state, was_submitted in STATE_VARIANTS:
            actor, story = actor_and_story(roles, relationship, state, was_submitted, coverage)
            for action in LIVE:
                want = expected(roles, relationship, action, state, was_submitted, coverage)
                got = outcome(action, actor, story)
                if got != want:
                    wrong.append(f"{action} from {state}/{coverage}: {got}, not {want}")
            offered = {
                a
                for a in LIVE
                if expected(roles, relationship, a, state, was_submitted, coverage) == "ok"
            }
            assert allowed_live_actions(actor, story) == offered, (state, coverage)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_unpublish_matrix(roles: str, relationship: str) -> None:
    """The story page's Unpublish part offers exactly the expected actions in every state; the
    scheduler's withdrawal is nobody's button (403 for every person)."""
    for state, was_submitted in STATE_VARIANTS:
        actor, story = actor_and_story(roles, relationship, state, was_submitted)
        offered = {
            a for a in UNPUBLISH if expected(roles, relationship, a, state, was_submitted) == "ok"
        }
        assert allowed_unpublish_actions(actor, story) == offered, state
        assert outcome(A.UNPUBLISH_SCHEDULED, actor, story) == "403", state


def test_unpublish_needs_a_note_and_a_public_or_scheduled_story() -> None:
    actor, published = actor_and_story("editor", "same desk", S.PUBLISHED, True)
    with pytest.raises(NoteRequired, match="Schedule unpublish needs a note"):
        check(A.SET_UNPUBLISH, actor, published, note=" ")
    for state in (S.DRAFT, S.WITHDRAWN, S.APPROVED):
        story = actor_and_story("editor", "same desk", state, True)[1]
        with pytest.raises(WrongState, match=f"is {state.label.lower()}; it cannot be given"):
            check(A.SET_UNPUBLISH, actor, story, note="Legal")


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_pending_update_matrix(roles: str, relationship: str) -> None:
    """Each update action, from each story state and each point of the pending update, for each
    person: exactly the expected answer; the story page offers exactly those (saving is the
    editor's), and the editor is open exactly when Save update is allowed."""
    wrong = []
    for update in UpdateState:
        for state, was_submitted in STATE_VARIANTS:
            facts = (state, was_submitted, C.NONE, update)
            actor, story = actor_and_story(roles, relationship, *facts)
            want = {a for a in UPDATES if expected(roles, relationship, a, *facts) == "ok"}
            for action in UPDATES:
                got = outcome(action, actor, story)
                if got != expected(roles, relationship, action, *facts):
                    wrong.append(f"{action} from {state}/{update}: {got}")
            assert allowed_update_actions(actor, story) == want - {A.SAVE_UPDATE}, facts
            assert can_write_update(actor, story) is (A.SAVE_UPDATE in want), facts
    assert not wrong, "\n".join(wrong)


def test_update_refusals_say_why() -> None:
    editor = actor_and_story("editor", "same desk", S.WITHDRAWN, True, C.NONE, U.SUBMITTED)
    with pytest.raises(WrongState, match=r"withdrawn; its update cannot be approved.*kept"):
        check(A.APPROVE_UPDATE, *editor)
    reporter = actor_and_story("reporter", "own", S.PUBLISHED, True, C.NONE, U.SUBMITTED)
    with pytest.raises(WrongState, match="with the desk"):
        check(A.SAVE_UPDATE, *reporter)
    with pytest.raises(WrongState, match="no pending update"):
        check(A.SUBMIT_UPDATE, *actor_and_story("reporter", "own", S.PUBLISHED, True))
    with pytest.raises(TransitionNotAllowed):
        check(A.PUBLISH_UPDATE, *actor_and_story("reporter", "own", S.PUBLISHED, True))


def test_ended_coverage_refuses_new_entries_with_a_reason() -> None:
    actor, story = actor_and_story("reporter", "own", S.PUBLISHED, True, C.ENDED)
    with pytest.raises(WrongState, match="ended"):
        check(A.POST_ENTRY, actor, story)
    with pytest.raises(WrongState, match="not live"):
        check(A.POST_ENTRY, *actor_and_story("reporter", "own", S.PUBLISHED, True))
    with pytest.raises(TransitionNotAllowed):
        check(A.END_LIVE, *actor_and_story("reporter", "own", S.PUBLISHED, True, C.LIVE))


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_buttons_are_exactly_the_allowed_actions(roles: str, relationship: str) -> None:
    for state, was_submitted in STATE_VARIANTS:
        actor, story = actor_and_story(roles, relationship, state, was_submitted)
        shown = {t.action for t in allowed_actions(actor, story)}
        want = {
            a
            for a in Action
            if expected(roles, relationship, a, state, was_submitted) == "ok"
            and a is not A.PUBLISH_SCHEDULED
            and a not in LIVE | UNPUBLISH  # their parts of the page have their own buttons
            and a not in LIVE | UPDATES  # live coverage and updates have their own buttons
        }
        assert shown == want, (state, was_submitted)


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_view_edit_place_matrix(roles: str, relationship: str) -> None:
    view, edit_states, place = VIEWS[roles, relationship]
    for state in StoryState:
        actor, story = actor_and_story(roles, relationship, state, state is not S.DRAFT)
        assert can_view(actor, story) is view, state
        assert can_comment(actor, story) is view, state
        assert can_edit(actor, story) is (state in edit_states), state
        assert can_place(actor, story) is place, state


def test_the_table_matches_the_diagram() -> None:
    for action, rule in TRANSITIONS.items():
        assert rule.action is action
        assert rule.sources == SOURCES[action], action
        assert rule.target is TARGETS[action], action
        assert rule.needs_note is (action in NEEDS_NOTE), action
        assert rule.audit.startswith("story."), action
        assert rule.effects == EFFECTS[action], action
        assert rule.four_eyes is (action in FOUR_EYES), action
        assert rule.own_draft_only is (action in OWN_DRAFT_ONLY), action
        assert rule.coverage == COVERAGE[action], action
        assert rule.to_coverage is TO_COVERAGE.get(action), action
        assert rule.update == UPDATE_FROM[action], action
        assert rule.to_update is TO_UPDATE.get(action), action
    assert set(LIVE_ACTIONS) == LIVE
    assert set(UNPUBLISH_ACTIONS) == UNPUBLISH
    assert not set(HUMAN_ACTIONS) & (LIVE | UNPUBLISH)
    assert not set(HUMAN_ACTIONS) & (LIVE | UPDATES)


def test_every_action_has_a_row_and_a_label() -> None:
    assert set(TRANSITIONS) == set(Action)
    assert all(a.label for a in Action)
    assert {a.label for a in Action} >= CONTRACT_LABELS
    assert A.PUBLISH_SCHEDULED not in HUMAN_ACTIONS
    assert A.UNPUBLISH_SCHEDULED not in HUMAN_ACTIONS
    assert len({a.label for a in Action}) == len(Action)


# --- four-eyes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("roles", ["editor", "editor+reporter", "admin+editor"])
def test_editor_cannot_approve_own_story(roles: str) -> None:
    actor, story = actor_and_story(roles, "own", S.SUBMITTED, True)
    with pytest.raises(TransitionNotAllowed):
        check(A.APPROVE, actor, story)
    assert A.APPROVE not in {t.action for t in allowed_actions(actor, story)}
    assert not keeps_approval(actor, story)


@pytest.mark.parametrize("roles", ["editor", "editor+reporter", "admin+editor"])
def test_self_approval_policy_relaxes_four_eyes(roles: str) -> None:
    relaxed = Policy(allow_self_approval=True)
    actor, story = actor_and_story(roles, "own", S.SUBMITTED, True)
    assert check(A.APPROVE, actor, story, policy=relaxed).target is S.APPROVED
    assert A.APPROVE in {t.action for t in allowed_actions(actor, story, relaxed)}
    assert keeps_approval(actor, story, relaxed)


def test_self_approval_policy_gives_reporters_nothing() -> None:
    relaxed = Policy(allow_self_approval=True)
    for relationship in ("own", "same desk"):
        actor, story = actor_and_story("reporter", relationship, S.SUBMITTED, True)
        assert outcome(A.APPROVE, actor, story, relaxed) == "403"
        assert not keeps_approval(actor, story, relaxed)
    actor, story = actor_and_story("editor", "own, other desk", S.SUBMITTED, True)
    assert outcome(A.APPROVE, actor, story, relaxed) == "403"


@pytest.mark.parametrize(
    ("roles", "relationship", "keeps"),
    [
        ("editor", "same desk", True),
        ("editor+reporter", "same desk", True),
        ("editor", "own", False),
        ("editor", "other desk", False),
        ("editor", "own, other desk", False),
        ("reporter", "own", False),
        ("admin", "same desk", False),
    ],
)
def test_who_keeps_approval_when_editing(roles: str, relationship: str, keeps: bool) -> None:
    actor, story = actor_and_story(roles, relationship, S.APPROVED, True)
    assert keeps_approval(actor, story) is keeps


@pytest.mark.parametrize(("roles", "relationship"), CASES)
def test_an_edit_reopens_review_only_of_approved_text_by_someone_who_could_not_approve(
    roles: str, relationship: str
) -> None:
    """Editing approved or scheduled text sends it back to review (dropping the schedule)
    unless the editor could have approved it; nothing else is reopened by an edit."""
    for state in StoryState:
        actor, story = actor_and_story(roles, relationship, state, True)
        could_approve = expected(roles, relationship, A.APPROVE, S.SUBMITTED, True) == "ok"
        want = state in {S.APPROVED, S.SCHEDULED} and not could_approve
        assert reopens_review(actor, story) is want, state
    assert REOPENED_STATE is S.SUBMITTED
    assert {E.CLEAR_SCHEDULE, E.LEAVE_FRONT_PAGE, E.CLEAR_UNPUBLISH} == REOPEN_EFFECTS


# --- reporters' spike ---------------------------------------------------------------------------
def test_reporter_spikes_only_own_never_submitted_draft() -> None:
    actor, story = actor_and_story("reporter", "own", S.DRAFT, False)
    assert check(A.SPIKE, actor, story, note="dropped").target is S.SPIKED
    recalled = actor_and_story("reporter", "own", S.DRAFT, True)
    with pytest.raises(TransitionNotAllowed):
        check(A.SPIKE, *recalled, note="dropped")
    submitted = actor_and_story("reporter", "own", S.SUBMITTED, True)
    with pytest.raises(TransitionNotAllowed):
        check(A.SPIKE, *submitted, note="dropped")
    someone_elses = actor_and_story("reporter", "same desk", S.DRAFT, False)
    with pytest.raises(TransitionNotAllowed):
        check(A.SPIKE, *someone_elses, note="dropped")


# --- notes ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "state"),
    [(A.REQUEST_CHANGES, S.SUBMITTED), (A.SPIKE, S.APPROVED), (A.WITHDRAW, S.PUBLISHED)],
)
@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_note_required(action: Action, state: StoryState, note: str) -> None:
    actor, story = actor_and_story("editor", "same desk", state, True)
    with pytest.raises(NoteRequired):
        check(action, actor, story, note=note)
    assert check(action, actor, story, note="Because.").target is TARGETS[action]


@pytest.mark.parametrize(
    ("action", "state"),
    [(a, next(iter(sorted(SOURCES[a])))) for a in HUMAN_ACTIONS if a not in NEEDS_NOTE],
)
def test_other_actions_need_no_note(action: Action, state: StoryState) -> None:
    actor, story = actor_and_story("editor", "same desk", state, True)
    assert check(action, actor, story, note="").target is TARGETS[action]


def test_reporter_spike_needs_a_note_too() -> None:
    actor, story = actor_and_story("reporter", "own", S.DRAFT, False)
    with pytest.raises(NoteRequired):
        check(A.SPIKE, actor, story, note="")


def test_permission_is_checked_before_state_and_note() -> None:
    """A person who may never do it hears 403, not a hint about the state or the note."""
    actor, story = actor_and_story("reporter", "same desk", S.DRAFT, False)
    with pytest.raises(TransitionNotAllowed):
        check(A.WITHDRAW, actor, story, note="")
    actor, story = actor_and_story("editor", "same desk", S.DRAFT, False)
    with pytest.raises(WrongState):
        check(A.WITHDRAW, actor, story, note="")


# --- 403 versus 409 -------------------------------------------------------------------------------
def test_forbidden_and_wrong_state_are_distinct() -> None:
    assert issubclass(TransitionNotAllowed, WorkflowError)
    assert issubclass(WrongState, WorkflowError)
    assert not issubclass(TransitionNotAllowed, WrongState)
    assert not issubclass(WrongState, TransitionNotAllowed)
    reporter = actor_and_story("reporter", "own", S.SUBMITTED, True)
    with pytest.raises(TransitionNotAllowed, match="approve"):
        check(A.APPROVE, *reporter)
    editor = actor_and_story("editor", "same desk", S.DRAFT, False)
    with pytest.raises(WrongState, match="draft"):
        check(A.APPROVE, *editor)


def test_nobody_takes_the_schedulers_action() -> None:
    for roles, relationship in CASES:
        actor, story = actor_and_story(roles, relationship, S.SCHEDULED, True)
        with pytest.raises(TransitionNotAllowed):
            check(A.PUBLISH_SCHEDULED, actor, story)
        actor, story = actor_and_story(roles, relationship, S.PUBLISHED, True, update=U.SCHEDULED)
        with pytest.raises(TransitionNotAllowed):
            check(A.PUBLISH_UPDATE_SCHEDULED, actor, story)
        assert A.PUBLISH_UPDATE_SCHEDULED not in allowed_update_actions(actor, story)
