"""The parts of the API's OpenAPI description (app/api/openapi.py): schemas
of what the API takes and answers, shared responses and parameters, and the
helpers that build them.

Field schemas follow the API's own rules (app/api/payload.py), so that
Schemathesis's invalid examples are the ones the API rejects.
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
             413: "ContentTooLarge", 415: "UnsupportedMediaType", 429: "TooManyRequests",
             503: "ServiceUnavailable"}
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
# 1-140 characters once trimmed (surrounding whitespace is dropped): a
# non-space, then at most 139 more ending in a non-space, inside any spaces.
MESSAGE_BODY = {"type": "string", "description": "1–140 characters after trimming; stored trimmed.",
                "pattern": "^\\s*[^\\s\\x00]([^\\x00]{0,138}[^\\s\\x00])?\\s*$"}
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


SOMEONE = obj({"id": ID, "username": {"type": "string"}})
POST = {
    "id": ID,
    "body": {"type": "string"},
    "body_html": {"type": "string", "description": "The body as the pages show it: escaped text, with links to "
                  "mentioned users (site-relative), tags (site-relative) and http(s) URLs. Safe to insert as HTML."},
    "timestamp": DATETIME,
    "edited": {**nullable(DATETIME), "description": "When the body was last changed; null if never."},
    "author": SOMEONE,
    "in_reply_to": {**nullable(ID), "description": "The post this one answers: null for a post answering "
                    "nobody, and for a reply whose post has been deleted."},
    "reply_to": {**nullable(SOMEONE), "description": "Whom it answered, when the answered post is still there."},
    "likes": COUNT,
    "liked_by_me": {"type": "boolean"},
    "_links": obj({"self": LINK, "author": LINK, "in_reply_to": nullable(LINK), "replies": LINK, "like": LINK}),
}

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
    "Post": obj(POST),
    "SearchHit": obj({
        **POST,
        "highlight": {"type": "string", "description": "`body_html` with each matched word of its text in "
                                                       "<mark>...</mark>."},
    }),
    "SearchResults": obj({
        "q": {"type": "string", "description": "The query as searched: trimmed, control characters removed, "
                                               "cut to 200 characters."},
        "posts": obj({
            "items": {"type": "array", "items": ref("schemas", "SearchHit")},
            "_meta": obj({"page": ID, "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}}),
            "_links": obj({"self": LINK, "next": nullable(LINK), "prev": nullable(LINK)}),
        }, description="Posts with every word, the most relevant of the newest matches first. "
                       "No totals are counted: follow _links.next until it is null."),
        "users": {"type": "array", "items": ref("schemas", "User"), "maxItems": 5,
                  "description": "On page 1 only: people whose username starts with, then contains, q."},
    }),
    "Message": obj({
        "id": ID,
        "body": {"type": "string"},
        "timestamp": DATETIME,
        "sender": obj({"id": ID, "username": {"type": "string"}}),
        "recipient": obj({"id": ID, "username": {"type": "string"}}),
        "_links": obj({"self": LINK, "sender": LINK, "recipient": LINK}),
    }),
    "Notification": obj({
        "name": {"type": "string", "description": "What changed, e.g. unread_message_count."},
        "data": {"description": "Its value (any JSON), e.g. the unread count."},
        "timestamp": {"type": "number", "minimum": 0, "description": "Unix time; pass the latest as since."},
    }),
    "Task": obj({
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string", "description": "The kind of task: export_posts."},
        "description": {"type": "string"},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100, "description": "Percent done."},
        "state": {"enum": ["queued", "running", "complete", "failed"]},
        "error": nullable({"type": "string", "description": "Why it failed (state failed only)."}),
        "created": DATETIME,
        "finished": nullable(DATETIME),
        "_links": obj({"self": LINK,
                       "result": {**nullable(LINK), "description": "The file to download, once complete "
                                                                   "(for EXPORT_KEEP_HOURS)."}}),
    }),
    "UserList": collection("User"),
    "PostList": collection("Post"),
    "MessageList": collection("Message"),
    "NewUser": obj({"username": USERNAME, "email": EMAIL, "password": PASSWORD, "about_me": ABOUT_ME},
                   required=["username", "email", "password"]),
    "UserChanges": obj({"username": USERNAME, "email": EMAIL, "about_me": ABOUT_ME,
                        "current_password": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NO_NUL,
                                             "description": "Your password: needed to change email."}},
                       required=[]),
    "NewPost": obj({"body": POST_BODY, "in_reply_to": {**ID, "description": "The id of the post this one answers."}},
                   required=["body"]),
    "PostChanges": obj({"body": POST_BODY}),
    "NewMessage": obj({"recipient": {**USERNAME, "description": "The recipient's username, in any letter case."},
                       "body": MESSAGE_BODY}),
}

RESPONSES = {
    "BadRequest": problem("Malformed JSON, a body that is not an object, unknown fields, invalid values or "
                          "query parameters. `errors` names each field or parameter."),
    "Unauthorized": problem("Missing, invalid, expired or revoked credentials.", **{"WWW-Authenticate": "Challenge"}),
    "Forbidden": problem("Authenticated, but not allowed to do this (such as changing another user's post, or "
                         "editing yours after POST_EDIT_MINUTES)."),
    "NotFound": problem("No such resource (a message that is not yours is not found either)."),
    "Conflict": problem("The username or email address is taken (in any letter case), or an export of yours is "
                        "already queued or running (then `task` is that task)."),
    "ContentTooLarge": problem("The body is larger than the server accepts (1 MiB by default)."),
    "UnsupportedMediaType": problem("The body is not sent as application/json."),
    "TooManyRequests": problem("Too many attempts from this address, too many failed ones for this account, or "
                               "too many messages sent (MESSAGE_LIMIT). Retry-After says when to try again.",
                               **{"Retry-After": "RetryAfter"}),
    "ServiceUnavailable": problem("Something the request needs is down for now (the job queue's store, the "
                                  "database). Retry-After says when to try again.", **{"Retry-After": "RetryAfter"}),
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
TASK_ID_PARAMETER = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"},
                     "example": "0b5a3f0e-4d0c-4f55-9a57-3b0f2c8e7d11"}

NO_AUTH: list[dict[str, list[str]]] = []
