"""Real database faults on SQLite and PostgreSQL, and what each one answers.

Only what a retry can cure is a 503 with Retry-After: a lock held elsewhere, a
statement timeout, a server that is down or full of connections, an exhausted
pool, a database file that cannot be opened. A bug in SQL (a renamed table, a
dropped column, a syntax error) is a 500, though sqlite3 calls it an
OperationalError too. For every row: the HTML and problem+json statuses, the
metrics' labels, the error email (the 503s are one "database unavailable"
incident, a 500 is a bug of its own) and /health/ready, which fails only when
this instance cannot reach its database at all.
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import stamp

from app import create_app, db
from app.models import Post
from tests.conftest import config, make_user
from tests.support.metrics import scrape, value
from tests.support.postgres import PostgresCluster
from tests.support.smtp import SMTPServer
from tests.support.waiting import wait_for

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


@dataclass
class Scene:
    """One app on a database of its own, which a fault may break."""

    app: Flask
    backend: str
    url: str
    sqlite_path: Path | None = None
    cluster: PostgresCluster | None = None
    name: str = ""

    def raw_sql(self, *statements: str) -> None:
        """Run statements on a connection of their own, as an operator would."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
        engine.dispose()

    def new_connections(self) -> None:
        """Drop the app's pooled connections, as a freshly started worker has none."""
        with self.app.app_context():
            db.engine.dispose()


@contextmanager
def renamed_table(scene: Scene) -> Iterator[None]:
    scene.raw_sql("ALTER TABLE post RENAME TO post_renamed")
    yield


@contextmanager
def dropped_column(scene: Scene) -> Iterator[None]:
    # Renamed away rather than dropped: the search index depends on post.body
    # (its triggers, the generated tsvector), so both databases refuse a
    # DROP; for the code, a column by another name is a column gone.
    scene.raw_sql("ALTER TABLE post RENAME COLUMN body TO body_gone")
    yield


@contextmanager
def syntax_error(scene: Scene) -> Iterator[None]:
    yield  # the route below is the bug


