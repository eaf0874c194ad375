"""All models, importable from one place (and registered with the metadata on import)."""

from editorial.models.audit import AuditEvent
from editorial.models.desk import Desk, desk_members
from editorial.models.desktools import FRONT_PAGE_ID, FrontPage, HouseStyle
from editorial.models.draft import EditorPresence, WorkingCopy
from editorial.models.live import LiveEntry
from editorial.models.loading import PERSON_ACCESS
from editorial.models.notification import EmailDelivery, EmailDigest, EmailState, Notification
from editorial.models.photo import Photo, PhotoTag, Rendition, StoryPhoto
from editorial.models.site import CacheToken, Heartbeat, MetricCounter, SiteSetting
from editorial.models.staff import LoginSession, Person, SignInLock, StaffRole
from editorial.models.story import (
    BODY_MAX,
    HEADLINE_MAX,
    Comment,
    Correction,
    Placement,
    Revision,
    SlugRedirect,
    Story,
    Tag,
    story_authors,
    story_tags,
)
from editorial.models.update import StoryUpdate

__all__ = [
    "BODY_MAX",
    "FRONT_PAGE_ID",
    "HEADLINE_MAX",
    "PERSON_ACCESS",
    "AuditEvent",
    "CacheToken",
    "Comment",
    "Correction",
    "Desk",
    "EditorPresence",
    "EmailDelivery",
    "EmailDigest",
    "EmailState",
    "FrontPage",
    "Heartbeat",
    "HouseStyle",
    "LiveEntry",
    "LoginSession",
    "MetricCounter",
    "Notification",
    "Person",
    "Photo",
    "PhotoTag",
    "Placement",
    "Rendition",
    "Revision",
    "SignInLock",
    "SiteSetting",
    "SlugRedirect",
    "StaffRole",
    "Story",
    "StoryPhoto",
    "StoryUpdate",
    "Tag",
    "WorkingCopy",
    "desk_members",
    "story_authors",
    "story_tags",
]
