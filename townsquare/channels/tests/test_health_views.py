"""The account health page and the ghost accounts report in the console."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from townsquare.channels.models import Account, AccountMetricSnapshot, AccountStatus, InboundItem
from townsquare.channels.services.accounts import account_create
from townsquare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _item(account, rid, *, own=False, days_ago=0, reply_to="", kind="mention"):
    return InboundItem.objects.create(
        account=account, network=account.network, remote_id=rid, kind=kind, text="x",
        is_own=own, in_reply_to=reply_to, first_seen_via="poll",
        remote_created_at=timezone.now() - dt.timedelta(days=days_ago, hours=1),
    )


@pytest.fixture
def lively(transport_account):
    account = transport_account
    Account.objects.filter(pk=account.pk).update(followers=1234)
    _item(account, "p1", own=True, days_ago=1)
    _item(account, "p2", own=True, days_ago=9)
    _item(account, "c1", days_ago=2)
    _item(account, "r1", own=True, days_ago=2, reply_to="c1")
    today = timezone.localdate()
    for back, followers in ((30, 1100), (0, 1234)):
        AccountMetricSnapshot.objects.create(
            account=account, day=today - dt.timedelta(days=back), followers=followers
        )
    return account


@pytest.fixture
def ghost(government, alice):
    account = account_create(actor=None, organisation=government["transport"],
                             network="bluesky", handle="old-campaign", responsible=alice)
    Account.objects.filter(pk=account.pk).update(
        followers=700, created_at=timezone.now() - dt.timedelta(days=400)
    )
    _item(account, "b1", own=True, days_ago=200)
    return account


def test_health_page_shows_metrics_charts_and_tables(client_for, alice, lively):
    response = client_for(alice).get(f"/console/channels/{lively.pk}/health/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 2
    assert '<title id="chart-activity-title">Posts and replies per week</title>' in html
    assert '<title id="chart-followers-title">Followers over time</title>' in html
    assert 'aria-labelledby="chart-activity-title chart-activity-desc"' in html
    # Each chart is followed by a table with the same numbers.
    activity = html.index('id="chart-activity"')
    table = html.index("<table", activity)
    assert "<caption>Posts and replies per week</caption>" in html[table:table + 200]
    assert html.index('id="chart-followers"') > table
    assert "1,234" in html and "1,100" in html  # localised numbers in the followers table
    assert "134 since" in html  # the follower trend
    assert "100% (1 of 1)" in html  # answered share
    assert not INLINE_SCRIPT.search(html)
    assert ' style="' not in html
    assert 'role="graphics-symbol"' not in html  # the SVG is one labelled image
    assert "health/review/" in html  # alice administers Transport


def test_health_page_in_arabic(client_for, alice, lively, settings):
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    response = client.get(f"/console/channels/{lively.pk}/health/")
    assert response.status_code == 200
    assert response.content.decode().count('role="img"') >= 2


def test_carol_cannot_see_or_act_on_transport_accounts(client_for, carol, lively, ghost):
    client = client_for(carol)
    assert client.get(f"/console/channels/{lively.pk}/health/").status_code == 404
    response = client.post(f"/console/channels/{ghost.pk}/health/review/", {"action": "retire"})
    assert response.status_code == 404
    assert Account.objects.get(pk=ghost.pk).status == AccountStatus.ACTIVE
    page = client.get("/console/channels/ghosts/").content.decode()
    assert "old-campaign" not in page


def test_bob_can_view_but_not_act(client_for, bob, lively, ghost):
    client = client_for(bob)
    response = client.get(f"/console/channels/{lively.pk}/health/")
    assert response.status_code == 200
    assert "health/review/" not in response.content.decode()
    ghosts = client.get("/console/channels/ghosts/").content.decode()
    assert "old-campaign" in ghosts
    assert "health/review/" not in ghosts
    for action in ("confirm", "dormant", "retire"):
        response = client.post(f"/console/channels/{ghost.pk}/health/review/", {"action": action})
        assert response.status_code == 403
    assert Account.objects.get(pk=ghost.pk).status == AccountStatus.ACTIVE


def test_ghost_report_lists_ghosts_with_their_action_and_filters(client_for, alice, lively,
                                                                 ghost, government):
    client = client_for(alice)
    html = client.get("/console/channels/ghosts/").content.decode()
    assert "old-campaign" in html
    assert "Followers but no activity" in html
    assert "Revive" in html
    assert f"/console/channels/{ghost.pk}/health/review/" in html
    assert "@transport@sandbox.local" not in html  # the lively account is no ghost
    assert not INLINE_SCRIPT.search(html)
    filtered = client.get("/console/channels/ghosts/",
                          {"classification": "activity_no_replies"}).content.decode()
    assert "old-campaign" not in filtered
    by_network = client.get("/console/channels/ghosts/", {"network": "bluesky"}).content.decode()
    assert "old-campaign" in by_network
    by_org = client.get("/console/channels/ghosts/",
                        {"organisation": government["transport"].pk}).content.decode()
    assert "old-campaign" in by_org


def test_review_buttons_go_through_the_services(client_for, alice, ghost):
    client = client_for(alice)
    url = f"/console/channels/{ghost.pk}/health/review/"
    response = client.post(url, {"action": "dormant", "next": "/console/channels/ghosts/"})
    assert response.status_code == 302
    assert response["Location"] == "/console/channels/ghosts/"
    assert Account.objects.get(pk=ghost.pk).status == AccountStatus.DORMANT
    Account.objects.filter(pk=ghost.pk).update(status=AccountStatus.UNDER_REVIEW,
                                               review_due_at=timezone.now())
    client.post(url, {"action": "confirm"})
    confirmed = Account.objects.get(pk=ghost.pk)
    assert confirmed.status == AccountStatus.ACTIVE
    assert confirmed.review_due_at > timezone.now() + dt.timedelta(days=30)
    response = client.post(url, {"action": "retire", "next": "https://evil.example/"})
    assert response["Location"] == f"/console/channels/{ghost.pk}/health/"
    assert Account.objects.get(pk=ghost.pk).status == AccountStatus.RETIRED
    actions = list(AuditEvent.objects.filter(target_id=str(ghost.pk)).values_list(
        "action", flat=True))
    assert actions.count("account.update") >= 2
    assert "account.confirm" in actions
    assert client.post(url, {"action": "delete"}).status_code == 302
    assert client.get(url).status_code == 405
