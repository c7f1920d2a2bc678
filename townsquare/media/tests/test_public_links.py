"""Signed, expiring public links that networks such as Instagram fetch images from."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from townsquare.channels.adapters.base import Attachment, Credentials
from townsquare.channels.models import Account
from townsquare.channels.runtime import adapter_for
from townsquare.media.models import MediaAsset
from townsquare.media.public import public_url_for_attachment, public_url_for_sha256
from townsquare.media.selectors import asset_content

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlsplit(url).path


def test_a_link_serves_the_exact_bytes_without_signing_in(transport_image, settings):
    settings.SITE_URL = "https://townsquare.example.org"
    content = asset_content(transport_image)
    url = public_url_for_attachment(Attachment(content=content, mime_type="image/jpeg"))
    assert url.startswith("https://townsquare.example.org/public-media/")
    response = Client().get(_path(url))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_altered_or_guessed_link_is_refused(transport_image):
    url = public_url_for_sha256(transport_image.sha256)
    assert Client().get(_path(url)[:-3] + "abc").status_code == 404
    assert Client().get(f"/public-media/{transport_image.sha256}").status_code == 404
    assert Client().get("/public-media/%00%ff").status_code == 404


def test_a_link_expires(transport_image, settings):
    settings.PUBLIC_MEDIA_LINK_HOURS = 2
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        url = public_url_for_sha256(transport_image.sha256)
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, 59, tzinfo=dt.UTC), tick=False):
        assert Client().get(_path(url)).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 1, 11, 1, tzinfo=dt.UTC), tick=False):
        assert Client().get(_path(url)).status_code == 404


def test_an_archived_file_is_no_longer_served(transport_image):
    url = public_url_for_sha256(transport_image.sha256)
    MediaAsset.objects.filter(pk=transport_image.pk).update(is_archived=True)
    assert Client().get(_path(url)).status_code == 404


def test_the_instagram_adapter_gets_the_link_maker_at_run_time(government, alice):
    from townsquare.publishing.services.engine import _run_time_config

    account = Account(network="instagram", organisation=government["transport"],
                      handle="transport", config={"ig_user_id": "17841400000000000"})
    adapter = adapter_for(account, Credentials(access_token="t"),
                          extra_config=_run_time_config(account))
    assert adapter.settings.public_media_url is public_url_for_attachment
    # Nothing of it is stored on the account.
    assert "public_media_url" not in account.config
