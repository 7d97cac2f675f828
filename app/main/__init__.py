"""The feed, explore, profiles and following."""
from app.main.routes import bp

__all__ = ["bp"]
