"""The JSON API: token authentication, users, followers and posts, described
by an OpenAPI document at ``/api/openapi.json``."""
from app.api.routes import bp

__all__ = ["bp"]
