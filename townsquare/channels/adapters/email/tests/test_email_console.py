"""An administrator connects a mailbox through the console's key form; the login is
checked against a real Dovecot on loopback before anything is stored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from townsquare.channels.adapters.email.tests.servers import Dovecot
from townsquare.channels.models import ConnectionState, Credential
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_load

pytestmark = pytest.mark.django_db


def _mailbox_account(alice, government, server: Dovecot, address: str):
    return account_create(
        actor=alice, organisation=government["transport"], network="email", handle=address,
        config={"imap_port": server.port, "imap_ssl": False, "imap_starttls": False,
                "smtp_port": 25, "smtp_starttls": False, "timeout": 5},
    )


def _form(address: str, password: str) -> dict[str, str]:
    return {"imap_host": "127.0.0.1", "smtp_host": "127.0.0.1", "username": address,
            "password": password}


def test_a_mailbox_is_connected_after_a_real_login(client_for, alice, government,
                                                   dovecot: Dovecot, mailbox_user: str):
    account = _mailbox_account(alice, government, dovecot, mailbox_user)
    response = client_for(alice).post(reverse("channels:credentials", args=[account.pk]),
                                      _form(mailbox_user, dovecot.users[mailbox_user]))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.CONNECTED
    assert account.config["imap_host"] == "127.0.0.1"
    assert account.config["address"] == mailbox_user  # taken from the handle
    assert credentials_load(account).extra["password"] == dovecot.users[mailbox_user]


def test_a_wrong_mailbox_password_stores_nothing(client_for, alice, government,
                                                 lone_dovecot: Dovecot):
    address = "lone@transport.gov.example"
    account = _mailbox_account(alice, government, lone_dovecot, address)
    response = client_for(alice).post(reverse("channels:credentials", args=[account.pk]),
                                      _form(address, "Wrong-Secret-123"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Email refused these credentials" in body and "Wrong-Secret-123" not in body
    assert not Credential.objects.exists()
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.NOT_CONNECTED
    assert "imap_host" not in account.config
