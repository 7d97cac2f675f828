"""POST /export_posts queues an export; GET /exports/<task id> serves it."""
from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, stream_with_context, url_for
from flask_login import current_user, login_required

from app.errors import AppError
from app.extensions import db
from app.i18n.gettext import lazy_gettext as _l
from app.jobs import QueueUnavailable
from app.jobs.export import NAME, start_export
from app.jobs.tasks import TaskAlreadyActive, sweep_stopped
from app.links import link_base
from app.models import ExportChunk, Task, utcnow
from app.models.tasks import COMPLETE

bp = Blueprint("exports", __name__)

UNAVAILABLE = _l("Exports are unavailable right now. Please try again in a few minutes.")
ALREADY = _l("Your posts are already being exported: the progress is at the top of the page.")
STARTED = _l(
    "Your posts are being exported. You can keep using the site; the progress shows at the top of the page.")
EXPIRED = _l("This export has expired and was deleted. Export your posts again to get a new one.")


@bp.app_template_global("server_time")
def server_time() -> str:
    """Unix time now, for the page's task alert to read notification times
    against the server's clock rather than the browser's."""
    return f"{time.time():.3f}"


def _back() -> Response:
    return redirect(url_for("main.user", username=current_user.username))


@bp.route("/export_posts", methods=["POST"])
@login_required
def export_posts() -> Response:
    # The CSRF token is checked by CSRFProtect before this view runs.
    try:
        start_export(current_user, link_base())
    except TaskAlreadyActive:
        flash(str(ALREADY), "info")
    except QueueUnavailable:
        flash(str(UNAVAILABLE), "danger")
    else:
        flash(str(STARTED), "info")
    return _back()


def downloadable(task_id: str) -> Task:
    """The current user's finished export, or a 404 (anyone else's, or none)
    or a 410 (expired)."""
    sweep_stopped(current_user.id)
    task = db.session.get(Task, task_id) if len(task_id) <= 36 else None
    if task is None or task.user_id != current_user.id or task.name != NAME or task.state != COMPLETE:
        abort(404)
    keep = timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    if task.finished is None or task.finished + keep < utcnow():
        raise AppError(EXPIRED, status=410)
    return task


@bp.route("/exports/<task_id>")
@login_required
def download(task_id: str) -> Response:
    task = downloadable(task_id)
    seqs = list(db.session.scalars(sa.select(ExportChunk.seq).where(ExportChunk.task_id == task.id)
                                   .order_by(ExportChunk.seq)))
    if not seqs:  # the files were deleted before the row said so
        raise AppError(EXPIRED, status=410)

    def chunks():  # type: ignore[no-untyped-def]
        for seq in seqs:  # one chunk in memory at a time, however large the file
            yield db.session.scalar(sa.select(ExportChunk.data).where(ExportChunk.task_id == task.id,
                                                                       ExportChunk.seq == seq))

    name = f"microblog-posts-{current_user.username}-{task.finished:%Y%m%d}.json"
    return Response(stream_with_context(chunks()), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(task.result_size),
        "Cache-Control": "private, no-store"})
