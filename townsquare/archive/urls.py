from django.urls import path

from townsquare.archive import retention_views, search_views, views

app_name = "archive"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("chain/", views.chain_status, name="chain"),
    path("search/", search_views.search, name="search"),
    path("search/save/", search_views.search_save, name="search_save"),
    path("search/saved/<int:saved_id>/delete/", search_views.search_delete,
         name="search_delete"),
    path("retention/", retention_views.retention, name="retention"),
    path("retention/batches/<int:batch_id>/", retention_views.batch_detail, name="batch"),
    path("holds/", retention_views.holds, name="holds"),
    path("holds/<int:hold_id>/release/", retention_views.hold_release, name="hold_release"),
    path("chain/runs/<int:run_id>/", views.verification_status, name="verification"),
    path("<int:record_id>/", views.record_detail, name="detail"),
    path("<int:record_id>/redact/", views.record_redact_view, name="redact"),
    path("<int:record_id>/restrict/", views.record_restrict_view, name="restrict"),
    path("media/<str:sha256>/", views.media_download, name="media"),
]
