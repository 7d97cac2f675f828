"""Where the application's log records go.

- ``microblog.log``: INFO and above, one line each, with the request id.
- ``error.log``: ERROR and above, with full tracebacks.
- ``requests.log``: one JSON line per request (see requestlog.py).

Files rotate by size and are safe with several gunicorn workers writing at
once. ``LOG_TO_STDOUT`` sends everything to stdout instead, for containers.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import Flask

from app.observability.failsafe import FailSafeRotatingFileHandler
from app.observability.jobcontext import current_job
from app.redact import SafePathFilter
from app.request_id import get_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(message)s [in %(module)s:%(lineno)d]"
_OURS = "_microblog_handler"  # marks handlers we added, so a second create_app replaces them
_started = False
# Commands that serve (or work) for as long as they run: their start is worth
# a log line. ``flask db upgrade``, ``flask seed`` or ``flask shell`` are not.
SERVER_COMMANDS = frozenset({"run", "worker"})


class RequestIdFilter(logging.Filter):
    """Give every record a ``request_id``: the request's, ``job:<id>`` in a
    background job, '-' elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            job = current_job()
            record.request_id = get_request_id() or (f"job:{job.id}" if job else "-")
        return True


def is_server_process() -> bool:
    """True in a gunicorn worker or any WSGI server (no click context), and
    under the ``flask`` commands in SERVER_COMMANDS; False for other commands.

    ``flask run`` builds the app inside its own command's context. A command
    the app itself provides (``app.cli``) is looked up only once the app is
    built, so the app is built in the root group's context; click has taken
    the command's name off that context by then, hence ``sys.argv``.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    if ctx.parent is None and isinstance(ctx.command, click.Group):
        return _subcommand(ctx.command, sys.argv[1:]) in SERVER_COMMANDS
    return ctx.command.name in SERVER_COMMANDS


def _subcommand(group: click.Group, args: list[str]) -> str | None:
    """The first word of ``args`` that is neither an option of ``group`` nor an option's value."""
    takes_value = {opt for p in group.params if isinstance(p, click.Option) and not p.is_flag
                   for opt in p.opts}
    words = iter(args)
    for word in words:
        if word in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def file_logging_enabled(app: Flask) -> bool:
    setting = app.config.get("LOG_TO_FILE")
    if setting is not None:
        return bool(setting)
    return not (app.debug or app.testing)


def _mark(handler: logging.Handler, level: int, fmt: logging.Formatter) -> logging.Handler:
    handler.setLevel(level)
    handler.setFormatter(fmt)
    handler.addFilter(RequestIdFilter())
    setattr(handler, _OURS, True)
    return handler


def replace_handlers(logger: logging.Logger, handlers: list[logging.Handler]) -> None:
    for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
        logger.removeHandler(old)
        old.close()
    for handler in handlers:
        logger.addHandler(handler)


def rotating_file(app: Flask, name: str) -> FailSafeRotatingFileHandler:
    return FailSafeRotatingFileHandler(
        str(Path(app.config["LOG_DIR"]) / name),
        maxBytes=app.config["LOG_MAX_BYTES"],
        backupCount=app.config["LOG_BACKUP_COUNT"],
        encoding="utf-8",
    )


def configure_logging(app: Flask) -> None:
    """Attach the file (or stdout) handlers to ``app.logger``."""
    global _started
    handlers: list[logging.Handler] = []
    text = logging.Formatter(TEXT_FORMAT)
    if app.config.get("LOG_TO_STDOUT"):
        handlers.append(_mark(logging.StreamHandler(sys.stdout), logging.INFO, text))
    elif file_logging_enabled(app):
        Path(app.config["LOG_DIR"]).mkdir(parents=True, exist_ok=True)
        handlers.append(_mark(rotating_file(app, "microblog.log"), logging.INFO, text))
        handlers.append(_mark(rotating_file(app, "error.log"), logging.ERROR, text))
    replace_handlers(app.logger, handlers)
    if not any(isinstance(f, SafePathFilter) for f in app.logger.filters):
        app.logger.addFilter(SafePathFilter())
    if handlers:
        app.logger.setLevel(logging.INFO)
        if not _started and is_server_process():  # once per server process, however many apps it creates
            _started = True
            app.logger.info("Microblog startup")
