"""Notifications: ``notify()`` for any feature that has news for a user, and
the poll pages call to pick it up."""
from app.notifications.routes import bp
from app.notifications.service import notifications_since, notify, parse_since

__all__ = ["bp", "notifications_since", "notify", "parse_since"]
