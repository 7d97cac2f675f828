"""The queue's binding: which store a setting selects, and what every job
gets from the wrapper (app context, its id in log lines, the error report's
subject), checked in-process with the real job code."""
from __future__ import annotations

import logging

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey

from app import create_app
from app.jobs import queue
from app.jobs.runner import JOBS_BY_NAME, JobSpec, bind
from app.observability.alerts.report import build_report
from app.observability.logs import RequestIdFilter
from tests.conftest import config


@pytest.mark.parametrize(("settings", "kind"), [
    ({"QUEUE_URL": None, "REDIS_URL": None}, SqliteHuey),
    ({"QUEUE_URL": None, "REDIS_URL": "redis://127.0.0.1:1/0"}, RedisHuey),
    ({"QUEUE_URL": "redis://127.0.0.1:1/2", "REDIS_URL": None}, RedisHuey),
    ({"QUEUE_URL": "memory://"}, MemoryHuey),
])
def test_the_setting_selects_the_store(tmp_path, settings, kind):
    if kind is SqliteHuey:
        settings = {**settings, "INSTANCE_PATH": str(tmp_path / "instance")}
    app = create_app(config(f"sqlite:///{tmp_path / 'db.sqlite'}", **settings))
    assert isinstance(app.extensions["jobs"].huey, kind)
    if kind is SqliteHuey:  # the default: a file in the instance folder, nothing to run
        assert queue.queue_url(app) == f"sqlite:///{tmp_path / 'instance' / 'queue.db'}"


def test_an_sqlite_url_names_its_file(tmp_path):
    app = create_app(config(f"sqlite:///{tmp_path / 'db.sqlite'}", QUEUE_URL=f"sqlite:///{tmp_path}/q/jobs.db"))
    assert app.extensions["jobs"].huey.storage.filename == f"{tmp_path}/q/jobs.db"
    assert (tmp_path / "q").is_dir()


@pytest.mark.parametrize("url", ["amqp://localhost/", "sqlite:///", "postgres://x/y"])
def test_a_queue_url_that_cannot_work_stops_start_up(tmp_path, url):
    with pytest.raises(ValueError, match="QUEUE_URL"):
        create_app(config(f"sqlite:///{tmp_path / 'db.sqlite'}", QUEUE_URL=url))


def test_enqueueing_to_a_dead_redis_is_queue_unavailable(tmp_path):
    from app.jobs import QueueUnavailable, enqueue
    from tests.support.ports import free_port

    app = create_app(config(f"sqlite:///{tmp_path / 'db.sqlite'}", QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0"))
    with app.app_context(), pytest.raises(QueueUnavailable):
        enqueue("expire_exports")


class TestTheWrapper:
    """A job declared for the test, bound like the real ones."""

    @pytest.fixture
    def run_job(self, app):  # type: ignore[no-untyped-def]
        seen: dict[str, object] = {}

        def probe(job_id: str, fail: bool) -> None:
            from flask import current_app

            seen["app"] = current_app.name
            record = logging.LogRecord("app", logging.INFO, __file__, 1, "inside", None, None)
            RequestIdFilter().filter(record)
            seen["log_id"] = record.request_id
            if fail:
                raise ZeroDivisionError("on purpose")

        huey = MemoryHuey("test", utc=True)
        wrapper = bind(app, huey, JobSpec("probe", probe))

        def run(fail: bool = False) -> str:
            task = wrapper.s(fail)
            huey.enqueue(task)
            huey.execute(huey.dequeue())
            return task.id

        return run, seen

    def test_a_job_runs_in_an_app_context_with_its_id_in_log_lines(self, run_job):
        run, seen = run_job
        job_id = run()
        assert seen == {"app": "app", "log_id": f"job:{job_id}"}

    def test_a_failing_job_is_logged_and_reported_as_a_job(self, run_job, caplog):
        run, seen = run_job
        with caplog.at_level(logging.ERROR, logger="app"):
            job_id = run(fail=True)
        records = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
        assert records, "the failure was not logged with its traceback"
        from app.observability.jobcontext import job_scope

        with job_scope("probe", job_id):  # as the email handler builds it, in the job's thread
            report = build_report(records[0], None, None)
        assert report.subject == "Microblog Failure: ZeroDivisionError in job probe"
        assert f"Job id: {job_id}" in report.body


def test_every_declared_job_is_on_the_queue(app):
    registered = app.extensions["jobs"].tasks
    assert set(registered) == set(JOBS_BY_NAME) >= {"export_posts", "mail_export", "sweep_stopped_tasks",
                                                    "expire_exports"}


class TestLostJobs:
    """A queued task whose job left the queue (Redis restarted without its
    data) would refuse every new export for ever; the sweep fails it."""

    def queued_long_ago(self, app, user):  # type: ignore[no-untyped-def]
        from datetime import timedelta

        from app import db
        from app.models import Task, utcnow

        task = Task(id="lost-job", user_id=user.id, name="export_posts", description="Exporting your posts",
                    state="queued", created=utcnow() - timedelta(seconds=app.config["JOB_STUCK_SECONDS"] + 5))
        db.session.add(task)
        db.session.commit()
        return task

    def test_failed_when_nothing_waits_in_the_queue(self, app, susan):
        from app import db
        from app.jobs.tasks import LOST, sweep_stopped

        task = self.queued_long_ago(app, susan)
        assert sweep_stopped(susan.id) == 1
        db.session.refresh(task)
        assert (task.state, task.error) == ("failed", LOST)

    def test_kept_while_jobs_wait(self, app, susan):
        from app import db
        from app.jobs import enqueue
        from app.jobs.tasks import sweep_stopped

        task = self.queued_long_ago(app, susan)
        enqueue("expire_exports")  # a backlog: the task's job may be in it
        assert sweep_stopped(susan.id) == 0
        db.session.refresh(task)
        assert task.state == "queued"
