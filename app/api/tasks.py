"""Background tasks through the API: start an export of your posts, and
follow a task's state and progress.

Both go through the same functions as the web button and the progress alert
(``start_export``, ``sweep_stopped``, ``payload``), so a task started here
shows in the web pages' alert too, and one task of a kind at a time holds
for both clients together.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, jsonify, url_for
from flask.wrappers import Response

from app.api.auth import token_auth, token_user
from app.api.routes import bp
from app.errors import ConflictError, NotFoundError, problem_response
from app.extensions import db
from app.jobs import QueueUnavailable
from app.jobs.export import start_export
from app.jobs.tasks import TaskAlreadyActive, payload, sweep_stopped
from app.links import link_base
from app.models import Task, utcnow

UNAVAILABLE = "Exports are unavailable right now: the job queue cannot be reached. Please try again in a minute."
RETRY_AFTER_SECONDS = 60
NO_TASK = "There is no task with this id."
TASK_ID_LENGTH = 36  # the queue's job ids are UUIDs


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _still_kept(task: Task) -> bool:
    """A finished export can be downloaded for EXPORT_KEEP_HOURS (the rule of
    GET /exports/<id>): past that the result link would only be a 410."""
    keep = timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    return task.finished is not None and task.finished + keep >= utcnow()


def task_dict(task: Task) -> dict[str, Any]:
    """The task as the API shows it: the progress alert's fields
    (``payload``), its times, and links to itself and, once there is one
    to download, its result."""
    shown = payload(task)
    result = shown.pop("result_url")
    return {
        "id": shown.pop("task_id"),
        **shown,
        "created": _iso(task.created),
        "finished": _iso(task.finished),
        "_links": {
            "self": url_for("api.get_task", task_id=task.id),
            "result": result if result is not None and _still_kept(task) else None,
        },
    }


@bp.route("/exports", methods=["POST"])
@token_auth.login_required
def create_export() -> tuple[Response, int, dict[str, str]] | Response:
    """Queue an export of your posts; 202 with the task to follow. It runs on
    a worker: the answer does not wait for it."""
    user = token_user()
    try:
        # Links in the email come from PUBLIC_URL, never from this request's Host.
        task = start_export(user, link_base())
    except TaskAlreadyActive as already:
        active = already.task
        raise ConflictError(f"Your posts are already being exported: follow task {active.id} at "
                            f"{url_for('api.get_task', task_id=active.id)}.",
                            payload={"task": task_dict(active)}) from None
    except QueueUnavailable:
        # Nothing was recorded (start_export undid its row): trying again later is safe.
        return problem_response(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    location = url_for("api.get_task", task_id=task.id)
    return jsonify(task_dict(task)), 202, {"Location": location, "Cache-Control": "no-store"}


@bp.route("/tasks/<task_id>")
@token_auth.login_required
def get_task(task_id: str) -> Response:
    """One of your tasks: its state and progress. Anyone else's is the same
    404 as one that does not exist."""
    user = token_user()
    # A task whose worker died reads as failed here, even while no worker runs the sweep.
    sweep_stopped(user.id)
    task = db.session.get(Task, task_id) if len(task_id) <= TASK_ID_LENGTH else None
    if task is None or task.user_id != user.id:
        raise NotFoundError(NO_TASK)
    response = jsonify(task_dict(task))
    response.headers["Cache-Control"] = "no-store"  # it changes while the job runs
    return response
