"""gunicorn settings for microblog:  gunicorn -c deploy/gunicorn.conf.py microblog:app

Every value can be overridden from the environment (GUNICORN_*), and the
metrics hooks keep /metrics correct across workers and restarts.
"""
import multiprocessing
import os
import re
import shutil
import tempfile

from gunicorn import glogging

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))  # more than 1 means the gthread worker
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))  # a worker stuck this long is killed and replaced
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then, so a slow leak cannot grow for ever; the jitter
# keeps them from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 1000))
# The app writes one structured JSON line per request (requests.log, or stdout
# with LOG_TO_STDOUT); gunicorn's own access log would repeat it.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


_RESET_TOKEN = re.compile(r"(/auth/reset_password/)[^?\s\"]*")


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, with no reset token in the access log: a reset link
    carries its token in the path, and the pages it loads name it as their
    Referer (the app's own logs redact both the same way)."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = _RESET_TOKEN.sub(r"\1[redacted]", atoms[key])
        return atoms


logger_class = RedactingLogger

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's control socket is off: its default path is one per user, so two
# servers on one host would collide, and nothing here uses it.
control_socket_disable = True

# prometheus-client's multiprocess mode needs this set before any worker
# imports it; workers inherit it from this (master) process. It must exist
# before the app is imported: metrics create their files at import.
# A folder made here (none was set) is this gunicorn's to remove when it
# exits; one the operator set is never removed. The claim is kept in the
# environment, not a variable: gunicorn reads this file again on every HUP,
# and a USR2 upgrade's new master inherits the folder along with the claim.
OWNED_METRICS_DIR = "MICROBLOG_OWNED_METRICS_DIR"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ[OWNED_METRICS_DIR] = os.path.join(
        tempfile.gettempdir(), f"microblog-metrics-{os.getpid()}"
    )
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def on_starting(server):  # type: ignore[no-untyped-def]
    # Once per master start (not on HUP reloads): counters start from zero.
    from app.observability.multiproc import prepare_directory

    prepare_directory(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    # In the worker, as it leaves: request counts still queued for the
    # metrics files (app/observability/tally.py) must land before the master
    # folds this worker's files into the archive.
    from app.observability import tally

    tally.flush()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    # An exception here would stop gunicorn's main loop, i.e. the whole server:
    # a failed compaction only costs a slower scrape, so log it and go on.
    try:
        from app.observability.multiproc import compact_dead_worker

        compact_dead_worker(worker.pid)
    except Exception:
        server.log.exception("Could not compact the metrics of worker %s; its files stay", worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    # The master is leaving: without this, every run would leave a
    # microblog-metrics-<pid> folder behind in the temporary directory.
    # Not while a USR2 upgrade's new master (reexec_pid) still uses it.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and directory == os.environ.get(OWNED_METRICS_DIR) and not server.reexec_pid:
        shutil.rmtree(directory, ignore_errors=True)
