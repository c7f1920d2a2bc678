"""EmailAdapter against a real Dovecot (IMAP) and aiosmtpd (SMTP), both on loopback."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import imaplib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    ItemKind,
    NotSupported,
    PostRequest,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.email.client import EmailAdapter
from townsquare.channels.adapters.email.tests.servers import CapturingHandler, Dovecot, free_port
from townsquare.channels.adapters.registry import adapter_class

CITIZEN = "layla@example.net"
# aiosmtpd warns that AUTH without TLS is unsafe: true, and fine on loopback in tests.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def make_adapter(
    dovecot: Dovecot,
    user: str,
    smtp_port: int = 25,
    *,
    password: str | None = None,
    **config: Any,
) -> EmailAdapter:
    settings = {
        "address": user,
        "display_name": "Transport Agency",
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_ssl": False,
        "imap_starttls": False,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": False,
        "timeout": 5,
        **config,
    }
    secret = dovecot.users[user] if password is None else password
    return EmailAdapter(
        credentials=Credentials(extra={"username": user, "password": secret}), config=settings
    )


def b64(text: str, charset: str = "utf-8") -> str:
    return base64.b64encode(text.encode(charset)).decode()


def mail(
    *,
    subject: str = "Bus stop",
    sender: str = f"Layla <{CITIZEN}>",
    to: str = "agency@transport.gov.example",
    message_id: str | None = "<m1@example.net>",
    extra_headers: str = "",
    content_type: str = "text/plain; charset=utf-8",
    transfer_encoding: str = "8bit",
    body: bytes = b"The shelter is broken.\r\n",
    date: str = "Mon, 09 Feb 2026 10:15:00 +0300",
) -> bytes:
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {date}",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        f"Content-Transfer-Encoding: {transfer_encoding}",
    ]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    head = "\r\n".join(headers).encode("latin-1") + b"\r\n"
    if extra_headers:
        head += extra_headers.encode("latin-1") + b"\r\n"
    return head + b"\r\n" + body


def fetch_all(adapter: EmailAdapter) -> list[Any]:
    result = adapter.fetch_inbound(None)
    return result.items


# --- configuration --------------------------------------------------------------------------


def test_registry_and_bad_config() -> None:
    assert adapter_class("email") is EmailAdapter
    base = {"address": "a@b.example", "imap_host": "imap.example", "smtp_host": "smtp.example"}
    creds = Credentials(extra={"password": "p"})
    EmailAdapter(credentials=creds, config=base)  # TLS by default: fine
    with pytest.raises(ValueError, match="loopback"):
        EmailAdapter(credentials=creds, config={**base, "imap_ssl": False, "imap_starttls": False})
    with pytest.raises(ValueError, match="loopback"):
        EmailAdapter(credentials=creds, config={**base, "smtp_starttls": False})
    with pytest.raises(ValueError, match="address"):
        EmailAdapter(credentials=creds, config={**base, "address": "not an address"})
    with pytest.raises(ValueError, match="password"):
        EmailAdapter(credentials=Credentials(), config=base)
    with pytest.raises(ValueError, match="folder"):
        EmailAdapter(credentials=creds, config={**base, "folder": 'IN"BOX'})


# --- reading --------------------------------------------------------------------------------


def test_plain_message_and_cursor(dovecot: Dovecot, mailbox_user: str) -> None:
    dovecot.append(mailbox_user, mail())
    adapter = make_adapter(dovecot, mailbox_user)
    first = adapter.fetch_inbound(None)
    [item] = first.items
    assert item.kind == ItemKind.DIRECT_MESSAGE
    assert item.remote_id == "<m1@example.net>"
    assert item.text == "The shelter is broken."
    assert (item.author_id, item.author_handle, item.author_name) == (CITIZEN, CITIZEN, "Layla")
    assert item.created_at == dt.datetime(2026, 2, 9, 7, 15, tzinfo=dt.UTC)
    assert item.conversation_id == "<m1@example.net>"
    assert item.raw["subject"] == "Bus stop"
    assert not item.is_own and not first.gap
    validity, last = (first.cursor or "").split(":")
    assert last == "1" and validity.isdigit()
    # Nothing new: same cursor, no items. Then one more message: only it comes back.
    again = adapter.fetch_inbound(first.cursor)
    assert again.items == [] and again.cursor == first.cursor
    dovecot.append(mailbox_user, mail(message_id="<m2@example.net>", subject="Second"))
    third = make_adapter(dovecot, mailbox_user).fetch_inbound(again.cursor)
    assert [i.remote_id for i in third.items] == ["<m2@example.net>"]
    assert third.cursor == f"{validity}:2"
    # Reading did not mark anything as seen (the folder is opened read-only).
    with dovecot.imap(mailbox_user) as client:
        client.select("INBOX")
        assert client.uid("SEARCH", "UNSEEN")[1][0].split() == [b"1", b"2"]


def test_max_messages_per_poll(dovecot: Dovecot, mailbox_user: str) -> None:
    for n in range(5):
        dovecot.append(mailbox_user, mail(message_id=f"<batch{n}@example.net>"))
    adapter = make_adapter(dovecot, mailbox_user, max_messages=2)
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        result = adapter.fetch_inbound(cursor)
        seen += [i.remote_id for i in result.items]
        cursor = result.cursor
    assert seen == [f"<batch{n}@example.net>" for n in range(5)]


def test_changed_uidvalidity_is_a_gap(dovecot: Dovecot, mailbox_user: str) -> None:
    with dovecot.imap(mailbox_user) as client:
        assert client.create("Citizens")[0] == "OK"
    dovecot.append(mailbox_user, mail(), folder="Citizens")
    adapter = make_adapter(dovecot, mailbox_user, folder="Citizens")
    cursor = adapter.fetch_inbound(None).cursor
    with dovecot.imap(mailbox_user) as client:
        assert client.delete("Citizens")[0] == "OK"
        assert client.create("Citizens")[0] == "OK"
    dovecot.append(mailbox_user, mail(message_id="<after@example.net>"), folder="Citizens")
    result = adapter.fetch_inbound(cursor)
    assert result.gap
    assert [i.remote_id for i in result.items] == ["<after@example.net>"]
    assert (result.cursor or "").split(":")[0] != (cursor or "").split(":")[0]
    # A cursor from another world (unknown validity) is a gap too.
    assert adapter.fetch_inbound("1:999").gap
    with pytest.raises(ValueError, match="cursor"):
        adapter.fetch_inbound("garbage")


def test_arabic_utf8_and_windows_1256(dovecot: Dovecot, mailbox_user: str) -> None:
    arabic = "الحافلة رقم ١٢ لم تتوقف في المحطة اليوم."
    dovecot.append(
        mailbox_user,
        mail(
            subject=f"=?utf-8?B?{b64('شكوى بخصوص الحافلة')}?=",
            sender=f"=?utf-8?Q?=D9=84=D9=8A=D9=84=D9=89?= <{CITIZEN}>",
            transfer_encoding="base64",
            body=b64(arabic).encode() + b"\r\n",
            message_id="<ar-utf8@example.net>",
        ),
    )
    cp1256_body = "الطريق مغلق منذ الصباح".encode("cp1256")
    dovecot.append(
        mailbox_user,
        mail(
            subject=f"=?windows-1256?B?{b64('طريق مغلق', 'cp1256')}?=",
            sender=f"=?windows-1256?B?{b64('أحمد', 'cp1256')}?= <ahmad@example.net>",
            content_type="text/plain; charset=windows-1256",
            transfer_encoding="quoted-printable",
            body="".join(f"={b:02X}" if b > 127 else chr(b) for b in cp1256_body).encode()
            + b"\r\n",
            message_id="<ar-1256@example.net>",
        ),
    )
    utf8, legacy = fetch_all(make_adapter(dovecot, mailbox_user))
    assert utf8.text == arabic
    assert utf8.raw["subject"] == "شكوى بخصوص الحافلة"
    assert utf8.author_name == "ليلى"
    assert legacy.text == "الطريق مغلق منذ الصباح"
    assert legacy.raw["subject"] == "طريق مغلق"
    assert legacy.author_name == "أحمد"


def test_chinese_gb2312_and_gbk(dovecot: Dovecot, mailbox_user: str) -> None:
    # "镕" exists in GBK but not in GB2312: mail labelled gb2312 often contains such.
    body = "您好，朱镕基路的公交站牌坏了。".encode("gbk")
    dovecot.append(
        mailbox_user,
        mail(
            subject=f"=?gb2312?B?{b64('公交站牌', 'gb2312')}?=",
            sender=f"=?GBK?B?{b64('王小明', 'gbk')}?= <wang@example.cn>",
            content_type='text/plain; charset="gb2312"',
            transfer_encoding="8bit",
            body=body + b"\r\n",
        ),
    )
    [item] = fetch_all(make_adapter(dovecot, mailbox_user))
    assert item.text == "您好，朱镕基路的公交站牌坏了。"
    assert item.raw["subject"] == "公交站牌"
    assert item.author_name == "王小明"


def test_emoji_zwj_subject_split_across_encoded_words(dovecot: Dovecot, mailbox_user: str) -> None:
    subject = "Family pass 👩‍👩‍👧‍👦 please"
    raw = subject.encode()
    cut = raw.index("👧".encode()) + 2  # split inside a 4-byte character
    words = [base64.b64encode(raw[:cut]).decode(), base64.b64encode(raw[cut:]).decode()]
    dovecot.append(
        mailbox_user,
        mail(subject=f"=?UTF-8?B?{words[0]}?=\r\n =?UTF-8?B?{words[1]}?=", body=b""),
    )
    [item] = fetch_all(make_adapter(dovecot, mailbox_user))
    assert item.raw["subject"] == subject
    assert item.text == subject  # no body: the subject stands in


def test_long_body_and_invalid_bytes(dovecot: Dovecot, mailbox_user: str) -> None:
    long_text = ("Route 12 👩‍👩‍👧‍👦 الطريق 公交 " * 500)[:10_000]
    dovecot.append(
        mailbox_user,
        mail(transfer_encoding="base64", body=base64.encodebytes(long_text.encode())),
    )
    dovecot.append(
        mailbox_user,
        mail(
            subject="Broken \xff\xfe bytes",  # raw 8-bit, not valid UTF-8
            body=b"Hello \xff\xfe\xc3 world\r\n",
            message_id="<broken@example.net>",
        ),
    )
    long_item, broken = fetch_all(make_adapter(dovecot, mailbox_user))
    assert long_item.text == long_text
    assert len(long_item.text) == 10_000
    assert broken.text == "Hello \ufffd\ufffd\ufffd world"
    assert "\ufffd" in broken.raw["subject"] and broken.raw["subject"].startswith("Broken")


def test_html_only_message_becomes_safe_text(dovecot: Dovecot, mailbox_user: str) -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Dear agency,</p><p>The lights &amp; signs are <b>off</b>.</p>"
        "<img src=x onerror=alert(1)></body></html>"
    )
    dovecot.append(mailbox_user, mail(content_type="text/html; charset=utf-8", body=html.encode()))
    [item] = fetch_all(make_adapter(dovecot, mailbox_user))
    assert item.text == "Dear agency,\n\nThe lights & signs are off."


def multipart(
    *parts: bytes, subtype: str = "mixed", boundary: str = "BOUNDARY"
) -> tuple[str, bytes]:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        f'multipart/{subtype}; boundary="{boundary}"',
        body + b"--" + boundary.encode() + b"--\r\n",
    )


def test_attachments_are_listed_not_downloaded(
    dovecot: Dovecot, mailbox_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = base64.encodebytes(bytes(range(256)) * 12_000)  # ~3 MB decoded, ~4 MB encoded
    alternative_type, alternative = multipart(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nPhotos of the pothole attached.",
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Photos of the pothole attached.</p>",
        subtype="alternative",
        boundary="ALT",
    )
    content_type, body = multipart(
        f"Content-Type: {alternative_type}\r\n\r\n".encode() + alternative,
        b'Content-Type: application/octet-stream; name="scan.bin"\r\n'
        b'Content-Disposition: attachment; filename="scan.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + huge,
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"%PDF-1.4 tiny"),
        b'Content-Type: image/jpeg; name="=?utf-8?B?' + b64("صورة.jpg").encode() + b'?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"\xff\xd8\xff\xe0"),
    )
    dovecot.append(mailbox_user, mail(content_type=content_type, body=body))
    received: list[int] = []
    original_read = imaplib.IMAP4.read

    def counting_read(self: imaplib.IMAP4, size: int) -> bytes:
        received.append(size)
        return original_read(self, size)

    monkeypatch.setattr(imaplib.IMAP4, "read", counting_read)
    [item] = fetch_all(make_adapter(dovecot, mailbox_user))
    assert item.text == "Photos of the pothole attached."
    attachments = item.raw["attachments"]
    assert [a["filename"] for a in attachments] == ["scan.bin", "报告.pdf", "صورة.jpg"]
    assert [a["mime_type"] for a in attachments] == [
        "application/octet-stream",
        "application/pdf",
        "image/jpeg",
    ]
    assert 3_000_000 < attachments[0]["size"] < 3_100_000
    assert item.raw["size"] > 4_000_000
    assert sum(received) < 50_000  # headers and the text part only, never the 4 MB
    assert item.attachment_urls == ()


def test_threading_own_messages_and_missing_message_id(dovecot: Dovecot, mailbox_user: str) -> None:
    dovecot.append(
        mailbox_user,
        mail(
            subject="Re: Bus stop",
            message_id="<m3@example.net>",
            extra_headers="In-Reply-To: <reply1@transport.gov.example>\r\n"
            "References: <m1@example.net>\r\n <reply1@transport.gov.example>",
        ),
    )
    dovecot.append(
        mailbox_user,
        mail(
            sender=f"Transport Agency <{mailbox_user.upper()}>",
            message_id="<own@transport.gov.example>",
        ),
    )
    dovecot.append(mailbox_user, mail(message_id=None))
    thread, own, anonymous = fetch_all(make_adapter(dovecot, mailbox_user))
    assert thread.conversation_id == "<m1@example.net>"
    assert thread.in_reply_to == "<reply1@transport.gov.example>"
    assert own.is_own
    validity = anonymous.raw["uid_validity"]
    assert anonymous.remote_id == f"imap:{validity}:3"


def test_profile_wrong_password_and_missing_folder(
    dovecot: Dovecot, mailbox_user: str, lone_dovecot: Dovecot
) -> None:
    profile = make_adapter(dovecot, mailbox_user).fetch_profile()
    assert profile.handle == mailbox_user and profile.display_name == "Transport Agency"
    assert profile.followers is None
    with pytest.raises(RemoteRejected, match="folder"):
        make_adapter(dovecot, mailbox_user, folder="Nope").fetch_inbound(None)
    bad = make_adapter(lone_dovecot, "lone@transport.gov.example", password="Wrong-Secret-123")
    with pytest.raises(AuthExpired) as caught:
        bad.fetch_inbound(None)
    for text in (str(caught.value), repr(caught.value), repr(bad), repr(bad.credentials)):
        assert "Wrong-Secret-123" not in text


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_timeouts_and_unreachable_servers(
    dovecot: Dovecot, mailbox_user: str, silent_server: int
) -> None:
    hung = make_adapter(dovecot, mailbox_user, imap_port=silent_server, timeout=0.3)
    with pytest.raises(TransientError):
        hung.fetch_inbound(None)
    closed = make_adapter(dovecot, mailbox_user, imap_port=free_port(), timeout=0.3)
    with pytest.raises(TransientError):
        closed.fetch_profile()
    dovecot.append(mailbox_user, mail())
    smtp_hung = make_adapter(dovecot, mailbox_user, smtp_port=silent_server, timeout=0.3)
    with pytest.raises(TransientError):
        smtp_hung.reply("<m1@example.net>", PostRequest(text="hello"))


# --- replying -------------------------------------------------------------------------------


def sent_message(handler: CapturingHandler) -> email.message.EmailMessage:
    [envelope] = handler.envelopes
    parsed = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_reply_threads_and_keeps_unicode(
    dovecot: Dovecot, mailbox_user: str, smtp: tuple[Controller, CapturingHandler]
) -> None:
    controller, handler = smtp
    handler.password = dovecot.users[mailbox_user]
    dovecot.append(
        mailbox_user,
        mail(
            subject=f"=?utf-8?B?{b64('الحافلة 12')}?=",
            message_id="<q1@example.net>",
            extra_headers=f"Reply-To: =?utf-8?B?{b64('ليلى')}?= <layla.replies@example.net>\r\n"
            "References: <root@example.net>",
        ),
    )
    adapter = make_adapter(dovecot, mailbox_user, smtp_port=controller.port)
    text = "شكراً لرسالتك. 谢谢您的来信 👩‍👩‍👧‍👦\n" + "x" * 2000
    published = adapter.reply("<q1@example.net>", PostRequest(text=text, idempotency_key="k-1"))
    message = sent_message(handler)
    assert handler.envelopes[0].rcpt_tos == ["layla.replies@example.net"]
    assert handler.envelopes[0].mail_from == mailbox_user
    assert handler.logins == [("PLAIN", mailbox_user)] or handler.logins[0][1] == mailbox_user
    assert message["Subject"] == "Re: الحافلة 12"
    assert message["In-Reply-To"] == "<q1@example.net>"
    assert message["References"].split() == ["<root@example.net>", "<q1@example.net>"]
    assert message["Message-ID"].strip() == published.remote_id
    assert published.remote_id.endswith("@transport.gov.example>")
    assert message["To"].addresses[0].addr_spec == "layla.replies@example.net"
    assert message["To"].addresses[0].display_name == "ليلى"
    assert message["From"].addresses[0].display_name == "Transport Agency"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == text
    # The same idempotency key gives the same Message-ID (a retry is recognisable).
    again = adapter.reply("<q1@example.net>", PostRequest(text=text, idempotency_key="k-1"))
    assert again.remote_id == published.remote_id


def test_reply_subject_not_doubled_and_by_uid(
    dovecot: Dovecot, mailbox_user: str, smtp: tuple[Controller, CapturingHandler]
) -> None:
    controller, handler = smtp
    handler.password = dovecot.users[mailbox_user]
    dovecot.append(mailbox_user, mail(subject="RE: Bus stop", message_id=None))
    adapter = make_adapter(dovecot, mailbox_user, smtp_port=controller.port)
    [item] = fetch_all(adapter)
    adapter.reply(item.remote_id, PostRequest(text="We are on it."))
    message = sent_message(handler)
    assert message["Subject"] == "RE: Bus stop"
    assert message["In-Reply-To"] is None
    assert message["Message-ID"]


def test_reply_failures(
    dovecot: Dovecot, mailbox_user: str, smtp: tuple[Controller, CapturingHandler]
) -> None:
    controller, handler = smtp
    handler.password = dovecot.users[mailbox_user]
    dovecot.append(mailbox_user, mail())
    adapter = make_adapter(dovecot, mailbox_user, smtp_port=controller.port)
    with pytest.raises(RemoteRejected, match="not in"):
        adapter.reply("<unknown@example.net>", PostRequest(text="hi"))
    for hostile in ('<a"b>\r\nX-Injected: 1', '<a" OR ALL "b@x>', "<a\\b@x>", "<ü@x>"):
        with pytest.raises(RemoteRejected, match="Message-ID"):
            adapter.reply(hostile, PostRequest(text="hi"))
    handler.refuse_rcpt = "550 5.1.1 No such user"
    with pytest.raises(RemoteRejected, match="recipient"):
        adapter.reply("<m1@example.net>", PostRequest(text="hi"))
    handler.refuse_rcpt = None
    handler.refuse_data = "451 4.3.0 Try again later"
    with pytest.raises(TransientError, match="451"):
        adapter.reply("<m1@example.net>", PostRequest(text="hi"))
    handler.refuse_data = None
    handler.password = "something-else"
    with pytest.raises(AuthExpired) as caught:
        adapter.reply("<m1@example.net>", PostRequest(text="hi"))
    assert dovecot.users[mailbox_user] not in str(caught.value)
    assert handler.envelopes == []


def test_xoauth2_for_smtp(
    dovecot: Dovecot, mailbox_user: str, smtp: tuple[Controller, CapturingHandler]
) -> None:
    controller, handler = smtp
    handler.token = "ya29.oauth-access-token"
    adapter = make_adapter(dovecot, mailbox_user, smtp_port=controller.port)
    # Reading uses the password; the send path is exercised with a token.
    adapter._password = ""
    adapter._token = handler.token
    dovecot.append(mailbox_user, mail())
    original_headers = adapter._original_headers
    adapter._original_headers = lambda remote_id: {  # type: ignore[method-assign]
        "from": CITIZEN,
        "subject": "Bus stop",
        "message-id": "<m1@example.net>",
    }
    try:
        adapter.reply("<m1@example.net>", PostRequest(text="hello"))
    finally:
        adapter._original_headers = original_headers  # type: ignore[method-assign]
    assert handler.logins == [("XOAUTH2", mailbox_user)]
    assert len(handler.envelopes) == 1


def test_no_publishing(dovecot: Dovecot, mailbox_user: str) -> None:
    adapter = make_adapter(dovecot, mailbox_user)
    with pytest.raises(NotSupported):
        adapter.publish(PostRequest(text="hello"))
    with pytest.raises(NotSupported):
        adapter.publish_thread([PostRequest(text="a")])
    with pytest.raises(NotSupported):
        adapter.delete("<m1@example.net>")
