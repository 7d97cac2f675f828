"""Account forms: register, log in, reset a password."""
from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import ValidationError

from app.accounts import (
    EMAIL_RULES,
    EMAIL_TAKEN,
    PASSWORD_RULES,
    USERNAME_RULES,
    USERNAME_TAKEN,
    email_taken,
    username_taken,
)
from app.forms import WebForm, length, required, same_as
from app.i18n.gettext import lazy_gettext as _l


class LoginForm(WebForm):
    username = StringField(_l("Username"), validators=[required(), length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[required(), length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember_me = BooleanField(_l("Remember Me"))
    submit = SubmitField(_l("Sign In"))


class LogoutForm(WebForm):
    submit = SubmitField(_l("Logout"))


class RegistrationForm(WebForm):
    username = StringField(_l("Username"), validators=USERNAME_RULES, render_kw={"autocomplete": "username"})
    email = StringField(_l("Email"), validators=EMAIL_RULES, render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(
        _l("Repeat Password"), validators=[required(), same_as("password")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Register"))

    def validate_username(self, username: StringField) -> None:
        if username_taken(username.data):
            raise ValidationError(USERNAME_TAKEN)

    def validate_email(self, email: StringField) -> None:
        if email_taken(email.data):
            raise ValidationError(EMAIL_TAKEN)


class ResetPasswordRequestForm(WebForm):
    email = StringField(_l("Email"), validators=EMAIL_RULES, render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Request Password Reset"))


class ResetPasswordForm(WebForm):
    password = PasswordField(_l("Password"), validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(
        _l("Repeat Password"), validators=[required(), same_as("password")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Request Password Reset"))


class ChangePasswordForm(WebForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), length(max=128)],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(
        _l("Repeat new password"), validators=[required(), same_as("password")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))

