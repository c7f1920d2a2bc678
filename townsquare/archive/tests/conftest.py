import datetime as dt

import pytest

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _archive_media_root(settings, tmp_path):
    settings.ARCHIVE_MEDIA_ROOT = tmp_path / "archive-media"
    settings.ARCHIVE_CHECKPOINT_EVERY = 1000


@pytest.fixture
def capture(government):
    """``capture(source_id, content, **kw)``: record_capture for the Transport Agency."""
    from townsquare.archive.services import record_capture

    def make(source_id="post-1", content="Buses run every 10 minutes.", **kwargs):
        kwargs.setdefault("organisation", government["transport"])
        kwargs.setdefault("record_type", "published_post")
        kwargs.setdefault("source", "test")
        return record_capture(source_id=source_id, content=content, **kwargs)

    return make


@pytest.fixture
def rita(government):
    """A records officer of the Transport Agency."""
    from conftest import TEST_PASSWORD
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(actor=None, username="rita", email="rita@example.org",
                             first_name="Rita", password=TEST_PASSWORD)
    membership_grant(actor=None, user=user, organisation=government["transport"],
                     role="records_officer")
    return user
