"""SMS through a Twilio-style gateway (Programmable Messaging REST API, thin httpx client).

Citizens text the agency's number; Twilio pushes each message to our webhook
(``SmsWebhook``), so there is nothing to poll. Staff answers go out with
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``. SMS has no public posts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
    RateLimited,
    RemoteRejected,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.http import parse_retry_after, raise_for_status
from townsquare.channels.adapters.sms.text import MAX_SEGMENTS, sms_length

NETWORK = "sms"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")

# Twilio error codes (https://www.twilio.com/docs/api/errors) with a meaning of their own.
AUTH_ERRORS = frozenset({20003, 20005, 20006})  # authenticate; account suspended/inactive
RATE_ERRORS = frozenset({20429, 14107})  # too many requests; SMS send rate exceeded
TRANSIENT_ERRORS = frozenset({20500, 20503})  # internal server error; service unavailable


class SmsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base_url: str = "https://api.twilio.com"
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    from_number: str
    timeout: float = Field(default=10.0, gt=0, le=120)
    max_segments: int = Field(default=MAX_SEGMENTS, ge=1, le=MAX_SEGMENTS)

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("api_base_url must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("from_number")
    @classmethod
    def _e164(cls, value: str) -> str:
        value = value.strip()
        if not E164.match(value):
            raise ValueError("from_number must be an E.164 number such as +14155550100")
        return value


class SmsAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.SMS,
        # "weighted": the length of an SMS is its number of segments (sms.text.segment_count):
        # 160 GSM-7 septets or 70 UCS-2 units in one, 153 / 67 per segment when split.
        text=TextLimit(max_length=MAX_SEGMENTS, counting="weighted"),
        media=None,  # MMS exists in the US and Canada only; not offered here
        threads=False,
        edits=False,
        deletes=False,
        private_messages=True,
        search=False,
        metrics=False,
        webhooks=True,
        reply_semantics=(
            "A reply is a new SMS to the citizen's number from the agency's number; "
            "there is no quoting or threading on the handset."
        ),
        rate_limit=RateLimit(
            requests=1,
            per_seconds=1,
            note="A long code sends about 1 segment a second (toll-free and short codes "
            "more); Twilio queues the excess and answers 429 / error 20429 when the "
            "account's API concurrency is exceeded.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        try:
            self.settings = SmsConfig.model_validate(dict(config))
        except ValidationError as exc:
            raise ValueError(f"invalid SMS configuration: {exc}") from None
        token = credentials.extra.get("auth_token") or credentials.access_token
        if not token:
            raise ValueError("SMS needs the gateway's auth token in credentials.extra")
        timeout = httpx.Timeout(self.settings.timeout, connect=min(5.0, self.settings.timeout))
        self._http = httpx.Client(
            base_url=self.settings.api_base_url,
            timeout=timeout,
            auth=httpx.BasicAuth(self.settings.account_sid, token),
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"SmsAdapter(from_number={self.settings.from_number!r})"

    def close(self) -> None:
        self._http.close()

    @property
    def _account_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.settings.account_sid}"

    # --- plumbing -----------------------------------------------------------------

    def _request(self, method: str, path: str, data: Mapping[str, str] | None = None) -> Any:
        try:
            response = self._http.request(method, path, data=dict(data) if data else None)
        except httpx.TimeoutException:
            raise TransientError(f"{NETWORK}: the gateway did not answer in time") from None
        except httpx.TransportError:
            raise TransientError(f"{NETWORK}: could not reach the gateway") from None
        if response.status_code >= 400:
            _raise_twilio_error(response)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedResponse(f"{NETWORK}: the gateway answered with invalid JSON") from None

    # --- the adapter interface -----------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        """The sending number (checks the credentials with a read of the account)."""
        account = self._request("GET", f"{self._account_path}.json")
        if not isinstance(account, dict):
            raise MalformedResponse(f"{NETWORK}: the account is not an object")
        number = self.settings.from_number
        return AccountProfile(
            remote_id=number,
            handle=number,
            display_name=str(account.get("friendly_name") or number),
            followers=None,
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Nothing to poll: inbound SMS arrive through the webhook (``SmsWebhook``)."""
        return FetchResult(items=[], cursor=cursor)

    def publish(self, post: PostRequest) -> PublishedPost:
        raise NotSupported(f"{NETWORK}: SMS has no public posts; reply to a citizen instead")

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        """Send ``post.text`` to a citizen.

        ``remote_id`` is either the citizen's E.164 number or the MessageSid of their
        inbound message (its sender is then looked up with the Messages API).
        """
        if post.attachments:
            raise NotSupported(f"{NETWORK}: media (MMS) is not supported")
        text = post.text
        if not text.strip():
            raise RemoteRejected(f"{NETWORK}: a message needs text")
        length = sms_length(text)
        if length.segments > self.settings.max_segments:
            raise RemoteRejected(
                f"{NETWORK}: the message needs {length.segments} segments "
                f"({length.encoding}); at most {self.settings.max_segments} are allowed"
            )
        to = self._recipient(remote_id)
        sent = self._request(
            "POST",
            f"{self._account_path}/Messages.json",
            {"To": to, "From": self.settings.from_number, "Body": text},
        )
        if not isinstance(sent, dict) or not isinstance(sent.get("sid"), str):
            raise MalformedResponse(f"{NETWORK}: the answer has no message sid")
        if sent.get("status") == "failed":
            raise RemoteRejected(f"{NETWORK}: the message failed ({sent.get('error_code')})")
        return PublishedPost(
            remote_id=sent["sid"], url="", published_at=_twilio_date(sent.get("date_created"))
        )

    def publish_thread(self, posts: list[PostRequest]) -> list[PublishedPost]:
        raise NotSupported(f"{NETWORK}: SMS has no threads")

    def _recipient(self, remote_id: str) -> str:
        remote_id = remote_id.strip()
        if E164.match(remote_id):
            return remote_id
        if not MESSAGE_SID.match(remote_id):
            raise RemoteRejected(f"{NETWORK}: {remote_id!r} is neither a number nor a message")
        message = self._request("GET", f"{self._account_path}/Messages/{remote_id}.json")
        if not isinstance(message, dict):
            raise MalformedResponse(f"{NETWORK}: the message is not an object")
        sender, receiver = message.get("from"), message.get("to")
        if message.get("direction") != "inbound" or not isinstance(sender, str):
            raise RemoteRejected(f"{NETWORK}: {remote_id} is not a message a citizen sent")
        if receiver != self.settings.from_number:
            raise RemoteRejected(f"{NETWORK}: {remote_id} was sent to another number")
        if not E164.match(sender):
            raise RemoteRejected(f"{NETWORK}: the sender of {remote_id} cannot receive SMS")
        return sender


def _raise_twilio_error(response: httpx.Response) -> None:
    """Twilio errors: ``{"code": 21211, "message": "...", "more_info": "...", "status": 400}``."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    code = data.get("code") if isinstance(data, dict) else None
    if not isinstance(code, int):
        raise_for_status(response, network=NETWORK)
        return
    message = str(data.get("message") or "")[:200] if isinstance(data, dict) else ""
    if code in RATE_ERRORS or response.status_code == 429:
        raise RateLimited(
            f"{NETWORK}: rate limited (Twilio {code})",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if code in AUTH_ERRORS or response.status_code == 401:
        raise AuthExpired(f"{NETWORK}: the gateway refused the credentials (Twilio {code})")
    if code in TRANSIENT_ERRORS or response.status_code >= 500:
        raise TransientError(f"{NETWORK}: gateway error (Twilio {code})")
    raise RemoteRejected(f"{NETWORK}: refused (Twilio {code}): {message}")


def _twilio_date(value: Any) -> dt.datetime | None:
    """Twilio dates are RFC 2822: ``"Thu, 24 Aug 2023 05:01:45 +0000"``."""
    if not isinstance(value, str):
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
