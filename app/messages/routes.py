"""GET/POST /send_message/<recipient> and GET /messages."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.i18n.gettext import gettext as _
from app.limits import describe_all, wait_words
from app.lists import message_rows, page_number
from app.lists.pagination import page_of
from app.messages.forms import MessageForm
from app.messages.service import INBOX_PAGE, LIMITED, mark_read, may_send, send_message, send_wait
from app.models import User

bp = Blueprint("messages", __name__)


def limit_words() -> str:
    return describe_all(current_app.config["MESSAGE_LIMIT"])


@bp.route("/send_message/<recipient>", methods=["GET", "POST"])
@login_required
def send(recipient: str) -> str | Response | tuple[str, int]:
    user = User.named(recipient) or abort(404)
    form = MessageForm()
    if form.validate_on_submit():
        if not may_send(current_user):
            # The text stays in the form, and the page says why.
            found = send_wait(current_user)
            wait = wait_words(found[0] if found else 1)
            form.message.errors.append(LIMITED % {"limit": limit_words(), "wait": wait})
            return render_template("messages/send.html", title=_("Send Message"), form=form, recipient=user), 429
        send_message(current_user, user, form.message.data)
        flash(_("Your message has been sent."), "success")
        return redirect(url_for("main.user", username=user.username))
    status = 400 if form.is_submitted() else 200
    return render_template("messages/send.html", title=_("Send Message"), form=form, recipient=user), status


@bp.route("/messages")
@login_required
def messages() -> str:
    page = page_number()
    # Marked read before the page is read, so a message arriving meanwhile is
    # either on this page or still unread: never read unseen.
    mark_read(current_user)
    listed = page_of(INBOX_PAGE, page, recipient=current_user.id)
    return render_template("messages/messages.html", title=_("Messages"), messages=listed,
                           rows=message_rows(listed.items), endpoint="messages.messages")
