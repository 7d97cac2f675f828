"""Users and who follows whom (the login a session cookie names: app/models/viewer.py)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.posts import Post

followers = sa.Table(
    "followers",
    db.metadata,
    sa.Column("follower_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("followed_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves "whom does X follow"; this serves "who follows X".
    sa.Index("ix_followers_followed_id", "followed_id"),
)


def visit_due(last_seen: datetime | None, interval_seconds: int) -> bool:
    """Whether a visit now is to be recorded (User.seen, Viewer.seen)."""
    return last_seen is None or (utcnow() - last_seen).total_seconds() >= interval_seconds


class Profile(NamedTuple):
    """What a profile page or popup shows of its user: plain values, not an
    ORM object (the page only reads them, and loading the object cost more)."""

    id: int
    username: str
    email: str
    about_me: str | None
    last_seen: datetime | None


class ProfileStats(NamedTuple):
    posts: int
    followers: int
    following: int
    viewer_follows: bool


class User(UserMixin, db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64))
    email: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))
    about_me: so.Mapped[str | None] = so.mapped_column(sa.String(140))
    last_seen: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, default=utcnow)
    # API token: only its SHA-256 digest is stored, so a leaked database
    # yields no usable token. One token per user at a time.
    token_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True, unique=True)
    token_expiration: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Private messages: when the inbox was last opened, and how many arrived
    # since. The count is kept here, on the row every page loads anyway, so
    # the navbar badge costs no query; sending adds 1 in SQL (right under
    # concurrent sends), opening the inbox resets it.
    last_message_read_time: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    unread_message_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # The interface language chosen (a code of LANGUAGES), or None: then the
    # cookie or the browser decides (app/i18n/).
    language: so.Mapped[str | None] = so.mapped_column(sa.String(10))

    posts: so.WriteOnlyMapped[Post] = so.relationship(back_populates="author", passive_deletes=True,
                                                      foreign_keys="Post.user_id")
    following: so.WriteOnlyMapped[User] = so.relationship(
        secondary=followers,
        primaryjoin=(followers.c.follower_id == id),
        secondaryjoin=(followers.c.followed_id == id),
        back_populates="followers",
        passive_deletes=True,
    )
    followers: so.WriteOnlyMapped[User] = so.relationship(
        secondary=followers,
        primaryjoin=(followers.c.followed_id == id),
        secondaryjoin=(followers.c.follower_id == id),
        back_populates="following",
        passive_deletes=True,
    )

    # Case-insensitive uniqueness, enforced by the database itself: the
    # validators only give the friendly message, these settle any race.
    __table_args__ = (
        sa.Index("ix_user_username_lower", sa.func.lower(username), unique=True),
        sa.Index("ix_user_email_lower", sa.func.lower(email), unique=True),
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def avatar(self, size: int) -> str:
        digest = hashlib.md5(self.email.lower().encode("utf-8")).hexdigest()
        return f"https://www.gravatar.com/avatar/{digest}?d=identicon&s={size}"

    @staticmethod
    def by_username(username: str) -> sa.Select[tuple[User]]:
        """The select of ``named()``, for callers that shape it further."""
        return _NAMED.params(name=username.lower())

    @staticmethod
    def named(username: str) -> User | None:
        """The user of that name (any case), if there is one: the statement
        built once (pages look a user up by name on every request)."""
        return db.session.scalar(_NAMED, {"name": username.lower()})

    @staticmethod
    def profile(username: str, viewer_id: int | None) -> tuple[Profile, ProfileStats] | None:
        """The user of that name (any case) and their counts, as the user
        ``viewer_id`` sees them, in one statement: a profile or its popup.
        Looked up by name and then counted, they cost two: on PostgreSQL a
        round trip more."""
        params = {"name": username.lower(), "viewer": viewer_id}
        row = db.session.connection().execute(_PROFILE, params).first()
        if row is None:
            return None
        return Profile(*row[:5]), ProfileStats(*row[5:8], bool(row[8]))

    @staticmethod
    def by_email(email: str) -> sa.Select[tuple[User]]:
        return sa.select(User).where(sa.func.lower(User.email) == email.lower())

    def follow(self, user: User) -> None:
        if not self.is_following(user):
            self.following.add(user)

    def unfollow(self, user: User) -> None:
        if self.is_following(user):
            self.following.remove(user)

    def is_following(self, user: User) -> bool:
        query = self.following.select().where(User.id == user.id)
        return db.session.scalar(query) is not None

    def followers_count(self) -> int:
        query = sa.select(sa.func.count()).select_from(self.followers.select().subquery())
        return db.session.scalar(query) or 0

    def following_count(self) -> int:
        query = sa.select(sa.func.count()).select_from(self.following.select().subquery())
        return db.session.scalar(query) or 0

    def posts_count(self) -> int:
        query = sa.select(sa.func.count()).select_from(Post).where(Post.user_id == self.id)
        return db.session.scalar(query) or 0

    def seen(self, interval_seconds: int = 60) -> bool:
        """Record a visit, at most once per ``interval_seconds``. Returns True
        when ``last_seen`` changed (the caller commits)."""
        if visit_due(self.last_seen, interval_seconds):
            self.last_seen = utcnow()
            return True
        return False

    # API tokens: random, expiring and revocable. A new token replaces the
    # previous one; the token itself cannot be shown again (only its digest is kept).
    @staticmethod
    def _token_digest(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def get_token(self, expires_in: int = 3600) -> str:
        """Issue a new API token valid for ``expires_in`` seconds (the caller commits)."""
        token = secrets.token_urlsafe(32)
        self.token_hash = self._token_digest(token)
        self.token_expiration = utcnow() + timedelta(seconds=expires_in)
        return token

    def revoke_token(self) -> None:
        self.token_hash = None
        self.token_expiration = None

    @staticmethod
    def check_token(token: str) -> User | None:
        """The user holding this unexpired token, if any."""
        user = db.session.scalar(sa.select(User).where(User.token_hash == User._token_digest(token)))
        if user is None or user.token_expiration is None or user.token_expiration <= utcnow():
            return None
        return user

    # What sessions and remember-me cookies store: the id and the key of one
    # login (a LoginSession row). Logging out deletes the row, so a saved
    # copy of either cookie stops working; a password change or "log out
    # everywhere" deletes every row of the user.
    # Set by app.auth.sessions.begin_session and Viewer.orm_user; never stored (not
    # a mapped column, so no annotation: declarative would try to map it).
    session_key = None

    def get_id(self) -> str:
        return f"{self.id}.{self.session_key or ''}"

    # Password reset tokens: signed and expiring. The payload carries a digest
    # of the current password hash, so a token stops working once it is used.
    def _reset_fingerprint(self) -> str:
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    @staticmethod
    def _reset_serializer() -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="reset-password")

    def get_reset_password_token(self) -> str:
        return self._reset_serializer().dumps({"reset_password": self.id, "h": self._reset_fingerprint()})

    @staticmethod
    def verify_reset_password_token(token: str) -> User | None:
        max_age = current_app.config.get("RESET_TOKEN_MAX_AGE", 600)
        try:
            data = User._reset_serializer().loads(token, max_age=max_age)
            user_id = int(data["reset_password"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        user = db.session.get(User, user_id)
        if user is None or data.get("h") != user._reset_fingerprint():
            return None
        return user


# Built once: building them per request cost a third of running them.
_NAMED = sa.select(User).where(sa.func.lower(User.username) == sa.bindparam("name"))
# One statement for a profile or its popup. On your own profile "you follow"
# stays false, as before, so the page shows no follow button for yourself.
_PROFILE = sa.select(User.id, User.username, User.email, User.about_me, User.last_seen).where(
    sa.func.lower(User.username) == sa.bindparam("name")).add_columns(
    sa.select(sa.func.count()).select_from(Post).where(Post.user_id == User.id).scalar_subquery(),
    sa.select(sa.func.count()).select_from(followers).where(followers.c.followed_id == User.id).scalar_subquery(),
    sa.select(sa.func.count()).select_from(followers).where(followers.c.follower_id == User.id).scalar_subquery(),
    sa.exists().where(followers.c.follower_id == sa.bindparam("viewer"), followers.c.followed_id == User.id,
                      followers.c.follower_id != followers.c.followed_id),
)
