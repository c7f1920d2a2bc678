"""A citizen (not signed in) on a phone-sized screen in Arabic reads the demo consultation,
confirms an email address, comments on a section and votes on statements, with axe-core
finding no serious or critical violation on any page (Debian's Chromium via Playwright)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from .conftest import AXE, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BLOCKING = {"serious", "critical"}


@pytest.fixture
def phone(chromium):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    # bypass_csp: axe-core is injected as a script tag, which the page's CSP would block.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ar",
                                   extra_http_headers={"Accept-Language": "ar"},
                                   bypass_csp=True, is_mobile=True, has_touch=True)
    page = context.new_page()
    # Generous: the machines that run the suite are often busy.
    page.set_default_timeout(60_000)
    yield page
    context.close()


def serious_violations(page, name: str = "") -> list[str]:
    if name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"consultation-{name}-ar-phone.png"),
                        full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:200]}"
            for v in violations if v["impact"] in BLOCKING]


def test_citizen_reads_comments_and_votes_in_arabic_on_a_phone(live_server, phone, government,
                                                                alice):
    from townsquare.engagement.consultation_demo import consultation_demo_load
    from townsquare.engagement.consultation_models import Comment, Consultation, StatementVote

    cache.clear()
    assert consultation_demo_load() == 1
    consultation = Consultation.objects.get(is_demo=True)
    page = phone
    page.goto(f"{live_server.url}/have-your-say/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert serious_violations(page) == []
    page.click(f"a[href='/consultations/{consultation.slug}/']")
    assert page.locator("h1").inner_text() == "شبكة حافلات جديدة لهاربور"
    assert page.locator("text=الحافلات الليلية").count() >= 1
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page, "page") == []

    # Votes on two statements (htmx swaps the statement in place).
    statements = list(consultation.statements.order_by("pk"))
    page.click(f"#statement-{statements[0].pk} button[value='1']")
    page.wait_for_selector(f"#statement-{statements[0].pk} button[value='1'][aria-pressed=true]")
    page.click(f"#statement-{statements[1].pk} button[value='-1']")
    page.wait_for_selector(f"#statement-{statements[1].pk} button[value='-1'][aria-pressed=true]")
    demo_votes = StatementVote.objects.filter(is_demo=True).count()
    assert StatementVote.objects.count() - demo_votes == 2
    assert serious_violations(page) == []

    # Confirms an email address with the emailed code, then comments on a section.
    page.click(f"a[href='/consultations/{consultation.slug}/verify/']")
    assert serious_violations(page, "verify") == []
    page.fill("#email", "layla@example.org")
    page.click("main button[type=submit]")
    page.wait_for_selector("#code")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.fill("#code", "000000" if code != "000000" else "111111")
    page.fill("#name", "ليلى")
    page.click("main button[type=submit]")
    assert page.locator(".usa-alert--error").count() == 1  # a wrong code, said clearly
    assert serious_violations(page) == []
    page.fill("#code", code)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/consultations/.*"))
    section = consultation.sections.order_by("position").get(title="Night buses")
    page.fill(f"#body-s{section.pk}", "أعمل ليلاً وأحتاج هذه الحافلات <script>x</script>")
    page.click(f"#form-s{section.pk} button[type=submit]")
    comment = Comment.objects.get(author_name="ليلى")
    assert comment.section == section and comment.state == "published"
    page.wait_for_selector(f"#comment-{comment.pk}")
    assert "<script>x</script>" in page.locator(f"#comment-{comment.pk}").inner_text()
    assert serious_violations(page, "commented") == []
