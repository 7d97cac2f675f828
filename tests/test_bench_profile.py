"""make bench-profile's reading of py-spy's raw output, and the stage of hand-written stacks."""
from __future__ import annotations

import io

import pytest

from bench.profile import PageProfile, tally
from bench.stages import (
    BODY,
    CSRF,
    EXCLUDED,
    FLASK,
    HOOKS,
    IDLE,
    JINJA,
    OTHER,
    QUERY,
    RESPONSE,
    ROOT,
    RULES,
    SESSION,
    SOCKET_WAIT,
    STAGES,
    VIEW,
    Frame,
    classify,
    folded_line,
    module_path,
    parse_raw,
)

SITE = "/srv/venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"
APP = f"{ROOT}/app"
MASTER = 'process 100:"/srv/venv/bin/python3 /srv/venv/bin/gunicorn -w 2 -b 127.0.0.1:5000 microblog:app"'
WORKER = MASTER.replace("100", "101")


def raw(*frames: str) -> str:
    return ";".join(frames)


# A worker's main thread, down to the view.
REQUEST = (
    f"<module> ({ROOT}/.venv/bin/gunicorn:8)",
    f"SyncWorker.handle_request ({SITE}/gunicorn/workers/sync.py:184)",
    f"Flask.__call__ ({SITE}/flask/app.py:1536)",
    f"LivenessMiddleware.__call__ ({APP}/observability/liveness.py:44)",
    f"Flask.wsgi_app ({SITE}/flask/app.py:1510)",
    f"Flask.dispatch_request ({SITE}/flask/app.py:902)",
    f"login_required.<locals>.decorated_view ({SITE}/flask_login/utils.py:290)",
    f"index ({APP}/main/routes.py:62)",
)
TEMPLATE = (
    f"render_template ({SITE}/flask/templating.py:150)",
    f"Template.render ({SITE}/jinja2/environment.py:1295)",
    f"root ({APP}/templates/main/index.html:12)",
    f"Context.call ({SITE}/jinja2/runtime.py:303)",
)


def stage_of(*frames: str) -> str:
    [sample] = parse_raw([raw(MASTER, WORKER, *frames) + " 1"])
    return classify(sample.frames)


def test_parses_processes_frames_and_counts() -> None:
    text = "\n".join([
        raw(MASTER, WORKER, *REQUEST) + " 7",
        raw(MASTER, f"Arbiter.run ({SITE}/gunicorn/arbiter.py:247)") + " 3",
        "",
        raw(MASTER, WORKER, f"wait ({STDLIB}/threading.py)") + " 2",  # py-spy --nolineno
    ])
    first, master, nolineno = parse_raw(io.StringIO(text))
    assert first.pids == (100, 101) and first.count == 7 and len(first.frames) == len(REQUEST)
    assert first.frames[0] == Frame("<module>", ".venv/bin/gunicorn", 8)
    assert first.frames[-1] == Frame("index", "app/main/routes.py", 62)
    assert first.frames[6].function == "login_required.<locals>.decorated_view"
    assert master.pids == (100,) and master.count == 3
    assert nolineno.frames == (Frame("wait", "threading.py"),)


@pytest.mark.parametrize(("filename", "path"), [
    (f"{SITE}/sqlalchemy/engine/default.py", "sqlalchemy/engine/default.py"),
    ("/usr/lib/python3/dist-packages/psycopg/cursor.py", "psycopg/cursor.py"),
    (f"{APP}/lists/post_html.py", "app/lists/post_html.py"),
    (f"{APP}/templates/_post_rows.html", "app/templates/_post_rows.html"),
    (f"{STDLIB}/sqlite3/dbapi2.py", "sqlite3/dbapi2.py"),
    (f"{STDLIB}/logging/__init__.py", "logging/__init__.py"),
    ("<werkzeug routing>", "<werkzeug routing>"),
])
def test_module_paths(filename: str, path: str) -> None:
    assert module_path(filename) == path


