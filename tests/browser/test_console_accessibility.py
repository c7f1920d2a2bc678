"""Screenshots and axe-core checks of the console, the sign-in page and the citizen
portal, in English and in Arabic (right-to-left), signed in through the real forms.
"""

from __future__ import annotations

import json
from itertools import pairwise

import pyotp
import pytest

from conftest import ALICE_TOTP_SECRET, TEST_PASSWORD

from .conftest import AXE, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def check_page(page, name: str, lang: str, problems: list[str]) -> None:
    """Screenshot the page, run axe-core on it and collect serious/critical violations."""
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    assert result["testEngine"]["name"] == "axe-core"
    assert len(result["passes"]) > 10, "axe-core ran no rules"
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            print(f"(info) {name}-{lang}: {violation['id']} ({violation['impact']})")  # noqa: T201
            continue
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"]][:5]
            problems.append(
                f"{name}-{lang}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} at {json.dumps(targets, ensure_ascii=False)}"
            )
    expected_dir = "rtl" if lang == "ar" else "ltr"
    assert page.locator("html").get_attribute("lang") == lang, name
    assert page.locator("html").get_attribute("dir") == expected_dir, name


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.fill("input[name=code]", pyotp.TOTP(ALICE_TOTP_SECRET).now())
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base_url}/console/")


def _first_row(page) -> list[dict]:
    """The boxes of the navigation items on its first line (it wraps when there are many)."""
    items = page.locator("nav.usa-nav .usa-nav__primary > li")
    assert items.count() >= 3
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    assert all(boxes)
    top = boxes[0]["y"]
    row = [box for box in boxes if abs(box["y"] - top) < 4]
    assert len(row) >= 3, boxes
    return row


def _centre(box: dict) -> float:
    return box["x"] + box["width"] / 2


def assert_navigation_mirrored(page) -> None:
    """In Arabic the primary navigation starts on the right and runs leftwards."""
    row = _first_row(page)
    assert all(_centre(a) > _centre(b) for a, b in pairwise(row)), row
    width = page.viewport_size["width"]
    brand = page.locator(".ts-brand").bounding_box()
    assert brand is not None
    # The brand and the first item sit at the start (right) of the header.
    assert _centre(brand) > width / 2, brand
    assert _centre(row[0]) > width / 2, row[0]


def assert_navigation_left_to_right(page) -> None:
    row = _first_row(page)
    assert all(_centre(a) < _centre(b) for a, b in pairwise(row)), row
    width = page.viewport_size["width"]
    brand = page.locator(".ts-brand").bounding_box()
    assert brand is not None
    assert _centre(brand) < width / 2, brand
    assert _centre(row[0]) < width / 2, row[0]


@pytest.fixture
def console_data(alice, bob, carol, government):
    """Some history for the audit log and notifications."""
    from townsquare.organisations.services import team_create

    team_create(actor=alice, organisation=government["transport"], name="Rail timetable desk")
    return government


def test_console_in_english_and_arabic(page, live_server, console_data):
    base = live_server.url
    transport = console_data["transport"]
    pages = [
        ("console-home", "/console/"),
        ("organisations", "/console/organisations/"),
        ("organisation-detail", f"/console/organisations/{transport.pk}/"),
        ("people", "/console/organisations/people/"),
        ("audit-log", "/console/audit/"),
        ("notifications", "/console/notifications/"),
        ("search", "/console/search/?q=Transport"),
        ("preferences", "/console/preferences/"),
    ]
    problems: list[str] = []
    sign_in(page, base)
    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "en", problems)
    assert_navigation_left_to_right(page)

    # Switch to Arabic the way a person would: on the preferences page.
    page.goto(f"{base}/console/preferences/")
    page.select_option("select[name=language]", "ar")
    page.locator("main form.usa-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("dir") == "rtl"

    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "ar", problems)
        assert_navigation_mirrored(page)
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)


def test_public_pages_in_english_and_arabic(page, live_server, government):
    base = live_server.url
    pages = [
        ("sign-in", "/accounts/login/"),
        ("portal-home", "/"),
        ("portal-organisation", f"/organisations/{government['transport'].slug}/"),
    ]
    problems: list[str] = []
    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "en", problems)

    # The footer's language form, as a citizen would use it.
    page.goto(base + "/")
    page.select_option("#footer-language", "ar")
    page.locator("footer form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ar"

    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "ar", problems)
    assert "هيئة النقل" in page.locator("h1").inner_text()
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/console/"])
def test_skip_link_is_the_first_tab_stop(page, live_server, alice, path):
    if path.startswith("/console/"):
        sign_in(page, live_server.url)
    page.goto(live_server.url + path)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["usa-skipnav", "#main-content"], focused
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id"
                           " === 'main-content'")
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"


def test_the_axe_check_can_fail(page):
    """The check above is real: a page with known faults is reported as serious/critical."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#aaa;background:#fff">Low contrast text</p>'
        '<input type="text"></main></body></html>'
    )
    problems: list[str] = []
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    problems = [v["id"] for v in result["violations"] if v["impact"] in BLOCKING]
    assert {"image-alt", "label", "color-contrast"} <= set(problems), problems
