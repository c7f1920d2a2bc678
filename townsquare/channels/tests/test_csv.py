"""CSV import and export of the account registry: the faults agencies' files really have."""

from __future__ import annotations

import csv
import io

import pytest

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.models import Account, AccountStatus
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_store
from townsquare.channels.services.csv_file import MAX_ROWS, decode_csv
from townsquare.channels.services.csv_io import (
    accounts_export_csv,
    accounts_import_apply,
    accounts_import_check,
)
from townsquare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HEADER = "network,handle,url,organisation,responsible,purpose,languages,status,listed\r\n"
SECRET = "tok-SECRET-5f1e2d-never-show"


def lines(report):
    return {row.line: row for row in report.rows}


def test_dry_run_writes_nothing_and_apply_creates(alice):
    text = HEADER + (
        "mastodon,@buses@sandbox.local,https://sandbox.local/@buses,transport,alice,"
        "Bus news,en;ar,active,yes\r\n"
        "telegram,TransportBot,,Transport Agency,alice@example.org,,zh,dormant,no\r\n"
    )
    report = accounts_import_check(actor=alice, text=text)
    assert not report.has_errors, [(r.line, r.errors) for r in report.rows]
    assert [row.action for row in report.rows] == ["create", "create"]
    assert Account.objects.count() == 0

    report = accounts_import_apply(actor=alice, text=text)
    assert report.applied and report.created == 2
    buses = Account.objects.get(handle_key="buses@sandbox.local")
    assert buses.languages == ["en", "ar"] and buses.responsible == alice
    bot = Account.objects.get(network="telegram")
    assert bot.status == AccountStatus.DORMANT and bot.listed_publicly is False
    assert bot.languages == ["zh-hans"]
    assert AuditEvent.objects.filter(action="account.import").count() == 1
    # The same file again changes nothing.
    again = accounts_import_check(actor=alice, text=text)
    assert [row.action for row in again.rows] == ["unchanged", "unchanged"]


def test_missing_columns_are_named(alice):
    report = accounts_import_check(actor=alice, text="net,url,purpose\r\nmastodon,,x\r\n")
    assert report.has_errors and not report.rows
    assert "network" in report.file_errors[0] and "handle" in report.file_errors[0]
    assert "organisation" in report.file_errors[0]


def test_header_without_rows_and_empty_file(alice):
    assert accounts_import_check(actor=alice, text=HEADER).file_errors
    assert decode_csv(b"   \r\n")[1]


def test_duplicate_handles_in_the_file(alice):
    text = HEADER + (
        "mastodon,@News@sandbox.local,,transport,,,,,\r\n"
        "mastodon,news@SANDBOX.local,,transport,,,,,\r\n"
        "bluesky,news@sandbox.local,,transport,,,,,\r\n"
    )
    report = accounts_import_apply(actor=alice, text=text)
    rows = lines(report)
    assert not rows[2].errors and rows[4].errors == []  # another network is another account
    assert "line 2" in rows[3].errors[0]
    assert not report.applied and Account.objects.count() == 0


def test_duplicate_against_the_registry(alice, carol, transport_account):
    # carol cannot see Transport: she learns the account is taken, not by whom.
    text = HEADER + "mastodon,@TRANSPORT@sandbox.local,,health,,,,,\r\n"
    report = accounts_import_check(actor=carol, text=text)
    (row,) = report.rows
    assert row.errors == ["This account is already registered to another organisation."]
    # alice importing it for her own agency updates it.
    text = HEADER + "mastodon,@transport@sandbox.local,,transport,,New purpose,,,\r\n"
    report = accounts_import_apply(actor=alice, text=text)
    assert report.applied and report.updated == 1
    transport_account.refresh_from_db()
    assert transport_account.purpose == "New purpose"


def test_boundaries_of_who_may_import(alice, bob, carol, government):
    text = HEADER + "x,transport_gov,,transport,,,,,\r\n"
    (row,) = accounts_import_check(actor=carol, text=text).rows
    assert row.errors and "Unknown organisation" in row.errors[0]
    (row,) = accounts_import_check(actor=bob, text=text).rows
    assert row.errors and "cannot manage" in row.errors[0]
    # bob cannot name carol's agency either, nor carol as responsible.
    text = HEADER + "x,health_gov,,health,carol,,,,\r\n"
    (row,) = accounts_import_check(actor=bob, text=text).rows
    assert any("Unknown organisation" in e for e in row.errors)
    assert any("Unknown responsible" in e for e in row.errors)
    assert Account.objects.count() == 0


def test_every_row_error_is_reported_and_nothing_is_saved(alice):
    text = HEADER + (
        "mastodon,good@sandbox.local,,transport,,,,,\r\n"
        "myspace,x,,transport,,,,,\r\n"
        "x,,,transport,,,,,\r\n"
        "x,someone,not a url,transport,nobody,,en;fr,sleeping,maybe\r\n"
        ",,,,,,,,\r\n"
        "x,other,,,,,,,\r\n"
        "x,a,b,transport,,,,,,surplus\r\n"
    )
    report = accounts_import_apply(actor=alice, text=text)
    rows = lines(report)
    assert not rows[2].errors
    assert "Unknown network" in rows[3].errors[0]
    assert rows[4].errors == ["The handle is missing."]
    messages = " ".join(rows[5].errors)
    for expected in ("web address", "Unknown responsible", "fr", "Unknown status", "yes or no"):
        assert expected in messages
    assert 6 not in rows  # a blank line is skipped
    assert rows[7].errors == ["The organisation is missing."]
    assert "more cells" in rows[8].errors[0]
    assert not report.applied and Account.objects.count() == 0


