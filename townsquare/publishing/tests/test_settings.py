"""An organisation's approval chain, campaigns and saved hashtags."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.core.models import AuditEvent
from townsquare.publishing.models import ApprovalPolicy, Campaign, SavedHashtag
from townsquare.publishing.rules import policy_for
from townsquare.publishing.services.organisation_settings import (
    approval_policy_set,
    campaign_create,
    hashtag_save,
)

pytestmark = pytest.mark.django_db


def test_administrator_sets_two_levels_and_agencies_below_inherit(alice, government):
    approval_policy_set(actor=alice, organisation=government["transport"], levels=2,
                        level_one_roles=["approver"], level_two_roles=["administrator"])
    policy = policy_for(government["transport"])
    assert (policy.levels, policy.level_two_roles) == (2, ["administrator"])
    assert AuditEvent.objects.filter(action="publishing.policy_set").exists()
    assert policy_for(government["health"]).pk is None  # the default, not transport's


def test_policy_bad_input_and_permissions(alice, erin, carol, government):
    with pytest.raises(ValidationError) as caught:
        approval_policy_set(actor=alice, organisation=government["transport"], levels=2,
                            level_one_roles=["responder"], level_two_roles=[])
    assert {"level_one_roles", "level_two_roles"} <= set(caught.value.message_dict)
    with pytest.raises(PermissionDenied):
        approval_policy_set(actor=erin, organisation=government["transport"], levels=0,
                            level_one_roles=[])
    with pytest.raises(PermissionDenied):
        approval_policy_set(actor=carol, organisation=government["transport"], levels=0,
                            level_one_roles=[])
    assert not ApprovalPolicy.objects.exists()


def test_campaigns_and_hashtags(erin, bob, government):
    campaign = campaign_create(actor=erin, organisation=government["transport"],
                               name="Safer Streets 2026")
    assert campaign.tag == "safer-streets-2026"
    with pytest.raises(ValidationError):
        campaign_create(actor=erin, organisation=government["transport"],
                        name="safer streets 2026")
    hashtag_save(actor=erin, organisation=government["transport"], tag="#Route12")
    hashtag_save(actor=erin, organisation=government["transport"], tag="Route12")
    assert list(SavedHashtag.objects.values_list("tag", flat=True)) == ["Route12"]
    with pytest.raises(ValidationError):
        hashtag_save(actor=erin, organisation=government["transport"], tag="two words")
    with pytest.raises(PermissionDenied):
        campaign_create(actor=bob, organisation=government["transport"], name="Nope")
    assert Campaign.objects.count() == 1


def test_settings_page(client_for, alice, erin, carol, government):
    url = "/console/publishing/settings/"
    response = client_for(alice).post(url, {
        "form": "policy", "organisation": government["transport"].pk, "levels": "2",
        "level_one_roles": ["approver"], "level_two_roles": ["administrator"]})
    assert response.status_code == 302
    assert policy_for(government["transport"]).levels == 2
    page = client_for(erin).get(url).content.decode()
    assert "Posts need 2 approvals." in page
    client_for(erin).post(url, {"form": "hashtag", "organisation": government["transport"].pk,
                                "tag": "RoadSafety"})
    assert "RoadSafety" in client_for(erin).get("/console/publishing/new/").content.decode()
    assert client_for(carol).get(
        f"{url}?organisation={government['transport'].pk}").status_code == 404
