"""Every job runs through here: in an app context, with its id in every log
line, counted and timed, and a failure sent down the same error pipeline as
a request's (error.log, the grouped error email, Sentry)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sentry_sdk
from flask import Flask
from huey import Huey
from huey.api import TaskWrapper

from app.extensions import db
from app.observability.jobcontext import job_scope
from app.observability.metrics import JOB_DURATION, JOBS


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[..., None]  # fn(job_id, *args)
    retries: int = 0
    retry_delay_setting: str | None = None  # a config key, in seconds
    on_failure: Callable[[str, BaseException], None] | None = None  # after the last attempt
    schedule: Callable | None = None  # a huey.crontab: run periodically by the workers' scheduler


JOBS_BY_NAME: dict[str, JobSpec] = {}


def job(name: str, retries: int = 0, retry_delay_setting: str | None = None,
        on_failure: Callable[[str, BaseException], None] | None = None, schedule: Callable | None = None) -> Callable:
    """Declare a job: ``@job("export_posts")`` on ``fn(job_id, *args)``."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        JOBS_BY_NAME[name] = JobSpec(name, fn, retries, retry_delay_setting, on_failure, schedule)
        return fn
    return register


def bind(app: Flask, huey: Huey, spec: JobSpec) -> TaskWrapper:
    """Register ``spec`` on ``huey``, wrapped to run inside ``app``."""

    def run(*args: Any, task: Any = None) -> None:
        job_id = task.id
        last_attempt = task.retries <= 0
        with app.app_context(), job_scope(spec.name, job_id):
            started = time.perf_counter()
            try:
                spec.fn(job_id, *args)
            except Exception as exc:
                if not last_attempt:  # Huey tries again later: not a failure yet
                    app.logger.warning("Job %s failed (%s); %d more attempt(s)", spec.name, type(exc).__name__,
                                       task.retries)
                    raise
                JOBS.labels(spec.name, "failed").inc()
                app.logger.exception("Job %s failed", spec.name)  # error.log and the error email
                sentry_sdk.capture_exception(exc)
                if spec.on_failure is not None:
                    spec.on_failure(job_id, exc)
                # Not raised on: it is reported, and Huey's own log would only repeat it.
            else:
                JOBS.labels(spec.name, "complete").inc()
            finally:
                JOB_DURATION.labels(spec.name).observe(time.perf_counter() - started)
                db.session.remove()

    delay = float(app.config.get(spec.retry_delay_setting, 0)) if spec.retry_delay_setting else 0
    if spec.schedule is not None:
        return huey.periodic_task(spec.schedule, name=spec.name, context=True)(run)
    return huey.task(name=spec.name, context=True, retries=spec.retries, retry_delay=delay)(run)
