"""The API's OpenAPI 3.1 description, served at ``/api/openapi.json``.

tests/test_api_schema.py runs Schemathesis against it, so a change to an
endpoint that this document does not follow fails the suite.
"""
from __future__ import annotations

from typing import Any

from app.api.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from app.api.representations import MAX_ID

NO_NUL = "^[^\\x00]*$"  # PostgreSQL cannot store NUL: such text is a 400


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def ok(description: str, schema: str, status: str = "200", **headers: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": json_content(ref("schemas", schema))}
    if headers:
        response["headers"] = {name: ref("headers", header) for name, header in headers.items()}
    return {status: response}


def errors(*codes: int) -> dict[str, Any]:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             413: "ContentTooLarge", 415: "UnsupportedMediaType", 429: "TooManyRequests"}
    return {str(code): ref("responses", names[code]) for code in codes}


def body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": json_content(ref("schemas", schema))}


def problem(description: str, **headers: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": json_content(ref("schemas", "Problem"), "application/problem+json"),
    }
    if headers:
        response["headers"] = {name: ref("headers", header) for name, header in headers.items()}
    return response


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


USERNAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_.-]+$",
            "description": "ASCII letters, digits, dots, dashes and underscores; unique in any letter case."}
EMAIL = {"type": "string", "format": "email", "maxLength": 120, "pattern": "^[\\x21-\\x7e]+$",
         "description": "Plain ASCII; unique in any letter case."}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128, "pattern": NO_NUL}
ABOUT_ME = nullable({"type": "string", "maxLength": 140, "pattern": NO_NUL})
POST_BODY = {"type": "string", "minLength": 1, "maxLength": 140, "description": "Not blank.",
             "pattern": "^[^\\x00]*[^\\s\\x00][^\\x00]*$"}
