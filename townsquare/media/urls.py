from django.urls import URLPattern, URLResolver, path

from townsquare.media import views

app_name = "media"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("<int:asset_id>/", views.detail, name="detail"),
    path("<int:asset_id>/alt-text/", views.alt_text, name="alt_text"),
    path("<int:asset_id>/archive/", views.archive, name="archive"),
    path("<int:asset_id>/file", views.file, name="file"),
]