SQL = f"DefaultDialect.do_execute ({SITE}/sqlalchemy/engine/default.py:964)"
SQLITE = f"Connection.execute ({STDLIB}/sqlite3/dbapi2.py:10)"
ESCAPE = f"escape ({SITE}/markupsafe/__init__.py:40)"
SIGN = f"URLSafeSerializerMixin.dump_payload ({SITE}/itsdangerous/url_safe.py:56)"


@pytest.mark.parametrize(("frames", "stage"), [
    # SQL run from inside a template is query time, not Jinja.
    ((*REQUEST, *TEMPLATE, f"Query.__iter__ ({SITE}/sqlalchemy/orm/query.py:2800)", SQLITE), QUERY),
    # So is the user_loader's statement; the loader's own lines are the user load.
    ((*REQUEST, f"_get_user ({SITE}/flask_login/utils.py:370)", f"load_user ({APP}/models/viewer.py:240)", SQL),
     QUERY),
    ((*REQUEST, f"_get_user ({SITE}/flask_login/utils.py:370)", f"load_user ({APP}/models/viewer.py:238)"), SESSION),
    # A CSRF token made from a template is CSRF time, itsdangerous and all...
    ((*REQUEST, *TEMPLATE, f"generate_csrf ({SITE}/flask_wtf/csrf.py:55)", SIGN), CSRF),
    # ...while the same signing for the session cookie is the session's.
    ((*REQUEST[:5], f"Flask.process_response ({SITE}/flask/app.py:1320)",
      f"SecureCookieSessionInterface.save_session ({SITE}/flask/sessions.py:380)", SIGN), SESSION),
    # markupsafe takes its caller's stage.
    ((*REQUEST, f"post_rows ({APP}/lists/rows.py:112)", f"article ({APP}/lists/post_html.py:118)", ESCAPE), BODY),
    ((*REQUEST, *TEMPLATE, ESCAPE), JINJA),
    ((*REQUEST, *TEMPLATE), JINJA),
    # A metrics hook timing a statement is the hook's.
    ((*REQUEST, SQL, f"_before ({APP}/observability/sql.py:30)"), HOOKS),
    # The log flusher thread.
    ((f"Thread._bootstrap ({STDLIB}/threading.py:1002)", f"Ticker._run ({APP}/observability/background.py:62)",
      f"Handler.handle ({STDLIB}/logging/__init__.py:978)"), HOOKS),
    # Wrappers around everything are not their own stage...
    (REQUEST[:4], HOOKS),
    (REQUEST, VIEW),
    # ...and catch-alls only count when nothing else matched.
    ((*REQUEST, f"url_for ({SITE}/flask/helpers.py:220)", f"MapAdapter.build ({SITE}/werkzeug/routing/map.py:900)"),
     FLASK),
    ((*REQUEST, f"FormMeta.__call__ ({SITE}/wtforms/form.py:244)"), VIEW),
    ((*REQUEST[:5], f"Flask.make_response ({SITE}/flask/app.py:1200)",
      f"Headers.__setitem__ ({SITE}/werkzeug/datastructures/headers.py:502)"), RESPONSE),
    ((*REQUEST[:2], f"Response.send_headers ({SITE}/gunicorn/http/wsgi.py:471)",
      f"to_bytestring ({SITE}/gunicorn/util.py:629)"), RESPONSE),
    ((*REQUEST[:2], f"Request.parse ({SITE}/gunicorn/http/message.py:548)"), OTHER),
    # Modules with both sides in them: only the response's functions count as the response.
    ((REQUEST[0], f"SyncWorker.accept ({SITE}/gunicorn/workers/sync.py:29)",
      f"close_on_exec ({SITE}/gunicorn/util.py:276)"), OTHER),
    ((*REQUEST, f"Request.stream ({SITE}/werkzeug/wrappers/request.py:363)",
      f"get_input_stream ({SITE}/werkzeug/wsgi.py:184)"), FLASK),
    ((), OTHER),
])
def test_stages(frames: tuple[str, ...], stage: str) -> None:
    assert stage_of(*frames) == stage


