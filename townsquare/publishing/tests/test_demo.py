import pytest

from townsquare.publishing.models import Post, PostState

pytestmark = pytest.mark.django_db


def test_demo_posts_are_loaded_once_in_every_state():
    from townsquare.channels.demo import channels_demo_load
    from townsquare.organisations.demo import demo_load
    from townsquare.publishing.demo import publishing_demo_load

    demo_load()
    channels_demo_load()
    assert publishing_demo_load().created == 4
    states = dict(Post.objects.values_list("title", "state"))
    assert states["Route 12 every 10 minutes"] == PostState.SCHEDULED
    assert states["Harbour Bridge roadworks"] == PostState.SCHEDULED
    assert states["New operational arrangements"] == PostState.IN_REVIEW
    assert states["Free flu vaccines"] == PostState.IN_REVIEW
    officialese = Post.objects.get(title="New operational arrangements")
    assert officialese.plain_language_score < Post.objects.get(
        title="Route 12 every 10 minutes").plain_language_score
    assert publishing_demo_load().created == 0
