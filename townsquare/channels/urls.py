from django.urls import path

from townsquare.channels import health_views, views

app_name = "channels"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_new, name="new"),
    path("import/", views.account_import, name="import"),
    path("export.csv", views.account_export, name="export"),
    path("oauth/callback/", views.oauth_callback, name="oauth_callback"),
    path("<int:account_id>/", views.account_detail, name="detail"),
    path("<int:account_id>/edit/", views.account_edit, name="edit"),
    path("<int:account_id>/retire/", views.account_retire, name="retire"),
    path("<int:account_id>/confirm/", views.account_confirm, name="confirm"),
    path("<int:account_id>/connect/", views.account_connect, name="connect"),
    path("<int:account_id>/credentials/", views.account_credentials, name="credentials"),
    path("ghosts/", health_views.ghost_report, name="ghosts"),
    path("<int:account_id>/health/", health_views.account_health_page, name="health"),
    path("<int:account_id>/health/review/", health_views.account_review, name="health_review"),
]