@contextmanager
def held_write_lock(scene: Scene) -> Iterator[None]:
    """Another connection holds the write lock: SQLite's BEGIN EXCLUSIVE
    (writers wait SQLITE_BUSY_TIMEOUT_MS), PostgreSQL's EXCLUSIVE table lock
    (writers wait lock_timeout, set on the database as an operator would)."""
    if scene.backend == "sqlite":
        holder = sqlite3.connect(scene.sqlite_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    assert scene.cluster is not None
    scene.cluster.psql(f"ALTER DATABASE \"{scene.name}\" SET lock_timeout = '100ms'")
    scene.new_connections()
    with _pg_lock(scene, "EXCLUSIVE"):
        yield


@contextmanager
def statement_timeout(scene: Scene) -> Iterator[None]:
    """A read waits on an ACCESS EXCLUSIVE lock until DB_STATEMENT_TIMEOUT_MS
    cancels it (57014)."""
    with _pg_lock(scene, "ACCESS EXCLUSIVE"):
        yield


@contextmanager
def _pg_lock(scene: Scene, mode: str) -> Iterator[None]:
    holder = psycopg.connect(scene.url.replace("+psycopg", ""))
    holder.execute(f"LOCK TABLE post IN {mode} MODE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@contextmanager
def stopped_server(scene: Scene) -> Iterator[None]:
    assert scene.cluster is not None
    scene.cluster.stop()
    yield


@contextmanager
def unopenable_file(scene: Scene) -> Iterator[None]:
    """The database's folder is gone (an unmounted volume): a new connection
    cannot open the file."""
    assert scene.sqlite_path is not None
    folder = scene.sqlite_path.parent
    folder.rename(folder.with_name("moved-away"))
    scene.new_connections()
    yield


@contextmanager
def pool_exhausted(scene: Scene) -> Iterator[None]:
    """Every connection of the pool (DB_POOL_SIZE=2, no overflow) is taken."""
    with scene.app.app_context():
        held = [db.engine.connect() for _ in range(2)]
    try:
        yield
    finally:
        for conn in held:
            conn.close()


@contextmanager
def too_many_connections(scene: Scene) -> Iterator[None]:
    """The app's role may have one connection, and another client has it (53300)."""
    assert scene.cluster is not None
    scene.cluster.psql(f'ALTER ROLE "{scene.name}" CONNECTION LIMIT 1')
    scene.new_connections()
    # A backend outlives its client's close by a moment (and a health-check
    # thread may still return its connection): take the one allowed
    # connection only once the role has none left, or this client is the one refused.
    superuser = scene.cluster.url("postgres").replace("+psycopg", "")

    def role_idle() -> bool:
        with psycopg.connect(superuser, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (scene.name,)).fetchone()
        return row is not None and row[0] == 0

    wait_for(role_idle, 10, lambda: f"role {scene.name} still has connections")
    with psycopg.connect(scene.url.replace("+psycopg", "")):
        yield


@dataclass(frozen=True)
class Fault:
    name: str
    backend: str
    make: Callable[[Scene], AbstractContextManager[None]]
    status: int
    exception: str  # the http_exceptions_total label
    ready: int  # /health/ready during the fault
    path: str = "/explore"
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.name.replace(' ', '-')}-{self.backend}"

    @property
    def endpoint(self) -> str:
        return {"/explore": "main.explore", "/index": "main.index", "/test/bad-sql": "bad_sql"}[self.path]

    @property
    def subject(self) -> str:
        where = "* (database unavailable)" if self.status == 503 else self.endpoint
        return f"Microblog Failure: {self.exception} in {where}"


FAULTS = [
    # A bug: 500, mailed as a bug of its own, the instance stays ready.
    Fault("renamed table", "sqlite", renamed_table, 500, "OperationalError", 200),
    Fault("renamed table", "postgresql", renamed_table, 500, "ProgrammingError", 200),
    Fault("dropped column", "sqlite", dropped_column, 500, "OperationalError", 200),
    Fault("dropped column", "postgresql", dropped_column, 500, "ProgrammingError", 200),
    Fault("syntax error", "sqlite", syntax_error, 500, "OperationalError", 200, "/test/bad-sql"),
    Fault("syntax error", "postgresql", syntax_error, 500, "ProgrammingError", 200, "/test/bad-sql"),
    # Contention: 503 for the request, one incident by email. The instance
    # stays ready: it reaches its database, and taking every instance out of
    # service for one held lock would turn a slow write into an outage.
    Fault("held write lock", "sqlite", held_write_lock, 503, "OperationalError", 200, "/index",
          {"SQLITE_BUSY_TIMEOUT_MS": 50}),
    Fault("held write lock", "postgresql", held_write_lock, 503, "OperationalError", 200, "/index"),
    Fault("statement timeout", "postgresql", statement_timeout, 503, "OperationalError", 200,
          settings={"DB_STATEMENT_TIMEOUT_MS": 300}),
    # The database cannot be reached: 503, one incident, and not ready.
    Fault("stopped server", "postgresql", stopped_server, 503, "OperationalError", 503),
    Fault("unopenable file", "sqlite", unopenable_file, 503, "OperationalError", 503),
    Fault("pool exhausted", "postgresql", pool_exhausted, 503, "TimeoutError", 503,
          settings={"DB_POOL_SIZE": 2, "DB_MAX_OVERFLOW": 0, "DB_POOL_TIMEOUT": 0.2}),
    Fault("too many connections", "postgresql", too_many_connections, 503, "OperationalError", 503),
]


@pytest.fixture
def scene(request: pytest.FixtureRequest, tmp_path: Path, smtp: SMTPServer) -> Iterator[Scene]:
    fault: Fault = request.param
    settings = {
        "PROPAGATE_EXCEPTIONS": False, "RATELIMIT_ENABLED": False, "HEALTH_CACHE_SECONDS": 0,
        "ERROR_EMAILS": True, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_TIMEOUT": 2,
        "ADMINS": ["admin@example.com"], "ERROR_EMAIL_WINDOW": 60, "LOG_DIR": str(tmp_path / "logs"),
        **fault.settings,
    }
    cluster: PostgresCluster | None = None
    sqlite_path = None
    name = f"faults_{uuid.uuid4().hex[:8]}"
    if fault.backend == "sqlite":
        sqlite_path = tmp_path / "db" / "faults.db"
        sqlite_path.parent.mkdir()
        url = f"sqlite:///{sqlite_path}"
    else:
        # A server of its own when the fault stops it; always a database and
        # a role of its own (the app never runs as the superuser).
        cluster = request.getfixturevalue("own_cluster" if fault.make is stopped_server else "pg_cluster")
        cluster.psql(f'CREATE ROLE "{name}" LOGIN')
        cluster.psql(f'CREATE DATABASE "{name}" OWNER "{name}"')
        url = cluster.url(name).replace("postgres@", f"{name}@")
    app = create_app(config(url, **settings))

    @app.route("/test/bad-sql")
    def bad_sql() -> str:
        db.session.execute(sa.text("SELEC 1"))
        return "unreachable"

    with app.app_context():
        db.create_all()
        stamp()
        make_user("susan")
        db.session.add(Post(body="before the fault", user_id=1))
        db.session.commit()
        db.session.remove()
    yield Scene(app, fault.backend, url, sqlite_path, cluster, name)
    app.extensions["error_emails"].stop()
    with app.app_context():
        db.engine.dispose()
    if cluster is not None and fault.make is not stopped_server:
        cluster.drop_database(name)
        cluster.psql(f'DROP ROLE "{name}"')


@pytest.mark.parametrize("scene, fault", [(f, f) for f in FAULTS], ids=[f.id for f in FAULTS],
                         indirect=["scene"])
def test_fault(scene: Scene, fault: Fault, smtp: SMTPServer) -> None:
    app = scene.app
    client = app.test_client()
    assert client.post("/auth/login", data={"username": "susan", "password": "correct horse"}).status_code == 302
    assert client.get("/explore").status_code == 200
    assert client.get("/health/ready").status_code == 200
    before = scrape(client)
    outbox = app.extensions["error_emails"]

    with fault.make(scene):
        method, data = ("POST", {"post": "during the fault"}) if fault.path == "/index" else ("GET", None)
        page = client.open(fault.path, method=method, data=data, headers=HTML)
        problem = client.open(fault.path, method=method, data=data, headers=JSON)
        ready = client.get("/health/ready").status_code
        after = scrape(client)

    assert (page.status_code, page.mimetype) == (fault.status, "text/html"), page.get_data(as_text=True)[:500]
    assert (problem.status_code, problem.mimetype) == (fault.status, "application/problem+json")
    assert problem.get_json(force=True)["status"] == fault.status
    assert ("Retry-After" in page.headers) == (fault.status == 503)
    assert ready == fault.ready

    requests = {"method": method, "endpoint": fault.endpoint, "status": str(fault.status)}
    exceptions = {"exception": fault.exception, "endpoint": fault.endpoint}
    assert value(after, "http_requests_total", **requests) - value(before, "http_requests_total", **requests) == 2
    assert value(after, "http_exceptions_total", **exceptions) - \
        value(before, "http_exceptions_total", **exceptions) == 2

    # Both requests failed the same way: one email, the repeat only counted.
    assert outbox.wait_idle(10)
    assert [m["Subject"] for m in smtp.inbox.messages] == [fault.subject]
