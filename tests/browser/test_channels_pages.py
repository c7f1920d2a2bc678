"""Screenshots and axe-core checks of the Channels pages (issue #3): the account registry,
an account with received messages, the account form, the CSV import report, the public
directory and the sandbox network, in English and in Arabic (right-to-left).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse

from .test_console_accessibility import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

MESSAGES = [
    ("m1", "en", "Residents' Forum",
     "The number 12 bus did not come this morning. When is the next one?"),
    ("m2", "ar", "فاطمة الزهراء", "الحافلة رقم ١٢ متأخرة منذ نصف ساعة، هل هناك تغيير في الجدول؟"),
    ("m3", "zh-hans", "王小明", "请问地铁二号线周末是否正常运营？谢谢。"),
]

# One good row and one with an unknown network and no handle: the check must say which.
IMPORT_CSV = (
    "network,handle,url,organisation,responsible,purpose,languages,status,listed\r\n"
    "mastodon,@buses@sandbox.local,https://sandbox.local/@buses,transport,alice,"
    "Bus news,en;ar,active,yes\r\n"
    "myspace,,,transport,alice,,en,active,yes\r\n"
)


def switch_console_to_arabic(user) -> None:
    # The console follows the signed-in person's own language; the preferences form that
    # sets it is exercised in test_console_accessibility.
    type(user).objects.filter(pk=user.pk).update(language="ar")


def assert_no_problems(problems: list[str]) -> None:
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)


@pytest.fixture
def channels_data(government, alice, bob):
    from townsquare.channels.adapters.base import (
        ChangeKind,
        InboundChange,
        InboundItem,
        ItemKind,
    )
    from townsquare.channels.services.accounts import account_create
    from townsquare.channels.services.inbound import inbound_apply

    transport = government["transport"]
    account = account_create(
        actor=alice,
        organisation=transport,
        network="mastodon",
        handle="@transport@sandbox.local",
        display_name="Transport Agency",
        url="https://sandbox.local/@transport",
        responsible=alice,
        purpose="Service news about buses, trains and roads, and answers to residents.",
        languages=["en", "ar", "zh-hans"],
    )
    account_create(
        actor=alice,
        organisation=transport,
        network="telegram",
        handle="TransportBot",
        display_name="هيئة النقل",
        responsible=bob,
        languages=["ar"],
        status="dormant",
    )
    for number, (remote_id, language, name, text) in enumerate(MESSAGES):
        item = InboundItem(
            remote_id=remote_id, kind=ItemKind.MENTION if number else ItemKind.DIRECT_MESSAGE,
            text=text, created_at=T0 + dt.timedelta(minutes=number), author_id=f"c{number}",
            author_handle=f"@citizen{number}", author_name=name, language=language,
        )
        inbound_apply(account=account,
                      change=InboundChange(ChangeKind.CREATED, remote_id, "", item), via="poll")
    return {"account": account, "transport": transport}


def console_pages(account) -> list[tuple[str, str]]:
    return [
        ("channels-list", "/console/channels/"),
        ("channels-detail", f"/console/channels/{account.pk}/"),
        ("channels-new", "/console/channels/new/"),
        ("channels-edit", f"/console/channels/{account.pk}/edit/"),
        ("channels-import", "/console/channels/import/"),
    ]


def check_console_page_content(page, name: str, lang: str) -> None:
    """What each page must show, beyond passing axe."""
    main = page.locator("main")
    if name == "channels-list":
        # The buttons of a group are the same height (the last one used to be taller).
        heights = page.locator("main .usa-button-group .usa-button").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().height))")
        assert len(heights) == 3 and len(set(heights)) == 1, heights
        rows = page.locator("main table tbody tr")
        assert rows.count() == 2, rows.all_inner_texts()
        assert "@transport@sandbox.local" in main.inner_text()
    elif name == "channels-detail":
        table = page.locator("main table tbody tr")
        assert table.count() == 3
        text = main.inner_text()
        for _id, _lang, _name, message in MESSAGES:
            assert message[:12] in text
        # Each message cell carries its language, so screen readers switch voices.
        assert page.locator("main td[lang=ar]").count() == 1
        assert page.locator("main td[lang=zh-hans]").count() == 1
    elif name in ("channels-new", "channels-edit"):
        # Every visible form control has a label.
        for control in page.locator("main form.usa-form input:visible, "
                                    "main form.usa-form select:visible, "
                                    "main form.usa-form textarea:visible").all():
            control_id = control.get_attribute("id")
            assert control_id, name
            assert page.locator(f"label[for='{control_id}']").count() == 1, control_id
    if name == "channels-edit":
        # Handles and addresses stay left to right, even in Arabic.
        assert page.locator("#id_handle").evaluate("e => getComputedStyle(e).direction") \
            == "ltr"
    if lang == "ar":
        assert page.locator("h1").first.evaluate("e => getComputedStyle(e).direction") == "rtl"


def test_channels_console_pages_in_english_and_arabic(page, live_server, alice, channels_data):
    base = live_server.url
    pages = console_pages(channels_data["account"])
    problems: list[str] = []
    sign_in(page, base)
    for name, path in pages:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (path, response)
        check_page(page, name, "en", problems)
        check_console_page_content(page, name, "en")

    switch_console_to_arabic(alice)
    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "ar", problems)
        check_console_page_content(page, name, "ar")
        # A handle is Latin text: it reads left to right even inside an Arabic page.
        if name == "channels-detail":
            assert page.locator("h1 bdi").evaluate("e => getComputedStyle(e).direction") \
                == "ltr"
    assert_no_problems(problems)


def upload_and_check(page, base: str, lang: str, problems: list[str]) -> None:
    page.goto(f"{base}/console/channels/import/")
    page.set_input_files("input[type=file][name=file]", files=[{
        "name": "accounts.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV.encode("utf-8"),
    }])
    page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("main .usa-alert--error")
    assert alert.count() == 1
    if lang == "en":
        assert "1 row has a problem" in alert.inner_text()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2, rows.all_inner_texts()
    good, bad = rows.nth(0), rows.nth(1)
    assert "@buses@sandbox.local" in good.inner_text()
    assert bad.locator("li").count() >= 1, bad.inner_text()
    assert good.locator("li").count() == 0
    # Nothing can be imported while a row is wrong.
    assert page.locator("button[name=apply]").count() == 0
    check_page(page, "channels-import-report", lang, problems)


def test_csv_import_report_in_english_and_arabic(page, live_server, alice, channels_data):
    from townsquare.channels.models import Account

    base = live_server.url
    problems: list[str] = []
    sign_in(page, base)
    upload_and_check(page, base, "en", problems)
    switch_console_to_arabic(alice)
    upload_and_check(page, base, "ar", problems)
    assert not Account.objects.filter(handle_key="buses@sandbox.local").exists()
    assert_no_problems(problems)


@pytest.mark.parametrize("name", ["health", "ghosts"])
def test_health_pages_when_present(page, live_server, alice, channels_data, name):
    account = channels_data["account"]
    try:
        path = reverse(f"channels:{name}", args=[account.pk] if name == "health" else [])
    except NoReverseMatch:
        pytest.skip(f"channels:{name} is not built yet")
    base = live_server.url
    problems: list[str] = []
    sign_in(page, base)
    response = page.goto(base + path)
    assert response is not None and response.status == 200, (path, response)
    check_page(page, f"channels-{name}", "en", problems)
    switch_console_to_arabic(alice)
    page.goto(base + path)
    check_page(page, f"channels-{name}", "ar", problems)
    assert_no_problems(problems)


@pytest.fixture
def sandbox_data(db):
    from townsquare.sandbox import services

    agency = services.account_ensure(username="transport", display_name="Transport Agency",
                                     is_agency=True, agency_slug="transport")
    fatima = services.account_ensure(username="fatima_z", display_name="فاطمة الزهراء",
                                      language="ar")
    wang = services.account_ensure(username="wang_xm", display_name="王小明",
                                    language="zh-hans")
    post, _ = services.status_create(
        account=agency, language="en",
        text="Line 2 trains run every 10 minutes this weekend while track work continues.",
        created_at=T0)
    question, _ = services.status_create(
        account=fatima, language="ar", in_reply_to=post,
        text="@transport هل تعمل الحافلات الليلية يوم الجمعة؟",
        created_at=T0 + dt.timedelta(minutes=5))
    services.status_create(account=wang, language="zh",
                           text="@transport 地铁二号线今天很准时，谢谢！",
                           created_at=T0 + dt.timedelta(minutes=7))
    services.status_favourite_add(status=post, count=3)
    return {"post": post, "question": question}


def test_directory_and_sandbox_in_english_and_arabic(page, live_server, channels_data,
                                                     sandbox_data):
    base = live_server.url
    pages = [
        ("directory", "/directory/"),
        ("directory-search", "/directory/?q=transport&network=mastodon"),
        ("sandbox", "/sandbox/"),
        ("sandbox-agencies", "/sandbox/?show=agencies"),
    ]
    problems: list[str] = []
    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "en", problems)
        check_public_page_content(page, name)

    page.goto(base + "/")
    page.select_option("#footer-language", "ar")
    page.locator("footer form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ar"

    for name, path in pages:
        page.goto(base + path)
        check_page(page, name, "ar", problems)
        check_public_page_content(page, name)
    assert_no_problems(problems)


def check_public_page_content(page, name: str) -> None:
    main = page.locator("main")
    if name.startswith("directory"):
        # A labelled search field with a border on every side (USWDS's [type=search]
        # styling drops the inline-end border and floats the field).
        borders = page.locator("#directory-q").evaluate(
            "e => { const s = getComputedStyle(e);"
            " return [s.borderLeftWidth, s.borderRightWidth, s.cssFloat]; }")
        assert borders == ["1px", "1px", "none"], borders
    if name == "directory-search":
        items = page.locator("main .usa-collection__item")
        assert items.count() == 1, items.all_inner_texts()
        assert "@transport@sandbox.local" in items.first.inner_text()
        # The search box keeps what was searched for.
        assert page.locator("#directory-q").input_value() == "transport"
    elif name == "directory":
        # The dormant Telegram account is official too, and listed as such.
        assert page.locator("main .usa-collection__item").count() == 2
    elif name == "sandbox":
        articles = page.locator("main article")
        assert articles.count() == 3
        assert page.locator("main article [lang=ar]").count() == 1
        assert "地铁二号线" in main.inner_text()
    elif name == "sandbox-agencies":
        assert page.locator("main article").count() == 1

