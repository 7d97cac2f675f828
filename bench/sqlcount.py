"""Count the SQL statements a page runs, through Flask's test client.

Run as ``python -m bench.sqlcount --session COOKIE --page /index ...`` with
the same environment as the server, so ``create_app()`` builds the very app
gunicorn serves. Prints one JSON object: path -> status and statements.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from bench.client import USER_AGENT


def count_statements(pages: Sequence[str], anonymous_pages: Sequence[str], session: str | None,
                     revalidated: Sequence[str] = (), localized: Sequence[str] = ()) -> dict[str, dict]:
    """Request each page twice and keep the statements of the second request:
    the first may write ``last_seen`` or warm a cache, a steady state does
    not. A ``revalidated`` page's second request sends the first one's ETag
    (a feed reader's poll); its key is "<path> 304". A ``localized`` page,
    "es:/index", is requested logged in with that Accept-Language; its key is
    "/index (es)"."""
    app = create_app()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)

    results: dict[str, dict] = {}
    kinds = ([(p, "anonymous") for p in anonymous_pages] + [(p, "logged in") for p in pages]
             + [(p, "revalidated") for p in revalidated] + [(p, "localized") for p in localized])
    for path, kind in kinds:
        client = app.test_client()
        headers = {"User-Agent": USER_AGENT}
        key = path
        if kind == "localized":
            language, path = path.split(":", 1)
            headers["Accept-Language"] = language
            key = f"{path} ({language})"
        if kind in ("logged in", "localized"):
            if session is None:
                raise SystemExit("--session is needed for logged-in pages")
            client.set_cookie("session", session)
        for _ in range(2):
            statements.clear()
            response = client.get(path, headers=headers)
            if kind == "revalidated":
                headers["If-None-Match"] = response.headers.get("ETag", "")
        if kind == "revalidated":
            key = path + " 304"
        results[key] = {"status": response.status_code, "statements": list(statements)}
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", help="the session cookie of a logged-in user")
    parser.add_argument("--page", action="append", default=[], help="a page to request logged in")
    parser.add_argument("--anonymous-page", action="append", default=[], help="a page to request without a cookie")
    parser.add_argument("--revalidated-page", action="append", default=[],
                        help="a page to request without a cookie, the second time with the first's ETag")
    parser.add_argument("--localized-page", action="append", default=[],
                        help="LANGUAGE:PATH, a page to request logged in with that Accept-Language")
    args = parser.parse_args(argv)
    print(json.dumps(count_statements(args.page, args.anonymous_page, args.session, args.revalidated_page,
                                      args.localized_page)))


if __name__ == "__main__":
    main()
