import pytest

pytestmark = pytest.mark.django_db


def test_carol_cannot_open_transport_agency(client_for, alice, carol, government):
    response = client_for(carol).get(f"/console/organisations/{government['transport'].pk}/")
    assert response.status_code == 404


def test_alice_sees_her_agency(client_for, alice, government):
    response = client_for(alice).get(f"/console/organisations/{government['transport'].pk}/")
    assert response.status_code == 200
    assert "Transport Agency" in response.text


def test_dana_of_the_office_sees_every_agency(client_for, dana, government):
    for key in ("transport", "health", "ngo"):
        response = client_for(dana).get(f"/console/organisations/{government[key].pk}/")
        assert response.status_code == 200
