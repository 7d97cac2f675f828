"""The form for editing a profile (the post form is app/posts/forms.py)."""
from __future__ import annotations

from flask import request
from wtforms import PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, Optional, ValidationError

from app.accounts import (
    EMAIL_RULES,
    EMAIL_TAKEN,
    USERNAME_RULES,
    USERNAME_TAKEN,
    email_taken,
    username_taken,
)
from app.forms import WebForm, length
from app.i18n.gettext import lazy_gettext as _l
from app.limits import note_wrong_password
from app.models import User


def languages() -> list[tuple[str, str]]:
    from app.i18n import NAMES, offered  # noqa: PLC0415 (app.i18n imports the models' package)

    return [(code, NAMES.get(code, code)) for code in offered()]

NEEDS_PASSWORD = _l("Enter your current password to change your email address.")
WRONG_PASSWORD = _l("Your current password is incorrect.")


class EditProfileForm(WebForm):
    username = StringField(_l("Username"), validators=USERNAME_RULES, render_kw={"autocomplete": "username"})
    email = StringField(_l("Email"), validators=EMAIL_RULES, render_kw={"autocomplete": "email"})
    about_me = TextAreaField(_l("About me"), validators=[length(max=140)])
    # "" is no saved choice: the browser's languages decide (app/i18n).
    language = SelectField(_l("Language"), validate_choice=False)
    # No Optional(): it would stop the chain before validate_current_password.
    current_password = PasswordField(_l("Current password (needed only to change your email)"),
                                     validators=[length(max=128)], render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Submit"))

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.language.choices = [("", str(_l("As my browser asks")))] + languages()
        # Optional: a form without the field (one language offered, or a
        # script) keeps the saved choice.
        self.language.validators = [Optional(), AnyOf([code for code, _name in self.language.choices],
                                                      message=_l("Choose one of the languages offered."))]
        # A post without the field at all (a script) leaves the address as it is.
        if request.method == "POST" and "email" not in request.form:
            self.email.data = user.email

    def validate_username(self, username: StringField) -> None:
        # Keeping your own name (in any case) passes; another user's does not.
        if username_taken(username.data, exclude_id=self.user.id):
            raise ValidationError(USERNAME_TAKEN)

    def validate_email(self, email: StringField) -> None:
        if email_taken(email.data, exclude_id=self.user.id):
            raise ValidationError(EMAIL_TAKEN)

    def validate_current_password(self, field: PasswordField) -> None:
        # A stolen session must not be able to move the account to another
        # address (from where a password reset would take it over).
        if (self.email.data or "").lower() == self.user.email.lower():  # another case: the same mailbox
            return
        if not field.data:
            raise ValidationError(NEEDS_PASSWORD)
        if not self.user.check_password(field.data):
            note_wrong_password()
            raise ValidationError(WRONG_PASSWORD)
