""""Microblog startup" and the SECRET_KEY warning: said by servers and workers
when they start, not by every `flask db upgrade`, `flask seed` or `flask routes`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.cli import FlaskGroup

from app.observability.logs import _subcommand
from config import BASE_DIR
from tests.support.ports import free_port
from tests.support.waiting import wait_for

FLASK = str(BASE_DIR / ".venv" / "bin" / "flask")
STARTUP = "Microblog startup"
NO_KEY = "SECRET_KEY is not set"

# An app that provides a server command of its own, as a job queue's
# `flask worker` will: the app is built before that command's context exists.
WORKER_APP = '''
import click
from app import create_app

app = create_app()

@app.cli.command("worker")
def worker():
    click.echo("worker ran")

@app.cli.command("report")
def report():
    click.echo("report ran")
'''


def environment(tmp_path: Path) -> dict[str, str]:
    """No SECRET_KEY, log files on, everything in tmp_path."""
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LOG_TO_FILE": "1",
            "LOG_DIR": str(tmp_path / "logs"), "INSTANCE_PATH": str(tmp_path / "instance"),
            "PYTHONPATH": str(BASE_DIR)}


def flask(tmp_path: Path, *args: str, cwd: Path = BASE_DIR) -> tuple[str, str]:
    """Run a flask command; its stderr and microblog.log."""
    done = subprocess.run([FLASK, *args], cwd=cwd, env=environment(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr, log_text(tmp_path)


def log_text(tmp_path: Path) -> str:
    log = tmp_path / "logs" / "microblog.log"
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize("args", [["db", "upgrade"], ["routes"], ["--help"], ["seed", "--help"]],
                         ids=" ".join)
def test_cli_commands_say_nothing_about_a_start(tmp_path, args):
    stderr, log = flask(tmp_path, *args)
    assert STARTUP not in log and NO_KEY not in log
    assert NO_KEY not in stderr
    assert (tmp_path / "instance" / "secret_key").exists()  # the key itself is still generated and kept


def test_an_app_provided_worker_command_announces_its_start(tmp_path):
    (tmp_path / "workerapp.py").write_text(WORKER_APP)
    stderr, log = flask(tmp_path, "--app", "workerapp", "worker", cwd=tmp_path)
    assert log.count(STARTUP) == 1 and NO_KEY in stderr
    # The same app's other commands do not.
    (tmp_path / "logs" / "microblog.log").unlink()
    stderr, log = flask(tmp_path, "--app", "workerapp", "report", cwd=tmp_path)
    assert STARTUP not in log and NO_KEY not in stderr


def test_flask_run_announces_its_start(tmp_path):
    stderr_file = tmp_path / "stderr.txt"
    with open(stderr_file, "w") as stderr:
        server = subprocess.Popen([FLASK, "run", "--port", str(free_port())], cwd=BASE_DIR,
                                  env=environment(tmp_path), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_for(lambda: STARTUP in log_text(tmp_path), timeout=30, proc=server,
                 explain=stderr_file.read_text)
    finally:
        server.terminate()
        server.wait(10)
    assert NO_KEY in stderr_file.read_text()


def test_an_app_built_outside_the_cli_announces_its_start(tmp_path):
    """gunicorn workers, or any WSGI server: no click context at all."""
    done = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], cwd=BASE_DIR,
                          env=environment(tmp_path), capture_output=True, text=True, timeout=60, check=True)
    assert log_text(tmp_path).count(STARTUP) == 1
    assert NO_KEY in done.stderr


@pytest.mark.parametrize(("argv", "command"), [
    (["db", "upgrade"], "db"),
    (["--app", "x.py", "worker"], "worker"),
    (["-A", "x.py", "--debug", "run", "--port", "5001"], "run"),
    (["--app=x.py", "-e", ".env", "worker"], "worker"),
    (["--help"], None),
    ([], None),
])
def test_the_command_is_read_past_the_flask_options(argv, command):
    assert _subcommand(FlaskGroup(), argv) == command
