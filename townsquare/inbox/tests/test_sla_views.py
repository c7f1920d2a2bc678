"""The SLA settings page, the badges and the SLA figures page."""

import datetime as dt

import time_machine
from django.urls import reverse

from townsquare.inbox.models import SlaPolicy
from townsquare.inbox.services.replies import conversation_reply
from townsquare.inbox.tests.test_sla import TARGETS, policy


def _post(**overrides):
    data = {"organisation": "", "warn_percent": 80, "holidays": "2026-12-25 Christmas Day",
            **TARGETS}
    for day in range(5):
        data[f"opens_{day}"], data[f"closes_{day}"] = "08:00", "16:00"
    data.update(overrides)
    return data


def test_admin_saves_a_policy(client_for, alice, government):
    c = client_for(alice)
    page = c.get(reverse("inbox:sla_settings"))
    assert page.status_code == 200
    assert "Asia/Dubai" in page.content.decode()
    response = c.post(reverse("inbox:sla_settings"),
                      _post(organisation=government["transport"].pk, opens_6="22:00",
                            closes_6="06:00"))
    assert response.status_code == 302
    saved = SlaPolicy.objects.get(organisation=government["transport"])
    assert saved.hours[0] == ["08:00", "16:00"] and saved.hours[5] is None
    assert saved.hours[6] == ["22:00", "06:00"]
    assert saved.holidays == [{"date": "2026-12-25", "name": "Christmas Day"}]


def test_bad_settings_get_clear_errors_and_save_nothing(client_for, alice, government):
    c = client_for(alice)
    response = c.post(reverse("inbox:sla_settings"), _post(
        organisation=government["transport"].pk, holidays="2026-12-25 ok\n25/12/2026 Xmas",
        opens_1="", warn_percent=150, resolution_normal=0,
    ))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Line 2: “25/12/2026” is not a date like 2026-12-25." in body
    assert "Tuesday: give both the opening and the closing time, or neither." in body
    assert "25/12/2026 Xmas" in body  # what was typed is kept for correcting
    assert not SlaPolicy.objects.exists()


def test_other_agency_and_responders_are_refused(client_for, bob, carol, government):
    assert client_for(bob).get(reverse("inbox:sla_settings")).status_code == 403
    response = client_for(carol).post(reverse("inbox:sla_settings"),
                                      _post(organisation=government["transport"].pk))
    assert response.status_code == 400  # Transport is not among Carol's choices
    assert not SlaPolicy.objects.exists()


def test_badges_and_report(client_for, alice, bob, carol, government, transport_account,  # noqa: PLR0917
                           deliver, recorder):
    from townsquare.inbox.services.ingest import message_ingest

    policy(alice, government["transport"], hours=[["00:00", "23:59"]] * 7)
    start = dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        late = message_ingest(inbound_item=deliver(transport_account, "Bus late",
                                                   remote_id="7001", author="a",
                                                   minutes=18 * 60)).conversation
        quick = message_ingest(inbound_item=deliver(transport_account, "Bus stop broken",
                                                    remote_id="7002", author="b",
                                                    minutes=18 * 60)).conversation
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        conversation_reply(actor=bob, conversation=quick, text="Thank you, fixing it.")
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        body = client_for(bob).get(reverse("inbox:queue")).content.decode()
        assert "Due in 30" in body
        detail = client_for(bob).get(reverse("inbox:conversation", args=[quick.pk]))
        assert "Answered within target" in detail.content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=90), tick=False):
        assert "Overdue" in client_for(bob).get(reverse("inbox:queue")).content.decode()
        conversation_reply(actor=bob, conversation=late, text="Sorry for the wait.")
        report = client_for(bob).get(reverse("inbox:sla_report")).content.decode()
    row = report.split("Transport Agency</bdi></th>")[1].split("</tr>")[0]
    cells = [c.split(">")[1] for c in row.split("<td")[1:]]
    # 2 conversations, both answered, 1 of 2 within target, median (10+90)/2, 1 breach.
    assert cells == ["2</td", "2</td", "50%</td", "50 minutes</td", "1</td", "—</td"]
    carol_report = client_for(carol).get(reverse("inbox:sla_report") + "?days=bad")
    assert carol_report.status_code == 200
    assert "Transport Agency" not in carol_report.content.decode()
