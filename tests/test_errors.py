"""The error layer: HTML pages for browsers, problem+json for API clients."""
from __future__ import annotations

import errno
import logging

import pytest
import sqlalchemy as sa
from flask import abort, got_request_exception
from werkzeug.exceptions import BadRequest, Gone

from app import db
from app.errors import (
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    InsufficientStorage,
    NotFoundError,
    ValidationError,
)
from app.models import User
from tests.conftest import make_user

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser
JSON = {"Accept": "application/json"}
SECRET_MESSAGE = "password=hunter2 at /srv/microblog/app/secret.py"

APP_ERRORS = {
    "validation": ValidationError("Posts must be 140 characters or fewer.", field="post"),
    "authentication": AuthenticationError("Please log in."),
    "authorization": AuthorizationError("You can only change your own account."),
    "notfound": NotFoundError("There is no such user."),
    "conflict": ConflictError("This username is already taken.", field="username"),
}


@pytest.fixture
def app_config():
    # Testing mode re-raises unhandled exceptions into the test; these tests
    # need the real production path through the 500 handler.
    return {"PROPAGATE_EXCEPTIONS": False, "MAX_CONTENT_LENGTH": 1000}


@pytest.fixture(autouse=True)
def failing_routes(app):
    @app.route("/test/boom")
    def boom():
        raise RuntimeError(SECRET_MESSAGE)

    @app.route("/test/failed-flush")
    def failed_flush():
        db.session.add(User(username="SUSAN", email="x@example.com"))  # collides with susan
        db.session.flush()
        return "unreachable"

    @app.route("/test/app-error/<kind>")
    def app_error(kind):
        raise APP_ERRORS[kind]

    @app.route("/test/abort/<int:code>")
    def abort_with(code):
        abort(code)

    @app.route("/test/disk-full")
    def disk_full():
        raise OSError(errno.ENOSPC, "No space left on device", "/var/lib/microblog/x")

    @app.route("/test/db-down")
    def db_down():
        raise sa.exc.OperationalError("SELECT secret FROM x", {}, Exception("connection refused"))

    @app.route("/test/bad-request")
    def bad_request():
        raise BadRequest()

    @app.route("/test/gone")
    def gone():
        raise Gone()

    @app.route("/test/upload", methods=["POST"])
    def upload():
        from flask import request
        return str(len(request.get_data()))


