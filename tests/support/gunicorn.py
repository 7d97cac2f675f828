"""microblog under a real gunicorn (deploy/gunicorn.conf.py) on a free
loopback port, for tests that need real worker processes: multiprocess
metrics, worker restarts, a Prometheus server scraping it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    metrics_dir: Path
    log: Path

    def get(self, path: str, timeout: float = 10) -> tuple[int, str]:
        """Status and body of GET ``path``, on a new connection."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def worker_pids(self) -> set[int]:
        """The master's live children, read from /proc."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended while we looked
            if int(fields[1]) == self.pid and fields[0] != "Z":
                children.add(int(stat.parent.name))
        return children

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def environment(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for the server: its own database, logs and metrics
    folder under ``root``, nothing inherited that changes what it exports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "PROMETHEUS_", "METRICS_"))}
    env.update({
        "FLASK_APP": "microblog.py",
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite'}",
        "SECRET_KEY": "gunicorn-test-secret",
        "LOG_DIR": str(root / "logs"),
        "INSTANCE_PATH": str(root / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"),
        "METRICS_TOKEN": "",
        "METRICS_ALLOWED_NETWORKS": "",
        "MAIL_SERVER": "",
        "SENTRY_DSN": "",
        "PROFILING_ENABLED": "0",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **(extra or {}),
    })
    return env


@contextmanager
def gunicorn(root: Path, workers: int = 2, env: Mapping[str, str] | None = None,
             ready_path: str = "/health/live", app_module: str = "microblog:app") -> Iterator[Server]:
    """Run ``flask db upgrade``, then serve microblog with ``workers`` sync
    workers until the block ends; gunicorn is always stopped on the way out."""
    root.mkdir(parents=True, exist_ok=True)
    full_env = environment(root, env)
    # It must exist before gunicorn starts: its master imports the app's
    # metrics (which open files there) before on_starting empties it.
    Path(full_env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=full_env, check=True,
                   capture_output=True, timeout=60)
    port = free_port()
    log = root / "gunicorn.log"
    # gunicorn 27 opens a control socket at one fixed path per user: a test's
    # server must not take it over from another gunicorn on this machine.
    command = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "-w", str(workers),
               "-b", f"127.0.0.1:{port}", "--no-control-socket", app_module]
    with open(log, "w") as out:
        # A session of its own, so stopping it can never reach the test runner.
        proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", proc.pid, Path(full_env["PROMETHEUS_MULTIPROC_DIR"]), log)
    try:
        _wait_until_answering(server, proc, ready_path)
        yield server
    finally:
        stop(proc)


def _wait_until_answering(server: Server, proc: subprocess.Popen, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if server.get(path, timeout=2)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}:\n{server.output()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer {path} within {timeout}s:\n{server.output()}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (gunicorn's graceful shutdown stops its workers), then SIGKILL
    to the process group it leads if it hangs."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The master is still alive, so its process group (a session of its
        # own) holds only gunicorn and its workers.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
