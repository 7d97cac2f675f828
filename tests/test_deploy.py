"""deploy/: the nginx site (run by Debian's nginx in front of a recording
upstream), gunicorn.conf.py's metrics folder, what the app needs of the
filesystem when the systemd unit starts it, and the worker's unit beside it. The whole recipe, end to end, is
tests/test_recipe.py."""
from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.observability.workermetrics import DEFAULT_HOST, DEFAULT_PORT
from config import TestConfig
from tests.support.gunicorn import CONFIG, Server, environment, stop
from tests.support.nginx import SERVER_NAME, Nginx, Refused, request, running
from tests.support.ports import free_port
from tests.support.recipe import ENV_EXAMPLE, UNIT, WORKER_UNIT, parse_environment_file, parse_unit
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]


class Upstream(ThreadingHTTPServer):
    """Stands in for gunicorn: answers every request with the headers it got
    (as JSON) and an X-Request-ID of its own, as the app does."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), _Echo)
        self.seen: list[str] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # nginx keeps upstream connections alive

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-ID", self.headers.get("X-Request-ID", "none"))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def nginx(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    server = Nginx(tmp_path_factory.mktemp("nginx"), upstream=upstream.address, code_root=ROOT)
    with running(server):
        yield server


def site(nginx: Nginx, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return request(nginx.https_port, path, SERVER_NAME, tls=nginx.tls_context(), **kwargs)  # type: ignore[arg-type]


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    """`nginx -t` with Debian 12's nginx (1.22: no `http2 on;`), a throwaway
    certificate, and only ports and paths changed."""
    check = Nginx(tmp_path, upstream="127.0.0.1:8000", code_root=ROOT).check()
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr


class TestUnknownHosts:
    """Only server_name gets through: nginx's first server block used to be
    the default for every Host, so a reset link could name any host."""

    def test_plain_http_is_closed_without_an_answer(self, nginx: Nginx) -> None:
        with pytest.raises(Refused):
            request(nginx.http_port, "/auth/login", "attacker.example")
        redirect = request(nginx.http_port, "/auth/login?x=1", SERVER_NAME)
        assert redirect.status == 301
        assert redirect.header_values("Location") == [f"https://{SERVER_NAME}/auth/login?x=1"]

    @pytest.mark.parametrize("server_name", ["attacker.example", None])
    def test_tls_handshake_refused_for_another_name(self, nginx: Nginx, server_name: str | None) -> None:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
            request(nginx.https_port, "/", "attacker.example", tls=context, server_name=server_name)

    def test_right_tls_name_with_another_host_is_closed(self, nginx: Nginx, upstream: Upstream) -> None:
        before = len(upstream.seen)
        with pytest.raises(Refused):
            request(nginx.https_port, "/auth/login", "attacker.example", tls=nginx.tls_context())
        assert len(upstream.seen) == before


def test_forwarding_headers_come_from_nginx_only(nginx: Nginx) -> None:
    """A client's X-Forwarded-Prefix never reaches the app (trusted, it
    rewrote reset links to https://microblog.example.com@attacker.example/),
    and X-Forwarded-Host is always the matched server name."""
    answer = site(nginx, "/auth/login", headers={"X-Forwarded-Prefix": "@attacker.example",
                                                 "X-Forwarded-Host": "attacker.example"})
    received = json.loads(answer.body)
    assert answer.status == 200
    assert "x-forwarded-prefix" not in received
    assert received["x-forwarded-host"] == received["host"] == SERVER_NAME
    assert received["x-forwarded-proto"] == "https"


@pytest.mark.parametrize(("sent", "kept"), [("client-id-1", True), ("bad id\twith spaces", False)])
def test_one_request_id_per_response(nginx: Nginx, sent: str, kept: bool) -> None:
    """The app's X-Request-ID and nginx's were both sent: keep one, the id
    the app was given."""
    answer = site(nginx, "/auth/login", headers={"X-Request-ID": sent})
    [returned] = answer.header_values("X-Request-ID")
    assert returned == json.loads(answer.body)["x-request-id"]
    assert (returned == sent) is kept
    static = site(nginx, "/static/microblog.css")
    assert static.status == 200 and len(static.header_values("X-Request-ID")) == 1


def test_internal_pages_stay_internal(nginx: Nginx, upstream: Upstream) -> None:
    """/health (versions, disk, SMTP) and /metrics are for the networks the
    app's settings name, asked on gunicorn directly; the probes are public."""
    for path, public in (("/health", False), ("/metrics", False), ("/health/live", True), ("/health/ready", True)):
        before = len(upstream.seen)
        answer = site(nginx, path)
        assert (answer.status, upstream.seen[before:]) == ((200, [path]) if public else (404, [])), path


