"""Background jobs on a real queue (Huey): ``enqueue()`` from a request,
``flask worker`` to run them. See queue.py for the choice of Huey."""
from app.jobs import export, housekeeping  # noqa: F401  (they declare their jobs)
from app.jobs.binding import Jobs, QueueUnavailable, enqueue, init_app, jobs, pending_count

__all__ = ["Jobs", "QueueUnavailable", "enqueue", "init_app", "jobs", "pending_count"]