@pytest.mark.parametrize("frames", [
    # A sync worker between requests, in select().
    (REQUEST[0], f"SyncWorker.run_for_one ({SITE}/gunicorn/workers/sync.py:68)",
     f"SyncWorker.wait ({SITE}/gunicorn/workers/sync.py:35)"),
    # The log flusher asleep between flushes.
    (f"Thread._bootstrap ({STDLIB}/threading.py:1002)", f"Ticker._run ({APP}/observability/background.py:60)",
     f"Event.wait ({STDLIB}/threading.py:629)", f"Condition.wait ({STDLIB}/threading.py:331)"),
])
def test_idle_gunicorn_frames_are_idle(frames: tuple[str, ...]) -> None:
    assert stage_of(*frames) == IDLE


def test_a_worker_inside_a_socket_call_is_waiting() -> None:
    send = (*REQUEST[:2], f"Response.send_headers ({SITE}/gunicorn/http/wsgi.py:471)",
            f"write ({SITE}/gunicorn/util.py:348)")
    assert stage_of(*send) == SOCKET_WAIT
    # Only at the leaf: a frame above the call is still the response.
    assert stage_of(*send, f"to_bytestring ({SITE}/gunicorn/util.py:629)") == RESPONSE
    # So is psycopg waiting for PostgreSQL's answer; building the statement is still query time.
    execute = (*REQUEST, SQL, f"Cursor.execute ({SITE}/psycopg/cursor.py:97)")
    assert stage_of(*execute, f"Connection.wait ({SITE}/psycopg/connection.py:495)") == SOCKET_WAIT
    assert stage_of(*execute, f"PostgresQuery.dump ({SITE}/psycopg/_queries.py:120)") == QUERY
    # A prepared statement is sent by other functions: waiting too.
    prepared = f"BaseCursor._send_query_prepared ({SITE}/psycopg/_cursor_base.py:602)"
    assert stage_of(*execute, f"BaseCursor._maybe_prepare_gen ({SITE}/psycopg/_cursor_base.py:297)",
                    prepared) == SOCKET_WAIT


def test_every_rule_names_a_known_stage() -> None:
    assert {rule.stage for rule in RULES} <= {*STAGES, *EXCLUDED, None}


def test_tally_counts_worker_samples_only_and_keeps_the_stacks() -> None:
    text = "\n".join([
        raw(MASTER, WORKER, *REQUEST, SQL) + " 6",
        raw(MASTER, WORKER, *REQUEST, *TEMPLATE) + " 3",
        raw(MASTER, WORKER, REQUEST[0], f"SyncWorker.wait ({SITE}/gunicorn/workers/sync.py:35)") + " 5",
        raw(MASTER, WORKER, f"root ({APP}/templates/base.html:3)") + " 1",  # a stack py-spy read only part of
        raw(MASTER, f"Arbiter.sleep ({SITE}/gunicorn/arbiter.py:425)") + " 9",
    ])
    folded = io.StringIO()
    stages, master, partial = tally(parse_raw(io.StringIO(text)), folded)
    assert stages == {QUERY: 6, JINJA: 4, IDLE: 5}
    assert (master, partial) == (9, 1)
    lines = folded.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("[query and ORM rows];<module> (.venv/bin/gunicorn:8);")
    assert lines[0].endswith(";DefaultDialect.do_execute (sqlalchemy/engine/default.py:964) 6")


def test_shares_leave_waits_out_and_sum_to_100() -> None:
    profile = PageProfile("index", "/index", wrk=None, cpu_ms=8.0, other_load=0, spy_load=0,  # type: ignore[arg-type]
                          status=200)
    profile.samples.update({QUERY: 30, JINJA: 50, VIEW: 20, IDLE: 40, SOCKET_WAIT: 10})
    assert profile.counted == 100 and profile.waits == 50
    assert sum(profile.share(stage) for stage in STAGES) == pytest.approx(100)
    assert profile.share(JINJA) == 50 and profile.ms(QUERY) == pytest.approx(2.4)


def test_folded_line_puts_the_stage_first() -> None:
    [sample] = parse_raw([raw(MASTER, WORKER, *REQUEST[:2]) + " 4"])
    assert folded_line(FLASK, sample) == (
        "[routing and other Flask];<module> (.venv/bin/gunicorn:8);"
        "SyncWorker.handle_request (gunicorn/workers/sync.py:184) 4")
