import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded sandbox media goes to a temporary folder, not the installation's."""
    settings.MEDIA_ROOT = tmp_path / "media"