@pytest.mark.parametrize(
    "handle",
    ["trans\u200bport", "trans\u202eport", "\u2066transport\u2069", "trans\u200dport", "tr\ufeffx"],
)
def test_invisible_and_bidi_characters_in_handles(alice, handle):
    text = HEADER + f"x,{handle},,transport,,,,,\r\n"
    (row,) = accounts_import_check(actor=alice, text=text).rows
    assert row.errors and "invisible or text-direction" in row.errors[0]
    assert "U+" in row.errors[0]


def test_formula_cells_are_stored_as_text_and_neutralised_on_export(alice):
    formula = '=HYPERLINK("http://127.0.0.1/steal","Click")'
    rows = [
        ["network", "handle", "organisation", "purpose", "url"],
        ["x", "@cmd", "transport", formula, ""],
        ["bluesky", "plus.example", "transport", "+1+cmd|' /C calc'!A0", ""],
        ["telegram", "minus_bot", "transport", "-2+3", ""],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    report = accounts_import_apply(actor=alice, text=buffer.getvalue())
    assert report.applied, [(r.line, r.errors) for r in report.rows]
    assert Account.objects.get(network="x").purpose == formula
    assert Account.objects.get(network="x").handle == "@cmd"

    exported = accounts_export_csv(Account.objects.order_by("pk"))
    for row in csv.reader(io.StringIO(exported, newline="")):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'" + formula.replace('"', '""') in exported


def test_export_round_trips_and_holds_no_secret(alice, transport_account, government):
    account_create(
        actor=alice, organisation=government["transport"], network="telegram",
        handle="Transport_Bot", purpose="Line one\nline two, with \"quotes\"",
        languages=["zh-hans"], listed_publicly=False, status=AccountStatus.DORMANT,
        url="https://t.me/Transport_Bot",
    )
    credentials_store(
        actor=alice, account=transport_account,
        credentials=Credentials(access_token=SECRET, refresh_token=SECRET + "-r",
                                extra={"app_secret": SECRET + "-s"}),
    )
    exported = accounts_export_csv(Account.objects.all())
    assert SECRET not in exported
    assert exported.splitlines()[0].startswith("network,handle,display_name,url,organisation")
    before = {a.pk: (a.handle, a.purpose, a.languages, a.status, a.listed_publicly, a.url,
                     a.responsible_id, a.display_name) for a in Account.objects.all()}
    report = accounts_import_apply(actor=alice, text=exported)
    assert not report.has_errors, [(r.line, r.errors) for r in report.rows]
    assert [row.action for row in report.rows] == ["unchanged", "unchanged"]
    after = {a.pk: (a.handle, a.purpose, a.languages, a.status, a.listed_publicly, a.url,
                    a.responsible_id, a.display_name) for a in Account.objects.all()}
    assert before == after


def test_five_thousand_rows(alice):
    body = "".join(f"rss,feed-{n}.example,,transport,,,en,,\r\n" for n in range(MAX_ROWS))
    report = accounts_import_check(actor=alice, text=HEADER + body)
    assert not report.has_errors and report.created == MAX_ROWS
    too_many = HEADER + body + "rss,one-more.example,,transport,,,,,\r\n"
    report = accounts_import_check(actor=alice, text=too_many)
    assert report.file_errors and str(MAX_ROWS) in report.file_errors[0]


def test_file_encodings():
    text, errors = decode_csv("network,handle\r\nx,وزارة\r\n".encode("utf-8-sig"))
    assert not errors and text.startswith("network")
    text, errors = decode_csv("network\thandle\r\nx\t卫生\r\n".encode("utf-16"))
    assert not errors and "卫生" in text
    _text, errors = decode_csv("network,handle\r\nx,Société\r\n".encode("latin-1"))
    assert errors and "UTF-8" in errors[0] and "line 2" in errors[0]
    _text, errors = decode_csv(b"PK\x03\x04rest-of-a-zip")
    assert errors and "workbook" in errors[0]
    _text, errors = decode_csv("network,handle".encode("utf-16-le"))
    assert errors and "NUL" in errors[0]
    _text, errors = decode_csv(b"a" * (3 * 1024 * 1024))
    assert errors and "larger" in errors[0]


def test_utf16_tab_separated_file_from_excel(alice):
    text = "network\thandle\torganisation\r\nx\tHealthNews\ttransport\r\n"
    decoded, errors = decode_csv(text.encode("utf-16"))
    assert not errors
    report = accounts_import_check(actor=alice, text=decoded)
    assert not report.has_errors and report.rows[0].handle == "HealthNews"


def test_semicolon_separated_file_and_aliases(alice):
    text = "Network;Handle;Organization;Language\r\nx;gov_transport;transport;ar\r\n"
    report = accounts_import_check(actor=alice, text=text)
    assert not report.has_errors and report.rows[0].values["languages"] == ["ar"]


def test_unknown_columns_are_ignored_and_reported(alice):
    text = "network,handle,organisation,notes\r\nx,gov_transport,transport,anything\r\n"
    report = accounts_import_check(actor=alice, text=text)
    assert report.ignored_columns == ["notes"] and not report.has_errors


def test_broken_csv_quotes(alice):
    text = HEADER + 'x,"unterminated,transport,,,,,\r\n'
    report = accounts_import_check(actor=alice, text=text)
    assert report.has_errors
