"""Sign-in forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from editorial.models.staff import EMAIL_PREFERENCES
from editorial.wording import delivery_choices

# Deliberately lenient: newsrooms use internal domains (`editorial.local`) that strict
# validators refuse as "special use"; the invitation e-mail is the real test of an address.
PLAUSIBLE_EMAIL = Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an e-mail address such as name@example.com."
)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=10, max=1024)]
    )
    submit = SubmitField("Change password")


class EmailOnlyForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), PLAUSIBLE_EMAIL, Length(max=254)])
    submit = SubmitField("Send reset link")


class UnlockForm(FlaskForm):
    """Only the CSRF token: the unlock link itself is the credential."""

    submit = SubmitField("Unlock my account")


class SetPasswordForm(FlaskForm):
    """Choose a password through an invitation or reset link."""

    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
    submit = SubmitField("Set password")


class AccountForm(FlaskForm):
    """What a person may change about themselves: never their roles, desks or status."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    byline = StringField("Byline", validators=[Optional(), Length(max=120)])
    email_my_stories = SelectField("My stories", choices=[])
    email_desk_queue = SelectField("My desk's queue", choices=[])
    email_mentions = SelectField("Mentions of me", choices=[])
    submit = SubmitField("Save")

    def __init__(self, *args: object, daily_hour: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        choices = delivery_choices(daily_hour)
        for name in EMAIL_PREFERENCES:
            self[name].choices = choices
