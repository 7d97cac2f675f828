"""Bad requests to the JSON API, and its error handling: every answer is a
problem document, never a 500 and never a traceback."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import abort

from app.errors import AuthenticationError, AuthorizationError, ConflictError, NotFoundError, ValidationError
from app.models import User
from tests.test_api import assert_problem, bearer, issue_token

LIMIT = 300_000
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser


def raising(exc: Exception) -> Callable[[], object]:
    def action() -> object:
        raise exc
    return action


@pytest.fixture
def app_config():
    # The production path through the 500 handler, and a smaller size limit.
    return {"PROPAGATE_EXCEPTIONS": False, "MAX_CONTENT_LENGTH": LIMIT}


@pytest.fixture
def headers(susan: User) -> dict[str, str]:
    return bearer(issue_token(susan))


# The endpoints that read a JSON body.
BODY_ENDPOINTS = [("POST", "/api/users"), ("PUT", "/api/users/1"), ("POST", "/api/posts")]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@pytest.mark.parametrize(("data", "detail"), [
    (b"{", "The request body is not valid JSON."),
    (b"", "The request body is not valid JSON."),
    (b"{'body': 'single quotes'}", "The request body is not valid JSON."),
    (b'{"body": "x",}', "The request body is not valid JSON."),
    (b'{"body": "\xff\xfe"}', "The request body is not valid JSON."),  # not UTF-8
    (b"[" * 100_000 + b"]" * 100_000, "The request body is not valid JSON."),  # deeper than Python can parse
    (b"1" * 5000, "The request body is not valid JSON."),  # an integer too long for int()
    (b"[]", "The request body must be a JSON object."),
    (b'[{"body": "x"}]', "The request body must be a JSON object."),
    (b"null", "The request body must be a JSON object."),
    (b"42", "The request body must be a JSON object."),
    (b'"body"', "The request body must be a JSON object."),
    (b"true", "The request body must be a JSON object."),
])
def test_unusable_json_is_400(client, headers, method, path, data, detail):
    response = client.open(path, method=method, data=data, content_type="application/json", headers=headers)
    assert assert_problem(response, 400)["detail"] == detail


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
])
def test_other_media_types_are_415(client, headers, method, path, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.open(path, method=method, data=b'{"body": "x"}', headers=headers, **kwargs)
    assert "Content-Type: application/json" in assert_problem(response, 415)["detail"]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_oversize_body_is_413(client, headers, method, path):
    data = b'{"body": "' + b"x" * LIMIT + b'"}'
    response = client.open(path, method=method, data=data, content_type="application/json", headers=headers)
    assert_problem(response, 413)


@pytest.mark.parametrize("path", ["/api/users", "/api/users/1/followers", "/api/users/1/following",
                                  "/api/posts"])
@pytest.mark.parametrize(("query", "field", "message"), [
    ("page=0", "page", "Must be a positive integer."),
    ("page=-1", "page", "Must be a positive integer."),
    ("page=abc", "page", "Must be a positive integer."),
    ("page=1.5", "page", "Must be a positive integer."),
    ("page=", "page", "Must be a positive integer."),
    ("page=%D9%A3", "page", "Must be a positive integer."),  # an Arabic-Indic three
    ("page=%EF%BC%92", "page", "Must be a positive integer."),  # a full-width two
    ("page=1000000001", "page", "Must be at most 1000000000."),
    ("page=" + "9" * 5000, "page", "Must be at most 1000000000."),
    ("per_page=0", "per_page", "Must be a positive integer."),
    ("per_page=ten", "per_page", "Must be a positive integer."),
    ("per_page=-5", "per_page", "Must be a positive integer."),
])
def test_bad_page_parameters_are_400(client, headers, path, query, field, message):
    doc = assert_problem(client.get(f"{path}?{query}", headers=headers), 400)
    assert doc["errors"] == {field: [message]}


class TestErrorHandlers:
    """The blueprint's own handlers answer problem+json whatever the client
    accepts, and unhandled errors still go through the app's 500 handler."""

    @pytest.fixture
    def failing_view(self, app):
        """Make GET /api/users run ``action`` instead."""
        def install(action: Callable[[], object]) -> None:
            app.view_functions["api.get_users"] = lambda **kwargs: action()
        return install

    @pytest.mark.parametrize(("exc", "status"), [
        (ValidationError("Bad field.", field="x"), 400),
        (AuthenticationError("Who are you?"), 401),
        (AuthorizationError("Not yours."), 403),
        (NotFoundError("No such thing."), 404),
        (ConflictError("Taken.", field="username"), 409),
    ])
    @pytest.mark.parametrize("accept", [HTML, {"Accept": "*/*"}, {}])
    def test_app_errors_are_problem_json_even_for_browsers(self, client, failing_view, exc, status, accept):
        failing_view(raising(exc))
        doc = assert_problem(client.get("/api/users", headers=accept), status)
        assert doc["detail"] == exc.message

    @pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 410, 429, 503])
    def test_abort_is_problem_json_even_for_browsers(self, client, failing_view, code):
        failing_view(lambda: abort(code))
        assert_problem(client.get("/api/users", headers=HTML), code)

    def test_unhandled_error_is_a_500_problem_without_internals(self, app, client, failing_view):
        failing_view(raising(RuntimeError("password=hunter2 at /srv/microblog/app/secret.py")))
        doc = assert_problem(client.get("/api/users", headers=HTML), 500)
        body = client.get("/api/users").get_data(as_text=True)
        for secret in ("hunter2", "/srv/", "RuntimeError", app.config["SECRET_KEY"]):
            assert secret not in body
        assert "request id" in doc["detail"]

    def test_method_not_allowed_keeps_the_allow_header(self, client, headers):
        response = client.delete("/api/users", headers=headers | HTML)
        assert_problem(response, 405)
        assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


class TestOpenAPI:
    def test_served_without_authentication(self, client):
        response = client.get("/api/openapi.json")
        assert response.status_code == 200 and response.mimetype == "application/json"
        doc = response.get_json()
        assert doc["openapi"].startswith("3.1")
        assert doc["components"]["securitySchemes"].keys() == {"basicAuth", "bearerAuth"}

    def test_describes_every_api_route(self, app, client):
        paths = client.get("/api/openapi.json").get_json()["paths"]
        described = {(path, method.upper()) for path, item in paths.items()
                     for method in item if method != "parameters"}
        routed = {
            (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
            for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
        assert described == routed
