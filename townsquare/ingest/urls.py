from django.urls import path

from townsquare.ingest import views

app_name = "ingest"

urlpatterns = [
    path("dead-letters/", views.rejection_list, name="rejections"),
    path("dead-letters/<int:rejection_id>/", views.rejection_detail, name="rejection"),
    path("dead-letters/<int:rejection_id>/retry/", views.rejection_retry_view, name="retry"),
    path("dead-letters/<int:rejection_id>/discard/", views.rejection_discard_view,
         name="discard"),
]
