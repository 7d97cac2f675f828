"""The environment for a benchmark's microblog: everything in a temporary
folder, nothing inherited from the shell that changes what is measured."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from bench.common import BIN, ROOT
from bench.database import app_env

# Settings a developer's shell (or .env) may carry that would change what a
# benchmark measures: they are dropped, and each benchmark sets its own.
_INHERITED = ("GUNICORN_", "PROMETHEUS_", "METRICS_", "LOG_", "ERROR_EMAIL", "MAIL_", "SMTP_", "HEALTH_",
              "RATELIMIT", "LOGIN_LIMIT", "DB_", "SENTRY_", "PROFIL", "REDIS_URL", "ADMINS")


def bench_env(directory: Path, multiprocess: bool = True, **settings: str) -> dict[str, str]:
    """``bench.database.app_env`` plus an instance folder of its own under
    ``directory`` and, with ``multiprocess``, a metrics folder for
    deploy/gunicorn.conf.py (without it, each worker keeps its metrics in
    memory, as under ``make bench``). ``settings`` are set last."""
    env = {k: v for k, v in app_env(directory).items() if not k.startswith(_INHERITED)}
    env.update(INSTANCE_PATH=str(directory / "instance"), LOG_DIR=str(directory / "logs"))
    if multiprocess:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(directory / "metrics")
    env.update(settings)
    # deploy/gunicorn.conf.py creates the metrics folder too, but the app
    # opens files there in every process that imports it.
    for name in ("INSTANCE_PATH", "PROMETHEUS_MULTIPROC_DIR", "LOG_DIR"):
        if name in env:
            Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env


def flask(env: dict[str, str], log: IO[str], *args: str) -> None:
    """Run one ``flask`` command (``db upgrade``, ``seed ...``), output to ``log``."""
    command = [str(BIN / "flask"), *args]
    log.write(f"\n=== {' '.join(command)}\n")
    log.flush()
    done = subprocess.run(command, cwd=ROOT, env=without_multiprocess(env), stdout=log, stderr=subprocess.STDOUT,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args[:2])} failed ({done.returncode}); see {log.name}")


def without_multiprocess(env: dict[str, str]) -> dict[str, str]:
    """The same environment for a process outside gunicorn (the flask CLI):
    its metrics stay in memory instead of adding files to the server's folder."""
    return {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}


def load_average() -> float:
    return os.getloadavg()[0]


def warn_if_busy(consequence: str) -> float:
    """The load average before a benchmark starts, with a warning on stderr
    saying ``consequence`` when the machine is not idle."""
    load = load_average()
    if load > 0.5:
        print(f"warning: load average is {load:.2f} before starting; {consequence}", file=sys.stderr)
    return load
