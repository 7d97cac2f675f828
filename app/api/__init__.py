"""The JSON API: token authentication, users, followers, posts, private
messages, notifications and background tasks (an export of your posts),
described by an OpenAPI document at ``/api/openapi.json``."""
from app.api import messages, notifications, posts, search, tasks  # noqa: F401  (their views join bp)
from app.api.routes import bp

__all__ = ["bp"]
