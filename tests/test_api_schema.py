"""The OpenAPI description at /api/openapi.json tells the truth: Schemathesis
generates requests from it, valid and invalid ones, sends them to the app on
each backend, and checks every answer against the description."""
from __future__ import annotations

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import create_app, db
from config import TestConfig

# Loaded once, from an app of its own (the description does not depend on the
# database); each test then sends its requests to the `app` fixture's app, one
# per backend. schemathesis.pytest.from_fixture would be the natural way to
# load it from the fixture, but Schemathesis 4.32 breaks on pytest 9.2's node
# ids there.
schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json",
    create_app(TestConfig),
    # The API ignores query parameters it does not know (only unknown body
    # fields are an error), so an extra one does not make a request invalid.
    config=schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}}),
)

BASIC = "Basic " + base64.b64encode(b"susan:correct horse").decode()


@pytest.fixture
def app_config():
    # Token throttling would answer 429 once enough examples have been sent,
    # whatever the request: a matter of history, not of the description.
    # test_api.py::TestTokenThrottling covers it.
    return {"RATELIMIT_ENABLED": False}


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_conforms_to_its_description(case, client, susan):
    if (case.method, case.operation.path) == ("POST", "/api/tokens"):
        authorization = BASIC
    else:
        # A fresh token for every request: the previous one may have revoked itself.
        authorization = f"Bearer {susan.get_token()}"
        db.session.commit()
    # Every built-in check (not_a_server_error, status_code_conformance,
    # content_type_conformance, response_schema_conformance,
    # response_headers_conformance, negative_data_rejection, ignored_auth,
    # unsupported_method, ...) except one: positive_data_acceptance expects any
    # schema-valid email address to be accepted, but email-validator (the same
    # rules as the web form) also rejects addresses at special-use domains such
    # as "x@y.test" and at dotless ones such as "x@localhost".
    case.call_and_validate(session=client, app=client.application, headers={"Authorization": authorization},
                           excluded_checks=[positive_data_acceptance])
