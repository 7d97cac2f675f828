"""Accounts: registration, login and logout, password reset (under /auth)."""
from app.auth.routes import bp

__all__ = ["bp"]
