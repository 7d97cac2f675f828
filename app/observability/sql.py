"""SQL statements: counted and timed by operation (written to the metrics a
second at a time, app/observability/tally.py), and a warning for every
statement slower than SLOW_QUERY_MS."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask

from app.observability import tally

_STACK = "microblog.query_started"
MAX_STATEMENT = 300  # characters of the statement kept in the warning; never its parameters
_OPERATIONS = ("select", "insert", "update", "delete")


def operation(statement: str) -> str:
    """select, insert, update, delete or other: a bounded label."""
    word = statement.lstrip(" (\n\t").split(None, 1)[0].lower() if statement.strip() else ""
    if word == "with":  # a CTE: the verb comes later; look for the first one
        lowered = statement.lower()
        positions = {op: lowered.find(op) for op in _OPERATIONS if op in lowered}
        word = min(positions, key=positions.__getitem__) if positions else "other"
    return word if word in _OPERATIONS else "other"


def watch_engine(app: Flask, engine: sa.Engine) -> None:
    threshold_ms = app.config["SLOW_QUERY_MS"]
    logger = app.logger
    counted = app.config["METRICS_ENABLED"]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def started(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        conn.info.setdefault(_STACK, []).append(time.perf_counter())

    @sa.event.listens_for(engine, "after_cursor_execute")
    def finished(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        stack = conn.info.get(_STACK)
        if not stack:
            return
        elapsed = time.perf_counter() - stack.pop()
        if counted:
            tally.statement(statement, elapsed)
        if elapsed * 1000 > threshold_ms:
            text = " ".join(statement.split())
            if len(text) > MAX_STATEMENT:
                text = text[:MAX_STATEMENT] + "…"
            logger.warning("Slow SQL statement: %.0f ms (threshold %d ms): %s", elapsed * 1000, threshold_ms, text)

    @sa.event.listens_for(engine, "handle_error")
    def failed(context: sa.engine.ExceptionContext) -> None:
        stack = context.connection.info.get(_STACK) if context.connection is not None else None
        if stack:
            stack.pop()
            if counted:
                tally.statement(context.statement or "", None)
