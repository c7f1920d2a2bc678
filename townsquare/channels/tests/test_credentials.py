import datetime as dt
import threading
import time

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.utils import timezone

from townsquare.channels.adapters.base import AuthExpired, Credentials
from townsquare.channels.crypto import CredentialDecryptionError, decrypt_credentials
from townsquare.channels.models import ConnectionState, Credential
from townsquare.channels.services.credentials import (
    account_mark_access_problem,
    credentials_load,
    credentials_refresh,
    credentials_rotate_all,
    credentials_store,
)
from townsquare.core.models import Notification

pytestmark = pytest.mark.django_db

SECRET = "very-secret-access-token-123"


def expiring(access=SECRET, refresh="refresh-1", minutes=1):
    return Credentials(
        access_token=access,
        refresh_token=refresh,
        expires_at=timezone.now() + dt.timedelta(minutes=minutes),
    )


def test_tokens_are_encrypted_at_rest(alice, transport_account):
    credentials_store(actor=alice, account=transport_account, credentials=expiring())
    row = Credential.objects.get()
    assert SECRET not in row.ciphertext and "refresh-1" not in row.ciphertext
    assert SECRET not in str(row) and SECRET not in repr(credentials_load(transport_account))
    assert credentials_load(transport_account).access_token == SECRET
    transport_account.refresh_from_db()
    assert transport_account.connection_state == ConnectionState.CONNECTED


def test_key_rotation_reencrypts_everything(alice, transport_account, settings):
    credentials_store(actor=alice, account=transport_account, credentials=expiring())
    old_keys = list(settings.CHANNEL_ENCRYPTION_KEYS)
    settings.CHANNEL_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    assert credentials_rotate_all() == 1
    settings.CHANNEL_ENCRYPTION_KEYS = settings.CHANNEL_ENCRYPTION_KEYS[:1]  # old key removed
    assert credentials_load(transport_account).access_token == SECRET
    settings.CHANNEL_ENCRYPTION_KEYS = old_keys
    with pytest.raises(CredentialDecryptionError):
        decrypt_credentials(Credential.objects.get().ciphertext)


def test_rotated_refresh_token_is_saved_with_the_access_token(alice, transport_account):
    credentials_store(actor=alice, account=transport_account, credentials=expiring())

    def refresh(current):
        assert current.refresh_token == "refresh-1"
        return expiring(access="new-access", refresh="refresh-2", minutes=60)

    fresh = credentials_refresh(account=transport_account, refresh=refresh)
    assert fresh.access_token == "new-access"
    stored = credentials_load(transport_account)
    assert (stored.access_token, stored.refresh_token) == ("new-access", "refresh-2")
    assert Credential.objects.get().version == 2


def test_a_failed_refresh_changes_nothing(alice, transport_account):
    credentials_store(actor=alice, account=transport_account, credentials=expiring())

    def refresh(current):
        raise AuthExpired("revoked")

    with pytest.raises(AuthExpired):
        credentials_refresh(account=transport_account, refresh=refresh)
    assert credentials_load(transport_account).refresh_token == "refresh-1"


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_refresh_once(alice, transport_account):
    credentials_store(actor=alice, account=transport_account, credentials=expiring())
    calls = []
    results = []

    def refresh(current):
        calls.append(current.refresh_token)
        time.sleep(0.3)  # the network is slow; the other worker must wait, not refresh too
        return expiring(access="fresh", refresh=f"rotated-{len(calls)}", minutes=60)

    def worker():
        try:
            results.append(credentials_refresh(account=transport_account, refresh=refresh))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert calls == ["refresh-1"]
    assert [r.refresh_token for r in results] == ["rotated-1", "rotated-1"]
    assert credentials_load(transport_account).refresh_token == "rotated-1"


def test_lost_access_flags_the_account_and_tells_its_people_once(alice, transport_account):
    account_mark_access_problem(account=transport_account, note="401 from the network")
    account_mark_access_problem(account=transport_account, note="401 again")
    transport_account.refresh_from_db()
    assert transport_account.connection_state == ConnectionState.EXPIRED
    assert (
        Notification.objects.filter(recipient=alice, message_key="account.access_lost").count() == 1
    )


def test_rotation_command_reports_and_audits(alice, transport_account, settings):
    from io import StringIO

    from django.core.management import call_command

    from townsquare.core.models import AuditEvent

    credentials_store(actor=alice, account=transport_account, credentials=expiring())
    settings.CHANNEL_ENCRYPTION_KEYS = [Fernet.generate_key().decode(),
                                        *settings.CHANNEL_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("rotate_channel_keys", stdout=out)
    assert "Re-encrypted 1 stored credential" in out.getvalue()
    assert AuditEvent.objects.filter(action="channels.keys_rotated").exists()
    settings.CHANNEL_ENCRYPTION_KEYS = settings.CHANNEL_ENCRYPTION_KEYS[:1]
    assert credentials_load(transport_account).access_token == SECRET
