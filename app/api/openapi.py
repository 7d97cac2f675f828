"""The API's OpenAPI 3.1 description, served at ``/api/openapi.json``; its
schemas and shared responses are in app/api/openapi_components.py.

tests/test_api_schema.py runs Schemathesis against it, so a change to an
endpoint that this document does not follow fails the suite.
"""
from __future__ import annotations

from typing import Any

from app.api.openapi_components import (
    ID_PARAMETER,
    LINK,
    NO_AUTH,
    PAGE_PARAMETERS,
    RESPONSES,
    SCHEMAS,
    TASK_ID_PARAMETER,
    body,
    errors,
    json_content,
    ok,
    ref,
)

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
                "summary": "Write a post, or with `in_reply_to` a reply (a 400 if that post is not there)",
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
            "patch": {
                "summary": "Change your post's body, within POST_EDIT_MINUTES (15 by default) of posting",
                "operationId": "editPost",
                "requestBody": body("PostChanges"),
                "responses": {**ok("The post as changed (`edited` is set).", "Post"),
                              **errors(400, 401, 403, 404, 413, 415)},
            },
            "delete": {
                "summary": "Delete your post (its likes go with it; replies stay, with `in_reply_to` null)",
                "operationId": "deletePost",
                "responses": {"204": {"description": "Deleted."}, **errors(401, 403, 404)},
            },
        },
        "/api/posts/{id}/replies": {
            "parameters": [ID_PARAMETER],
            "get": {
                "summary": "A post's direct replies, oldest first",
                "operationId": "getReplies",
                "parameters": PAGE_PARAMETERS,
                "responses": {**ok("A page of posts.", "PostList"), **errors(400, 401, 404)},
            },
        },
        "/api/posts/{id}/like": {
            "parameters": [ID_PARAMETER],
            "post": {
                "summary": "Like a post (liking it again changes nothing)",
                "operationId": "likePost",
                "responses": {**ok("The post, with `likes` and `liked_by_me`.", "Post"), **errors(401, 404)},
            },
            "delete": {
                "summary": "Take your like back (changes nothing if you did not like it)",
                "operationId": "unlikePost",
                "responses": {**ok("The post, with `likes` and `liked_by_me`.", "Post"), **errors(401, 404)},
            },
        },
        "/api/search": {
            "get": {
                "summary": "Search posts (by relevance) and people (by name)",
                "operationId": "search",
                "parameters": [{"name": "q", "in": "query", "required": True,
                                "schema": {"type": "string"},
                                "description": 'Words to find, all of them. "A phrase" in double quotes, word* '
                                               "for a prefix; any other character only separates words. Case "
                                               "and accents are ignored; English word forms match. Longer than "
                                               "200 characters: cut."}, *PAGE_PARAMETERS],
                "responses": {**ok("The results.", "SearchResults"), **errors(400, 401)},
            },
        },
        "/api/messages": {
            "get": {
                "summary": "Your inbox, newest first (reading page 1 marks it read)",
                "operationId": "getInbox",
                "parameters": PAGE_PARAMETERS,
                "responses": {**ok("A page of the messages you received.", "MessageList"), **errors(400, 401)},
            },
            "post": {
                "summary": "Send a private message",
                "operationId": "sendMessage",
                "requestBody": body("NewMessage"),
                "responses": {**ok("The message sent.", "Message", "201", Location="Location"),
                              **errors(400, 401, 404, 413, 415, 429)},
            },
        },
        "/api/messages/{id}": {
            "parameters": [ID_PARAMETER],
            "get": {
                "summary": "Get a message you sent or received",
                "operationId": "getMessage",
                "responses": {**ok("The message.", "Message"), **errors(401, 404)},
            },
        },
        "/api/notifications": {
            "get": {
                "summary": "Your notifications newer than since, oldest first (writes nothing)",
                "operationId": "getNotifications",
                "parameters": [{"name": "since", "in": "query", "required": False, "allowEmptyValue": True,
                                "schema": {"type": "number", "minimum": 0, "default": 0},
                                "description": "Unix time in seconds, a float such as 1764583200.25: only "
                                               "notifications strictly newer are returned. Absent or empty: 0."}],
                "responses": {"200": {"description": "The notifications.",
                                      "content": json_content({"type": "array",
                                                               "items": ref("schemas", "Notification")})},
                              **errors(400, 401)},
            },
        },
        "/api/exports": {
            "post": {
                "summary": "Export your posts: queue the job, and follow its task (the file is also mailed to you)",
                "operationId": "createExport",
                "responses": {**ok("The queued task; Location is where to follow it.", "Task", "202",
                                   Location="Location"),
                              **errors(401, 409, 503)},
            },
        },
        "/api/tasks/{task_id}": {
            "parameters": [TASK_ID_PARAMETER],
            "get": {
                "summary": "One of your tasks: its state and progress, and its result once complete",
                "operationId": "getTask",
                "responses": {**ok("The task.", "Task"), **errors(401, 404)},
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
