"""Extension objects, created unbound and initialised in ``create_app``.

Models and blueprints import from here, so nothing needs an import at the
bottom of a module to dodge a cycle.
"""
from __future__ import annotations

import smtplib

import flask_mail
import sqlalchemy as sa
from flask import current_app
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter SQLite tables in batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _BoundedConnection(flask_mail.Connection):
    """Flask-Mail's SMTP connection with a socket timeout.

    Flask-Mail opens ``smtplib.SMTP`` with no timeout, so a mail server that
    accepts the connection and never answers would hold a sending thread
    forever (and block interpreter exit, which joins those threads).
    """

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        timeout = float(current_app.config.get("MAIL_TIMEOUT", 10))
        smtp_class = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = smtp_class(mail.server, mail.port, timeout=timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


class BoundedMail(flask_mail.Mail):
    def connect(self) -> flask_mail.Connection:
        return _BoundedConnection(current_app.extensions["mail"])


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
login.login_view = "auth.login"
login.login_message = _l("Please log in to access this page.")
login.login_message_category = "info"
mail = BoundedMail()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
babel = Babel()
# Limits are declared on the views that need them; storage comes from config.
limiter = Limiter(key_func=get_remote_address)
