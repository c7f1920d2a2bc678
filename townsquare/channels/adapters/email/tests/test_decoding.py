"""The decoding helpers on their own (no server): odd but real-world inputs."""

from __future__ import annotations

import pytest

from townsquare.channels.adapters.base import MalformedResponse
from townsquare.channels.adapters.email.decoding import (
    decode_body,
    decode_bytes,
    decode_words,
    header_fields,
    parse_address,
    reply_subject,
)
from townsquare.channels.adapters.email.imap_parse import parse_fetch, walk_bodystructure


def test_decode_bytes_charsets() -> None:
    assert decode_bytes("镕".encode("gbk"), "gb2312") == "镕"
    assert decode_bytes("نص".encode("cp1256"), "windows-1256") == "نص"
    assert decode_bytes("é".encode(), "us-ascii") == "é"  # mislabelled UTF-8
    assert decode_bytes(b"abc", "x-no-such-charset") == "abc"
    assert decode_bytes(b"abc", "base64") == "abc"  # not a text encoding
    assert decode_bytes(b"a\xffb", "utf-8") == "a\ufffdb"


def test_decode_words() -> None:
    assert decode_words("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=") == "café au lait"
    assert decode_words("Re: =?ISO-8859-1?Q?Andr=E9?= Pirard") == "Re: André Pirard"
    assert decode_words("=?utf-8*ar?B?2YXYsdit2KjYpw==?=") == "مرحبا"
    assert decode_words("=?bogus?B?aGk=?=") == "hi"
    assert decode_words("=?utf-8?B?not base64!?=") == "=?utf-8?B?not base64!?="
    assert decode_words("plain 中文") == "plain 中文"


def test_headers_addresses_and_subjects() -> None:
    fields = header_fields(b"Subject: a\r\n b\r\nX-Raw: \xd8\xa8\r\nFrom: x\r\n\r\nBody: no\r\n")
    assert fields == [("subject", "a b"), ("x-raw", "ب"), ("from", "x")]
    assert header_fields(b"Subject: \xe4\xf6\r\n", "windows-1252") == [("subject", "äö")]
    assert parse_address('"=?utf-8?B?2YTZitmE2Yk=?=" <l@x.example>') == ("ليلى", "l@x.example")
    assert parse_address("no address here") == ("no address here", "")
    assert reply_subject("Bus") == "Re: Bus"
    assert reply_subject("AW: Bus") == "AW: Bus"
    assert reply_subject("回复: 公交") == "回复: 公交"
    assert reply_subject("Bad\r\nBcc: x@y") == "Re: Bad Bcc: x@y"


def test_decode_body_truncated_base64_and_qp() -> None:
    assert decode_body(b"2YXYsdit2Kg=\r\n", "base64", "utf-8") == "مرحب"
    assert decode_body(b"2YXYsdit2K", "base64", "utf-8").startswith("مرح")
    assert decode_body(b"caf=C3=A9 =\r\nok\r\n", "quoted-printable", "utf-8") == "café ok\n"


def test_fetch_parsing_literals_and_rfc2231() -> None:
    data = [
        (
            (
                b'7 (UID 42 RFC822.SIZE 99 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL '
                b'NIL "7bit" 5 1 NIL NIL NIL NIL)("application" "pdf" ("name" {9}'
            ),
            b'r\xc3\xa9sum\xc3\xa9"',
        ),
        (
            (
                b') NIL NIL "base64" 780 NIL ("attachment" ("filename*0*" "utf-8\'\'%E6%8A%A5" '
                b'"filename*1*" "%E5%91%8A.pdf")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) '
                b"BODY[HEADER] {12}"
            ),
            b"Subject: x\r\n",
        ),
        b")",
        b"8 (FLAGS (\\Seen))",  # unsolicited, no UID: skipped
    ]
    [message] = parse_fetch(data)
    assert message["UID"] == 42 and message["BODY[HEADER]"] == b"Subject: x\r\n"
    text, pdf = walk_bodystructure(message["BODYSTRUCTURE"])
    assert (text.section, text.mime_type, text.charset) == ("1", "text/plain", "utf-8")
    assert (pdf.section, pdf.filename, pdf.disposition) == ("2", "报告.pdf", "attachment")
    assert pdf.params["name"] == 'résumé"'
    assert pdf.decoded_size == 570
    with pytest.raises(MalformedResponse):
        parse_fetch([b"1 (UID 1 BODYSTRUCTURE (unterminated"])
