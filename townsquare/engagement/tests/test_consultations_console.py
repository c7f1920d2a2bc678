import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from townsquare.core.models import AuditEvent
from townsquare.engagement.consultation_demo import consultation_demo_load
from townsquare.engagement.consultation_models import Consultation, StatementVote
from townsquare.engagement.consultation_selectors import participation_summary

from .consultation_helpers import url


def test_staff_build_publish_and_answer_a_consultation(government, alice, client_for,
                                                       fresh_cache):
    client = client_for(alice)
    now = timezone.now()
    bad = client.post(reverse("engagement:consultation_new"), {
        "organisation": government["transport"].pk, "title": "Cycle lanes",
        "moderation": "pre", "comments_open_at": (now + dt.timedelta(days=2)).strftime(
            "%Y-%m-%dT%H:%M"), "comments_close_at": now.strftime("%Y-%m-%dT%H:%M")})
    assert bad.status_code == 200 and "Comments must close after they open." in \
        bad.content.decode()
    response = client.post(reverse("engagement:consultation_new"), {
        "organisation": government["transport"].pk, "title": "Cycle lanes",
        "title_ar": "مسارات الدراجات", "moderation": "pre",
        "comments_open_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "comments_close_at": (now + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")})
    consultation = Consultation.objects.get()
    assert response["Location"] == reverse("engagement:consultation", args=[consultation.pk])
    assert consultation.translations == {"ar": {"title": "مسارات الدراجات"}}
    empty = client.post(reverse("engagement:consultation_section_new", args=[consultation.pk]),
                        {"title": "Where", "body": ""})
    assert empty.status_code == 400
    client.post(reverse("engagement:consultation_section_new", args=[consultation.pk]),
                {"title": "Where", "body": "Along the river.", "body_zh": "沿河。"})
    section = consultation.sections.get()
    client.post(reverse("engagement:consultation_section_edit", args=[section.pk]),
                {"title": "Where exactly", "body": "Along the river."})
    section.refresh_from_db()
    assert section.title == "Where exactly"
    client.post(reverse("engagement:consultation_statement_new", args=[consultation.pk]),
                {"text": "Cyclists need separate lanes"})
    client.post(reverse("engagement:consultation_action", args=[consultation.pk, "publish"]))
    consultation.refresh_from_db()
    assert consultation.status == "published" and consultation.statements.count() == 1
    page = client.get(reverse("engagement:consultation", args=[consultation.pk])).content.decode()
    assert "Information" in page and "Where exactly" in page
    assert Client().get(url("consultation", consultation.slug)).status_code == 200
    # Themes can be written at any time; the response is published after comments close.
    client.post(reverse("engagement:consultation_themes", args=[consultation.pk]),
                {"title": "Safety", "said": "People fear crossings.", "did": "New lights."})
    refused = client.post(reverse("engagement:consultation_action",
                                  args=[consultation.pk, "publish-response"]), follow=True)
    assert "once comments have closed" in refused.content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"consultation.created", "consultation.section_added", "consultation.section_changed",
            "consultation.statement_seeded", "consultation.published",
            "consultation.theme_saved"} <= actions


def test_responders_cannot_change_consultations(government, alice, bob, client_for,
                                                fresh_cache):
    from .consultation_helpers import make_consultation

    consultation = make_consultation(alice, government["transport"])
    client = client_for(bob)
    assert client.get(reverse("engagement:consultation", args=[consultation.pk])
                      ).status_code == 200  # may read
    assert client.get(reverse("engagement:consultation_new")).status_code == 403
    assert client.post(reverse("engagement:consultation_action",
                               args=[consultation.pk, "close"])).status_code == 403
    consultation.refresh_from_db()
    assert consultation.is_open_for_comment()


def test_the_demo_consultation_has_three_languages_and_opinion_groups(government, alice,
                                                                      client_for, fresh_cache):
    assert consultation_demo_load() == 1
    assert consultation_demo_load() == 0  # idempotent
    consultation = Consultation.objects.get(is_demo=True)
    assert consultation.is_open_for_comment()
    assert StatementVote.objects.filter(consultation=consultation, is_demo=True).count() > 400
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar").get(url("consultation", consultation.slug))
    html = arabic.content.decode()
    assert "شبكة حافلات جديدة لهاربور" in html and "الحافلات الليلية" in html
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url("consultation", consultation.slug))
    assert "夜间巴士" in chinese.content.decode()
    english = Client().get(url("consultation", consultation.slug)).content.decode()
    assert "demonstration consultation" in english
    assert "&lt;b&gt;Good plan&lt;/b&gt;" in english
    page = client_for(alice).get(reverse("engagement:consultation_opinion",
                                         args=[consultation.pk])).content.decode()
    assert "Group A" in page and "Group B" in page
    consensus = page.split("Consensus: every group agrees")[1].split("Divisive")[0]
    assert "Timetables should be reliable" in consensus
    # The participation summary counts each section's comments and supports once.
    summary = participation_summary(consultation)
    for section in summary["per_section"]:
        assert section.comment_count == section.comments.filter(state="published").count()
        assert section.support == section.supports.filter(stance=1).count()
    assert summary["comments"]["organisations"] == 1 and summary["comments"]["replies"] == 1