def assert_html_page(response, status: int, *texts: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'class="navbar' in page and ">Microblog</a>" in page  # the site's layout
    assert 'href="/index"' in page  # a link home
    rid = response.headers["X-Request-ID"]
    assert f'<code id="request-id">{rid}</code>' in page
    for text in texts:
        assert text in page


def assert_problem(response, status: int, title: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    doc = response.get_json(force=True)
    assert {"type", "title", "status", "detail", "instance", "request_id"} <= doc.keys()
    assert (doc["status"], doc["title"], doc["type"]) == (status, title, "about:blank")
    assert doc["request_id"] == response.headers["X-Request-ID"]
    assert doc["detail"]
    return doc


CASES = [
    # path, method, status, title
    ("/test/abort/400", "GET", 400, "Bad Request"),
    ("/test/abort/401", "GET", 401, "Unauthorized"),
    ("/test/abort/403", "GET", 403, "Forbidden"),
    ("/no/such/page", "GET", 404, "Not Found"),
    ("/explore", "DELETE", 405, "Method Not Allowed"),
    ("/test/upload", "POST", 413, "Request Entity Too Large"),
    ("/test/abort/429", "GET", 429, "Too Many Requests"),
    ("/test/boom", "GET", 500, "Internal Server Error"),
    ("/test/db-down", "GET", 503, "Service Unavailable"),
    ("/test/abort/503", "GET", 503, "Service Unavailable"),
    ("/test/disk-full", "GET", 507, "Insufficient Storage"),
    ("/test/abort/507", "GET", 507, "Insufficient Storage"),
]


def request(client, path: str, method: str, headers: dict[str, str]):
    data = b"x" * 5000 if path == "/test/upload" else None
    return client.open(path, method=method, headers=headers, data=data)


@pytest.mark.parametrize(("path", "method", "status", "title"), CASES)
def test_html_error_pages(client, path, method, status, title):
    response = request(client, path, method, HTML)
    assert_html_page(response, status)


@pytest.mark.parametrize(("path", "method", "status", "title"), CASES)
def test_problem_json_errors(client, path, method, status, title):
    response = request(client, path, method, JSON)
    doc = assert_problem(response, status, title)
    assert doc["instance"] == path


def test_404_and_500_have_their_own_pages(client):
    assert_html_page(client.get("/nowhere", headers=HTML), 404, "could not find the page")
    assert_html_page(client.get("/test/boom", headers=HTML), 500, "The administrators have been notified",
                     "please quote this request id")


@pytest.mark.parametrize(("accept", "json_wanted"), [
    (None, False),
    ("*/*", False),  # curl
    ("text/html", False),
    ("application/json", True),
    ("application/problem+json", True),
    ("application/json, text/html;q=0.5", True),
    ("text/html, application/json;q=0.5", False),
    ("text/plain", False),
])
def test_accept_header_picks_the_format(client, accept, json_wanted):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/nowhere", headers=headers)
    assert (response.mimetype == "application/problem+json") is json_wanted


@pytest.mark.parametrize("headers", [HTML, {"Accept": "*/*"}, {}])
def test_api_paths_always_get_problem_json(client, headers):
    assert_problem(client.get("/api/no/such/thing", headers=headers), 404, "Not Found")


def test_405_keeps_allow_header(client):
    for headers in (HTML, JSON):
        response = client.delete("/explore", headers=headers)
        assert "GET" in response.headers["Allow"]


def test_503_says_when_to_retry(client):
    assert client.get("/test/db-down", headers=JSON).headers["Retry-After"] == "5"


@pytest.mark.parametrize(("kind", "status", "title"), [
    ("validation", 400, "Bad Request"),
    ("authentication", 401, "Unauthorized"),
    ("authorization", 403, "Forbidden"),
    ("notfound", 404, "Not Found"),
    ("conflict", 409, "Conflict"),
])
def test_app_errors_render_both_ways(client, kind, status, title):
    error = APP_ERRORS[kind]
    doc = assert_problem(client.get(f"/test/app-error/{kind}", headers=JSON), status, title)
    assert doc["detail"] == error.message
    assert_html_page(client.get(f"/test/app-error/{kind}", headers=HTML), status, error.message)


def test_validation_error_maps_fields_to_messages(client):
    doc = client.get("/test/app-error/validation", headers=JSON).get_json(force=True)
    assert doc["errors"] == {"post": ["Posts must be 140 characters or fewer."]}
    conflict = client.get("/test/app-error/conflict", headers=JSON).get_json(force=True)
    assert conflict["errors"] == {"username": ["This username is already taken."]}


def test_insufficient_storage_is_a_real_http_exception():
    assert InsufficientStorage.code == 507
    assert InsufficientStorage().get_response().status_code == 507


class TestRequestId:
    def test_generated_when_absent(self, client):
        first = client.get("/auth/login").headers["X-Request-ID"]
        second = client.get("/auth/login").headers["X-Request-ID"]
        assert first != second and len(first) == 32

    @pytest.mark.parametrize("rid", ["abc", "A.b_c-9", "x" * 64])
    def test_sane_incoming_id_is_reused(self, client, rid):
        assert client.get("/auth/login", headers={"X-Request-ID": rid}).headers["X-Request-ID"] == rid

    @pytest.mark.parametrize("rid", ["x" * 65, "has space", "semi;colon", "<script>", "é", ""])
    def test_odd_incoming_id_is_replaced(self, client, rid):
        returned = client.get("/auth/login", headers={"X-Request-ID": rid}).headers["X-Request-ID"]
        assert returned != rid and len(returned) == 32


class TestUnhandledExceptions:
    def test_one_error_record_with_traceback_and_the_signal(self, app, client, caplog):
        fired = []

        def on_exception(sender, exception, **extra):
            fired.append(exception)

        got_request_exception.connect(on_exception, app)
        try:
            with caplog.at_level(logging.DEBUG):
                response = client.get("/test/boom")
        finally:
            got_request_exception.disconnect(on_exception, app)
        assert response.status_code == 500
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert errors[0].name == app.logger.name
        assert errors[0].exc_info and errors[0].exc_info[0] is RuntimeError
        assert len(fired) == 1 and isinstance(fired[0], RuntimeError)

    def test_failed_flush_is_rolled_back_and_page_still_uses_the_database(self, client, auth, susan):
        auth.login()
        response = client.get("/test/failed-flush", headers=HTML)
        # The navigation shows the logged-in user: the page queried the
        # database after the rollback.
        assert_html_page(response, 500, "Profile (susan)")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
        assert client.get("/index").status_code == 200  # the next request is fine

    @pytest.mark.parametrize("path", ["/test/boom", "/test/failed-flush", "/test/db-down", "/test/disk-full"])
    @pytest.mark.parametrize("headers", [HTML, JSON])
    def test_nothing_internal_leaks(self, app, client, susan, path, headers):
        body = client.get(path, headers=headers).get_data(as_text=True)
        for secret in ("Traceback", 'File "', "sqlalchemy", "SELECT", "INSERT", "hunter2", "/srv/", "/var/lib",
                       "connection refused", app.config["SECRET_KEY"], app.config["SQLALCHEMY_DATABASE_URI"]):
            assert secret not in body

    def test_debug_mode_json_carries_the_traceback(self, app, client):
        app.debug = True
        doc = client.get("/test/boom", headers=JSON).get_json(force=True)
        assert "Traceback" in doc["traceback"] and SECRET_MESSAGE in doc["traceback"]
        app.debug = False
        assert "traceback" not in client.get("/test/boom", headers=JSON).get_json(force=True)


class TestHandlerLookup:
    def test_by_code_before_by_class(self, client):
        # NotFound has a handler for its code (404) and matches the generic
        # HTTPException class handler too: the code wins.
        assert "could not find the page" in client.get("/nowhere", headers=HTML).get_data(as_text=True)
        # Gone has no code handler: the HTTPException handler renders it.
        gone = client.get("/test/gone", headers=HTML)
        assert gone.status_code == 410 and "410 Gone" in gone.get_data(as_text=True)

    def test_most_specific_class_first(self, app, client):
        # CSRFError is a BadRequest: its own handler gives the friendly text,
        # a plain BadRequest the generic one.
        app.config["WTF_CSRF_ENABLED"] = True
        csrf = client.post("/auth/login", data={"username": "x", "password": "y"}, headers=HTML)
        assert csrf.status_code == 400
        assert "did not come from this site" in csrf.get_data(as_text=True)
        plain = client.get("/test/bad-request", headers=HTML)
        assert plain.status_code == 400
        assert "did not come from this site" not in plain.get_data(as_text=True)


def test_csrf_failure_as_problem_json(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    doc = assert_problem(client.post("/auth/login", data={}, headers=JSON), 400, "Bad Request")
    assert "did not come from this site" in doc["detail"]


def test_error_page_when_the_user_cannot_be_loaded(app, client, auth):
    """The database fails while loading the logged-in user: the 503 page still
    renders, as if to an anonymous visitor."""
    make_user("susan")
    auth.login()

    from app.extensions import login

    original = login._user_callback

    def broken_loader(user_id):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    login._user_callback = broken_loader
    try:
        response = client.get("/index", headers=HTML)
    finally:
        login._user_callback = original
    assert_html_page(response, 503, "temporarily unavailable")
    assert ">Login</a>" in response.get_data(as_text=True)
