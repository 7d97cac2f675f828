"""File logs, the JSON request log, slow-request and slow-SQL warnings, and
what happens when the log disk fails."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import abort

from app import db
from app.observability.metrics import LOG_WRITE_FAILURES
from app.observability.requestlog import flush_request_log
from config import BASE_DIR


@pytest.fixture
def log_dir(tmp_path):
    return tmp_path / "logs"


@pytest.fixture
def app_config(log_dir):
    return {"LOG_TO_FILE": True, "LOG_DIR": str(log_dir), "PROPAGATE_EXCEPTIONS": False,
            "SLOW_REQUEST_MS": 10_000, "SLOW_QUERY_MS": 10_000}


@pytest.fixture(autouse=True)
def routes(app):
    @app.route("/test/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.route("/test/sleep/<int:ms>")
    def sleep(ms):
        time.sleep(ms / 1000)
        return "slept"

    @app.route("/test/slow-sql")
    def slow_sql():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SELECT pg_sleep(0.05)"))
        else:  # SQLite has no sleep: a deliberately heavy recursive query
            db.session.execute(sa.text(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
                "SELECT count(*) FROM c"))
        return "done"

    @app.route("/test/missing")
    def missing():
        abort(404)


def read(path) -> str:
    flush_request_log()  # requests.log is written from a background thread
    return path.read_text() if path.exists() else ""


def test_log_files_and_request_id(client, log_dir):
    client.get("/auth/login")
    response = client.get("/test/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    main, errors = read(log_dir / "microblog.log"), read(log_dir / "error.log")
    assert "ERROR [req-42] Exception on /test/boom [GET] [in app:" in main
    assert "Traceback (most recent call last)" in errors and "RuntimeError: kaboom" in errors
    assert "INFO" not in errors  # ERROR and above only
    assert "[in " in main and " INFO " not in errors


def test_startup_logged_once_per_process(tmp_path):
    code = (
        "from app import create_app\n"
        "from config import Config\n"
        f"C = type('C', (Config,), {{'LOG_TO_FILE': True, 'LOG_DIR': {str(tmp_path)!r}, 'SECRET_KEY': 'x',"
        f" 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}})\n"
        "create_app(C); create_app(C)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, check=True, capture_output=True)
    assert read(tmp_path / "microblog.log").count("Microblog startup") == 1


def test_request_log_is_one_json_line_per_request(client, auth, susan, log_dir):
    auth.login()
    client.get("/index", headers={"User-Agent": "pytest-agent", "X-Request-ID": "abc"})
    client.get("/no/such/page")
    lines = [json.loads(line) for line in read(log_dir / "requests.log").splitlines()]
    assert len(lines) == 3
    login, index, missing = lines
    assert login["method"] == "POST" and login["endpoint"] == "auth.login" and login["status"] == 302
    assert {"time", "request_id", "method", "path", "endpoint", "status", "duration_ms", "user_id",
            "remote_addr", "user_agent"} <= index.keys()
    assert (index["path"], index["status"], index["request_id"], index["user_agent"]) == \
        ("/index", 200, "abc", "pytest-agent")
    assert index["user_id"] == str(susan.id)
    assert isinstance(index["duration_ms"], float) and index["duration_ms"] >= 0
    assert index["remote_addr"] == "127.0.0.1"
    assert index["event"] == "request"
    when = datetime.fromisoformat(index["time"])  # ISO 8601, UTC, to the millisecond
    assert when.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - when) < timedelta(minutes=1)
    assert (missing["status"], missing["endpoint"]) == (404, None)


def test_log_to_stdout_sends_every_log_there(tmp_path):
    unused = tmp_path / "stdout-only"
    code = (
        "from app import create_app\n"
        "from app.observability.requestlog import flush_request_log\n"
        "from config import Config\n"
        f"C = type('C', (Config,), {{'LOG_TO_STDOUT': True, 'LOG_DIR': {str(unused)!r}, 'SECRET_KEY': 'x',"
        f" 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}})\n"
        "app = create_app(C)\n"
        "app.test_client().get('/auth/login', headers={'X-Request-ID': 'to-stdout'})\n"
        "flush_request_log()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, check=True, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    assert any(" INFO [-] Microblog startup" in line for line in lines)
    requests = [json.loads(line) for line in lines if line.startswith("{")]
    assert [(r["path"], r["status"], r["request_id"]) for r in requests] == [("/auth/login", 200, "to-stdout")]
    assert not unused.exists()  # no log files


def test_request_log_keeps_odd_text_whole(client, log_dir):
    # A WSGI header is Latin-1 text; an URL may carry invalid UTF-8 and CR/LF.
    client.get("/n\u00f6/%FF%0Aforged", environ_base={"HTTP_USER_AGENT": "caf\xe9 \x01\x7f agent"})
    line = read(log_dir / "requests.log").splitlines()[-1]
    logged = json.loads(line)
    assert logged["user_agent"] == "caf\xe9 \x01\x7f agent"
    assert logged["path"] == "/n\u00f6/\ufffd%0Aforged"  # control characters percent-encoded
    assert logged["status"] == 404


def test_request_log_can_be_turned_off(app, client, log_dir):
    app.config["LOG_REQUESTS"] = False
    client.get("/auth/login")
    assert read(log_dir / "requests.log") == ""


def test_slow_request_warning(app, client, log_dir):
    app.config["SLOW_REQUEST_MS"] = 20
    client.get("/test/sleep/1")
    client.get("/test/sleep/60")
    warnings = [line for line in read(log_dir / "microblog.log").splitlines() if "Slow request" in line]
    assert len(warnings) == 1
    assert "WARNING" in warnings[0] and "GET /test/sleep/60" in warnings[0]


def test_slow_sql_warning_carries_the_statement_cut_short(log_dir, backend, database_url):
    from app import create_app
    from tests.conftest import config

    app = create_app(config(database_url, LOG_TO_FILE=True, LOG_DIR=str(log_dir), SLOW_QUERY_MS=5))
    app.add_url_rule("/slow", "slow", lambda: (db.session.execute(sa.text(
        "SELECT pg_sleep(0.05)" if backend == "postgresql" else
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c"
    )), "ok")[1])
    app.test_client().get("/slow")
    with app.app_context():
        db.engine.dispose()
    lines = [line for line in read(log_dir / "microblog.log").splitlines() if "Slow SQL" in line]
    assert lines and "WARNING" in lines[0]
    assert "SELECT" in lines[0] and "(threshold 5 ms)" in lines[0]


def test_slow_sql_statement_is_truncated(app, caplog):
    from app.observability.sql import MAX_STATEMENT
    app.config["SLOW_QUERY_MS"] = 0
    from app.observability.sql import watch_engine
    engine = sa.create_engine("sqlite://")
    watch_engine(app, engine)
    long_select = "SELECT " + " + ".join(["1"] * 400)
    with caplog.at_level(logging.WARNING), engine.connect() as conn:
        conn.execute(sa.text(long_select))
    (record,) = [r for r in caplog.records if "Slow SQL" in r.getMessage()]
    assert record.getMessage().endswith("…")
    assert len(record.getMessage()) < MAX_STATEMENT + 100


def test_rotation_by_size(app, client, log_dir):
    from app.observability.logs import configure_logging
    app.config.update(LOG_MAX_BYTES=2000, LOG_BACKUP_COUNT=3)
    configure_logging(app)
    for i in range(200):
        app.logger.info("line %d %s", i, "x" * 50)
    names = sorted(p.name for p in log_dir.iterdir() if p.name.startswith("microblog.log"))
    assert names == ["microblog.log", "microblog.log.1", "microblog.log.2", "microblog.log.3"]
    assert all((log_dir / n).stat().st_size <= 2200 for n in names)


def test_log_dir_removed_never_breaks_a_request(app, client, log_dir, capfd):
    import shutil
    failures_before = LOG_WRITE_FAILURES.labels("microblog.log")._value.get()
    lines_lost_before = LOG_WRITE_FAILURES.labels("requests.log")._value.get()
    flush_request_log()
    shutil.rmtree(log_dir)
    for _ in range(5):
        assert client.get("/auth/login").status_code == 200
        assert client.get("/test/boom").status_code == 500  # logs at ERROR, to both files
    flush_request_log()  # requests.log is written in batches from a background thread
    err = capfd.readouterr().err
    # Reported once per file, not once per line.
    assert err.count("cannot write") == 3  # microblog.log, error.log, requests.log
    assert "Traceback" not in err
    assert LOG_WRITE_FAILURES.labels("microblog.log")._value.get() - failures_before >= 5
    # requests.log is written in batches: every line of a lost batch is counted.
    assert LOG_WRITE_FAILURES.labels("requests.log")._value.get() - lines_lost_before == 10
