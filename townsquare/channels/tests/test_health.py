"""Account health metrics, dormancy score, ghost classes and daily snapshots."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import ClassVar

import pytest

from townsquare.channels import health
from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import (
    AccountProfile,
    AuthExpired,
    Credentials,
    Network,
    TransientError,
)
from townsquare.channels.health import Action, GhostClass
from townsquare.channels.models import (
    Account,
    AccountMetricSnapshot,
    AccountStatus,
    ConnectionState,
    InboundItem,
)
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_store
from townsquare.channels.services.health import account_snapshot_record
from townsquare.channels.tests.fakes import ScriptedAdapter

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
FAKES = "townsquare.channels.tests"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


def add(account, *, own=False, at, reply_to="", kind="mention", rid=None):
    return InboundItem.objects.create(
        account=account,
        network=account.network,
        remote_id=rid or f"r{next(_ids)}",
        kind=kind,
        text="x",
        is_own=own,
        in_reply_to=getattr(reply_to, "remote_id", reply_to),
        remote_created_at=at,
        first_seen_via="poll",
    )


def make_account(organisation, handle, *, followers=None, created_days_ago=200, **extra):
    account = account_create(actor=None, organisation=organisation, network=extra.pop(
        "network", "mastodon"), handle=handle, **extra)
    Account.objects.filter(pk=account.pk).update(
        created_at=NOW - dt.timedelta(days=created_days_ago), followers=followers
    )
    account.refresh_from_db()
    return account


def days(n, seconds=0):
    return NOW - dt.timedelta(days=n) + dt.timedelta(seconds=seconds)


@pytest.fixture
def busy(transport_account):
    """Posts, citizen messages and replies with known delays."""
    account = transport_account
    for n in range(8):  # 8 posts in the last 4 weeks → 2 a week
        add(account, own=True, at=days(1 + 3 * n))
    add(account, own=True, at=days(40))  # outside the window
    first = add(account, own=True, at=days(5, 10))
    add(account, own=True, at=days(5, 20), reply_to=first)  # a thread: counts as a post
    c1, c2 = add(account, at=days(2)), add(account, at=days(3))
    c3, c4 = add(account, at=days(4)), add(account, at=days(6))
    add(account, at=days(3), kind="post")  # a public post found by search: not a message
    old = add(account, at=days(40))
    add(account, own=True, at=days(2, 60), reply_to=c1)
    add(account, own=True, at=days(3, 300), reply_to=c2)
    add(account, own=True, at=days(4, 1200), reply_to=c3)
    add(account, own=True, at=days(4, 5000), reply_to=c3)  # a second answer: not the first
    add(account, own=True, at=days(40, 30), reply_to=old)
    return {"account": account, "c4": c4}


def test_metrics_on_constructed_data(alice, busy):
    result = health.account_health(alice, busy["account"].pk, now=NOW)
    summary = result.summary
    assert summary.posts_per_week == 10 / 4  # 8 posts, one thread start and its continuation
    assert summary.replies_per_week == 4 / 4
    assert summary.last_post == days(1)
    assert summary.last_reply == days(2, 60)
    assert summary.citizen_messages == 4
    assert summary.answered == 3
    assert summary.answered_share == 0.75
    assert result.median_response_seconds == 300.0
    assert summary.days_idle == 1
    assert summary.ghost_class is None
    assert summary.action is None


def test_median_of_an_even_number_is_the_mean_of_the_middle_two(busy):
    add(busy["account"], own=True, at=days(6, 100), reply_to=busy["c4"])
    assert health.median_response_seconds(busy["account"], NOW) == 200.0


def test_weekly_series_adds_up_to_the_window(busy):
    weeks = health.weekly_activity(busy["account"], NOW)
    assert len(weeks) == health.CHART_WEEKS
    assert weeks[-1].end == NOW.date()
    assert weeks[-1].start == NOW.date() - dt.timedelta(days=6)
    assert sum(w.posts for w in weeks[-4:]) == 10
    assert sum(w.replies for w in weeks[-4:]) == 4
    assert sum(w.posts for w in weeks) == 11  # with the post 40 days ago
    assert sum(w.replies for w in weeks) == 5
    assert weeks[-6].posts == 1 and weeks[-6].replies == 1  # 40 days ago


def test_no_messages_means_no_share_and_no_median(alice, transport_account):
    result = health.account_health(alice, transport_account.pk, now=NOW)
    assert result.summary.answered_share is None
    assert result.median_response_seconds is None
    assert result.summary.last_post is None


def test_dormancy_score_orders_lively_before_dormant():
    lively = health.dormancy_score(days_idle=0, items_per_week=5, answered_share=1.0,
                                   followers=20000)
    slow = health.dormancy_score(days_idle=20, items_per_week=1, answered_share=0.5,
                                 followers=300)
    dead = health.dormancy_score(days_idle=400, items_per_week=0, answered_share=None,
                                 followers=None)
    assert lively == 0
    assert dead == 90  # 40 + 25 + 10 (nobody wrote) + 15
    assert lively < slow < dead
    assert health.dormancy_score(days_idle=400, items_per_week=0, answered_share=0.0,
                                 followers=0) == 100


@pytest.fixture
def ghosts(government, alice):
    transport = government["transport"]
    lively = make_account(transport, "lively", followers=5000, responsible=alice)
    for n in range(6):
        add(lively, own=True, at=days(n))
    silent = make_account(transport, "silent", followers=500, responsible=alice,
                          network="bluesky")
    add(silent, own=True, at=days(120))
    orphan = make_account(transport, "orphan", followers=3)
    deaf = make_account(transport, "deaf", followers=800, network="x", responsible=alice)
    add(deaf, own=True, at=days(1))
    for n in range(6):
        add(deaf, at=days(2 + n))
    retired = make_account(transport, "retired-one", followers=0,
                           status=AccountStatus.RETIRED)
    return {"lively": lively, "silent": silent, "orphan": orphan, "deaf": deaf,
            "retired": retired}


def _by_handle(summaries):
    return {s.account.handle: s for s in summaries}


def test_each_ghost_class_and_action(alice, ghosts):
    found = _by_handle(health.ghost_accounts(alice, now=NOW))
    assert set(found) == {"silent", "orphan", "deaf"}
    assert found["silent"].ghost_class == GhostClass.FOLLOWERS_NO_ACTIVITY
    assert found["silent"].action == Action.REVIVE
    assert found["orphan"].ghost_class == GhostClass.NO_AUDIENCE_NO_ACTIVITY
    assert found["orphan"].action == Action.RETIRE
    assert found["deaf"].ghost_class == GhostClass.ACTIVITY_NO_REPLIES
    assert found["deaf"].answered_share == 0.0
    assert found["deaf"].action == Action.REVIVE
    everything = health.accounts_health(alice, now=NOW)
    assert everything[-1].account.handle == "lively"  # the least dormant comes last
    scores = [s.dormancy_score for s in everything]
    assert scores == sorted(scores, reverse=True)


def test_a_ghost_beside_a_lively_account_on_the_same_network_is_merged(alice, ghosts,
                                                                      government):
    twin = make_account(government["transport"], "silent-twin", followers=900,
                        network="bluesky", responsible=alice)
    add(twin, own=True, at=days(150))
    sibling = make_account(government["transport"], "bsky-main", followers=50,
                           network="bluesky")
    add(sibling, own=True, at=days(1))
    found = _by_handle(health.ghost_accounts(alice, now=NOW))
    assert found["silent"].action == Action.MERGE
    assert found["silent"].merge_into == sibling
    assert found["orphan"].action == Action.RETIRE  # no audience: nothing to merge


def test_same_purpose_on_another_network_is_a_merge(alice, government):
    transport = government["transport"]
    make_account(transport, "ghost", followers=400, purpose="Road works  news")
    other = make_account(transport, "roads", followers=10, network="x",
                         purpose="road works news")
    add(other, own=True, at=days(2))
    found = _by_handle(health.ghost_accounts(alice, now=NOW))
    assert found["ghost"].action == Action.MERGE
    assert found["ghost"].merge_into == other


def test_ghost_filters_and_the_agency_boundary(alice, carol, dana, ghosts, government):
    only = health.ghost_accounts(alice, now=NOW, classification=GhostClass.ACTIVITY_NO_REPLIES)
    assert [s.account.handle for s in only] == ["deaf"]
    assert [s.account.handle for s in health.ghost_accounts(alice, now=NOW, network="bluesky")
            ] == ["silent"]
    assert health.ghost_accounts(alice, now=NOW, organisation=government["health"]) == []
    assert health.ghost_accounts(carol, now=NOW) == []
    assert len(health.ghost_accounts(dana, now=NOW)) == 3


def test_a_new_account_with_nothing_yet_is_not_a_ghost(alice, government):
    make_account(government["transport"], "brand-new", followers=0, created_days_ago=10)
    assert health.ghost_accounts(alice, now=NOW) == []


def test_follower_trend_over_90_days(alice, transport_account):
    Account.objects.filter(pk=transport_account.pk).update(followers=250)
    for back, count in ((100, 50), (80, 200), (10, 240)):
        AccountMetricSnapshot.objects.create(account=transport_account,
                                             day=(NOW - dt.timedelta(days=back)).date(),
                                             followers=count)
    result = health.account_health(alice, transport_account.pk, now=NOW)
    trend = result.summary.follower_trend
    assert (trend.start, trend.current, trend.change, trend.percent) == (200, 250, 50, 25.0)
    assert [p.followers for p in result.followers] == [200, 240]


# --- Snapshots ---------------------------------------------------------------------------


class ExpiredAdapter(ScriptedAdapter):
    def fetch_profile(self) -> AccountProfile:
        raise AuthExpired("token revoked")


class FlakyAdapter(ScriptedAdapter):
    calls: ClassVar[int] = 0

    def fetch_profile(self) -> AccountProfile:
        raise TransientError("502")


@pytest.fixture
def connect(alice, transport_account, monkeypatch):
    def use(adapter_name):
        monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON, f"{FAKES}.{adapter_name}")
        credentials_store(actor=alice, account=transport_account,
                          credentials=Credentials(access_token="t"))
        transport_account.refresh_from_db()
        return transport_account

    return use


def test_snapshot_counts_the_day_and_asks_for_followers(connect):
    account = connect("fakes.ScriptedAdapter")
    today = NOW.date()
    citizen = add(account, at=days(0, -3600))
    add(account, at=days(0, -1800))
    add(account, own=True, at=days(0, -600), reply_to=citizen)
    add(account, own=True, at=days(0, -60))
    add(account, own=True, at=days(1))  # yesterday
    snapshot = account_snapshot_record(account=account, now=NOW)
    assert (snapshot.day, snapshot.followers, snapshot.posts, snapshot.replies,
            snapshot.citizen_messages, snapshot.answered) == (today, 10, 1, 1, 2, 1)
    account.refresh_from_db()
    assert account.followers == 10
    assert account.followers_checked_at == NOW
    add(account, own=True, at=days(0, -30))
    account_snapshot_record(account=account, now=NOW)
    assert AccountMetricSnapshot.objects.filter(account=account).count() == 1
    assert AccountMetricSnapshot.objects.get(account=account).posts == 2


def test_snapshot_flags_an_expired_token(connect):
    account = connect("test_health.ExpiredAdapter")
    Account.objects.filter(pk=account.pk).update(followers=42)
    account.refresh_from_db()
    snapshot = account_snapshot_record(account=account, now=NOW)
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.EXPIRED
    assert snapshot.followers == 42  # the last count known


def test_snapshot_skips_other_network_errors(connect, caplog):
    account = connect("test_health.FlakyAdapter")
    snapshot = account_snapshot_record(account=account, now=NOW)
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.CONNECTED
    assert snapshot.followers is None
    assert "not fetched" in caplog.text


def test_unconnected_account_is_not_asked(transport_account, monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON, f"{FAKES}.test_health.ExpiredAdapter")
    snapshot = account_snapshot_record(account=transport_account, now=NOW)
    transport_account.refresh_from_db()
    assert transport_account.connection_state == ConnectionState.NOT_CONNECTED
    assert snapshot.followers is None


def test_daily_task_snapshots_every_account_not_retired(ghosts):
    from townsquare.channels.tasks import snapshot_accounts_daily

    snapshot_accounts_daily()
    recorded = set(AccountMetricSnapshot.objects.values_list("account__handle", flat=True))
    assert recorded == {"lively", "silent", "orphan", "deaf"}
