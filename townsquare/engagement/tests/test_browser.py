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
