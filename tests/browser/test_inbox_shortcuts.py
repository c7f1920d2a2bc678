"""Inbox keyboard shortcuts in a real browser: j/k and Enter in the queue, the ? help
dialog (checked by axe-core, in English and in Arabic), keys ignored while typing, and
the switch that turns them off (WCAG 2.1.4), remembered in localStorage."""

from __future__ import annotations

import datetime as dt

import pytest

from .test_channels_pages import assert_no_problems, switch_console_to_arabic
from .test_console_accessibility import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def inbox_data(government, alice):
    from townsquare.inbox.models import Contact, Conversation, Message
    from townsquare.inbox.search import message_search_text

    made = []
    texts = ["The 42 bus never came", "الحافلة رقم ١٢ متأخرة", "请问地铁二号线周末是否正常运营？"]
    for number, text in enumerate(texts):
        contact = Contact.objects.create(display_name=f"Citizen {number}")
        conversation = Conversation.objects.create(
            tracking_number=f"TS-BRWS-{number:03d}", organisation=government["transport"],
            channel="mastodon", contact=contact, routed_by="account",
            last_message_at=T0 - dt.timedelta(minutes=number))
        Message.objects.create(conversation=conversation, direction="in", text=text,
                               search_text=message_search_text(text))
        made.append(conversation)
    return made


def _focused_text(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.textContent : ''")


def test_queue_keys_open_a_conversation_and_help_dialog(page, live_server, inbox_data, alice):
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/console/inbox/")
    page.keyboard.press("j")
    assert _focused_text(page).strip() == inbox_data[0].tracking_number
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert _focused_text(page).strip() == inbox_data[1].tracking_number
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/inbox/{inbox_data[1].pk}/")

    # Typing in a field never triggers a shortcut: "e" would resolve the conversation.
    page.locator("form[action$='/reply/'] textarea").fill("")
    page.locator("form[action$='/reply/'] textarea").press("e")
    page.locator("form[action$='/reply/'] textarea").press("?")
    assert page.locator("#inbox-shortcuts").get_attribute("open") is None
    page.locator("h1").click()

    page.keyboard.press("?")
    dialog = page.locator("#inbox-shortcuts")
    assert dialog.get_attribute("open") is not None
    problems: list[str] = []
    check_page(page, "inbox-shortcuts", "en", problems)
    assert_no_problems(problems)

    # Turn the keys off: the choice survives a reload; the button still opens the list.
    page.locator("label[for='inbox-shortcuts-on']").click()
    assert page.evaluate("localStorage.getItem('townsquare.inbox.shortcuts')") == "off"
    page.locator("[data-shortcuts-close]").click()
    page.reload()
    page.locator("h1").click()
    page.keyboard.press("?")
    page.keyboard.press("r")
    assert page.locator("#inbox-shortcuts").get_attribute("open") is None
    assert page.evaluate("document.activeElement.tagName") != "TEXTAREA"
    page.locator("[data-shortcuts-open]").click()
    assert dialog.get_attribute("open") is not None
    page.locator("label[for='inbox-shortcuts-on']").click()
    page.locator("[data-shortcuts-close]").click()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.closest('form').action").endswith("/reply/")


def test_queue_and_help_dialog_in_arabic(page, live_server, inbox_data, alice):
    switch_console_to_arabic(alice)
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/console/inbox/")
    problems: list[str] = []
    check_page(page, "inbox-queue", "ar", problems)
    page.keyboard.press("?")
    assert page.locator("#inbox-shortcuts").get_attribute("open") is not None
    check_page(page, "inbox-shortcuts", "ar", problems)
    assert_no_problems(problems)
