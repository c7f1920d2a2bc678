"""Re-capture of own posts against the sandbox network over loopback (the real adapter):
edits and deletions made on the network are recorded; the demo's thread is searchable."""

from __future__ import annotations

import httpx
import pytest

from townsquare.archive.models import EventKind, Record, RecordEvent
from townsquare.archive.selectors import record_thread, records_search
from townsquare.archive.services import archive_verify, inbound_items_capture, record_capture
from townsquare.archive.services.recapture import OWN_POST_SOURCE, own_posts_recapture
from townsquare.channels.adapters.base import Credentials, PostRequest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(live_server, settings):
    from townsquare.sandbox import services

    # 127.0.0.1, not "localhost": this machine resolves localhost to ::1 first, where the
    # test server does not answer.
    url = live_server.url.replace("localhost", "127.0.0.1")
    settings.SITE_URL = url
    # The server's first answer loads the whole URL configuration, which takes longer
    # than an adapter's timeout on a busy machine: warm it up once.
    httpx.get(f"{url}/sandbox/api/v1/instance", timeout=180)
    return {"tokens": services.sandbox_agency_tokens(), "base": f"{url}/sandbox"}


def connect(organisation, sandbox, slug):
    """A registry account of ``organisation`` connected to the sandbox user of ``slug``."""
    from townsquare.channels.adapters.mastodon.client import MastodonAdapter
    from townsquare.channels.services.accounts import account_create
    from townsquare.channels.services.credentials import credentials_store

    credentials = Credentials(access_token=sandbox["tokens"][slug].access_token)
    config = {"api_base_url": sandbox["base"], "timeout_seconds": 60}
    adapter = MastodonAdapter(credentials=credentials, config=config)
    handle = adapter.fetch_profile().handle
    account = account_create(actor=None, organisation=organisation, network="mastodon",
                             handle=handle, display_name=slug, responsible=None,
                             languages=["en"], config=config)
    credentials_store(actor=None, account=account, credentials=credentials)
    return account, adapter


def test_edits_and_deletions_on_the_network_are_recorded(government, sandbox):
    account, adapter = connect(government["transport"], sandbox, "transport")
    published = adapter.publish(PostRequest(text="Buses on route 4 are diverted today."))
    record = record_capture(
        source=OWN_POST_SOURCE, source_id=f"mastodon:{published.remote_id}",
        organisation=account.organisation, record_type="published_post",
        content="Buses on route 4 are diverted today.", network="mastodon",
        account_handle=account.handle, remote_id=published.remote_id).record
    unchanged = own_posts_recapture()
    assert (unchanged.checked, unchanged.edited, unchanged.deleted) == (1, 0, 0)
    adapter.edit(published.remote_id, "Buses on route 4 are diverted until Friday.")
    edited = own_posts_recapture()
    assert edited.edited == 1
    assert [v.content for v in record.versions.order_by("pk")][-1] == \
        "Buses on route 4 are diverted until Friday."
    assert own_posts_recapture().edited == 0  # the same edit again adds nothing
    adapter.delete(published.remote_id)
    assert own_posts_recapture().deleted == 1
    assert RecordEvent.objects.filter(record=record,
                                      kind=EventKind.DELETED_ON_NETWORK).count() == 1
    assert own_posts_recapture().checked == 0  # a deleted record is not read again
    assert archive_verify().ok


def test_accounts_that_cannot_be_read_are_skipped(government, sandbox):
    record_capture(source=OWN_POST_SOURCE, source_id="mastodon:999", content="x",
                   organisation=government["transport"], record_type="published_post",
                   network="mastodon", account_handle="@nobody@elsewhere", remote_id="999")
    summary = own_posts_recapture()
    assert (summary.skipped, summary.checked, summary.deleted) == (1, 0, 0)


def test_the_demo_thread_is_found_in_three_languages_after_deletion(government, sandbox,
                                                                    rita_office):
    from townsquare.archive.demo import archive_demo_load
    from townsquare.channels.services.inbound import account_poll

    account, _adapter = connect(government["office"], sandbox, "communications-office")
    assert archive_demo_load(organisation_slug="gco").created
    assert not archive_demo_load(organisation_slug="gco").created  # idempotent
    account_poll(account=account)  # the replies arrive as notifications
    inbound_items_capture()
    assert own_posts_recapture().deleted == 1
    post = Record.objects.get(source=OWN_POST_SOURCE, account_handle=account.handle)
    assert post.events.filter(kind=EventKind.DELETED_ON_NETWORK).exists()
    for query in ("ferry", "العبارة", "渡轮"):
        hits = records_search(rita_office, query).hits
        assert post.pk in {hit.record.pk for hit in hits}, query
        assert len(hits) >= 2, query  # the post and the reply in that language
    from townsquare.archive.selectors import record_get_for_user

    thread = record_thread(rita_office, record_get_for_user(rita_office, post.pk))
    assert thread[0].pk == post.pk and len(thread) == 4
    reply = thread[2]
    assert [r.pk for r in record_thread(rita_office, record_get_for_user(
        rita_office, reply.pk))] == [r.pk for r in thread]
    assert archive_verify().ok


@pytest.fixture
def rita_office(government):
    from conftest import TEST_PASSWORD
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(actor=None, username="grace2", email="grace2@example.org",
                             first_name="Grace", password=TEST_PASSWORD)
    membership_grant(actor=None, user=user, organisation=government["office"],
                     role="records_officer")
    return user
