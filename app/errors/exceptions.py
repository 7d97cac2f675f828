"""Exceptions that views and services raise; the error layer renders them."""
from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException

from app.i18n.gettext import lazy_gettext as _l


class AppError(Exception):
    """An expected failure with a message that is safe to show to the client."""

    status: int = 400

    def __init__(self, message: str, status: int | None = None, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.payload = dict(payload or {})


class ValidationError(AppError):
    """Bad input. ``errors`` maps each field to its messages."""

    status = 400

    def __init__(self, message: str = _l("The request has invalid fields."), field: str | None = None,
                 errors: dict[str, list[str]] | None = None, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message, payload=payload)
        self.field = field
        self.errors = dict(errors or {})
        if field is not None and field not in self.errors:
            self.errors[field] = [message]


class AuthenticationError(AppError):
    status = 401


class AuthorizationError(AppError):
    status = 403


class NotFoundError(AppError):
    status = 404


class ConflictError(AppError):
    """The request collides with the current state, e.g. a taken username."""

    status = 409

    def __init__(self, message: str, field: str | None = None, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message, payload=payload)
        self.field = field


class InsufficientStorage(HTTPException):
    """507: a write failed because the disk is full. Werkzeug has no class for
    this code, and a bare HTTPException would have none at all."""

    code = 507
    description = "The server is out of storage space and could not save your request. Please try again later."
