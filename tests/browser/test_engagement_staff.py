"""Staff read the demo survey's results and the demo consultation's opinion groups in
English and Arabic, signed in through the real forms, with axe-core on every page: the
segment breakdown with its suppressed cells, the opinion groups, and the PDF report
downloaded by clicking its button.
"""

from __future__ import annotations

import io

import pytest

from .test_console_accessibility import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(government, alice):
    from townsquare.engagement.demo import engagement_demo_load
    from townsquare.engagement.models import Consultation, Survey

    engagement_demo_load()
    return Survey.objects.get(is_demo=True), Consultation.objects.get(is_demo=True)


def _switch_to_arabic(page, base: str) -> None:
    page.goto(f"{base}/console/preferences/")
    page.select_option("select[name=language]", "ar")
    page.locator("main form.usa-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _breakdown_by_region(page) -> None:
    page.select_option("#breakdown-segment", "region")
    page.locator("#breakdown-segment").locator("xpath=ancestor::form").locator(
        "button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _download_report(page) -> bytes:
    with page.expect_download() as download_info:
        page.locator("#report-language").locator("xpath=ancestor::form").locator(
            "button[type=submit]").click()
    path = download_info.value.path()
    assert path is not None
    with open(path, "rb") as handle:
        return handle.read()


def test_staff_read_results_groups_and_report(page, live_server, demo):
    from pypdf import PdfReader

    survey, consultation = demo
    base = live_server.url
    results = f"/console/engagement/surveys/{survey.pk}/results/"
    groups = f"/console/engagement/consultations/{consultation.pk}/opinion-groups/"
    problems: list[str] = []
    sign_in(page, base)
    for lang in ("en", "ar"):
        if lang == "ar":
            _switch_to_arabic(page, base)
        page.goto(base + results)
        _breakdown_by_region(page)
        table = page.locator("#breakdown-heading").locator("xpath=..").locator("table").first
        assert table.is_visible()
        # The demo's west and central districts are too small to show.
        assert table.locator("tbody td abbr").count() > 0, table.inner_html()[:500]
        check_page(page, "engagement-results", lang, problems)

        pdf = _download_report(page)
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) >= 1
        text = "".join(p.extract_text() or "" for p in reader.pages)
        assert text.strip(), "the report has no text"

        page.goto(base + groups)
        assert page.locator("main table").count() >= 1
        check_page(page, "engagement-opinion-groups", lang, problems)
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)
