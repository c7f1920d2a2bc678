from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from townsquare.channels.adapters.email.tests.servers import (
    CapturingHandler,
    Dovecot,
    dovecot_binary,
    start_dovecot,
    start_smtp,
    stop_dovecot,
)

_counter = itertools.count(1)
USERS = 60


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed: apt-get install dovecot-imapd (TEST_DEBS)")
    users = {f"agency{n}@transport.gov.example": f"pw-{n}-Secret!" for n in range(1, USERS + 1)}
    server = start_dovecot(binary, users)
    try:
        yield server
    finally:
        stop_dovecot(server)


@pytest.fixture
def lone_dovecot(dovecot: Dovecot) -> Iterator[Dovecot]:
    """A separate Dovecot for failed logins: after one, Dovecot delays every later login
    from the same address by seconds (its auth penalty), which would slow the others."""
    binary = dovecot_binary()
    assert binary is not None
    server = start_dovecot(binary, {"lone@transport.gov.example": "Right-Secret-1"})
    try:
        yield server
    finally:
        stop_dovecot(server)


@pytest.fixture
def mailbox_user(dovecot: Dovecot) -> str:
    """A fresh, empty mailbox for each test."""
    number = next(_counter)
    if number > USERS:
        raise RuntimeError("more e-mail tests than prepared mailboxes: raise USERS")
    return f"agency{number}@transport.gov.example"


@pytest.fixture(scope="session")
def _smtp() -> Iterator[tuple[Controller, CapturingHandler]]:
    handler = CapturingHandler()
    controller = start_smtp(handler)
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def smtp(_smtp: tuple[Controller, CapturingHandler]) -> tuple[Controller, CapturingHandler]:
    controller, handler = _smtp
    handler.envelopes.clear()
    handler.logins.clear()
    handler.refuse_rcpt = handler.refuse_data = None
    return controller, handler
