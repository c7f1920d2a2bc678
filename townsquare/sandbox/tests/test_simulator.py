"""Simulated residents: languages, categories, kinds, rate setting, task and set-up."""

from __future__ import annotations

import random
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from townsquare.sandbox import messages, services, simulator, tasks
from townsquare.sandbox.models import SandboxAccount, SandboxNotification, SandboxStatus

pytestmark = pytest.mark.django_db

ARABIC = re.compile(r"[\u0600-\u06ff]")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def sandbox():
    return services.sandbox_setup()


def test_templates_cover_every_topic_category_and_language():
    count = sum(
        len(options)
        for topic in messages.TEMPLATES.values()
        for by_language in topic.values()
        for options in by_language.values()
    )
    count += sum(len(options) for options in messages.SPAM.values())
    assert count >= 60
    for topic in messages.TOPICS:
        for category in messages.CATEGORIES:
            if category == "spam":
                continue
            for language in messages.LANGUAGES:
                assert messages.TEMPLATES[topic][category][language], (topic, category, language)
    languages = {language for _, _, language in messages.CITIZENS}
    assert languages == set(messages.LANGUAGES)


def test_setup_creates_agency_and_resident_accounts_and_is_rerunnable(sandbox):
    assert sandbox.agencies == 10  # office, ministry, 6 agencies… of the demo government
    assert SandboxAccount.objects.filter(is_agency=False).count() == len(messages.CITIZENS)
    again = services.sandbox_setup()
    assert again.welcome_posts == 0
    assert SandboxAccount.objects.count() == sandbox.agencies + sandbox.citizens
    welcome = SandboxStatus.objects.get(account__username="transport")
    assert "Transport Agency" in welcome.text and "هيئة النقل" in welcome.text
    assert "交通局" in welcome.text


def test_simulator_writes_in_three_languages_across_all_categories(sandbox):
    produced = simulator.simulate(count=150, rng=random.Random(5))
    assert len(produced) == 150
    assert {m.language for m in produced} == {"en", "ar", "zh"}
    assert {m.category for m in produced} == set(messages.CATEGORIES)
    assert {m.kind for m in produced} == {"mention", "reply", "direct"}
    assert len({m.topic for m in produced}) == len(messages.TOPICS)
    statuses = {
        s.pk: s for s in SandboxStatus.objects.filter(pk__in=[m.status_id for m in produced])
    }
    for message in produced:
        status = statuses[message.status_id]
        agency = SandboxAccount.objects.get(agency_slug=message.agency)
        assert status.text.startswith(f"@{agency.username} ")
        assert "{" not in status.text  # every placeholder was filled
        if message.language == "ar":
            assert ARABIC.search(status.text)
        if message.language == "zh":
            assert CHINESE.search(status.text)
        assert (status.visibility == "direct") == (message.kind == "direct")
        assert (status.in_reply_to is not None) == (message.kind == "reply")
        if message.kind == "reply":
            assert status.in_reply_to.account == agency
        # Every message reaches the agency as a mention notification.
        assert SandboxNotification.objects.filter(account=agency, status=status).exists()
    assert all(m.kind == "mention" for m in produced if m.category == "spam")


def test_simulator_is_deterministic_with_a_seed(sandbox):
    def run():
        with transaction.atomic():
            produced = simulator.simulate(count=20, rng=random.Random(42))
            texts = list(
                SandboxStatus.objects.filter(pk__in=[m.status_id for m in produced])
                .order_by("pk")
                .values_list("text", flat=True)
            )
            transaction.set_rollback(True)
        return [(m.agency, m.category, m.language, m.kind) for m in produced], texts

    assert run() == run()


def test_rate_comes_from_the_setting_and_zero_switches_it_off(sandbox, settings):
    settings.SANDBOX_MESSAGES_PER_MINUTE = 0
    assert simulator.simulate_minute(rng=random.Random(1)) == []
    settings.SANDBOX_MESSAGES_PER_MINUTE = 4
    assert len(simulator.simulate_minute(rng=random.Random(1))) == 4


def test_the_periodic_task_runs_the_simulator(sandbox, settings):
    settings.SANDBOX_MESSAGES_PER_MINUTE = 3
    before = SandboxStatus.objects.count()
    tasks.sandbox_simulate_minute.call_local()
    assert SandboxStatus.objects.count() == before + 3


def test_nothing_happens_before_setup(settings):
    settings.SANDBOX_MESSAGES_PER_MINUTE = 6
    assert simulator.simulate_minute() == []
    assert SandboxStatus.objects.count() == 0


def test_setup_command_hides_tokens_unless_asked():
    out = StringIO()
    call_command("sandbox_setup", stdout=out)
    assert "10 agency accounts" in out.getvalue()
    assert "/sandbox" in out.getvalue()
    tokens = services.sandbox_agency_tokens()
    assert tokens["transport"].access_token not in out.getvalue()
    shown = StringIO()
    call_command("sandbox_setup", "--show-tokens", stdout=shown)
    assert tokens["transport"].access_token in shown.getvalue()
