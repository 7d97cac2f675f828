"""Account forms: register, log in, reset a password."""
from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.accounts import (
    EMAIL_RULES,
    EMAIL_TAKEN,
    PASSWORD_RULES,
    USERNAME_RULES,
    USERNAME_TAKEN,
    email_taken,
    username_taken,
)
from app.forms import WebForm


class LoginForm(WebForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember_me = BooleanField("Remember Me")
    submit = SubmitField("Sign In")


class LogoutForm(WebForm):
    submit = SubmitField("Logout")


class RegistrationForm(WebForm):
    username = StringField("Username", validators=USERNAME_RULES, render_kw={"autocomplete": "username"})
    email = StringField("Email", validators=EMAIL_RULES, render_kw={"autocomplete": "email"})
    password = PasswordField("Password", validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(
        "Repeat Password", validators=[DataRequired(), EqualTo("password", message="Passwords must match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Register")

    def validate_username(self, username: StringField) -> None:
        if username_taken(username.data):
            raise ValidationError(USERNAME_TAKEN)

    def validate_email(self, email: StringField) -> None:
        if email_taken(email.data):
            raise ValidationError(EMAIL_TAKEN)


class ResetPasswordRequestForm(WebForm):
    email = StringField("Email", validators=EMAIL_RULES, render_kw={"autocomplete": "email"})
    submit = SubmitField("Request Password Reset")


class ResetPasswordForm(WebForm):
    password = PasswordField("Password", validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(
        "Repeat Password", validators=[DataRequired(), EqualTo("password", message="Passwords must match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Request Password Reset")


class ChangePasswordForm(WebForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=128)],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", message="Passwords must match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")

