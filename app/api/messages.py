"""Private messages through the API: the inbox, one message, and sending.

Sending goes through the same ``may_send()`` and ``send_message()`` as the
web form, so the MESSAGE_LIMIT budget, the unread count and the
``messages_sent_total`` metric are shared by both clients.
"""
from __future__ import annotations

import math

from flask import jsonify, url_for
from flask.wrappers import Response

from app.api.auth import token_auth, token_user
from app.api.pagination import page_args, paginate
from app.api.payload import MessageFields, read_fields
from app.api.representations import get_by_id, message_dict, messages_page
from app.api.routes import bp
from app.errors import NotFoundError, problem_response
from app.limits import describe, wait_words
from app.messages.service import inbox, mark_read, may_send, send_message, send_wait
from app.models import Message, User


@bp.route("/messages")
@token_auth.login_required
def get_inbox() -> Response:
    """Your inbox, newest first. Reading its first page marks it read, as
    opening the web inbox does; later pages are older news and leave it be."""
    user = token_user()
    page, _ = page_args()  # a bad ?page= is a 400 before anything is written
    if page == 1:
        # Before listing, not after: a message arriving in between is then
        # listed and still counted unread, rather than marked read unseen.
        mark_read(user)
    return jsonify(paginate(inbox(user), messages_page, "api.get_inbox"))


@bp.route("/messages/<int:id>")
@token_auth.login_required
def get_message(id: int) -> Response:
    """One message, for its sender or its recipient. Anyone else gets the
    same 404 as for a message that does not exist: ids reveal nothing."""
    message = get_by_id(Message, id)
    caller = token_user()
    if message is None or caller.id not in (message.sender_id, message.recipient_id):
        raise NotFoundError(f"There is no message with id {id}.")
    return jsonify(message_dict(message))


@bp.route("/messages", methods=["POST"])
@token_auth.login_required
def create_message() -> tuple[Response, int, dict[str, str]] | Response:
    """Send a message: ``{"recipient": "<username, any letter case>", "body": "..."}``.
    Writing to yourself is allowed, as on the web form."""
    data = read_fields(MessageFields, required=("recipient", "body"), trimmed=("body",))
    recipient = User.named(data["recipient"])
    if recipient is None:  # checked before the limit: a typo costs no send
        raise NotFoundError(f"There is no user named {data['recipient']}.")
    sender = token_user()
    if not may_send(sender):
        return _too_many(sender)
    message = send_message(sender, recipient, data["body"])
    return jsonify(message_dict(message)), 201, {"Location": url_for("api.get_message", id=message.id)}


def _too_many(sender: User) -> Response:
    """The 429 past MESSAGE_LIMIT. Retry-After comes from the limiter's own
    counters: the end of the spent window that ends last, so a client that
    waits that long can send (a fixed value would be wrong for one of
    "20 per minute;200 per day")."""
    found = send_wait(sender)
    if found is None:  # the window ended between the refusal and now
        return problem_response(429, "You are sending messages too fast. Please try again in a second.",
                                headers={"Retry-After": "1"})
    wait, item = found
    detail = (f"You are sending messages too fast: at most {describe(item)} are allowed. "
              f"Please try again in {wait_words(wait)}.")
    return problem_response(429, detail, headers={"Retry-After": str(max(1, math.ceil(wait)))})
