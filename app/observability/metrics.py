"""Prometheus metrics.

Defined once at import, in the default registry. Under gunicorn,
prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set up by
gunicorn.conf.py) writes them to per-process files that /metrics adds up, so
a scrape sees every worker. Gauges say how to combine processes.
"""
from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# In multiprocess mode every metric opens a file in this folder as it is
# created, just below. gunicorn.conf.py and the systemd unit create it, but a
# CLI command (`flask db upgrade` as the unit's first step) imports this with
# the same setting and no gunicorn: create it rather than fail on import.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The *_created series double the series count and nothing here reads them.
disable_created_metrics()

# Requests. Labels come from the matched endpoint, never the raw path.
UNMATCHED = "<unmatched>"  # every URL no route matches shares this label
HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered, by endpoint and status.", ["method", "endpoint", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress", "HTTP requests being answered now.", multiprocess_mode="livesum"
)
HTTP_EXCEPTIONS = Counter(
    "http_exceptions_total", "Unhandled exceptions (each answered with a 5xx), by type and endpoint.",
    ["exception", "endpoint"],
)

# Database.
DB_STATEMENTS = Counter("db_statements_total", "SQL statements executed, by operation.", ["operation"])
DB_DURATION = Histogram(
    "db_statement_duration_seconds", "Time to execute one SQL statement.", ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)

# What users do.
LOGINS = Counter("logins_total", "Login attempts, by result.", ["result"])
REGISTRATIONS = Counter("registrations_total", "Accounts created.")
POSTS_CREATED = Counter("posts_created_total", "Posts written.")
POST_ACTIONS = Counter(
    "post_actions_total", "Changes to posts, through the pages or the API, by action: replied (a post written as "
    "a reply, also in posts_created_total), edited, deleted, liked, unliked.", ["action"],
)
MENTIONS_NOTIFIED = Counter(
    "mention_notifications_total", "Users told that a post mentions them (at most 10 per post; not the author, "
    "not the author a reply answers, and on an edit only the newly mentioned).",
)
TRANSLATIONS = Counter(
    "translations_total", "Posts translated on request (POST /translate), by provider and status: ok (the "
    "provider translated it), cached (no call), breaker_open (no call: recent calls failed), timeout, "
    "unavailable, rate_limited, auth, rejected, bad_response (app/translate/provider.py says which is which).",
    ["provider", "status"],
)
# Background jobs, counted by the worker process that ran them.
JOBS = Counter("jobs_total", "Background jobs finished, by job and status: complete or failed.", ["job", "status"])
JOB_DURATION = Histogram(
    "job_duration_seconds", "Time a background job ran.", ["job"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
MESSAGES_SENT = Counter("messages_sent_total", "Private messages sent, through the form or the API.")
PASSWORD_RESETS = Counter(
    "password_reset_requests_total",
    "Password-reset requests, by outcome: queued (looked up, and mailed if the address is registered), "
    "limited (past a RESET_LIMIT_* setting: no email), no_link (PUBLIC_URL unset: no email).",
    ["result"],
)

# Observability's own health.
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
CIRCUIT_STATE = Gauge(
    "circuit_breaker_state", "Outbound circuit breakers: 0 closed, 1 half-open, 2 open (worst live worker).",
    ["name"], multiprocess_mode="livemax",
)


# Create every known label value up front, at 0: a counter that first appears
# already at 3 looks like "no increase" to Prometheus, so an alert on a short
# first burst would never fire.
for _result in ("sent", "digest", "grouped", "failed", "dropped"):
    ERROR_EMAILS.labels(_result)
for _result in ("success", "failure"):
    LOGINS.labels(_result)
for _result in ("queued", "limited", "no_link"):
    PASSWORD_RESETS.labels(_result)
for _handler in ("microblog.log", "error.log", "requests.log"):
    LOG_WRITE_FAILURES.labels(_handler)
