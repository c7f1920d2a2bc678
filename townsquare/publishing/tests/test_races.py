"""Real concurrency: two approvers in two threads (row lock + unique constraint)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from townsquare.publishing.models import Approval, PostState
from townsquare.publishing.services.workflow import post_approve, post_submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_approvers_at_once_give_one_approval(make_post, erin, ahmed, alice):
    post = make_post()
    post_submit(actor=erin, post=post)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):
        try:
            barrier.wait(timeout=10)
            post_approve(actor=user, post=post, seen_version=post.content_version)
            outcomes.append("approved")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (ahmed, alice)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count("approved") == 1
    (loser,) = [o for o in outcomes if o != "approved"]
    # The second waited for the first's lock, then saw the post already approved.
    assert loser in ("This post is not waiting for review.",
                     "Someone else approved this post at the same moment. Reload the page.")
    assert Approval.objects.filter(post=post).count() == 1
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