@contextmanager
def _gunicorn(tmp_path: Path, env: dict[str, str]) -> Iterator[Server]:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "-w", "1",
                             "-b", f"127.0.0.1:{(port := free_port())}", "microblog:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", proc.pid, Path(), tmp_path / "none.log")
    try:
        wait_for(lambda: _answers(server), 30, proc=proc)
        yield server
    finally:
        stop(proc)


def _answers(server: Server) -> bool:
    try:
        return server.get("/health/live", timeout=2)[0] == 200
    except OSError:
        return False


def test_gunicorn_removes_only_the_metrics_folder_it_made(tmp_path: Path) -> None:
    """Each run left a microblog-metrics-<pid> folder in the temporary
    directory. The one gunicorn.conf.py makes goes when the master exits; one
    the operator set (the systemd unit's) stays."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = environment(tmp_path, {"TMPDIR": str(temp)})
    del env["PROMETHEUS_MULTIPROC_DIR"]
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    with _gunicorn(tmp_path, env) as server:
        made = temp / f"microblog-metrics-{server.pid}"
        assert made.is_dir() and list(made.glob("*.db"))
    assert not made.exists()
    assert list(temp.iterdir()) == []

    operators = tmp_path / "operator-metrics"
    with _gunicorn(tmp_path, {**env, "PROMETHEUS_MULTIPROC_DIR": str(operators)}):
        assert operators.is_dir()
    assert operators.is_dir() and list(operators.glob("*.db"))


def test_cli_creates_a_missing_metrics_folder(tmp_path: Path) -> None:
    """The unit's first step, `flask db upgrade`, ran with
    PROMETHEUS_MULTIPROC_DIR=/run/microblog/metrics before anything had
    made it: FileNotFoundError on gauge_livesum_<pid>.db."""
    folder = tmp_path / "run" / "metrics"
    env = environment(tmp_path, {"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    done = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert folder.is_dir()


def test_instance_folder_only_made_when_needed(tmp_path: Path) -> None:
    """Under ProtectSystem=strict the code tree is read-only, and create_app
    made the instance folder there whether or not anything needed it. It is
    needed for the generated secret key and the default SQLite database
    (and the error-email groups, which make it themselves when they write)."""

    def app_with(instance: Path, **settings: object) -> Flask:
        return create_app(type("C", (TestConfig,), {"INSTANCE_PATH": str(instance), **settings}))

    unneeded = tmp_path / "unneeded" / "instance"
    app_with(unneeded, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert not unneeded.exists()

    for_key = tmp_path / "key" / "instance"
    app_with(for_key, SECRET_KEY=None)
    assert (for_key / "secret_key").is_file()

    for_db = tmp_path / "db" / "instance"
    app = app_with(for_db, SQLALCHEMY_DATABASE_URI=None)
    assert for_db.is_dir() and app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{for_db / 'microblog.db'}"


def test_the_access_log_keeps_no_reset_token(nginx: Nginx) -> None:
    """A reset link's token is in its path, and every asset the reset page
    loads names the link as its Referer: nginx logs neither token."""
    token = "eyJyZXNldF9wYXNzd29yZCI6MX0.secret-token-value"
    site(nginx, f"/auth/reset_password/{token}?page=2")
    site(nginx, "/bootstrap/static/css/bootstrap.min.css",
         headers={"Referer": f"https://{SERVER_NAME}/auth/reset_password/{token}"})
    site(nginx, "/auth/login", headers={"Referer": f"https://{SERVER_NAME}/index"})
    lines = wait_for(lambda: len(nginx.access_log.read_text().splitlines()) >= 3 and nginx.access_log.read_text(),
                     5, lambda: "access log has fewer than 3 lines")
    assert token not in lines and "secret-token-value" not in lines
    assert '"GET /auth/reset_password/[redacted]?page=2 HTTP/1.1" 200' in lines
    assert f'"https://{SERVER_NAME}/auth/reset_password/[redacted]"' in lines
    assert '"GET /auth/login HTTP/1.1" 200' in lines and f'"https://{SERVER_NAME}/index"' in lines


def test_gunicorns_access_log_keeps_no_reset_token(tmp_path: Path) -> None:
    """GUNICORN_ACCESSLOG turns gunicorn's own access log on: its request
    line and Referer would name a reset token."""
    access = tmp_path / "access.log"
    token = "eyJyZXNldF9wYXNzd29yZCI6MX0.gunicorn-secret"
    with _gunicorn(tmp_path, environment(tmp_path, {"GUNICORN_ACCESSLOG": str(access)})) as server:
        server.get(f"/auth/reset_password/{token}")
        request_with_referer = urllib.request.Request(
            server.url + "/auth/login", headers={"Referer": f"{server.url}/auth/reset_password/{token}"})
        urllib.request.urlopen(request_with_referer, timeout=10).close()
        text = wait_for(lambda: access.exists() and "GET /auth/login " in access.read_text() and access.read_text(),
                        10, lambda: access.read_text() if access.exists() else "no access log")
    assert "gunicorn-secret" not in text
    assert "GET /auth/reset_password/[redacted] HTTP/1.1" in text
    assert f"{server.url}/auth/reset_password/[redacted]" in text


def test_the_worker_unit_runs_beside_the_web_unit() -> None:
    """deploy/microblog-worker.service: the web unit's user, settings,
    folders and sandbox; `flask worker` from the same venv, stopped with
    Huey's graceful signal; and nothing of gunicorn's."""
    web, worker = parse_unit(UNIT.read_text()), parse_unit(WORKER_UNIT.read_text())
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile", "LogsDirectory", "StateDirectory",
                "StateDirectoryMode", "NoNewPrivileges", "PrivateTmp", "ProtectSystem", "ProtectHome", "Restart"):
        assert worker.all(key) == web.all(key), key
    web_env, worker_env = web.environment(), worker.environment()
    for name in ("LOG_DIR", "INSTANCE_PATH"):  # the same logs; the same SQLite queue file when there is no Redis
        assert worker_env[name] == web_env[name], name
    # gunicorn's metrics folder would add the worker's counts into the web's
    # /metrics; and systemd deletes a RuntimeDirectory when a unit naming it
    # stops, the web's metrics folder with it.
    assert "PROMETHEUS_MULTIPROC_DIR" not in worker_env
    assert not set(worker.words("RuntimeDirectory")) & set(web.words("RuntimeDirectory"))
    [argv] = worker.commands("ExecStart")
    [gunicorn_argv] = web.commands("ExecStart")
    assert argv == [str(Path(gunicorn_argv[0]).with_name("flask")), "worker"]
    assert worker.one("KillSignal") == "SIGINT"  # SIGTERM would interrupt the running jobs
    assert 0 < int(worker.one("TimeoutStopSec"))
    assert worker.one("Restart") == "on-failure"


def test_prometheus_scrapes_the_worker_where_it_listens() -> None:
    """deploy/prometheus.yml's microblog-worker job (the alert rules' name)
    targets the port and address a worker listens on by default, which
    env.example sets too."""
    import yaml  # schemathesis's dependency: a test tool, not the app's

    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"microblog", "microblog-worker"}
    [target] = [t for group in jobs["microblog-worker"]["static_configs"] for t in group["targets"]]
    assert target == f"{DEFAULT_HOST}:{DEFAULT_PORT}"
    env = parse_environment_file(ENV_EXAMPLE.read_text())
    assert (env["WORKER_METRICS_HOST"], env["WORKER_METRICS_PORT"]) == (DEFAULT_HOST, str(DEFAULT_PORT))
    rules = (ROOT / "deploy" / "alert_rules.yml").read_text()
    assert 'job="microblog-worker"' in rules and 'job="microblog"' in rules
