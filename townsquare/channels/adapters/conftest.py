"""Fixtures shared by every adapter's tests."""

from collections.abc import Iterator

import pytest

from townsquare.channels.adapters.testing import FakeNetwork


@pytest.fixture(scope="module")
def server() -> Iterator[FakeNetwork]:
    """One fake network per test module; each test gets it reset through ``fake``."""
    with FakeNetwork() as network:
        yield network


@pytest.fixture
def fake(server: FakeNetwork) -> FakeNetwork:
    server.reset()
    return server
