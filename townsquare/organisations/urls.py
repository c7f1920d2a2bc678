from django.urls import path

from townsquare.organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("<int:organisation_id>/", views.organisation_detail, name="detail"),
    path("<int:organisation_id>/edit/", views.organisation_edit, name="edit"),
    path("<int:organisation_id>/teams/new/", views.team_new, name="team_new"),
    path("<int:organisation_id>/members/add/", views.member_add, name="member_add"),
    path("<int:organisation_id>/members/new/", views.staff_new, name="staff_new"),
    path("memberships/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("people/", views.people_list, name="people"),
]
