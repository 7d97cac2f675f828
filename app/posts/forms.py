"""The post forms: a new post, a reply and an edit, under one set of rules
(the API's post fields use them too)."""
from __future__ import annotations

from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import WebForm

POST_RULES = [DataRequired(), Length(min=1, max=140)]


class PostForm(WebForm):
    post = TextAreaField("Say something", validators=POST_RULES)
    submit = SubmitField("Submit")


class ReplyForm(WebForm):
    post = TextAreaField("Your reply", validators=POST_RULES)
    submit = SubmitField("Reply")


class EditPostForm(WebForm):
    post = TextAreaField("Your post", validators=POST_RULES)
    submit = SubmitField("Save")
