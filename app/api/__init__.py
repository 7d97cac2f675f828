"""The JSON API: token authentication, users, followers, posts, private
messages and notifications, described by an OpenAPI document at
``/api/openapi.json``."""
from app.api import messages, notifications  # noqa: F401  (their views join bp)
from app.api.routes import bp

__all__ = ["bp"]
