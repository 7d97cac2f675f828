"""Prometheus metrics that the observability code updates.

Defined once at import, in the default registry: prometheus-client's
multiprocess mode (under gunicorn) then aggregates them across workers.
"""
from __future__ import annotations

from prometheus_client import Counter

LOG_WRITE_FAILURES = Counter(
    "log_write_failures_total", "Log records that could not be written (full disk, missing directory).",
    ["handler"],
)
ERROR_EMAILS = Counter(
    "error_emails_total",
    "Error alerts by outcome: sent (first occurrence), digest (repeats summarised), grouped (repeat counted "
    "only), failed (SMTP error; retried), dropped (queue full or retry budget spent).",
    ["result"],
)
