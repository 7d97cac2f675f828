"""The post forms: a new post, a reply and an edit, under one set of rules
(the API's post fields use them too)."""
from __future__ import annotations

from wtforms import SubmitField, TextAreaField

from app.forms import WebForm, length, required
from app.i18n.gettext import lazy_gettext as _l

POST_RULES = [required(), length(min=1, max=140)]


class PostForm(WebForm):
    post = TextAreaField(_l("Say something"), validators=POST_RULES)
    submit = SubmitField(_l("Submit"))


class ReplyForm(WebForm):
    post = TextAreaField(_l("Your reply"), validators=POST_RULES)
    submit = SubmitField(_l("Reply"))


class EditPostForm(WebForm):
    post = TextAreaField(_l("Your post"), validators=POST_RULES)
    submit = SubmitField(_l("Save"))
