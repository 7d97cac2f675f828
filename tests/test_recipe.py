"""The production recipe, run as written: deploy/microblog.service's own
commands, and deploy/microblog-worker.service's beside them, with their
environment (deploy/env.example), in their folders, as their user, against a
throwaway PostgreSQL and Redis, behind nginx serving
deploy/nginx-microblog.conf. If a step of the unit cannot work on a real
host (a folder it needs that nobody creates, a write to the read-only code
tree), it fails here first."""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.jobs import enqueue
from config import database_url
from tests.conftest import config
from tests.support.gunicorn import stop
from tests.support.nginx import SERVER_NAME, Nginx, Refused, request, running
from tests.support.ports import free_port
from tests.support.postgres import PostgresCluster
from tests.support.recipe import (
    ENV_EXAMPLE,
    UNIT,
    WORKER_UNIT,
    Root,
    Unit,
    as_user,
    ensure_user,
    leftover_host_paths,
    make_service_dirs,
    parse_unit,
    service_environment,
    set_values,
    use_local_inbox,
)
from tests.support.redis import RedisServer
from tests.support.requirements import missing
from tests.support.smtp import SMTPServer
from tests.support.waiting import wait_for

_CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


def _worker_metrics(port: int) -> dict[tuple[str, frozenset], float] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            body = answer.read().decode()
    except OSError:
        return None
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def _stop_as_systemd(unit: Unit, proc: subprocess.Popen) -> None:
    """`systemctl stop`: KillSignal=, then SIGKILL after TimeoutStopSec=."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.Signals[unit.one("KillSignal")])
    try:
        proc.wait(timeout=int(unit.one("TimeoutStopSec")))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _notified_ready(sock: socket.socket) -> bool:
    """One sd_notify datagram, if any: READY=1 is what Type=notify waits for."""
    try:
        return b"READY=1" in sock.recv(4096)
    except TimeoutError:
        return False


@pytest.mark.timeout(180)
def test_recipe_runs_as_written(own_cluster: PostgresCluster) -> None:
    if os.geteuid() != 0:
        missing("the recipe test must run as root: it creates the microblog user and runs the unit as it")
    for tool in ("setpriv", "systemd-analyze", "git"):
        if shutil.which(tool) is None:
            missing(f"{tool} not found")
    if shutil.which("redis-server") is None:
        missing("redis-server not found: install redis-server")

    with ExitStack() as stack:
        root = Root()
        stack.callback(root.cleanup)
        redis = RedisServer()
        stack.callback(redis.stop)
        smtp = stack.enter_context(SMTPServer())

        # The unit, with its paths moved into the root, must still be a unit
        # systemd accepts, and name no host path any more.
        unit_text = root.rewrite(UNIT.read_text())
        assert not leftover_host_paths(unit_text), leftover_host_paths(unit_text)
        unit = parse_unit(unit_text)
        user = ensure_user(unit.one("User"))
        code = root.install_code(user.pw_name)
        assert Path(unit.one("WorkingDirectory")) == code
        unit_file = root.host("/etc/systemd/system/microblog.service")
        root.makedirs(unit_file.parent)
        unit_file.write_text(unit_text)
        verify = subprocess.run(["systemd-analyze", "verify", str(unit_file)], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        # README step 1: the database role and database.
        password = secrets.token_hex(8)
        own_cluster.psql(f"CREATE ROLE microblog LOGIN PASSWORD '{password}'")
        own_cluster.psql("CREATE DATABASE microblog OWNER microblog")

        # README step 2: /etc/microblog/env from env.example, edited where it says "change".
        gunicorn_port, worker_port = free_port(), free_port()
        db_url = f"postgresql://microblog:{password}@127.0.0.1:{own_cluster.port}/microblog"
        env_text = set_values(ENV_EXAMPLE.read_text(), {
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": db_url,
            "REDIS_URL": redis.url,
            "GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}",
            "WORKER_METRICS_PORT": str(worker_port),
        })
        env_text = use_local_inbox(env_text, smtp.port)
        env_text += "GUNICORN_WORKERS=2\n"  # not 2 × cores + 1 on a build machine
        [env_file] = [Path(p) for p in unit.all("EnvironmentFile")]
        root.makedirs(env_file.parent)  # install -d -m 750 -g microblog; install -m 640 -g microblog
        for path, mode in ((env_file.parent, 0o750), (env_file, 0o640)):
            if path == env_file:
                path.write_text(env_text)
            shutil.chown(path, "root", unit.one("Group"))
            path.chmod(mode)

        # What systemd does at `systemctl start`: the folders, the
        # environment, then each Exec line as the user.
        make_service_dirs(root, unit, user)
        env = service_environment(root, unit, user)
        prefix = as_user(unit, str(code / ".venv" / "bin" / "python"))
        workdir = unit.one("WorkingDirectory")
        for argv in unit.commands("ExecStartPre"):
            done = subprocess.run([*prefix, *argv], cwd=workdir, env=env, capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 0, f"ExecStartPre={shlex.join(argv)} failed:\n{done.stdout}{done.stderr}"

        assert unit.one("Type") == "notify"
        notify_path = root.host("/run/systemd/notify")
        root.makedirs(notify_path.parent)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        stack.callback(notify.close)
        notify.bind(str(notify_path))
        notify_path.chmod(0o666)
        notify.settimeout(0.5)
        env["NOTIFY_SOCKET"] = str(notify_path)

        [argv] = unit.commands("ExecStart")
        log = root.path / "service.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([*prefix, *argv], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        stack.callback(stop, proc)
        wait_for(lambda: _notified_ready(notify), 60, lambda: log.read_text(errors="replace"), proc=proc, interval=0)
        direct = f"127.0.0.1:{gunicorn_port}"

        # README step 3, the worker: its own unit, with the same settings
        # file, as the same user, in the same folders.
        worker_text = root.rewrite(WORKER_UNIT.read_text())
        assert not leftover_host_paths(worker_text), leftover_host_paths(worker_text)
        worker_unit = parse_unit(worker_text)
        worker_file = root.host("/etc/systemd/system/microblog-worker.service")
        worker_file.write_text(worker_text)
        verify = subprocess.run(["systemd-analyze", "verify", str(worker_file)], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        # README, Background jobs: more worker processes on a host, from a
        # template named by each one's metrics port.
        template = worker_file.with_name("microblog-worker@.service")
        template.write_text(re.sub(r"(?m)^ExecStart=.*$", lambda line: line.group(0) + " --metrics-port %i",
                                   worker_text))
        verify = subprocess.run(["systemd-analyze", "verify", str(template.with_name("microblog-worker@9102.service"))],
                                capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        make_service_dirs(root, worker_unit, user)
        worker_env = service_environment(root, worker_unit, user)
        [worker_argv] = worker_unit.commands("ExecStart")
        worker_log = root.path / "worker.log"
        with open(worker_log, "w") as out:
            worker = subprocess.Popen([*as_user(worker_unit, str(code / ".venv" / "bin" / "python")), *worker_argv],
                                      cwd=worker_unit.one("WorkingDirectory"), env=worker_env, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        stack.callback(_stop_as_systemd, worker_unit, worker)

        def worker_seen() -> bool:
            checks = json.loads(request(gunicorn_port, "/health", direct, tls=None).body)["checks"]
            return checks["queue:worker"][0]["status"] == "pass"

        wait_for(worker_seen, 30, lambda: worker_log.read_text(errors="replace"), proc=worker)
        # It runs what the site queues (on Redis, REDIS_URL), in PostgreSQL, and counts it on its own port.
        site_app = create_app(config(database_url(db_url), QUEUE_URL=redis.url))
        with site_app.app_context():
            enqueue("expire_exports")
        done = ("jobs_total", frozenset({"job": "expire_exports", "status": "complete"}.items()))
        # At least once: expire_exports is also on the worker's schedule (every
        # tenth minute), so a run that spans such a minute counts two.
        metrics = wait_for(lambda: (found := _worker_metrics(worker_port)) and found.get(done, 0) >= 1 and found, 30,
                           lambda: worker_log.read_text(errors="replace"), proc=worker)
        assert metrics[("jobs_total", frozenset({"job": "expire_exports", "status": "failed"}.items()))] == 0
        assert metrics[("process_resident_memory_bytes", frozenset())] > 0

        # README step 4: nginx with the shipped site.
        nginx = Nginx(root.path / "nginx", upstream=f"127.0.0.1:{gunicorn_port}", code_root=code)
        stack.enter_context(running(nginx))
        tls = nginx.tls_context()

        def site(path: str, **kwargs: object) -> object:
            return request(nginx.https_port, path, SERVER_NAME, tls=tls, **kwargs)  # type: ignore[arg-type]

        page = site("/auth/login")
        assert page.status == 200 and _CSRF.search(page.body), page
        assert len(page.header_values("X-Request-ID")) == 1, page.headers
        css = site("/static/microblog.css")
        assert css.status == 200 and css.body == (code / "app" / "static" / "microblog.css").read_bytes()
        # The schema is at head (ExecStartPre ran), Redis and the inbox answer, PUBLIC_URL is set, and a
        # worker runs (each gunicorn worker may hold a result from before it did for HEALTH_CACHE_SECONDS).
        def ready() -> bool:
            answer = site("/health/ready")
            return answer.status == 200 and json.loads(answer.body)["status"] == "pass"

        wait_for(ready, 10, lambda: site("/health/ready").body.decode())
        assert site("/health").status == 404 and site("/metrics").status == 404
        assert request(nginx.http_port, "/auth/login", SERVER_NAME).header_values("Location") == [
            f"https://{SERVER_NAME}/auth/login"]
        with pytest.raises(Refused):
            request(nginx.http_port, "/auth/login", "attacker.example")
        with pytest.raises(Refused):  # the right TLS name, another Host
            request(nginx.https_port, "/auth/login", "attacker.example", tls=tls)
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
            request(nginx.https_port, "/auth/login", "attacker.example", tls=tls, server_name="attacker.example")

        # Prometheus and people on the allowed networks ask gunicorn itself,
        # by the address TRUSTED_HOSTS lists; another name gets 400.
        health = request(gunicorn_port, "/health", direct, tls=None)
        checks = json.loads(health.body)["checks"]
        assert health.status == 200 and {"config:publicUrl", "smtp:connection", "redis:responseTime", "queue:store",
                                         "queue:worker"} <= set(checks)

        def scraped() -> bytes:
            answer = request(gunicorn_port, "/metrics", direct, tls=None)
            assert answer.status == 200, answer
            return answer.body

        # Every worker's counts, in the unit's metrics folder, within a second or so (tally.py).
        wait_for(lambda: b'endpoint="auth.login"' in scraped(), 10, lambda: scraped().decode())
        assert request(gunicorn_port, "/auth/login", "attacker.example", tls=None).status == 400

        # A reset link in an email names PUBLIC_URL, whatever forwarding
        # headers the client adds (nginx drops or overwrites them).
        created = site("/api/users", method="POST", headers={"Content-Type": "application/json"},
                       body=json.dumps({"username": "susan", "email": "susan@example.com",
                                        "password": "correct horse"}).encode())
        assert created.status == 201, created.body
        form = site("/auth/reset_password_request")
        cookie = "; ".join(c.split(";", 1)[0] for c in form.header_values("Set-Cookie"))
        token = _CSRF.search(form.body).group(1).decode()  # type: ignore[union-attr]
        body = f"csrf_token={token}&email=susan%40example.com".encode()
        post = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                "X-Forwarded-Prefix": "@attacker.example", "X-Forwarded-Host": "attacker.example"}
        # README, "Form posts without a Referer": Flask-WTF's check over HTTPS.
        assert site("/auth/reset_password_request", method="POST", headers=post, body=body).status == 400
        # What a browser sends: this nginx listens on a port of its own, which
        # it passes on (X-Forwarded-Port), so the page's origin has it too.
        referer = {**post, "Referer": f"https://{SERVER_NAME}:{nginx.https_port}/auth/reset_password_request"}
        assert site("/auth/reset_password_request", method="POST", headers=referer, body=body).status == 302
        [mail] = [m for m in smtp.inbox.wait_for(1) if m["To"] == "susan@example.com"]
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"https://{SERVER_NAME}/auth/reset_password/" in text and "attacker" not in text, text

        assert (root.host("/var/log/microblog") / "microblog.log").exists()
        # `systemctl stop microblog-worker`: Huey's graceful stop, a clean exit.
        _stop_as_systemd(worker_unit, worker)
        assert worker.returncode == 0, worker_log.read_text(errors="replace")
        assert "Traceback" not in worker_log.read_text(errors="replace")
        stop(proc)
        assert proc.returncode == 0, log.read_text(errors="replace")
        # The unit's metrics folder is the operator's: gunicorn leaves it.
        assert Path(env["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
