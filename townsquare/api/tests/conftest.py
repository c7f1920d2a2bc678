from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from townsquare.api.models import ApiScope

ALL_SCOPES = list(ApiScope.values)


@pytest.fixture
def token_for(db):
    """``token_for(user, scopes=..., days=...)``: the plaintext of a new token."""
    from townsquare.api.services import api_token_create

    def make(user, scopes=None, days=30, name="Test token"):
        _token, plaintext = api_token_create(
            user=user, name=name, scopes=list(scopes or ALL_SCOPES),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        return plaintext

    return make


class ApiClient:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, payload, **headers):
        return self.client.post(f"/api/v1{path}", payload, content_type="application/json",
                                headers={**self.headers, **headers})

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


@pytest.fixture
def api_as(token_for):
    """``api_as(user, scopes=...)``: a client that sends a bearer token of ``user``."""

    def make(user, scopes=None):
        return ApiClient(token_for(user, scopes))

    return make


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["details"], list)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
