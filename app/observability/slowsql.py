"""A warning for every SQL statement slower than SLOW_QUERY_MS."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask

_STACK = "microblog.query_started"
MAX_STATEMENT = 300  # characters of the statement kept in the warning; never its parameters


def configure_slow_sql(app: Flask, engine: sa.Engine) -> None:
    threshold_ms = app.config["SLOW_QUERY_MS"]
    logger = app.logger

    @sa.event.listens_for(engine, "before_cursor_execute")
    def started(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        conn.info.setdefault(_STACK, []).append(time.perf_counter())

    @sa.event.listens_for(engine, "after_cursor_execute")
    def finished(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        stack = conn.info.get(_STACK)
        if not stack:
            return
        elapsed_ms = (time.perf_counter() - stack.pop()) * 1000
        if elapsed_ms > threshold_ms:
            text = " ".join(statement.split())
            if len(text) > MAX_STATEMENT:
                text = text[:MAX_STATEMENT] + "…"
            logger.warning("Slow SQL statement: %.0f ms (threshold %d ms): %s", elapsed_ms, threshold_ms, text)

    @sa.event.listens_for(engine, "handle_error")
    def failed(context: sa.engine.ExceptionContext) -> None:
        stack = context.connection.info.get(_STACK) if context.connection is not None else None
        if stack:
            stack.pop()