DATETIME = {"type": "string", "format": "date-time"}
LINK = {"type": "string", "format": "uri-reference"}
COUNT = {"type": "integer", "minimum": 0}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """An object with exactly these properties (``required``: all of them unless given)."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False, **extra}


def collection(item: str) -> dict[str, Any]:
    return obj({
        "items": {"type": "array", "items": ref("schemas", item)},
        "_meta": obj({"page": ID, "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                      "total_pages": COUNT, "total_items": COUNT}),
        "_links": obj({"self": LINK, "next": nullable(LINK), "prev": nullable(LINK)}),
    })


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "An RFC 9457 problem document.",
        "required": ["type", "title", "status", "detail", "instance", "request_id"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "request_id": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "For invalid input: each offending field or parameter and its messages.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    "Token": obj({"token": {"type": "string"}, "expires": DATETIME}),
    "User": obj(
        {
            "id": ID,
            "username": {"type": "string"},
            "email": {"type": "string", "description": "Only in your own account's representation."},
            "last_seen": nullable(DATETIME),
            "about_me": nullable({"type": "string"}),
            "post_count": COUNT,
            "follower_count": COUNT,
            "following_count": COUNT,
            "_links": obj({"self": LINK, "followers": LINK, "following": LINK,
                           "avatar": {"type": "string", "format": "uri"}}),
        },
        required=["id", "username", "last_seen", "about_me", "post_count", "follower_count", "following_count",
                  "_links"],
    ),
    "Post": obj({
        "id": ID,
        "body": {"type": "string"},
        "timestamp": DATETIME,
        "author": obj({"id": ID, "username": {"type": "string"}}),
        "_links": obj({"self": LINK, "author": LINK}),
    }),
    "UserList": collection("User"),
    "PostList": collection("Post"),
    "NewUser": obj({"username": USERNAME, "email": EMAIL, "password": PASSWORD, "about_me": ABOUT_ME},
                   required=["username", "email", "password"]),
    "UserChanges": obj({"username": USERNAME, "email": EMAIL, "about_me": ABOUT_ME,
                        "current_password": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NO_NUL,
                                             "description": "Your password: needed to change email."}},
                       required=[]),
    "NewPost": obj({"body": POST_BODY}),
}

RESPONSES = {
    "BadRequest": problem("Malformed JSON, a body that is not an object, unknown fields, invalid values or "
                          "query parameters. `errors` names each field or parameter."),
    "Unauthorized": problem("Missing, invalid, expired or revoked credentials.", **{"WWW-Authenticate": "Challenge"}),
    "Forbidden": problem("Authenticated, but not allowed to do this."),
    "NotFound": problem("No such resource."),
    "Conflict": problem("The username or email address is taken (in any letter case)."),
    "ContentTooLarge": problem("The body is larger than the server accepts (1 MiB by default)."),
    "UnsupportedMediaType": problem("The body is not sent as application/json."),
    "TooManyRequests": problem("Too many attempts from this address, or too many failed ones for this account. "
                               "Retry-After says when to try again.", **{"Retry-After": "RetryAfter"}),
}

PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
     "description": "Page number. A page past the end is empty."},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE},
     "description": f"Items per page; values above {MAX_PER_PAGE} count as {MAX_PER_PAGE}."},
]
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": ID, "example": 1}

NO_AUTH: list[dict[str, list[str]]] = []

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Microblog API",
        "version": "1.0",
        "description": "Get a token from `POST /api/tokens` with HTTP Basic authentication, then send it as "
                       "`Authorization: Bearer <token>`. Errors are RFC 9457 problem documents. Request bodies "
                       "are JSON objects; unknown fields are rejected with a 400.",
    },
    "security": [{"bearerAuth": []}],
    "paths": {
        "/api/tokens": {
            "post": {
                "summary": "Get a token (it replaces your previous one)",
                "operationId": "getToken",
                "security": [{"basicAuth": []}],
                "responses": {**ok("A token and when it expires.", "Token"), **errors(401, 429)},
            },
            "delete": {
                "summary": "Revoke your token",
                "operationId": "revokeToken",
                "responses": {"204": {"description": "Revoked."}, **errors(401)},
            },
        },
        "/api/users": {
            "get": {
                "summary": "List users",
                "operationId": "getUsers",
                "parameters": PAGE_PARAMETERS,
                "responses": {**ok("A page of users, by id.", "UserList"), **errors(400, 401)},
            },
            "post": {
                "summary": "Register",
                "operationId": "createUser",
                "security": NO_AUTH,
                "requestBody": body("NewUser"),
                "responses": {**ok("The new user.", "User", "201", Location="Location"),
                              **errors(400, 409, 413, 415)},
            },
        },
        "/api/users/{id}": {
            "parameters": [ID_PARAMETER],
            "get": {
                "summary": "Get a user (with email when it is you)",
                "operationId": "getUser",
                "responses": {**ok("The user.", "User"), **errors(401, 404)},
            },
            "put": {
                "summary": "Change your own account (a new email needs current_password)",
                "operationId": "updateUser",
                "requestBody": body("UserChanges"),
                "responses": {**ok("Your account, changed.", "User"),
                              **errors(400, 401, 403, 404, 409, 413, 415, 429)},
            },
        },
        "/api/users/{id}/followers": {
            "parameters": [ID_PARAMETER],
            "get": {
                "summary": "List a user's followers",
                "operationId": "getFollowers",
                "parameters": PAGE_PARAMETERS,
                "responses": {**ok("A page of users, by id.", "UserList"), **errors(400, 401, 404)},
            },
        },
        "/api/users/{id}/following": {
            "parameters": [ID_PARAMETER],
            "get": {
                "summary": "List the users a user follows",
                "operationId": "getFollowing",
                "parameters": PAGE_PARAMETERS,
                "responses": {**ok("A page of users, by id.", "UserList"), **errors(400, 401, 404)},
            },
        },
        "/api/posts": {
            "get": {
                "summary": "Your feed: your posts and those of the people you follow, newest first",
                "operationId": "getFeed",
                "parameters": PAGE_PARAMETERS,
                "responses": {**ok("A page of posts.", "PostList"), **errors(400, 401)},
            },
            "post": {
                "summary": "Write a post",
                "operationId": "createPost",
                "requestBody": body("NewPost"),
                "responses": {**ok("The new post.", "Post", "201", Location="Location"),
                              **errors(400, 401, 413, 415)},
            },
        },
        "/api/posts/{id}": {
            "parameters": [ID_PARAMETER],
            "get": {
                "summary": "Get a post",
                "operationId": "getPost",
                "responses": {**ok("The post.", "Post"), **errors(401, 404)},
            },
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "getOpenAPI",
                "security": NO_AUTH,
                "responses": {"200": {"description": "The OpenAPI description.",
                                      "content": json_content({"type": "object"})}},
            },
        },
    },
    "components": {
        "securitySchemes": {
            "basicAuth": {"type": "http", "scheme": "basic", "description": "Username and password."},
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A token from POST /api/tokens."},
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "headers": {
            "Location": {"description": "The new resource's URL.", "required": True, "schema": LINK},
            "RetryAfter": {"description": "Seconds to wait.", "required": True, "schema": {"type": "string"}},
            "Challenge": {"description": "The authentication scheme to use (Basic or Bearer).", "required": True,
                          "schema": {"type": "string"}},
        },
    },
}
