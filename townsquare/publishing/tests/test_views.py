"""Console pages: composer, review page, actions, calendar, hints; and the agency boundary."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from townsquare.publishing.models import Post, PostState, Variant

pytestmark = pytest.mark.django_db


def test_compose_in_three_languages_through_the_form(client_for, erin, accounts, government):
    page = client_for(erin).get("/console/publishing/new/")
    assert page.status_code == 200
    assert 'hx-post="/console/publishing/hints/"' in page.content.decode()
    response = client_for(erin).post("/console/publishing/new/", {
        "organisation": government["transport"].pk,
        "title": "",
        "text_en": "Route 12 runs every 10 minutes.",
        "accounts_en": [accounts["mastodon"].pk, accounts["bluesky"].pk],
        "text_ar": "الخط 12 كل 10 دقائق.",
        "accounts_ar": [accounts["mastodon"].pk],
        "text_zh-hans": "12路每10分钟一班。",
        "accounts_zh-hans": [accounts["mastodon"].pk],
    })
    post = Post.objects.get()
    assert response.status_code == 302 and response.url == f"/console/publishing/{post.pk}/"
    assert Variant.objects.filter(version__post=post).count() == 4
    assert post.plain_language_score is not None
    detail = client_for(erin).get(response.url).content.decode()
    assert "الخط 12 كل 10 دقائق." in detail and "12路每10分钟一班。" in detail
    assert "31 of 500" in detail  # the length counter of the English Mastodon variant


def test_compose_form_errors_keep_the_text(client_for, erin, government):
    response = client_for(erin).post("/console/publishing/new/", {
        "organisation": government["transport"].pk, "text_en": "Unsent words",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose at least one account" in page and "Unsent words" in page
    assert not Post.objects.exists()


def test_bob_cannot_open_the_composer_or_approve(client_for, bob, make_post, erin):
    assert client_for(bob).get("/console/publishing/new/").status_code == 403
    post = make_post()
    client_for(erin).post(f"/console/publishing/{post.pk}/submit/")
    client_for(bob).post(f"/console/publishing/{post.pk}/approve/",
                         {"version": post.content_version})
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW


@pytest.mark.parametrize("path", ["", "edit/", "variants"])
def test_carol_gets_404_for_transport_posts(client_for, carol, make_post, path):
    post = make_post()
    if path == "variants":
        url = f"/console/publishing/variants/{Variant.objects.get(version__post=post).pk}/"
    else:
        url = f"/console/publishing/{post.pk}/{path}"
    assert client_for(carol).get(url).status_code == 404
    assert client_for(carol).post(f"/console/publishing/{post.pk}/approve/",
                                  {"version": 1}).status_code == 404
    assert post.pk not in [p.pk for p in client_for(carol).get(
        "/console/publishing/").context["page"].object_list]


def test_dana_of_the_communications_office_sees_every_agency(client_for, dana, make_post):
    post = make_post()
    assert client_for(dana).get(f"/console/publishing/{post.pk}/").status_code == 200


def test_review_page_approve_and_schedule_with_a_dst_gap_message(client_for, erin, ahmed,
                                                                 make_post, government):
    government["transport"].time_zone = "Europe/London"
    government["transport"].save()
    post = make_post()
    client_for(erin).post(f"/console/publishing/{post.pk}/submit/")
    page = client_for(ahmed).get(f"/console/publishing/{post.pk}/").content.decode()
    assert "Approve version 1" in page
    client_for(ahmed).post(f"/console/publishing/{post.pk}/approve/", {"version": 1})
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    with time_machine.travel(dt.datetime(2026, 3, 20, tzinfo=dt.UTC), tick=False):
        response = client_for(erin).post(f"/console/publishing/{post.pk}/schedule/",
                                         {"date": "2026-03-29", "time": "01:30"}, follow=True)
        page = response.content.decode()
        assert "does not exist in Europe/London" in page and "02:30" in page
        client_for(erin).post(f"/console/publishing/{post.pk}/schedule/",
                              {"date": "2026-03-29", "time": "02:30"})
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.scheduled_at == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_stale_approval_from_the_page_is_refused(client_for, erin, ahmed, make_post, accounts):
    post = make_post()
    client_for(erin).post(f"/console/publishing/{post.pk}/submit/")
    client_for(erin).post(f"/console/publishing/{post.pk}/edit/", {
        "title": "x", "text_en": "Edited while in review", "version": 1,
        "accounts_en": [accounts["mastodon"].pk],
    })
    response = client_for(ahmed).post(f"/console/publishing/{post.pk}/approve/",
                                      {"version": 1}, follow=True)
    assert "changed after you opened it" in response.content.decode()
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW and post.approved_version is None


def test_variant_edit_page_splits_parts_and_reports_lengths(client_for, erin, make_post):
    post = make_post()
    variant = Variant.objects.get(version__post=post)
    url = f"/console/publishing/variants/{variant.pk}/"
    assert client_for(erin).get(url).status_code == 200
    response = client_for(erin).post(url, {"parts": "x" * 501, "version": post.content_version})
    assert "Part 1 is 501 long" in response.content.decode()
    client_for(erin).post(url, {"parts": "First\n---\nSecond", "version": post.content_version})
    variant.refresh_from_db()
    assert variant.parts == ["First", "Second"] and variant.edited


@pytest.mark.parametrize(("language", "text"), [
    ("en", ("Pursuant to the aforementioned regulations, residents must endeavour to "
            "facilitate the utilisation of the facility.")),
    ("ar", ("بناءً على ما تقدم وحيث إنه تجدر الإشارة إلى أنه يتعين على المواطنين "
            "مراجعة الجهات المختصة.")),
    ("zh-hans", "根据有关规定，兹定于下周一起，特此通知，望周知。"),
])
def test_live_hints_flag_officialese_in_three_languages(client_for, erin, language, text):
    response = client_for(erin).post("/console/publishing/hints/",
                                     {"language": language, f"text_{language}": text})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Plain-language score" in page and "<mark" in page


def test_hints_refuse_an_unknown_language(client_for, erin):
    assert client_for(erin).post("/console/publishing/hints/",
                                 {"language": "fr", "text": "x"}).status_code == 400


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_calendar_views_show_scheduled_posts(client_for, erin, approved_post, view):
    post = approved_post("Calendar post")
    with time_machine.travel(dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC), tick=False):
        client_for(erin).post(f"/console/publishing/{post.pk}/schedule/",
                              {"date": "2026-06-10", "time": "09:00"})
        page = client_for(erin).get(
            f"/console/publishing/calendar/?view={view}&start=2026-06-08").content.decode()
    assert "Calendar post" in page and "09:00" in page


def test_pages_render_in_arabic(client_for, erin, make_post):
    post = make_post()
    erin.language = "ar"
    erin.save()
    client = client_for(erin)
    for url in ("/console/publishing/", f"/console/publishing/{post.pk}/",
                "/console/publishing/new/", "/console/publishing/calendar/"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'dir="rtl"' in response.content.decode()


@pytest.mark.usefixtures("ahmed")
def test_published_post_page_offers_correction_withdrawal_and_shows_failures(
    client_for, erin, approved_post, fake_network, accounts
):
    from townsquare.channels.adapters.base import RemoteRejected
    from townsquare.organisations.models import User
    from townsquare.publishing.services.engine import posts_dispatch_due, variant_publish
    from townsquare.publishing.services.workflow import post_publish_now

    post = approved_post(account_list=[accounts["mastodon"], accounts["bluesky"]])
    post_publish_now(actor=erin, post=post)
    posts_dispatch_due()
    ahmed = User.objects.get(username="ahmed")
    fake_network.publish_faults = [RemoteRejected("mastodon: text refused"), None]
    for variant in Variant.objects.filter(version__post=post).order_by("pk"):
        variant_publish(variant_id=variant.pk)
    page = client_for(erin).get(f"/console/publishing/{post.pk}/").content.decode()
    assert "Partly failed" in page and "mastodon: text refused" in page
    assert "Retry the failed accounts" in page and "Withdraw" in page
    assert "Correct the published text" not in page  # editors cannot correct
    page = client_for(ahmed).get(f"/console/publishing/{post.pk}/").content.decode()
    assert "Correct the published text" in page
    response = client_for(ahmed).post(f"/console/publishing/{post.pk}/correct/",
                                      {"language": "en", "text": "Fixed"}, follow=True)
    assert "cannot be edited" in response.content.decode()  # reported for Bluesky
