"""Agencies' own words to avoid, post templates and saved hashtags in the composer."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.core.models import AuditEvent
from townsquare.publishing.models import AvoidWord, PostTemplate
from townsquare.publishing.plain import agency_words
from townsquare.publishing.services.organisation_settings import (
    MAX_AVOID_WORDS,
    avoid_words_set,
    post_template_create,
    post_template_delete,
    post_template_update,
)

pytestmark = pytest.mark.django_db

HINT = "Your organisation asks writers to avoid"


def test_administrator_sets_words_and_they_are_audited(alice, government):
    avoid_words_set(actor=alice, organisation=government["transport"],
                    words=["  Modal   shift ", "", "patronage", "تفعيل"])
    assert agency_words(government["transport"]) == ("Modal shift", "patronage", "تفعيل")
    assert agency_words(government["health"]) == ()
    event = AuditEvent.objects.get(action="publishing.avoid_words_set")
    assert event.details["after"] == ["Modal shift", "patronage", "تفعيل"]
    avoid_words_set(actor=alice, organisation=government["transport"], words=["patronage"])
    assert agency_words(government["transport"]) == ("patronage",)


@pytest.mark.parametrize(("words", "expected"), [
    (["patronage", "Patronage"], "in the list twice"),
    (["x" * 101], "longer than 100 characters"),
    (["bad\x07word"], "control characters"),
    (["evil\u202eword"], "text-direction control characters"),
    (["!!!"], "no letters or digits"),
    ([f"word{n}" for n in range(MAX_AVOID_WORDS + 1)], "at most 300 words"),
])
def test_bad_word_lists_are_refused_and_lose_nothing(alice, government, words, expected):
    avoid_words_set(actor=alice, organisation=government["transport"], words=["kept"])
    with pytest.raises(ValidationError) as caught:
        avoid_words_set(actor=alice, organisation=government["transport"], words=words)
    assert expected in " ".join(caught.value.message_dict["words"])
    assert list(AvoidWord.objects.values_list("word", flat=True)) == ["kept"]


def test_only_administrators_of_the_agency_set_words(erin, carol, government):
    for actor in (erin, carol):
        with pytest.raises(PermissionDenied):
            avoid_words_set(actor=actor, organisation=government["transport"], words=["x"])


def test_agency_word_is_a_hint_for_that_agency_only(client_for, alice, erin, carol, government):
    avoid_words_set(actor=alice, organisation=government["transport"], words=["patronage"])
    text = "Bus patronage grew this year."
    mine = client_for(erin).post("/console/publishing/hints/", {
        "language": "en", "text_en": text, "organisation": government["transport"].pk})
    assert HINT in mine.content.decode()
    # Carol writes for Health: Transport's words do not apply, even if she names Transport.
    for organisation in (government["health"], government["transport"]):
        theirs = client_for(carol).post("/console/publishing/hints/", {
            "language": "en", "text_en": text, "organisation": organisation.pk})
        assert theirs.status_code == 200 and HINT not in theirs.content.decode()


def test_agency_words_reach_the_review_page_and_stored_score(alice, client_for, erin,
                                                            government, make_post):
    plain = make_post("Bus patronage grew this year.")
    avoid_words_set(actor=alice, organisation=government["transport"], words=["patronage"])
    flagged = make_post("Bus patronage grew this year.")
    assert flagged.plain_language_score < plain.plain_language_score
    page = client_for(erin).get(f"/console/publishing/{flagged.pk}/").content.decode()
    assert HINT in page


def test_settings_page_saves_words_and_shows_errors(client_for, alice, government):
    url = "/console/publishing/settings/"
    org = government["transport"].pk
    response = client_for(alice).post(url, {"form": "avoid_words", "organisation": org,
                                            "avoid-words": "modal shift\r\nModal Shift"})
    assert response.status_code == 200 and "in the list twice" in response.content.decode()
    assert not AvoidWord.objects.exists()
    response = client_for(alice).post(url, {"form": "avoid_words", "organisation": org,
                                            "avoid-words": "modal shift\r\npatronage"})
    assert response.status_code == 302
    assert AvoidWord.objects.count() == 2


def test_templates_through_the_settings_page(client_for, erin, carol, government):
    url = "/console/publishing/settings/"
    org = government["transport"].pk
    bad = client_for(erin).post(url, {"form": "template", "organisation": org,
                                      "template-name": "Closure", "template-language": "fr",
                                      "template-text": "x"})
    assert bad.status_code == 200 and not PostTemplate.objects.exists()
    client_for(erin).post(url, {"form": "template", "organisation": org,
                                "template-name": "Closure", "template-language": "en",
                                "template-text": "Route {n} is closed today."})
    template = PostTemplate.objects.get()
    page = client_for(erin).get(f"{url}?organisation={org}&template={template.pk}")
    assert "Route {n} is closed today." in page.content.decode()
    client_for(erin).post(url, {"form": "template", "organisation": org,
                                "template_id": template.pk, "template-name": "Closure",
                                "template-language": "en", "template-text": "Closed."})
    template.refresh_from_db()
    assert template.text == "Closed."
    # Another agency's template id is a 404 on its settings page, and Carol cannot
    # reach Transport's settings at all.
    assert client_for(carol).get(f"{url}?template={template.pk}").status_code == 404
    assert client_for(carol).post(url, {"form": "template_delete", "organisation": org,
                                        "template_id": template.pk}).status_code in (403, 404)
    client_for(erin).post(url, {"form": "template_delete", "organisation": org,
                                "template_id": template.pk})
    assert not PostTemplate.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="publishing.template_").count() == 3


def test_template_service_validation(erin, government):
    with pytest.raises(ValidationError) as caught:
        post_template_create(actor=erin, organisation=government["transport"], name=" ",
                             language="xx", text="\x00")
    assert {"name", "language", "text"} <= set(caught.value.message_dict)
    template = post_template_create(actor=erin, organisation=government["transport"],
                                    name="A", language="ar", text="نص")
    with pytest.raises(ValidationError):
        post_template_update(actor=erin, template=template, name="A", language="ar", text="")
    template.refresh_from_db()
    assert template.text == "نص"


def test_composer_starts_from_a_template(client_for, erin, carol, government, accounts):
    template = post_template_create(actor=erin, organisation=government["transport"],
                                    name="Closure", language="ar", text="الطريق مغلق اليوم.")
    page = client_for(erin).get("/console/publishing/new/").content.decode()
    assert "Start from a template" in page and "Closure" in page
    page = client_for(erin).get(f"/console/publishing/new/?template={template.pk}")
    assert "الطريق مغلق اليوم." in page.content.decode()
    assert client_for(erin).get("/console/publishing/new/?template=abc").status_code == 404
    assert client_for(carol).get(
        f"/console/publishing/new/?template={template.pk}").status_code == 404
    with pytest.raises(PermissionDenied):
        post_template_delete(actor=carol, template=template)


def test_saved_hashtags_are_insertable_in_the_composer(client_for, erin, government):
    from townsquare.publishing.services.organisation_settings import hashtag_save

    hashtag_save(actor=erin, organisation=government["transport"], tag="BusTimes")
    page = client_for(erin).get("/console/publishing/new/").content.decode()
    assert 'data-hashtag="#BusTimes"' in page
    assert "townsquare/publishing.js" in page and "<script>" not in page
