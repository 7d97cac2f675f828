"""The error layer: every error response, HTML for browsers and RFC 9457
problem+json for API clients."""
from app.errors.exceptions import (
    AppError,
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    InsufficientStorage,
    NotFoundError,
    ValidationError,
)
from app.errors.handlers import bp
from app.errors.render import problem_response, render_error, wants_json

__all__ = [
    "AppError", "AuthenticationError", "AuthorizationError", "ConflictError", "InsufficientStorage",
    "NotFoundError", "ValidationError", "bp", "problem_response", "render_error", "wants_json",
]
