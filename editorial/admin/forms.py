"""Admin forms: staff, desks, site settings, and the GET filters of the lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from editorial.auth.forms import PLAUSIBLE_EMAIL
from editorial.models import Desk
from editorial.workflow import Role

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    # types-WTForms describes 3.2, which has no SelectChoice yet.
    from wtforms.fields.choices import SelectChoice as _Choice  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older WTForms

    def _Choice(value: object, label: str) -> tuple[object, str]:
        return (value, label)


def options(pairs: Sequence[tuple[object, str]]) -> list[Any]:
    """Choices for a select or checkbox group, in whatever form this WTForms wants."""
    return [_Choice(value, label) for value, label in pairs]


ROLE_CHOICES = [(r.value, r.label) for r in Role]
ROLE_HINTS = {
    Role.REPORTER.value: "writes and submits stories",
    Role.DESK_EDITOR.value: "edits, approves and publishes for their desks",
    Role.ADMIN.value: "manages staff, desks and settings",
}


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes; an unknown value posted is a validation error, not a crash."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffForm(FlaskForm):
    """Name, byline, roles and desks: what an admin may change about someone."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    byline = StringField("Byline", validators=[Optional(), Length(max=120)])
    roles = CheckboxesField(
        "Roles",
        choices=options(ROLE_CHOICES),
        validators=[DataRequired(message="Choose at least one role.")],
    )
    desks = CheckboxesField("Desks", coerce=int, choices=[])
    submit = SubmitField("Save changes")

    def set_desks(self, desks: list[Desk]) -> None:
        self.desks.choices = options([(d.id, d.name) for d in desks])


class NewStaffForm(StaffForm):
    """Create a person; they choose their own password through the invitation."""

    email = EmailField("Email", validators=[DataRequired(), PLAUSIBLE_EMAIL, Length(max=254)])
    submit = SubmitField("Create and send invitation")


class ConfirmForm(FlaskForm):
    """A bare POST form: CSRF token plus a button (deactivate, resend, reset...)."""

    submit = SubmitField("Confirm")


class DeskForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    slug = StringField("Web address (slug)", validators=[Optional(), Length(max=80)])
    # Unticked by default: a new desk is staffed and filled before readers see its section.
    in_navigation = BooleanField("Show in the public navigation")
    submit = SubmitField("Create desk")


class RenameDeskForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    submit = SubmitField("Rename desk")


class NavigationForm(FlaskForm):
    """Where the desk sits in the public navigation; the service checks the position."""

    position = StringField("Position in the navigation")
    in_navigation = BooleanField("Show in the public navigation")
    save = SubmitField("Save navigation")


class SettingsForm(FlaskForm):
    tagline = StringField("Tagline", validators=[Optional(), Length(max=200)])
    allow_self_approval = BooleanField("Allow editors to approve stories they wrote")
    submit = SubmitField("Save settings")


class _FilterForm(FlaskForm):
    """Filters read from the query string: no CSRF (a GET changes nothing)."""

    class Meta:
        csrf = False


class StaffFilterForm(_FilterForm):
    q = StringField("Search name or email", validators=[Optional(), Length(max=120)])
    role = SelectField(
        "Role", choices=options([("", "Any role"), *ROLE_CHOICES]), validate_choice=False
    )
    desk = SelectField("Desk", choices=[], validate_choice=False)
    status = SelectField(
        "Status",
        choices=options(
            [("", "Active and inactive"), ("active", "Active"), ("inactive", "Deactivated")]
        ),
        validate_choice=False,
    )


class AuditFilterForm(_FilterForm):
    action = SelectField("Action", choices=[], validate_choice=False)
    actor = SelectField("Who", choices=[], validate_choice=False)
