"""Schemathesis against the live schema: no server error, answers match the schema.

Runs every operation with a token that has every scope, as alice (an administrator)
and as dana (who sees everything), with the named users' data present. Examples are
bounded and derandomised so the run is short and repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def api_schema(db):
    # Like Django's test client: the raw WSGI app would otherwise close the test's
    # database connection at the end of every request (it sits inside the test's
    # transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield _load_schema()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _load_schema():
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application(),
                                          headers={"Host": "localhost"})


def _operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def _run(operation, mode, headers, path_parameters=None, checks=CHECKS):
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
    seen_statuses: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        response = case.call(headers=headers)
        seen_statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    check()
    return seen_statuses


def test_schema_lists_every_endpoint(api_schema):
    labels = {op.label for op in _operations(api_schema)}
    assert labels == {
        "GET /api/v1/me", "GET /api/v1/people", "GET /api/v1/audit-events",
        "GET /api/v1/organisations", "GET /api/v1/organisations/{organisation_id}",
        "GET /api/v1/organisations/{organisation_id}/teams",
        "POST /api/v1/organisations/{organisation_id}/teams",
        "GET /api/v1/organisations/{organisation_id}/members",
        "POST /api/v1/organisations/{organisation_id}/members",
        "DELETE /api/v1/memberships/{membership_id}",
        "GET /api/v1/directory", "GET /api/v1/accounts", "GET /api/v1/accounts/{account_id}",
        "GET /api/v1/accounts/{account_id}/health", "GET /api/v1/ghost-accounts",
        "GET /api/v1/posts", "GET /api/v1/posts/{post_id}",
        "GET /api/v1/surveys/{slug}/results",
        "GET /api/v1/archive/search", "GET /api/v1/archive/records/{record_id}",
        "GET /api/v1/archive/holds", "POST /api/v1/archive/holds",
        "POST /api/v1/archive/holds/{hold_id}/release",
    }


@pytest.mark.usefixtures("bob", "carol")
@pytest.mark.parametrize("username", ["alice", "dana"])
def test_no_server_error_and_schema_conformance(api_schema, token_for, request, username,
                                                government):
    user = request.getfixturevalue(username)
    headers = {"Authorization": f"Bearer {token_for(user)}", "Host": "localhost"}
    real_ids = {"organisation_id": government["transport"].pk}
    statuses: list[int] = []
    for operation in _operations(api_schema):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            statuses += _run(operation, mode, headers)
        if "{organisation_id}" in operation.path:
            statuses += _run(operation, GenerationMode.POSITIVE, headers, real_ids)
    assert statuses
    assert all(status < 500 for status in statuses)
    assert any(200 <= status < 300 for status in statuses)


def test_negative_data_is_rejected(api_schema, token_for, alice, government):
    headers = {"Authorization": f"Bearer {token_for(alice)}", "Host": "localhost"}
    for operation in _operations(api_schema):
        if operation.method.upper() != "POST":
            continue
        _run(operation, GenerationMode.NEGATIVE, headers,
             {"organisation_id": government["transport"].pk},
             checks=[*CHECKS, negative_data_rejection])
