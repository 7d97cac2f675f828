"""Private messages: the send form and the inbox, and ``send_message()``
for any client (the API uses it too)."""
from app.messages.routes import bp
from app.messages.service import LIMITED, UNREAD, inbox, mark_read, may_send, send_message

__all__ = ["LIMITED", "UNREAD", "bp", "inbox", "mark_read", "may_send", "send_message"]
