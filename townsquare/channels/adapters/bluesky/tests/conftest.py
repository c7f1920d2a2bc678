"""A fake XRPC server shared by the module's tests (stopping one takes half a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from townsquare.channels.adapters.testing import FakeNetwork


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeNetwork]:
    # One server per module: stopping a server takes half a second (its poll interval).
    with FakeNetwork() as network:
        yield network


@pytest.fixture
def fake(shared_fake: FakeNetwork) -> FakeNetwork:
    shared_fake.routes.clear()
    shared_fake.requests.clear()
    return shared_fake
