"""The application's version, shown in error emails, metrics and Sentry."""
__version__ = "1.0.0"
