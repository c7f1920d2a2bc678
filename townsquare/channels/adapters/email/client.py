"""E-mail: a mailbox read over IMAP (imap-tools on imaplib), replies sent over SMTP.

Citizens write to the agency's address; each message is a DIRECT_MESSAGE. Only the
headers, the structure and the text part are downloaded: attachments are listed by
name and size (``raw["attachments"]``) and never fetched. E-mail has no public posts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import imaplib
import ipaddress
import re
import smtplib
import ssl
import uuid
from collections.abc import Iterator, Mapping
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate
from typing import Any, ClassVar

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxFolderSelectError, MailboxLoginError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from townsquare.channels.adapters.base import (
    AccountProfile,
    AuthExpired,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    MalformedResponse,
    Network,
    NotSupported,
    PostRequest,
    PublishedPost,
    RateLimit,
    RemoteRejected,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.email.decoding import (
    decode_words,
    header_fields,
    message_ids,
    parse_address,
    reply_subject,
    single_line,
)
from townsquare.channels.adapters.email.imap_parse import parse_fetch
from townsquare.channels.adapters.email.items import HEADER_ITEMS, message_to_item

NETWORK = "email"
# Printable ASCII without < > " \ or spaces: safe inside an IMAP quoted string.
_SAFE_MSG_ID = r"^<[!#-;=?-\[\]-~]+>$"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    display_name: str = ""
    imap_host: str = Field(min_length=1)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_ssl: bool = True  # implicit TLS (993)
    imap_starttls: bool = True  # used when imap_ssl is off
    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_ssl: bool = False  # implicit TLS (465)
    smtp_starttls: bool = True
    folder: str = Field(default="INBOX", min_length=1)
    timeout: float = Field(default=20.0, gt=0, le=300)
    max_messages: int = Field(default=100, ge=1, le=1000)  # per poll
    max_text_bytes: int = Field(default=1024 * 1024, ge=1024, le=20 * 1024 * 1024)

    @model_validator(mode="after")
    def _no_plaintext_beyond_loopback(self) -> EmailConfig:
        if not (self.imap_ssl or self.imap_starttls) and not _is_loopback(self.imap_host):
            raise ValueError("IMAP without TLS is only allowed to a loopback address")
        if not (self.smtp_ssl or self.smtp_starttls) and not _is_loopback(self.smtp_host):
            raise ValueError("SMTP without TLS is only allowed to a loopback address")
        if any(c in self.folder for c in '\r\n"\\'):
            raise ValueError("the folder name contains characters IMAP cannot take here")
        return self


class EmailAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.EMAIL,
        # No limit in the protocol; servers commonly refuse messages over 10–35 MB.
        text=TextLimit(max_length=1_000_000, counting="code_points"),
        media=None,  # replies are text only; attachments are not sent
        threads=False,
        edits=False,
        deletes=False,
        private_messages=True,
        search=False,
        metrics=False,
        webhooks=False,
        reply_semantics=(
            "A reply is a new e-mail to the Reply-To (or From) address, with "
            "'Re: <subject>' and In-Reply-To/References so mail clients thread it."
        ),
        rate_limit=RateLimit(
            requests=60,
            per_seconds=60,
            note="Set by the mail provider (e.g. Gmail: 2,000 messages a day for a "
            "Workspace account); polling IMAP once a minute is customary.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        try:
            self.settings = EmailConfig.model_validate(dict(config))
        except ValidationError as exc:
            raise ValueError(f"invalid e-mail configuration: {exc}") from None
        extra = credentials.extra
        self._username = extra.get("username") or self.settings.address
        self._password = extra.get("password", "")
        self._token = credentials.access_token or extra.get("access_token", "")
        if not (self._password or self._token):
            raise ValueError("e-mail needs a password or an OAuth access token (XOAUTH2)")

    def __repr__(self) -> str:
        return f"EmailAdapter(address={self.settings.address!r}, imap={self.settings.imap_host!r})"

    # --- IMAP ------------------------------------------------------------------------

    def _mailbox(self) -> BaseMailBox:
        s = self.settings
        context = ssl.create_default_context()
        if s.imap_ssl:
            return MailBox(s.imap_host, s.imap_port, timeout=s.timeout, ssl_context=context)
        if s.imap_starttls:
            return MailBoxStartTls(s.imap_host, s.imap_port, timeout=s.timeout, ssl_context=context)
        return MailBoxUnencrypted(s.imap_host, s.imap_port, timeout=s.timeout)

    @contextlib.contextmanager
    def _session(self) -> Iterator[BaseMailBox]:
        """A logged-in IMAP session with the folder opened read-only (EXAMINE)."""
        box: BaseMailBox | None = None
        try:
            box = self._mailbox()
            if self._password:
                box.login(self._username, self._password, initial_folder=None)
            else:
                box.xoauth2(self._username, self._token, initial_folder=None)
            box.folder.set(self.settings.folder, readonly=True)
            yield box
        except MailboxLoginError:
            raise AuthExpired(f"{NETWORK}: the mail server refused the login") from None
        except MailboxFolderSelectError:
            raise RemoteRejected(
                f"{NETWORK}: the folder {self.settings.folder!r} cannot be opened"
            ) from None
        except ssl.SSLCertVerificationError:
            raise RemoteRejected(f"{NETWORK}: the IMAP server's certificate is not valid") from None
        except (TimeoutError, imaplib.IMAP4.abort, OSError):
            raise TransientError(f"{NETWORK}: the IMAP server did not answer properly") from None
        except (imaplib.IMAP4.error, ImapToolsError):
            raise MalformedResponse(f"{NETWORK}: the IMAP server refused a command") from None
        finally:
            if box is not None:
                with contextlib.suppress(Exception):
                    box.logout()

    @staticmethod
    def _command(box: BaseMailBox, *args: str) -> list[Any]:
        status, data = box.client.uid(*args)
        if status != "OK":
            raise MalformedResponse(f"{NETWORK}: UID {args[0]} failed")
        return list(data)

    def _search(self, box: BaseMailBox, *criteria: str) -> list[int]:
        data = self._command(box, "SEARCH", *criteria)
        words = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return sorted(int(w) for w in words if w.isdigit())

    # --- reading ---------------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        """Checks the login and the folder; e-mail has no followers."""
        with self._session():
            pass
        address = self.settings.address
        return AccountProfile(
            remote_id=address.lower(),
            handle=address,
            display_name=self.settings.display_name or address,
            followers=None,
            url=f"mailto:{address}",
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Messages with a UID above the cursor, oldest first, at most ``max_messages``.

        Cursor: ``"<UIDVALIDITY>:<last UID>"``. When the server's UIDVALIDITY changed
        (the folder was recreated or renumbered) every UID is new: reading restarts from
        the beginning with ``gap=True`` and the core dedupes on the Message-ID.
        """
        known_validity, last_uid = _read_cursor(cursor)
        with self._session() as box:
            status = box.folder.status(self.settings.folder, ["UIDVALIDITY", "UIDNEXT"])
            validity = status.get("UIDVALIDITY")
            if validity is None:
                raise MalformedResponse(f"{NETWORK}: the server gave no UIDVALIDITY")
            gap = known_validity is not None and known_validity != validity
            if gap:
                last_uid = 0
            uid_next = status.get("UIDNEXT")
            if uid_next is not None and uid_next <= last_uid + 1:
                return FetchResult(items=[], cursor=f"{validity}:{last_uid}", gap=gap)
            # "n:*" always matches the last message, even below n: filter again.
            uids = [u for u in self._search(box, "UID", f"{last_uid + 1}:*") if u > last_uid]
            uids = uids[: self.settings.max_messages]
            if not uids:
                return FetchResult(items=[], cursor=f"{validity}:{last_uid}", gap=gap)
            data = self._command(box, "FETCH", ",".join(map(str, uids)), HEADER_ITEMS)
            fetched = sorted(parse_fetch(data), key=lambda m: int(m["UID"]))
            items = []
            for message in fetched:
                uid = int(message["UID"])
                if uid not in uids:
                    continue
                items.append(
                    message_to_item(
                        message,
                        uid_validity=validity,
                        own_address=self.settings.address,
                        fetch_section=functools.partial(self._fetch_section, box, uid),
                        max_text_bytes=self.settings.max_text_bytes,
                    )
                )
            return FetchResult(items=items, cursor=f"{validity}:{max(uids)}", gap=gap)

    def _fetch_section(self, box: BaseMailBox, uid: int, section: str, size: int) -> bytes:
        limit = min(size, self.settings.max_text_bytes) if size else self.settings.max_text_bytes
        data = self._command(box, "FETCH", str(uid), f"(BODY.PEEK[{section}]<0.{limit}>)")
        for message in parse_fetch(data):
            value = message.get(f"BODY[{section}]")
            if isinstance(value, bytes):
                return value
        return b""

    # --- replying --------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        raise NotSupported(f"{NETWORK}: e-mail has no public posts; reply to a message instead")

    def publish_thread(self, posts: list[PostRequest]) -> list[PublishedPost]:
        raise NotSupported(f"{NETWORK}: e-mail has no public threads")

    def _original_headers(self, remote_id: str) -> dict[str, str]:
        with self._session() as box:
            if remote_id.startswith("imap:"):
                _, validity, uid = [*remote_id.split(":"), "", ""][:3]
                status = box.folder.status(self.settings.folder, ["UIDVALIDITY"])
                if str(status.get("UIDVALIDITY")) != validity or not uid.isdigit():
                    raise RemoteRejected(f"{NETWORK}: the original message is no longer there")
                uids = [int(uid)]
            else:
                if not re.match(_SAFE_MSG_ID, remote_id):
                    raise RemoteRejected(f"{NETWORK}: {remote_id!r} is not a Message-ID")
                uids = self._search(box, "HEADER", "Message-ID", f'"{remote_id}"')
            if not uids:
                raise RemoteRejected(
                    f"{NETWORK}: the original message is not in {self.settings.folder!r}"
                )
            data = self._command(box, "FETCH", str(uids[-1]), "(UID BODY.PEEK[HEADER])")
        for message in parse_fetch(data):
            header = message.get("BODY[HEADER]")
            if isinstance(header, bytes):
                fields: dict[str, str] = {}
                for name, value in header_fields(header):
                    fields.setdefault(name, value)
                return fields
        raise RemoteRejected(f"{NETWORK}: the original message is not readable")

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        """Answer the message ``remote_id`` (its Message-ID, or ``imap:<validity>:<uid>``).

        The original is looked up in the folder for its Reply-To/From, Subject and
        References. With an idempotency key the Message-ID is derived from it, so a
        retried send carries the same Message-ID and mail clients show it once.
        """
        if post.attachments:
            raise NotSupported(f"{NETWORK}: replies with attachments are not supported")
        if not post.text.strip():
            raise RemoteRejected(f"{NETWORK}: a reply needs text")
        original = self._original_headers(remote_id.strip())
        name, address = parse_address(original.get("reply-to") or original.get("from", ""))
        if "@" not in address:
            raise RemoteRejected(f"{NETWORK}: the original message has no reply address")
        original_id = (message_ids(original.get("message-id", "")) or [""])[0]
        references = message_ids(original.get("references", "")) or message_ids(
            original.get("in-reply-to", "")
        )
        domain = self.settings.address.rpartition("@")[2]
        if post.idempotency_key:
            digest = hashlib.sha256(post.idempotency_key.encode("utf-8")).hexdigest()[:32]
            message_id = f"<{digest[:24]}@{domain}>"
        else:
            message_id = f"<{uuid.uuid4().hex[:24]}@{domain}>"
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = formataddr(
            (single_line(self.settings.display_name), self.settings.address)
        )
        message["To"] = formataddr((name, address))
        message["Subject"] = reply_subject(decode_words(original.get("subject", "")))
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id
        if original_id:
            message["In-Reply-To"] = original_id
            message["References"] = " ".join([*references[-20:], original_id])
        if post.language:
            message["Content-Language"] = single_line(post.language)
        message.set_content(post.text, charset="utf-8")
        self._send(message, address)
        return PublishedPost(remote_id=message_id, url="", published_at=dt.datetime.now(dt.UTC))

    def _smtp_login(self, smtp: smtplib.SMTP) -> None:
        if self._password:
            smtp.login(self._username, self._password)
            return
        # auth() neither greets first nor checks the answer to a bare AUTH.
        smtp.ehlo_or_helo_if_needed()
        offered = (smtp.esmtp_features.get("auth") or "").upper().split()
        if "XOAUTH2" not in offered:
            raise RemoteRejected(f"{NETWORK}: the SMTP server does not offer XOAUTH2")
        oauth = f"user={self._username}\x01auth=Bearer {self._token}\x01\x01"
        smtp.auth("XOAUTH2", lambda challenge=None: oauth, initial_response_ok=True)

    def _send(self, message: EmailMessage, recipient: str) -> None:
        s = self.settings
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if s.smtp_ssl:
                smtp = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout)
            with smtp:
                if s.smtp_starttls and not s.smtp_ssl:
                    smtp.starttls(context=context)
                self._smtp_login(smtp)
                smtp.send_message(message, from_addr=s.address, to_addrs=[recipient])
        except smtplib.SMTPAuthenticationError:
            raise AuthExpired(f"{NETWORK}: the SMTP server refused the login") from None
        except smtplib.SMTPRecipientsRefused:
            raise RemoteRejected(f"{NETWORK}: the recipient address was refused") from None
        except smtplib.SMTPNotSupportedError:
            raise RemoteRejected(f"{NETWORK}: the SMTP server does not offer that") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"{NETWORK}: SMTP temporary failure {exc.smtp_code}") from None
            raise RemoteRejected(f"{NETWORK}: SMTP refused the message ({exc.smtp_code})") from None
        except ssl.SSLCertVerificationError:
            raise RemoteRejected(f"{NETWORK}: the SMTP server's certificate is not valid") from None
        except (smtplib.SMTPException, OSError):
            raise TransientError(f"{NETWORK}: the SMTP server did not answer properly") from None


def _read_cursor(cursor: str | None) -> tuple[int | None, int]:
    if not cursor:
        return None, 0
    validity, colon, uid = cursor.partition(":")
    if not colon or not validity.isdigit() or not uid.isdigit():
        raise ValueError("an e-mail cursor is '<UIDVALIDITY>:<last UID>'")
    return int(validity), int(uid)
