"""The application factory."""
from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

# Observability first: its package imports the metrics exporter and health
# checks, which read the job queue, while the jobs import observability's
# metrics. Loaded in this order, each finds the other complete.
import app.observability  # noqa: F401, I001
from app import (
    avatars,
    csrf_token,
    frame,
    i18n,
    jobs,
    limits,
    links,
    observability,
    request_id,
    security,
    translate,
    urls,
)
from app.extensions import bootstrap, csrf, db, login, mail, migrate
from app.observability.logs import is_server_process
from config import Config

__all__ = ["create_app", "db"]

# Functions ensure_sync has found plain, per app: past this many (closures
# made per request by after_this_request) the set starts again.
MAX_PLAIN = 1024


class Microblog(Flask):
    """Flask, remembering which hooks and views are plain functions.

    Flask asks inspect whether each before/after/teardown hook and the view is
    a coroutine function on every request, a dozen calls that add up to about
    1% of the notification poll; the answer for a given function never
    changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._plain:
                return func
        except TypeError:  # an unhashable callable: ask every time
            return super().ensure_sync(func)
        result = super().ensure_sync(func)
        if result is func:
            if len(self._plain) >= MAX_PLAIN:
                self._plain.clear()
            self._plain.add(func)
        return result


def create_app(config_class: type = Config) -> Flask:
    # INSTANCE_PATH must be known before Flask is built: it holds the default
    # SQLite database and the generated secret key. The folder is created
    # only by what writes there: under systemd's ProtectSystem=strict a
    # production app with SECRET_KEY and DATABASE_URL set cannot create it.
    app = Microblog(__name__, instance_path=getattr(config_class, "INSTANCE_PATH", None))
    app.config.from_object(config_class)
    configure_secret_key(app)
    configure_database(app)
    register_extensions(app)
    request_id.init_app(app)
    observability.init_app(app)
    jobs.init_app(app)
    translate.init_app(app)
    register_blueprints(app)
    register_cli(app)
    return app


def configure_secret_key(app: Flask) -> None:
    """Without SECRET_KEY, generate one once and keep it in the instance folder,
    so sessions survive restarts and every worker process shares it."""
    if app.config.get("SECRET_KEY"):
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=app.instance_path)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic: a worker racing us keeps the first key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    app.config["SECRET_KEY"] = path.read_text().strip()
    # A warning at every `flask db upgrade` or `flask seed` would only teach
    # people to skip it: say it where it matters, when a server starts.
    if is_server_process():
        app.logger.warning(
            "SECRET_KEY is not set: using the generated key in %s. Set SECRET_KEY in production.", path
        )


def configure_database(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "microblog.db")
    # hide_parameters: a failed statement's "[parameters: ...]" (a new password's
    # hash, an email address) never reaches a log, an error email or Sentry.
    options = {"hide_parameters": True, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A server connection can die between requests (a restart, a
        # failover): connections idle for DB_PING_IDLE_SECONDS are tested at
        # checkout (app/db_events.py), not every one. SQLite's file has no
        # connection to lose.
        options.setdefault("pool_pre_ping", False)
        cfg = app.config
        options.setdefault("pool_size", cfg["DB_POOL_SIZE"])
        options.setdefault("max_overflow", cfg["DB_MAX_OVERFLOW"])
        options.setdefault("pool_timeout", cfg["DB_POOL_TIMEOUT"])
        options.setdefault("pool_recycle", 1800)
        options.setdefault("connect_args", {
            "connect_timeout": cfg["DB_CONNECT_TIMEOUT"],
            "options": f"-c statement_timeout={cfg['DB_STATEMENT_TIMEOUT_MS']}",
            # Notice a vanished server or network within seconds, not hours.
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
            "tcp_user_timeout": 15000,
        })
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    login.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    csrf_token.init_app(app)
    bootstrap.init_app(app)
    i18n.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    links.init_app(app)
    urls.init_app(app)
    frame.init_app(app)
    with app.app_context():
        from app.db_events import configure_engine

        configure_engine(db.engine)


def register_blueprints(app: Flask) -> None:
    from app import favicon
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.errors import InsufficientStorage
    from app.errors import bp as errors_bp
    from app.exports import bp as exports_bp
    from app.feeds import bp as feeds_bp
    from app.i18n.routes import bp as i18n_bp
    from app.main import bp as main_bp
    from app.messages import bp as messages_bp
    from app.notifications import bp as notifications_bp
    from app.posts.routes import bp as posts_bp
    from app.search.routes import bp as search_bp
    from app.tags import bp as tags_bp
    from app.translate.routes import bp as translate_bp

    app.register_blueprint(errors_bp)
    avatars.init_app(app)
    favicon.init_app(app)
    app.aborter.mapping[InsufficientStorage.code] = InsufficientStorage  # abort(507) works too
    app.register_blueprint(main_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(tags_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(i18n_bp)
    app.register_blueprint(translate_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(api_bp, url_prefix="/api")


def register_cli(app: Flask) -> None:
    from app.cli import alerts, mailserver, seed
    from app.i18n.cli import translate_cli
    from app.jobs.worker import worker
    from app.posts.cli import posts_cli
    from app.search.cli import search_cli

    app.cli.add_command(seed)
    app.cli.add_command(mailserver)
    app.cli.add_command(alerts)
    app.cli.add_command(worker)
    app.cli.add_command(search_cli)
    app.cli.add_command(posts_cli)
    app.cli.add_command(translate_cli)
