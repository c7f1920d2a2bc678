import pytest

from townsquare.media.tests import samples


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor(government):
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(
        actor=None, username="erin", email="erin@example.org", first_name="Erin",
        password="correct-lantern-harbour-42",
    )
    membership_grant(actor=None, user=user, organisation=government["transport"], role="editor")
    return user


@pytest.fixture
def transport_image(government, alice):
    from townsquare.media.services import media_upload

    return media_upload(
        user=alice,
        organisation=government["transport"],
        filename="bus-stop.jpg",
        content=samples.jpeg(),
        alt_text={"en": "A bus stop at dawn", "ar": "موقف حافلات عند الفجر"},
    )
