from django.urls import path

from townsquare.archive import views

app_name = "archive"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("chain/", views.chain_status, name="chain"),
    path("chain/runs/<int:run_id>/", views.verification_status, name="verification"),
    path("<int:record_id>/", views.record_detail, name="detail"),
    path("<int:record_id>/redact/", views.record_redact_view, name="redact"),
    path("<int:record_id>/restrict/", views.record_restrict_view, name="restrict"),
    path("media/<str:sha256>/", views.media_download, name="media"),
]
