"""Accounts: registration, login and logout, password reset (under /auth)."""
from app.auth import unauthorized  # noqa: F401  (registers the login manager's handler)
from app.auth.routes import bp

__all__ = ["bp"]
