"""A citizen answers a survey and votes on a phone-sized screen in Arabic, with axe-core
finding no serious or critical violation on any page (Debian's Chromium via Playwright)."""

import os
from pathlib import Path

import pytest

from townsquare.engagement.services.polls import poll_create, poll_publish

from .conftest import options

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.browser


@pytest.fixture
def phone_page():
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.skip("Debian's chromium or axe-core is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        # bypass_csp: axe-core is injected as a script tag, which the CSP would block.
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ar",
                                      extra_http_headers={"Accept-Language": "ar"},
                                      bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(45_000)  # a busy 2-core machine is slow to serve first pages
        yield page
        browser.close()


def serious_violations(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes[0].html)")


@pytest.mark.django_db(transaction=True)
def test_citizen_answers_and_votes_in_arabic_on_a_phone(live_server, phone_page, government,
                                                         alice, fresh_cache):
    from townsquare.engagement.library import survey_create_from_template
    from townsquare.engagement.services.builder import survey_publish

    survey = survey_create_from_template(actor=alice, organisation=government["transport"],
                                         template="satisfaction")
    survey_publish(actor=alice, survey=survey)
    poll = poll_publish(actor=alice, poll=poll_create(
        actor=alice, organisation=government["transport"], question="Night buses?",
        choices=options("Yes", "No")))
    page = phone_page
    page.goto(f"{live_server.url}/surveys/{survey.slug}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert serious_violations(page) == []
    page.click("main button[type=submit]")
    assert serious_violations(page) == []
    page.click("button[value=next]")  # the required question left out
    assert page.locator(".usa-alert--error").count() == 1
    assert serious_violations(page) == []
    page.click("label[for=q-satisfaction-dissatisfied]")
    page.fill("#q-what-went-wrong", "تأخرت الحافلة")
    page.click("button[value=next]")
    page.click("label[for=q-region-east]")
    assert serious_violations(page) == []
    page.click("button[value=next]")
    page.click("main button[type=submit]")
    assert page.url.endswith("/thanks/")
    response = survey.responses.get()
    assert response.submitted_at and response.region == "east"
    page.goto(f"{live_server.url}/polls/{poll.slug}/")
    assert serious_violations(page) == []
    page.click("main .usa-radio__label >> nth=0")
    page.click("main button[type=submit]")
    assert serious_violations(page) == []
    assert poll.votes.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_cache")
def test_citizen_verifies_a_mobile_number_in_arabic_on_a_phone(live_server, phone_page,
                                                                 government, alice, settings):
    """SMS codes: the number (typed in Arabic-Indic digits), a wrong code, the right code,
    through the local fake SMS gateway the channels tests use."""
    import json
    import re

    from townsquare.channels.adapters.testing import FakeNetwork, FakeResponse
    from townsquare.engagement.library import survey_create_from_template
    from townsquare.engagement.services.builder import survey_publish, survey_update

    from .test_sms_codes import FIXTURES, MESSAGES, connect_sms

    settings.ENGAGEMENT_SMS_COUNTRY_CODE = "971"
    with FakeNetwork() as gateway:
        created = json.loads((FIXTURES / "message_created.json").read_text(encoding="utf-8"))
        gateway.route("POST", MESSAGES, FakeResponse(201, created))
        connect_sms(government["transport"], alice, gateway)
        survey = survey_create_from_template(actor=alice, organisation=government["transport"],
                                             template="satisfaction")
        survey_update(actor=alice, survey=survey, respondent_mode="verified_sms")
        survey_publish(actor=alice, survey=survey)
        page = phone_page
        page.goto(f"{live_server.url}/surveys/{survey.slug}/")
        page.click("main button[type=submit]")
        assert page.url.endswith("/verify-by-sms/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert serious_violations(page) == []
        page.fill("#phone", "٠٥٠ ١٢٣ ٤٥٦٧")
        page.click("button[value=send]")
        assert serious_violations(page) == []
        body = gateway.requests[-1].form()["Body"][0]
        code = re.search(r"\b(\d{6})\b", body).group(1)
        page.fill("#code", "000000" if code != "000000" else "111111")
        page.click("button[value=check]")
        assert page.locator(".usa-alert--error").count() == 1
        assert serious_violations(page) == []
        page.fill("#code", code)
        page.click("button[value=check]")
        assert page.url.endswith("/page/1/")
    assert survey.responses.get().respondent_key
