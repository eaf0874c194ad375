"""Refusals the services raise; views map them to 400, 403, 404 and 409."""

from __future__ import annotations

from editorial.workflow import NoteRequired, TransitionNotAllowed, WorkflowError, WrongState


class ValidationFailed(Exception):
    """Input that cannot be saved; `errors` maps field names to messages for the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class StaleStory(Exception):
    """Someone else changed the story since this person loaded it (HTTP 409)."""

    def __init__(self, story_id: int, expected_version: int, current_version: int) -> None:
        super().__init__(
            "This story was changed by someone else since you opened it "
            f"(you had version {expected_version}, it is now version {current_version})."
        )
        self.story_id = story_id
        self.expected_version = expected_version
        self.current_version = current_version


class StaleFrontPage(Exception):
    """Someone else reordered the front page since this person opened it (HTTP 409)."""

    def __init__(self, expected_version: int, current_version: int) -> None:
        super().__init__(
            "Someone else changed the front page since you opened it (you had version "
            f"{expected_version}, it is now version {current_version}). Your order was not "
            "saved: the page below shows the front page as it is now, with your order kept in "
            "the form; check it and save again."
        )
        self.expected_version = expected_version
        self.current_version = current_version


__all__ = [
    "NoteRequired",
    "StaleFrontPage",
    "StaleStory",
    "TransitionNotAllowed",
    "ValidationFailed",
    "WorkflowError",
    "WrongState",
]
