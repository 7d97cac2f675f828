"""Forms for posting, editing a profile, and the follow/unfollow buttons."""
from __future__ import annotations

from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.accounts import USERNAME_RULES, USERNAME_TAKEN, username_taken
from app.forms import WebForm


class EditProfileForm(WebForm):
    username = StringField("Username", validators=USERNAME_RULES)
    about_me = TextAreaField("About me", validators=[Length(max=140)])
    submit = SubmitField("Submit")

    def __init__(self, user_id: int, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id

    def validate_username(self, username: StringField) -> None:
        # Keeping your own name (in any case) passes; another user's does not.
        if username_taken(username.data, exclude_id=self.user_id):
            raise ValidationError(USERNAME_TAKEN)


class EmptyForm(WebForm):
    """Carries only the CSRF token, for the follow and unfollow buttons."""

    submit = SubmitField("Submit")


class PostForm(WebForm):
    post = TextAreaField("Say something", validators=[DataRequired(), Length(min=1, max=140)])
    submit = SubmitField("Submit")
